import ConnectorCore
import Foundation
import OData

/// The request bodies for pending vendor invoices (`VendorInvoiceHeaders` / `VendorInvoiceLines`,
/// d365-fo-odata.md §3.1–§3.4) and the reading of what comes back. Every field-name choice the reference
/// marks as uncertain is made here and only here:
///
/// - `MainAccountDisplayValue` on lines: the property exists in the 2025 metadata, but whether F&O honours it
///   on create (rather than taking the account from a procurement category) is **[UNCERTAIN]** (§3.4, §9).
/// - `NetAmount` on lines: documented as the line net amount (§3.2); sent equal to `UnitPrice` × `ReceiveNow`
///   (= 1) so the two agree; whether F&O recomputes it is unverified.
/// - `ImportedAmount` on the header: a snapshot of the source total for imported-vs-calculated checks (§3.1);
///   sent as the document total.
/// - Posted state: the pending-invoice entity has no documented posted flag (§3.1; posting normally removes
///   the pending invoice). A header carrying `IsPosted` = Yes is treated as posted; otherwise it is pending.
/// - `HeaderReference`: never assumed; always read from the 201 body (§3.1 note, [UNCERTAIN]).
/// - Duplicate invoice numbers: F&O rejects an `InvoiceNumber` already used for the vendor (§3.1), also by a
///   posted invoice that has left the pending tables. A header POST refused with a 400 whose Infolog says the
///   number is "already used" therefore means "this document is already in the ERP, probably posted"; the exact
///   text is not documented, so this is matched loosely in `isDuplicateInvoiceRejection`.
///
/// Amounts are JSON numbers built from the document's decimal text, never through `Double`.
public enum VendorInvoicePayload {
    /// The pending vendor invoice headers' entity set (d365-fo-odata.md §4).
    public static let headerEntitySet = "VendorInvoiceHeaders"
    /// Their lines' entity set, keyed by `HeaderReference` and `InvoiceLineNumber`.
    public static let lineEntitySet = "VendorInvoiceLines"

    /// F&O's property names, spelled once so no payload or filter types them by hand.
    public enum Field {
        /// The legal entity of a record.
        public static let company = "dataAreaId"
        /// The header's key from the number sequence (or the client, with `keyAssignment` client).
        public static let headerReference = "HeaderReference"
        /// Carries the connector's stable key (`EXP<reportID>`), how a rerun finds a document.
        public static let invoiceNumber = "InvoiceNumber"
        /// The vendor the invoice is payable to.
        public static let invoiceAccount = "InvoiceAccount"
        /// The ordering vendor, the same as the invoice account here.
        public static let vendorAccount = "VendorAccount"
        /// The invoice date (`invoice.dateFrom`).
        public static let invoiceDate = "InvoiceDate"
        /// The posting date, the same day as the invoice date.
        public static let postingDate = "Date"
        /// The invoice currency, the report currency.
        public static let currency = "Currency"
        /// "Expensify <report ID>: <report name>", so the vendor ledger shows where a document came from.
        public static let invoiceDescription = "InvoiceDescription"
        /// Default dimensions as a display value in integration-format order.
        public static let dimensions = "DimensionDisplayValue"
        /// The invoice total as imported, which F&O compares with the lines' total.
        public static let importedAmount = "ImportedAmount"
        /// 1, 2, 3… in expense order.
        public static let lineNumber = "InvoiceLineNumber"
        /// Merchant and category of the expense.
        public static let lineDescription = "LineDescription"
        /// Always 1: an expense line is one unit at its amount.
        public static let quantity = "ReceiveNow"
        /// The line amount (with quantity 1).
        public static let unitPrice = "UnitPrice"
        /// The line amount, exact decimal in the currency's digits.
        public static let netAmount = "NetAmount"
        /// The main account mapped from the category's GL code (a contract choice, see the README).
        public static let mainAccount = "MainAccountDisplayValue"
        /// Whether F&O posted the invoice; a posted one is never modified.
        public static let isPosted = "IsPosted"
    }

    /// The header POST body. `InvoiceNumber` is the document's stable key.
    /// - Throws: `d365.payload_invalid` for a malformed date or amount (nothing is sent then).
    public static func header(_ doc: InvoiceDocument) throws -> [String: JSONValue] {
        let posting = doc.postingDate.isEmpty ? doc.invoiceDate : doc.postingDate
        return [
            Field.company: .string(doc.company.lowercased()),
            Field.invoiceNumber: .string(doc.key),
            Field.invoiceAccount: .string(doc.vendorAccount),
            Field.vendorAccount: .string(doc.vendorAccount),
            Field.invoiceDate: .string(try dateTime(doc.invoiceDate, field: "invoiceDate", key: doc.key)),
            Field.postingDate: .string(try dateTime(posting, field: "postingDate", key: doc.key)),
            Field.currency: .string(doc.currency),
            Field.invoiceDescription: .string(doc.description),
            Field.dimensions: .string(doc.dimensionDisplayValue),
            Field.importedAmount: try amount(doc.total, field: "total", key: doc.key),
        ]
    }

    /// One line's POST body, attached to the `headerReference` the server returned.
    public static func line(_ line: InvoiceLine, of doc: InvoiceDocument, headerReference: String) throws -> [String: JSONValue] {
        let value = try amount(line.amount, field: "lines[\(line.lineNumber)].amount", key: doc.key)
        return [
            Field.company: .string(doc.company.lowercased()),
            Field.headerReference: .string(headerReference),
            Field.lineNumber: .int(line.lineNumber),
            Field.lineDescription: .string(line.description),
            Field.quantity: .number("1"),
            Field.unitPrice: value,
            Field.netAmount: value,
            Field.currency: .string(doc.currency),
            Field.mainAccount: .string(line.mainAccount),
            Field.dimensions: .string(line.dimensionDisplayValue),
        ]
    }

    /// Navigation property from a header to its lines, used to post lines inside a `$batch` changeset as
    /// `POST $<header Content-ID>/VendorInvoiceLine` (d365-fo-odata.md §3.1).
    public static let linesNavigation = "VendorInvoiceLine"

    /// One line's body inside a `$batch` changeset, posted through the header's `$n` reference: the same
    /// fields as `line(_:of:headerReference:)` minus `HeaderReference`, which the reference supplies (the
    /// server-assigned value is not known when the batch is written). `dataAreaId` stays: it matches the parent.
    public static func batchLine(_ line: InvoiceLine, of doc: InvoiceDocument) throws -> [String: JSONValue] {
        var body = try self.line(line, of: doc, headerReference: "")
        body.removeValue(forKey: Field.headerReference)
        return body
    }

    /// Longest `HeaderReference` the connector derives itself (`clientHeaderReference`). F&O's reference field
    /// length is not documented; 20 characters stays inside the usual string-key sizes.
    public static let clientHeaderReferenceMaxLength = 20

    /// The `HeaderReference` sent with client-assigned keys (`target.keyAssignment` `client`): the stable key itself
    /// when it is at most 20 characters of letters, digits, `-` and `_`; otherwise its first three characters,
    /// `~` and the 16 hex digits of the key's 64-bit FNV-1a hash. The same key always gives the same reference,
    /// so a rerun cannot create a second header under another reference.
    public static func clientHeaderReference(for key: String) -> String {
        let plain = key.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
        if plain, !key.isEmpty, key.count <= clientHeaderReferenceMaxLength { return key }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digest = String(hash, radix: 16)
        let prefix = String(key.unicodeScalars.filter { $0.isASCII && CharacterSet.alphanumerics.contains($0) }.prefix(3).map(Character.init))
        return prefix + "~" + String(repeating: "0", count: 16 - digest.count) + digest
    }

    /// The header POST body with a client-assigned `HeaderReference`.
    public static func header(_ doc: InvoiceDocument, clientReference: String) throws -> [String: JSONValue] {
        var body = try header(doc)
        body[Field.headerReference] = .string(clientReference)
        return body
    }

    /// Whether a header POST was refused because the invoice number exists already (see the type comment).
    public static func isDuplicateInvoiceRejection(_ error: ConnectorError) -> Bool {
        guard error.code == D365Errors.validation else { return false }
        let text = error.message.lowercased()
        return text.contains("already used") || (text.contains("invoice number") && text.contains("already exists"))
    }

    /// Whether a header row read back is posted (see the type comment).
    public static func isPosted(_ header: [String: JSONValue]) -> Bool { ODataValue.noYes(header[Field.isPosted]) }

    /// `yyyy-MM-dd` → `yyyy-MM-ddT12:00:00Z` (F&O's date-only convention, §2.3).
    static func dateTime(_ day: String, field: String, key: String) throws -> String {
        guard ODataValue.isDay(day) else {
            throw ConnectorError(
                "d365.payload_invalid", "Document \(key) has \(field) '\(day)', not yyyy-MM-dd.",
                context: ["document.key": key, "field": field])
        }
        return day + "T12:00:00Z"
    }

    /// Decimal text → an exact JSON number, refusing anything that is not plain JSON number syntax
    /// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`): no grouping, no exponent, no leading `+` or `.`.
    static func amount(_ text: String, field: String, key: String) throws -> JSONValue {
        guard isPlainDecimal(text) else {
            throw ConnectorError(
                "d365.payload_invalid", "Document \(key) has \(field) '\(text)', not a plain decimal number.",
                context: ["document.key": key, "field": field])
        }
        return .number(text)
    }

    static func isPlainDecimal(_ text: String) -> Bool {
        var chars = Substring(text)
        if chars.first == "-" { chars = chars.dropFirst() }
        let parts = chars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integer = parts.first, !integer.isEmpty, integer.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if integer.count > 1 && integer.first == "0" { return false }
        if parts.count == 2 {
            let fraction = parts[1]
            return !fraction.isEmpty && fraction.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return true
    }
}
