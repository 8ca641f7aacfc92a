import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

extension D365Target {
    /// Runs `reads` (each following every page) and returns their rows in the same order.
    ///
    /// With `$batch` on and more than one read, the reads travel as GET parts of one `$batch` (at most
    /// `maxOperationsPerBatch` a request), and the next pages of all of them in the next one: a window's lookups
    /// cost one request per page depth, whatever the number of keys. The request only reads, so it is retried like
    /// any GET. A part that did not answer 200 is read on its own (with the usual retries and error mapping); a
    /// `$batch` that is refused or unreadable falls back to plain GETs, and a server without `$batch` is remembered.
    func readAll(_ reads: [D365Read]) async throws -> [[[String: JSONValue]]] {
        guard reads.count > 1, await writeMode() != .perDocument else {
            var out: [[[String: JSONValue]]] = []
            for read in reads {
                out.append(try await odata.getAll(read.entitySet, filter: read.filter, select: read.select, crossCompany: true))
            }
            return out
        }
        var urls: [URL] = []
        for read in reads {
            guard let url = odata.collectionURL(read.entitySet, filter: read.filter, select: read.select, crossCompany: true) else {
                throw ConnectorError(
                    "d365.request_invalid", "Could not build a URL for \(read.entitySet).", context: ["d365.entity_set": read.entitySet])
            }
            urls.append(url)
        }
        var rows = Array(repeating: [[String: JSONValue]](), count: reads.count)
        var visited = urls.map { Set([$0.absoluteString]) }
        var pending = Array(urls.enumerated())
        while !pending.isEmpty {
            var next: [(offset: Int, element: URL)] = []
            for group in pending.chunked(Self.maxOperationsPerBatch) {
                let answers = await readPages(group.map(\.element))
                for ((index, url), part) in zip(group, answers) {
                    let entitySet = reads[index].entitySet
                    guard let part, part.status == 200,
                        let page = try? odata.collectionPage(part.body, entitySet: entitySet, status: part.status)
                    else {
                        // Read this one (from this page on) the plain way: retries, paging and error mapping included.
                        rows[index] += try await odata.getAll(entitySet, from: url, visited: visited[index])
                        continue
                    }
                    rows[index] += page.rows
                    if let link = page.nextLink {
                        let following = try odata.nextPageURL(link, current: url, entitySet: entitySet, visited: visited[index])
                        visited[index].insert(following.absoluteString)
                        next.append((index, following))
                    }
                }
            }
            pending = next
        }
        return rows
    }

    /// One `$batch` of GETs; the answer part of each URL, nil where there is none (the whole `$batch` refused,
    /// failed or unreadable: the caller reads those one by one).
    private func readPages(_ urls: [URL]) async -> [ODataBatchPart?] {
        var parts: [ODataBatchPart?] = Array(repeating: nil, count: urls.count)
        guard await writeMode() != .perDocument else { return parts }
        let items = urls.enumerated().map { index, url in
            ODataBatchRequestItem.single(ODataBatchOperation(contentID: String(index + 1), method: "GET", url: url.absoluteString, body: [:]))
        }
        do {
            let response = try await odata.batch(items: items, idempotent: true)
            guard response.isSuccess else {
                if Self.batchAbsentStatuses.contains(response.status),
                    await runState.learn(D365Capability.batch, D365Capability.unsupported, remember: true)
                {
                    logger.warning(
                        "D365 does not accept $batch; reading and loading per request from now on",
                        metadata: ["system": "d365", "http.status": "\(response.status)"])
                }
                logger.info(
                    "D365 $batch of reads not taken; reading one by one",
                    metadata: ["system": "d365", "http.status": "\(response.status)", "d365.reads": "\(urls.count)"])
                return parts
            }
            let answer = try ODataBatch.parseResponse(response.body, contentType: response.header("Content-Type"))
            for (position, item) in answer.enumerated() {
                guard case .single(let part) = item else { continue }
                let index = part.contentID.flatMap(Int.init).map { $0 - 1 } ?? position
                if parts.indices.contains(index), parts[index] == nil { parts[index] = part }
            }
        } catch {
            // No answer after the retries, or an unreadable one: the plain reads decide.
            logger.info("D365 $batch of reads failed; reading one by one", metadata: ["system": "d365", "error": "\(Self.code(of: error))"])
        }
        return parts
    }
}
