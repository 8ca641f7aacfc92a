import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// One changeset of a `$batch` request and the job it carries.
enum D365BatchEntry: Sendable {
    /// Two-phase, first phase: the header alone.
    case header(D365NewJob)
    /// Header and lines in one changeset, the lines posted through the header's Content-ID (`$n`).
    case withReferences(D365NewJob)
    /// Header with a client-assigned `HeaderReference` and its lines, in one changeset.
    case withClientKey(D365NewJob, reference: String)
    /// Two-phase, second phase (or completing an earlier header): lines with a known `HeaderReference`.
    case lines(D365LinesJob, bodies: [[String: JSONValue]])
    /// A header deleted again after its lines were refused.
    case remove(D365RemoveJob)

    var document: InvoiceDocument {
        switch self {
        case .header(let job), .withReferences(let job), .withClientKey(let job, _): return job.document
        case .lines(let job, _): return job.document
        case .remove(let job): return job.document
        }
    }

    /// Operations in the changeset.
    var operationCount: Int {
        switch self {
        case .header: return 1
        case .withReferences(let job), .withClientKey(let job, _): return 1 + job.prepared.lines.count
        case .lines(_, let bodies): return bodies.count
        case .remove: return 1
        }
    }
}
