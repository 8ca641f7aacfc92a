import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// The request for one `$batch` of changesets (one per entry), and the reading of its answer.
///
/// Content-IDs are unique within the whole request (OData v4.01 requires it, v4.0 servers accept it): 1, 2, … in
/// operation order across the changesets. Answers are matched to entries by Content-ID when the server echoes
/// them and by order otherwise.
struct D365BatchRequest: Sendable {
    struct Operation: Sendable, Hashable {
        var entry: Int
        var index: Int
    }

    let entries: [D365BatchEntry]
    let changesets: [ODataChangeset]
    /// Content-ID → the entry and operation it belongs to.
    let owner: [String: Operation]

    init(_ entries: [D365BatchEntry], root: String) {
        let headers = root + "/" + VendorInvoicePayload.headerEntitySet
        let lines = root + "/" + VendorInvoicePayload.lineEntitySet
        var changesets: [ODataChangeset] = []
        var owner: [String: Operation] = [:]
        var next = 1
        for (index, entry) in entries.enumerated() {
            var operations: [ODataBatchOperation] = []
            func add(method: String = "POST", _ url: String, _ body: [String: JSONValue]) -> String {
                let id = String(next)
                next += 1
                owner[id] = Operation(entry: index, index: operations.count)
                operations.append(ODataBatchOperation(contentID: id, method: method, url: url, body: body))
                return id
            }
            switch entry {
            case .header(let job):
                _ = add(headers, job.prepared.header)
            case .withReferences(let job):
                let headerID = add(headers, job.prepared.header)
                for line in job.prepared.lines { _ = add("$\(headerID)/" + VendorInvoicePayload.linesNavigation, line) }
            case .withClientKey(let job, let reference):
                var header = job.prepared.header
                header[VendorInvoicePayload.Field.headerReference] = .string(reference)
                _ = add(headers, header)
                for var line in job.prepared.lines {
                    line[VendorInvoicePayload.Field.headerReference] = .string(reference)
                    _ = add(lines, line)
                }
            case .lines(_, let bodies):
                for body in bodies { _ = add(lines, body) }
            case .remove(let job):
                let key: [(String, ODataLiteral)] = [
                    (VendorInvoicePayload.Field.company, .string(job.document.company.lowercased())),
                    (VendorInvoicePayload.Field.headerReference, .string(job.reference)),
                ]
                let url = ODataURL.entity(root: root, entitySet: VendorInvoicePayload.headerEntitySet, key: key)?.absoluteString ?? headers
                _ = add(method: "DELETE", url, [:])
            }
            changesets.append(ODataChangeset(operations))
        }
        self.entries = entries
        self.changesets = changesets
        self.owner = owner
    }

    /// One outcome per entry, in entry order; nil when the answer does not fit the request (more items than
    /// changesets, one entry answered twice, one item naming several entries).
    func interpret(_ items: [ODataBatchResponseItem]) -> [D365ChangesetOutcome]? {
        var answered: [Int: [ODataBatchPart]] = [:]
        for (position, item) in items.enumerated() {
            let parts = item.parts
            let owners = Set(parts.compactMap { $0.contentID.flatMap { owner[$0]?.entry } })
            let index: Int
            if owners.count == 1, let only = owners.first {
                index = only
            } else if owners.isEmpty, position < entries.count {
                index = position
            } else {
                return nil
            }
            guard answered[index] == nil else { return nil }
            answered[index] = parts
        }
        return entries.indices.map { outcome(answered[$0], entry: $0) }
    }

    private func outcome(_ parts: [ODataBatchPart]?, entry: Int) -> D365ChangesetOutcome {
        guard let parts, !parts.isEmpty else { return .notProcessed }
        let failures = parts.filter { !$0.isSuccess }
        guard let failure = failures.first else {
            let expected = changesets[entry].operations.count
            guard parts.count == expected else {
                return .uncertain("D365 answered \(parts.count) operations of a changeset that had \(expected).")
            }
            // Put the parts in operation order when every Content-ID names an operation of this changeset.
            let indices = parts.map { $0.contentID.flatMap { owner[$0] }.flatMap { $0.entry == entry ? $0.index : nil } }
            if indices.allSatisfy({ $0 != nil }), Set(indices.compactMap { $0 }).count == parts.count {
                return .succeeded(zip(indices, parts).sorted { $0.0! < $1.0! }.map(\.1))
            }
            return .succeeded(parts)
        }
        guard parts.count == 1 else {
            // Atomic changesets answer with one error part; successes beside an error leave the outcome open.
            return .uncertain(
                "D365 answered a changeset with \(parts.count - failures.count) successes and \(failures.count) failures (HTTP \(failure.status)).")
        }
        let operation = failure.contentID.flatMap { owner[$0] }.flatMap { $0.entry == entry ? $0.index : nil }
        return .failed(failure, operation: operation)
    }

    /// The `HeaderReference` a created header's answer names: its body, else its `Location`
    /// (`…/VendorInvoiceHeaders(dataAreaId='usmf',HeaderReference='00000042')`).
    static func headerReference(in part: ODataBatchPart) -> String? {
        if let reference = (try? JSONValue.parse(part.body))?[VendorInvoicePayload.Field.headerReference]?.stringValue,
            !reference.isEmpty
        {
            return reference
        }
        guard let location = part.headers["location"]?.removingPercentEncoding,
            let start = location.range(of: VendorInvoicePayload.Field.headerReference + "='")
        else { return nil }
        var value = ""
        var index = start.upperBound
        while index < location.endIndex {
            let char = location[index]
            let next = location.index(after: index)
            if char == "'" {
                // `''` is an escaped quote inside an OData string literal.
                guard next < location.endIndex, location[next] == "'" else { return value.isEmpty ? nil : value }
                value.append("'")
                index = location.index(after: next)
                continue
            }
            value.append(char)
            index = next
        }
        return nil
    }
}
