import CCurl
import ConnectorCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Owns the multi handle and the one thread that drives it. Transfers and cancellations are handed in under `lock`
/// and the loop is woken with `curl_multi_wakeup`; everything else happens on the loop thread.
final class CurlEventLoop: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var incoming: [CurlTransfer] = []
    private var cancellations: [CurlTransfer] = []
    private var stopping = false
    /// Loop thread only: every transfer in the multi handle (the strong references behind the callbacks' context).
    private var active: [ObjectIdentifier: CurlTransfer] = [:]

    init() {
        _ = CurlGlobal.initialized
        guard let multi = curl_multi_init() else { fatalError("libcurl: curl_multi_init failed") }
        self.multi = multi
        // Idle connections kept for reuse, across hosts.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 64)
        let thread = Thread { [self] in
            // Visible in `top -H`, debuggers and /proc/<pid>/task/*/comm (15 bytes at most on Linux).
            Thread.current.name = "curl-event-loop"
            self.run()
        }
        thread.start()
    }

    deinit {
        // The loop thread has returned (it holds `self` while it runs): nothing else uses the handle.
        curl_multi_cleanup(multi)
    }

    func submit(_ transfer: CurlTransfer) {
        lock.lock()
        if transfer.cancelRequested || stopping {
            let stopped = stopping
            lock.unlock()
            transfer.finish(.failure(stopped ? ConnectorError("http.client", "The HTTP transport was shut down.") : CancellationError()))
            return
        }
        incoming.append(transfer)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    func cancel(_ transfer: CurlTransfer) {
        lock.lock()
        transfer.cancelRequested = true
        cancellations.append(transfer)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    func shutdown() {
        lock.lock()
        stopping = true
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    private func run() {
        while true {
            lock.lock()
            let added = incoming
            let cancelled = cancellations
            let stop = stopping
            incoming.removeAll()
            cancellations.removeAll()
            lock.unlock()

            for transfer in added {
                let code = curl_multi_add_handle(multi, transfer.easy)
                if code == CURLM_OK {
                    active[ObjectIdentifier(transfer)] = transfer
                } else {
                    transfer.finish(
                        .failure(
                            ConnectorError(
                                "http.client", "libcurl refused a transfer (\(String(cString: curl_multi_strerror(code))))).")))
                }
            }
            for transfer in cancelled {
                guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { continue }
                curl_multi_remove_handle(multi, transfer.easy)
                transfer.finish(.failure(CancellationError()))
            }
            if stop { break }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            completeFinishedTransfers()
            _ = curl_multi_poll(multi, nil, 0, 60_000, nil)
        }
        for transfer in active.values {
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.finish(
                .failure(
                    ConnectorError(
                        ErrorCode.httpNetwork, "The HTTP transport was shut down before an answer came.",
                        isTransient: true)))
        }
        active.removeAll()
    }

    private func completeFinishedTransfers() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context)
            guard let context else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            // `message` is invalid once the handle is removed; everything needed was read above.
            curl_multi_remove_handle(multi, easy)
            active.removeValue(forKey: ObjectIdentifier(transfer))
            transfer.finish(code)
        }
    }
}
