import Foundation

/// What a Business Central target learns during a run and shares between its copies: company ids and names, journal
/// ids, and what the lookup found about existing documents (ids of headers and lines) for completing them.
actor BCRunState {
    /// Configured company (name or id, lower-cased) → (id, name).
    var companies: [String: (id: String, name: String)] = [:]
    /// Whether `companies` was read.
    var companiesRead = false
    /// Company id → journal batch id.
    var journals: [String: String] = [:]
    /// Document key → the ERP ids found or created for it.
    var found: [String: BCFoundDocument] = [:]

    func setCompanies(_ map: [String: (id: String, name: String)]) {
        companies = map
        companiesRead = true
    }

    func setJournal(_ id: String, company: String) { journals[company] = id }

    func remember(_ document: BCFoundDocument) { found[document.key] = document }

    func forget(_ key: String) { found[key] = nil }
}

/// A document as Business Central holds it: the header (purchase invoice) or the journal lines, with their ids.
struct BCFoundDocument: Sendable, Hashable {
    var key: String
    var companyID: String
    /// Purchase invoice id; for journals the journal batch id.
    var id: String
    /// The invoice number (draft or posted) or the journal document number.
    var number: String
    /// `Draft`, `Open`, `Paid`… (invoices), `draft`/`posted` (journals).
    var status: String
    /// The lines found: id, line number (`sequence / 10000` for invoices, position for journals), dimensions.
    var lines: [BCFoundLine]
    /// The header's dimensions (invoices).
    var dimensions: [String: String]

    var isPosted: Bool { status.lowercased() != "draft" && !status.isEmpty }
}

/// One line of a document as Business Central holds it.
struct BCFoundLine: Sendable, Hashable {
    var id: String
    var lineNumber: Int
    var dimensions: [String: String]
}
