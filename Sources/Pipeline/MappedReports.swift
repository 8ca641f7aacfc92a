import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

/// `transform`'s reading half on a thread of its own: reads `records.jsonl`, keeps each report once and maps it, and
/// hands the results over in order, in chunks, while the stage writes the previous ones (review files, ledger). On two
/// cores that halves a large batch's time; the order, and so every byte written, is the same as one loop's.
///
/// At most `depth` chunks wait (memory stays flat); a reading error arrives in order, after the results before it.
final class MappedReports: @unchecked Sendable {
    enum Item: Sendable {
        /// An element extract could not read at all.
        case unreadable(ExtractedReport)
        /// A second copy of a report already mapped.
        case duplicate(String)
        case mapped(ReportOutcome)
    }

    private enum Slot {
        case chunk([Item])
        case failure(any Error)
        case end
    }

    private let condition = NSCondition()
    private var queue: [Slot] = []
    private var cancelled = false
    private let depth: Int

    /// Starts reading at once.
    init(records url: URL, mapper: ReportMapper, chunkSize: Int = 256, depth: Int = 8) {
        self.depth = depth
        let thread = Thread { [self] in
            var seen = Set<String>()
            var chunk: [Item] = []
            chunk.reserveCapacity(chunkSize)
            do {
                var reader = try JSONLinesReader<ExtractedReport>(url)
                defer { reader.close() }
                while let record = try reader.next() {
                    if let report = record.report {
                        if seen.insert(report.reportID).inserted {
                            chunk.append(.mapped(mapper.map(report, decodeIssues: record.issues)))
                        } else {
                            chunk.append(.duplicate(report.reportID))
                        }
                    } else {
                        chunk.append(.unreadable(record))
                    }
                    if chunk.count >= chunkSize {
                        guard put(.chunk(chunk)) else { return }
                        chunk.removeAll(keepingCapacity: true)
                    }
                }
                if !chunk.isEmpty { guard put(.chunk(chunk)) else { return } }
                _ = put(.end)
            } catch {
                if !chunk.isEmpty { guard put(.chunk(chunk)) else { return } }
                _ = put(.failure(error))
            }
        }
        thread.name = "transform-read"
        thread.start()
    }

    /// Waits for room; false when the reader was cancelled.
    private func put(_ slot: Slot) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        queue.append(slot)
        condition.broadcast()
        return true
    }

    /// The next chunk in order, nil at the end, or the reading error.
    func next() throws -> [Item]? {
        condition.lock()
        while queue.isEmpty { condition.wait() }
        let slot = queue.removeFirst()
        if case .chunk = slot {} else { queue.insert(slot, at: 0) }  // the end (or error) stays for later calls
        condition.broadcast()
        condition.unlock()
        switch slot {
        case .chunk(let items): return items
        case .end: return nil
        case .failure(let error): throw error
        }
    }

    /// Stops the reading thread (the stage failed, or is done); it closes the file and ends.
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// `transform`'s ledger writes on a serial queue of their own, in the order they are handed over, while the stage goes
/// on writing review files. At most two batches wait (memory stays flat); the first failure is thrown by the next
/// `submit` or by `finish`, which waits until everything handed over is written.
final class BackgroundLedgerWrites: @unchecked Sendable {
    private let ledger: Ledger
    private let audit: AuditContext
    private let queue = DispatchQueue(label: "transform-ledger")
    private let room = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: (any Error)?

    init(ledger: Ledger, audit: AuditContext) {
        self.ledger = ledger
        self.audit = audit
    }

    private var firstFailure: (any Error)? { lock.withLock { failure } }

    /// Hands `writes` over and empties it.
    func submit(_ writes: inout LedgerWrites) throws {
        if let firstFailure { throw firstFailure }
        guard !writes.isEmpty else { return }
        let batch = writes
        writes = LedgerWrites()
        room.wait()
        queue.async { [self] in
            defer { room.signal() }
            guard firstFailure == nil else { return }
            var pending = batch
            do { try ledger.flush(&pending, audit: audit) } catch { lock.withLock { if failure == nil { failure = error } } }
        }
    }

    /// Waits for every write handed over; throws the first failure.
    func finish() throws {
        queue.sync {}
        if let firstFailure { throw firstFailure }
    }
}
