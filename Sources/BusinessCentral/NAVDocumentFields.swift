import ConnectorCore
import Foundation

/// What a document becomes on NAV pages, the same fields over OData and SOAP: a purchase invoice header with its
/// lines (page 51 / 55), or the general journal lines of a report (table 81). Descriptions are clipped to NAV
/// 2013–2018's Text50; a negative expense line is Quantity -1 at a positive Direct_Unit_Cost; the company's local
/// currency is written blank; dimensions go to the shortcut fields of `target.shortcutDimensions`.
struct NAVDocumentFields: Sendable {
    /// NAV 2013–2018 `Description` is Text50.
    static let descriptionLength = 50
    /// The document header of page 51 has only the two global dimension controls.
    static let headerSlots: ClosedRange<Int> = 1...2

    let configuration: NAVTargetConfiguration

    /// The document currency as NAV takes it: blank for the company's local currency.
    func currency(_ d: InvoiceDocument) -> String {
        if let local = localCurrency(d.company), local.uppercased() == d.currency.uppercased() { return "" }
        return d.currency
    }

    /// `target.localCurrencies` of a company (names matched ignoring case: documents carry them lower-cased).
    func localCurrency(_ company: String) -> String? {
        configuration.localCurrencies?[company]
            ?? configuration.localCurrencies?.first { $0.key.caseInsensitiveCompare(company) == .orderedSame }?.value
    }

    static func clip(_ text: String) -> String { String(text.prefix(descriptionLength)) }

    /// Shortcut fields for `dimensions` (code → value), in slot order; codes without a slot are left out (the
    /// transform rule holds such reports), and so are slots outside `allowed`.
    func dimensionFields(_ dimensions: [String: String]?, allowed: ClosedRange<Int> = 1...8) -> [NAVPageField] {
        let slots = configuration.shortcutDimensions ?? [:]
        return (dimensions ?? [:]).compactMap { code, value -> (Int, NAVPageField)? in
            guard let slot = slots[code], allowed.contains(slot), !value.isEmpty else { return nil }
            return (slot, NAVPageField(name: NAVShortcutField.name(slot: slot), value: .text(value)))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func invoiceHeader(_ d: InvoiceDocument) -> NAVPageRecord {
        var r = NAVPageRecord()
        r.append("Buy_from_Vendor_No", .text(d.vendorAccount))
        r.append("Document_Date", .date(d.invoiceDate))
        r.append("Posting_Date", .date(d.postingDate))
        r.append("Vendor_Invoice_No", .text(d.key))
        r.append("Currency_Code", .text(currency(d)))
        r.fields += dimensionFields(d.dimensions, allowed: Self.headerSlots)
        return r
    }

    func invoiceLine(_ l: InvoiceLine) -> NAVPageRecord {
        let negative = l.amount.hasPrefix("-")
        var r = NAVPageRecord()
        r.append("Type", .option("G/L Account"))
        r.append("No", .text(l.mainAccount))
        r.append("Description", .text(Self.clip(l.description)))
        r.append("Quantity", .decimal(negative ? "-1" : "1"))
        r.append("Direct_Unit_Cost", .decimal(negative ? String(l.amount.dropFirst()) : l.amount))
        r.fields += dimensionFields(l.dimensions)
        return r
    }

    func journalLines(_ d: InvoiceDocument, journal: NAVJournalSettings) -> [NAVPageRecord] {
        NAVJournalLinePlan.lines(for: d, journal: journal).map { p in
            var r = NAVPageRecord()
            r.append("Posting_Date", .date(d.postingDate))
            r.append("Document_Type", .option(" "))
            r.append("Document_No", .text(d.key))
            r.append("External_Document_No", .text(d.reportID))
            r.append("Account_Type", .option("G/L Account"))
            r.append("Account_No", .text(p.account))
            r.append("Description", .text(Self.clip(p.description)))
            r.append("Currency_Code", .text(currency(d)))
            r.append("Amount", .decimal(p.amount))
            if let bal = p.balancingAccount {
                r.append("Bal_Account_Type", .option("G/L Account"))
                r.append("Bal_Account_No", .text(bal))
            }
            r.fields += dimensionFields(p.dimensions)
            return r
        }
    }
}
