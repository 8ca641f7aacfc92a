import ConnectorCore
import ConnectorLedger
import Foundation

/// One report as `status --report` shows it: its record, drop, documents and audit trail.
public struct ReportStatus: Sendable, Codable {
    var report: ReportRecord
    var drop: DropRecord?
    var documents: [DocumentRecord]
    var auditTrail: [AuditEvent]

    /// The operator's view at a glance: watermark, what is open and why, recent batches, one batch's stages.
    public var text: String {
        let r = report
        var s = "Report \(r.reportID): \(r.state)\(r.reason.map { " — \($0)" } ?? "")\n"
        if let d = drop {
            s += "  DROPPED from the nightly retry at \(d.droppedAt) by \(d.actor): \(d.reason)\n"
        } else if r.state != .committed {
            s += "  open: asked for by ID on every run until it posts or is dropped ('ml-connector drop --report \(r.reportID) --reason …')\n"
        }
        s +=
            "  policy \(r.policyID ?? "-"), submitter \(r.submitter ?? "-"), approved \(r.approved ?? "-"), total \(r.total ?? "-") \(r.currency ?? "")\n"
        s += "  first batch \(r.firstBatchID), last batch \(r.lastBatchID)\n"
        for d in documents {
            s +=
                "  document \(d.key): \(d.state) \(d.company) \(d.vendor) \(d.total) \(d.currency) ref=\(d.erpReference ?? "-")\(d.error.map { " error: \($0)" } ?? "")\n"
        }
        s += "  audit trail:\n"
        for ev in auditTrail {
            s += "    \(ev.at) \(ev.event) [\(ev.stage ?? "-")] \(ev.detail)\n"
        }
        s += "  (the whole trail with files, map entries and HTTP: 'ml-connector audit \(r.reportID)')\n"
        return s
    }
}
