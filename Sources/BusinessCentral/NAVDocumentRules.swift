import ConnectorCore
import Foundation

/// What Business Central and NAV cannot take on the configured path, checked at transform so the report is held
/// with a reason instead of being refused (or cut short) by the ERP.
struct NAVDocumentRules: DocumentRules {
    let configuration: NAVTargetConfiguration

    func issues(for document: InvoiceDocument, reference: ReferenceData) -> [RecordIssue] {
        var issues: [RecordIssue] = []
        if configuration.type != NAVTargetConfiguration.bc {
            let slots = configuration.shortcutDimensions ?? [:]
            for line in document.lines {
                for code in (line.dimensions ?? [:]).keys.sorted() where slots[code] == nil {
                    issues.append(
                        RecordIssue(
                            record: "\(document.reportID)/\(line.transactionID)", field: "tag",
                            reason:
                                "dimension \(code) cannot be set through NAV pages: it has no shortcut dimension slot (target.shortcutDimensions lists \(slots.keys.sorted().joined(separator: ", ")))"
                        ))
                }
            }
        }
        if configuration.documentType == .generalJournal, let journal = configuration.journal {
            if configuration.type == NAVTargetConfiguration.bc, let company = reference.company(document.company),
                let local = company.currency, !local.isEmpty, local.uppercased() != document.currency.uppercased()
            {
                issues.append(
                    RecordIssue(
                        record: document.reportID, field: "currency",
                        reason:
                            "the report is in \(document.currency) but Business Central's journal API takes amounts only in the company currency \(local); post it as a purchase invoice or by hand"
                    ))
            }
            if let chart = reference.company(document.company)?.mainAccounts {
                if let account = chart.first(where: { $0.id == journal.balancingAccount }) {
                    if let why = account.problem {
                        issues.append(
                            RecordIssue(
                                record: document.reportID, field: "target.journal.balancingAccount",
                                reason: "balancing account \(journal.balancingAccount) \(why) in company \(document.company)"))
                    }
                } else {
                    issues.append(
                        RecordIssue(
                            record: document.reportID, field: "target.journal.balancingAccount",
                            reason: "balancing account \(journal.balancingAccount) does not exist in company \(document.company)"))
                }
            }
        }
        return issues
    }
}
