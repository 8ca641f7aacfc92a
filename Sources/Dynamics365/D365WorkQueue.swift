import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// Work waiting to be sent. Lines and deletions go first (their headers exist), then new headers.
struct D365WorkQueue: Sendable {
    var news: [D365NewJob] = []
    var lines: [D365LinesJob] = []
    var removes: [D365RemoveJob] = []
    var singles: [D365SingleWork] = []

    var isEmpty: Bool { news.isEmpty && lines.isEmpty && removes.isEmpty && singles.isEmpty }

    mutating func add(_ step: D365Step) {
        news += step.news
        lines += step.lines
        removes += step.removes
        singles += step.singles
    }

    /// The next unit to send in `mode`: one `$batch` with up to `batchSize` line changesets, up to `batchSize`
    /// new documents and the pending deletions (at most `maxOperations` operations, at least one entry); or, per
    /// document, one document.
    mutating func next(mode: D365WriteMode, batchSize: Int, maxOperations: Int, root: String) -> D365LoadUnit? {
        if mode == .perDocument {
            if !singles.isEmpty { return .single(singles.removeFirst()) }
            if !removes.isEmpty { return .single(.remove(removes.removeFirst())) }
            if !lines.isEmpty { return .single(.lines(lines.removeFirst())) }
            if !news.isEmpty { return .single(.document(news.removeFirst().document)) }
            return nil
        }
        if !singles.isEmpty { return .single(singles.removeFirst()) }
        var entries: [D365BatchEntry] = []
        var operations = 0
        func fits(_ entry: D365BatchEntry) -> Bool {
            entries.isEmpty || operations + entry.operationCount <= maxOperations
        }
        while let job = removes.first, fits(.remove(job)) {
            removes.removeFirst()
            entries.append(.remove(job))
            operations += 1
        }
        var linesTaken = 0
        while linesTaken < batchSize, let job = lines.first {
            // Bodies were checked when the document was prepared; a failure here cannot happen, but is not lost.
            guard let bodies = try? job.bodies() else {
                lines.removeFirst()
                singles.append(.lines(job))
                continue
            }
            let entry = D365BatchEntry.lines(job, bodies: bodies)
            guard fits(entry) else { break }
            lines.removeFirst()
            entries.append(entry)
            operations += entry.operationCount
            linesTaken += 1
        }
        var newTaken = 0
        while newTaken < batchSize, let job = news.first {
            let entry: D365BatchEntry
            switch mode {
            case .references: entry = .withReferences(job)
            case .clientKeys: entry = .withClientKey(job, reference: VendorInvoicePayload.clientHeaderReference(for: job.document.key))
            case .twoPhase, .perDocument: entry = .header(job)
            }
            guard fits(entry) else { break }
            news.removeFirst()
            entries.append(entry)
            operations += entry.operationCount
            newTaken += 1
        }
        return entries.isEmpty ? nil : .batch(D365BatchRequest(entries, root: root))
    }
}
