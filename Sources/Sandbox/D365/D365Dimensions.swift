import Foundation

/// An active dimension integration format (reference §5.2).
struct D365DimensionFormat: Sendable {
    var name: String
    var segments: [String]
}

/// Parses, validates and normalises dimension display values (reference §5.3).
struct D365Dimensions {
    let store: D365Store
    let settings: D365Settings

    static let defaultFormatType = "DataEntityDefaultDimensionFormat"
    static let ledgerFormatType = "DataEntityLedgerDimensionFormat"

    /// The partition's segment delimiter (`DimensionParameters.DimensionSegmentDelimiter`).
    var delimiter: String {
        let row = store.rows(D365Schema.dimensionParameters.setName).min { ($0["Key"].int ?? 0) < ($1["Key"].int ?? 0) }
        return row.flatMap { D365Schema.delimiter(forMember: $0.member("DimensionSegmentDelimiter")) } ?? "-"
    }

    func activeFormat(_ type: String) -> D365DimensionFormat? {
        let rows = store.rows(D365Schema.dimensionIntegrationFormats.setName)
            .filter { $0.member("DimensionFormatType") == type && $0.member("IsActive") == "Yes" }
            .sorted { $0.recId < $1.recId }
        guard let row = rows.first else { return nil }
        let d = delimiter
        let segments = row.string("FinancialDimensionFormat").components(separatedBy: d)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return D365DimensionFormat(name: row.string("DimensionFormatName"), segments: segments)
    }

    /// Splits on unescaped delimiters; a backslash makes the next character literal.
    static func split(_ value: String, delimiter: String) -> [String] {
        let chars = Array(value)
        let delim = Array(delimiter)
        var out: [String] = []
        var current = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count {
                current.append(chars[i + 1])
                i += 2
                continue
            }
            if !delim.isEmpty, i + delim.count <= chars.count, Array(chars[i..<(i + delim.count)]) == delim {
                out.append(current)
                current = ""
                i += delim.count
                continue
            }
            current.append(chars[i])
            i += 1
        }
        out.append(current)
        return out
    }

    /// Escapes backslashes and delimiter characters inside one segment value.
    static func escape(_ value: String, delimiter: String) -> String {
        let special = Set(delimiter).union(["\\"])
        var out = ""
        for c in value {
            if special.contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Splits `display` into one value per segment of `format`: missing trailing segments are blank; extra
    /// segments are dropped or rejected (nil, with the error) as the settings say.
    private func positionalSegments(
        _ display: String, format: D365DimensionFormat, kind: String,
        errors: inout [String]
    ) -> [String]? {
        var values = D365Dimensions.split(display, delimiter: delimiter)
        if values.count > format.segments.count {
            guard settings.extraDimensionSegments == "drop" else {
                errors.append(
                    "The dimension value '\(display)' has \(values.count) segments but the active \(kind) dimension format '\(format.name)' (\(format.segments.joined(separator: delimiter))) has \(format.segments.count)"
                )
                return nil
            }
            values = Array(values.prefix(format.segments.count))
        }
        while values.count < format.segments.count { values.append("") }
        return values
    }

    /// Validates a default dimension display value (`DimensionDisplayValue`). Returns the normalised
    /// value (positional, trailing blanks kept: `010-W01-`; all blank: ``) and the errors found.
    func validateDefault(_ display: String, company: String, on date: D365Date) -> (String, [String]) {
        if display.isEmpty { return ("", []) }
        guard let format = activeFormat(D365Dimensions.defaultFormatType) else {
            return (display, ["No active default dimension format is set up for integrating applications"])
        }
        var errors: [String] = []
        guard let values = positionalSegments(display, format: format, kind: "default", errors: &errors) else { return (display, errors) }
        var normalised: [String] = []
        for (dimension, raw) in zip(format.segments, values) {
            let value = raw.trimmingCharacters(in: .whitespaces)
            if value.isEmpty {
                normalised.append("")
                continue
            }
            if dimension == "MainAccount" {
                errors.append("The main account cannot be part of a default dimension value ('\(display)')")
                normalised.append(value)
                continue
            }
            let (canonical, error) = checkValue(dimension: dimension, value: value, company: company, on: date)
            if let error { errors.append(error) }
            normalised.append(canonical)
        }
        if normalised.allSatisfy(\.isEmpty) { return ("", errors) }
        return (normalised.map { D365Dimensions.escape($0, delimiter: delimiter) }.joined(separator: delimiter), errors)
    }

    /// Validates a ledger dimension display value (main account plus dimensions, `MainAccountDisplayValue`).
    func validateLedger(_ display: String, company: String, on date: D365Date) -> (String, [String]) {
        guard let format = activeFormat(D365Dimensions.ledgerFormatType) else {
            return (display, ["No active ledger dimension format is set up for integrating applications"])
        }
        guard let mainIndex = format.segments.firstIndex(of: "MainAccount") else {
            return (display, ["The active ledger dimension format '\(format.name)' has no MainAccount segment"])
        }
        var errors: [String] = []
        guard let values = positionalSegments(display, format: format, kind: "ledger", errors: &errors) else { return (display, errors) }
        var normalised: [String] = []
        for (n, (dimension, raw)) in zip(format.segments, values).enumerated() {
            let value = raw.trimmingCharacters(in: .whitespaces)
            if n == mainIndex {
                if value.isEmpty {
                    errors.append("A main account must be specified in the ledger dimension value '\(display)'")
                    normalised.append("")
                } else {
                    let (canonical, error) = checkMainAccount(value, company: company, on: date)
                    if let error { errors.append(error) }
                    normalised.append(canonical)
                }
                continue
            }
            if value.isEmpty {
                normalised.append("")
                continue
            }
            let (canonical, error) = checkValue(dimension: dimension, value: value, company: company, on: date)
            if let error { errors.append(error) }
            normalised.append(canonical)
        }
        // A value that names only the main account is kept as just the account (`600100`); anything longer
        // is normalised positionally to the whole ledger format (`600100-010-W01-`).
        if !display.contains(delimiter) {
            return (normalised[mainIndex], errors)
        }
        return (normalised.map { D365Dimensions.escape($0, delimiter: delimiter) }.joined(separator: delimiter), errors)
    }

    private static func isActive(from: D365Date, to: D365Date, on date: D365Date) -> Bool {
        let day = date.noon.seconds
        if !from.isUnset, day < from.noon.seconds { return false }
        if !to.isUnset, day > to.noon.seconds { return false }
        return true
    }

    /// Checks one financial dimension value in a company (or shared). Returns the stored spelling and an error.
    func checkValue(dimension: String, value: String, company: String, on date: D365Date) -> (String, String?) {
        let candidates = store.dimensionValues(dimension: dimension, value: value).filter {
            $0.string("LegalEntityId").isEmpty || D365Text.equal($0.string("LegalEntityId"), company)
        }
        guard let row = candidates.first(where: { !$0.string("LegalEntityId").isEmpty }) ?? candidates.first else {
            return (value, "Value '\(value)' for dimension '\(dimension)' was not found")
        }
        let canonical = row.string("DimensionValue")
        if row.member("IsSuspended") == "Yes" {
            return (canonical, "Value '\(canonical)' for dimension '\(dimension)' is suspended")
        }
        if row.member("IsBlockedForManualEntry") == "Yes" {
            return (canonical, "Value '\(canonical)' for dimension '\(dimension)' is blocked for manual entry")
        }
        if !D365Dimensions.isActive(from: row.date("ActiveFrom"), to: row.date("ActiveTo"), on: date) {
            return (canonical, "Value '\(canonical)' for dimension '\(dimension)' is not active on \(date.dayString)")
        }
        return (canonical, nil)
    }

    /// Checks a main account of the company's chart of accounts.
    func checkMainAccount(_ id: String, company: String, on date: D365Date) -> (String, String?) {
        let ledger = store.row(D365Schema.ledgers, key: ["LegalEntityId": .string(company)])
        let chart = ledger?.nonEmptyString("ChartOfAccounts") ?? "Shared"
        guard let account = store.row(D365Schema.mainAccounts, key: ["ChartOfAccounts": .string(chart), "MainAccountId": .string(id)]) else {
            return (id, "Main account '\(id)' does not exist in chart of accounts '\(chart)'")
        }
        let canonical = account.string("MainAccountId")
        if account.member("IsSuspended") == "Yes" { return (canonical, "Main account '\(canonical)' is suspended") }
        if account.member("DoNotAllowManualEntry") == "Yes" {
            return (canonical, "Main account '\(canonical)' does not allow manual entry")
        }
        if !D365Dimensions.isActive(from: account.date("ActiveFrom"), to: account.date("ActiveTo"), on: date) {
            return (canonical, "Main account '\(canonical)' is not active on \(date.dayString)")
        }
        return (canonical, nil)
    }
}

extension D365Row {
    func nonEmptyString(_ name: String) -> String? {
        let s = string(name)
        return s.isEmpty ? nil : s
    }
}
