import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

/// One report's whole trail (`ml-connector audit <report>`): when and in which batches it was extracted, the staged
/// files of those batches with their recorded SHA-256 (checked again now), the map entries transform applied to it
/// (category GL code → main account, tag → dimension values, vendor), the documents staged for load, the ERP
/// documents (key, HeaderReference, state) with their events, the failed HTTP attempts during its batches, and the
/// report's own audit events.
public struct ReportAuditTrail: Sendable, Codable {
    struct Extraction: Sendable, Codable {
        var batchID: String
        var at: String
        /// `export window after …`, `re-fetched by ID`, `replayed from batch …`, with the previous state when seen again.
        var how: String
    }

    struct BatchInfo: Sendable, Codable {
        var id: String
        var createdAt: String
        var replayOf: String?
        /// The batch's stage runs in order: `stage outcome`.
        var stageRuns: [String]
    }

    struct FileHash: Sendable, Codable {
        var batchID: String
        /// `extract/export.json`, `transform/invoice-lines.csv`, …
        var file: String
        /// As recorded in the ledger when the stage wrote it.
        var sha256: String
        /// `ok` (the file still has that hash), `changed`, or `missing`.
        var check: String
    }

    /// One expense line as transform mapped it (from `transform/invoice-lines.csv`, tags from `extract/records.jsonl`).
    struct MapEntry: Sendable, Codable {
        var batchID: String
        var invoiceNumber: String
        var line: String
        var transactionID: String
        var category: String
        var glCode: String
        var mainAccount: String
        var tag: String
        /// Tag levels with their GL codes, `name=glCode`, in level order.
        var tagLevels: [String]
        var dimensions: String
        var vendor: String
        var company: String
        var amount: String
        var currency: String
        var status: String
    }

    /// A document as transform staged it for load (`transform/invoices.json`).
    struct StagedDocument: Sendable, Codable {
        var batchID: String
        var key: String
        var company: String
        var vendor: String
        var currency: String
        var total: String
        var lines: Int
        var dimensions: String
    }

    var report: ReportRecord
    var drop: DropRecord?
    var extractions: [Extraction]
    var batches: [BatchInfo]
    var files: [FileHash]
    var mapEntries: [MapEntry]
    var stagedDocuments: [StagedDocument]
    /// The documents the ledger knows for the report (`erpReference` is D365's HeaderReference).
    var documents: [DocumentRecord]
    /// Registered, loading, loaded (with the reference the ERP answered), failed (with its message), changed after load.
    var documentEvents: [AuditEvent]
    /// Failed HTTP attempts (method, path, status) recorded during the stages of its batches.
    var httpFailures: [AuditEvent]
    /// HTTP failures of its batches left out of `httpFailures` (capped).
    var httpFailuresOmitted: Int
    /// The report's own events: extracted, mapped (ready/held with the reason), exceptions, loaded, labelled, dropped, replayed.
    var reportEvents: [AuditEvent]

    /// The whole trail as text, oldest first, for a person answering "what happened to this report?"
    public var text: String {
        let r = report
        var s = "Report \(r.reportID): \(r.state.rawValue)\(r.reason.map { " — \($0)" } ?? "")\n"
        s +=
            "  policy \(r.policyID ?? "-"), submitter \(r.submitter ?? "-"), approved \(r.approved ?? "-"), total \(r.total ?? "-") \(r.currency ?? "")\n"
        if let d = drop { s += "  DROPPED at \(d.droppedAt) by \(d.actor): \(d.reason)\n" }
        s += "Extracted:\n"
        for e in extractions { s += "  \(e.at)  batch \(e.batchID)  \(e.how)\n" }
        s += "Batches:\n"
        for b in batches {
            s += "  \(b.id)\(b.replayOf.map { " (replay of \($0))" } ?? "")  created \(b.createdAt)  \(b.stageRuns.joined(separator: ", "))\n"
        }
        s += "Staged files (SHA-256 recorded by the stage that wrote them; checked now):\n"
        for f in files { s += "  \(f.batchID) \(f.file)  \(f.sha256)  \(f.check)\n" }
        s += "Map entries applied (transform/invoice-lines.csv; tags from extract/records.jsonl):\n"
        if mapEntries.isEmpty { s += "  none (no expense line was mapped)\n" }
        for m in mapEntries {
            let tag = m.tagLevels.isEmpty ? (m.tag.isEmpty ? "no tag" : "tag \(m.tag)") : "tag \(m.tag) (\(m.tagLevels.joined(separator: ", ")))"
            s +=
                "  \(m.batchID) \(m.invoiceNumber.isEmpty ? "-" : m.invoiceNumber) line \(m.line) [\(m.transactionID)]: category \(m.category) GL \(m.glCode) → main account \(m.mainAccount.isEmpty ? "-" : m.mainAccount); "
            s +=
                "\(tag) → dimensions \(m.dimensions.isEmpty ? "-" : m.dimensions); vendor \(m.vendor.isEmpty ? "-" : m.vendor) (\(m.company)); \(m.amount) \(m.currency); \(m.status)\n"
        }
        s += "Documents staged for load (transform/invoices.json):\n"
        if stagedDocuments.isEmpty { s += "  none\n" }
        for d in stagedDocuments {
            s +=
                "  \(d.batchID) \(d.key)  \(d.company) vendor \(d.vendor)  \(d.total) \(d.currency)  \(d.lines) line(s)  dimensions \(d.dimensions.isEmpty ? "-" : d.dimensions)\n"
        }
        s += "ERP documents:\n"
        if documents.isEmpty { s += "  none\n" }
        for d in documents {
            s +=
                "  \(d.key)  \(d.state.rawValue)  HeaderReference \(d.erpReference ?? "-")  \(d.company) \(d.vendor) \(d.total) \(d.currency)  batch \(d.batchID)"
            s += "\(d.loadedAt.map { "  loaded \($0)" } ?? "")\(d.error.map { "  error: \($0)" } ?? "")\n"
        }
        s += "Document events (what was sent and what the ERP answered):\n"
        if documentEvents.isEmpty { s += "  none\n" }
        for e in documentEvents { s += "  \(e.at) \(e.entityID) \(e.event) [\(e.batchID ?? "-") \(e.stage ?? "-")] \(e.detail)\n" }
        s += "Failed HTTP attempts during its batches:\n"
        if httpFailures.isEmpty { s += "  none\n" }
        for e in httpFailures { s += "  \(e.at) \(e.entityID) \(e.event) [\(e.batchID ?? "-") \(e.stage ?? "-")] \(e.detail)\n" }
        if httpFailuresOmitted > 0 { s += "  … and \(httpFailuresOmitted) more\n" }
        s += "Report events:\n"
        for e in reportEvents { s += "  \(e.at) \(e.event) [\(e.batchID ?? "-") \(e.stage ?? "-")] \(e.detail)\n" }
        return s
    }
}
