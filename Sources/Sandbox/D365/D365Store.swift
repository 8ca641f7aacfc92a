import Foundation

/// One stored entity row.
struct D365Row: Sendable {
    var values: [String: D365Value]
    var recId: Int64
    var version: Int

    subscript(_ name: String) -> D365Value {
        get { values[name] ?? .null }
        set { values[name] = newValue }
    }

    func string(_ name: String) -> String { values[name]?.string ?? "" }
    func decimal(_ name: String) -> Decimal { values[name]?.decimal ?? 0 }
    func date(_ name: String) -> D365Date { values[name]?.date ?? .unset }
    func member(_ name: String) -> String { values[name]?.enumMember ?? "" }

    /// A weak ETag in F&O's style: `W/"<base64 of '<version>,<recid>'>"`.
    var etag: String {
        let raw = "'\(version),\(recId)'"
        return "W/\"\(Data(raw.utf8).base64EncodedString())\""
    }
}

/// Posted pending invoice kept after it left VendInvoiceInfoTable/VendInvoiceInfoLine.
struct D365PostedInvoice: Sendable {
    var header: D365Row
    var lines: [D365Row]
    var voucher: String
    var postedAt: D365Date
}

/// Every stored row, number sequence and posted invoice. A `$batch` changeset is rolled back from an undo
/// journal (`beginChangeset` … `rollBackChangeset`), so a changeset costs what it writes, not a copy of the store.
struct D365Store: Sendable {
    /// One row as it was before a write inside a changeset (nil: it did not exist).
    private struct Undo: Sendable {
        var schema: D365EntitySchema
        var key: String
        var old: D365Row?
    }
    private var journal: [Undo]?
    private var savedRecId: Int64 = 0
    private var savedHeaderReferenceNext: [String: Int] = [:]

    /// Entity set → folded key → row.
    var tables: [String: [String: D365Row]] = [:]
    /// Folded `dataAreaId|HeaderReference` → posted invoice.
    var posted: [String: D365PostedInvoice] = [:]
    var nextRecId: Int64 = 5_637_144_576
    /// Company → next HeaderReference number.
    var headerReferenceNext: [String: Int] = [:]
    var voucherNext: Int = 1
    /// `company|invoiceAccount|invoiceNumber` (folded) → key strings of pending headers (duplicate check).
    private(set) var invoiceNumberIndex: [String: Set<String>] = [:]
    /// Same keys for posted invoices.
    private(set) var postedInvoiceNumbers: Set<String> = []
    /// `company|headerReference` (folded) → key strings of its lines.
    private(set) var linesByHeader: [String: Set<String>] = [:]
    /// `dimension|value` (folded) → key strings of the `FinancialDimensionValues` rows (every write validates
    /// dimensions; a scan of the table per segment made large `$batch` requests slow).
    private(set) var dimensionValueIndex: [String: Set<String>] = [:]

    static func keyString(_ schema: D365EntitySchema, _ values: [String: D365Value]) -> String {
        schema.keys.map { k -> String in
            switch values[k] ?? .null {
            case .string(let s): return D365Text.fold(s)
            case .decimal(let d): return D365Decimal.format(d)
            case .int(let i): return String(i)
            case .enumMember(let e): return e
            case .date(let d): return d.iso
            case .bool(let b): return b ? "true" : "false"
            case .null: return ""
            }
        }.joined(separator: "\u{1F}")
    }

    static func postedKey(_ company: String, _ headerReference: String) -> String {
        D365Text.fold(company) + "\u{1F}" + D365Text.fold(headerReference)
    }

    func rows(_ set: String) -> [D365Row] { Array((tables[set] ?? [:]).values) }

    func row(_ schema: D365EntitySchema, key: [String: D365Value]) -> D365Row? {
        tables[schema.setName]?[D365Store.keyString(schema, key)]
    }

    static func invoiceNumberKey(company: String, invoiceAccount: String, invoiceNumber: String) -> String {
        [company, invoiceAccount, invoiceNumber].map(D365Text.fold).joined(separator: "\u{1F}")
    }

    private static func invoiceNumberKey(_ header: D365Row) -> String {
        invoiceNumberKey(
            company: header.string("dataAreaId"), invoiceAccount: header.string("InvoiceAccount"),
            invoiceNumber: header.string("InvoiceNumber"))
    }

    private mutating func index(_ schema: D365EntitySchema, _ row: D365Row, adding: Bool) {
        let key = D365Store.keyString(schema, row.values)
        switch schema.setName {
        case "VendorInvoiceHeaders":
            let k = D365Store.invoiceNumberKey(row)
            if adding {
                invoiceNumberIndex[k, default: []].insert(key)
            } else {
                invoiceNumberIndex[k]?.remove(key)
                if invoiceNumberIndex[k]?.isEmpty == true { invoiceNumberIndex[k] = nil }
            }
        case "VendorInvoiceLines":
            let k = D365Store.postedKey(row.string("dataAreaId"), row.string("HeaderReference"))
            if adding {
                linesByHeader[k, default: []].insert(key)
            } else {
                linesByHeader[k]?.remove(key)
                if linesByHeader[k]?.isEmpty == true { linesByHeader[k] = nil }
            }
        case "FinancialDimensionValues":
            let k = D365Store.postedKey(row.string("FinancialDimension"), row.string("DimensionValue"))
            if adding {
                dimensionValueIndex[k, default: []].insert(key)
            } else {
                dimensionValueIndex[k]?.remove(key)
                if dimensionValueIndex[k]?.isEmpty == true { dimensionValueIndex[k] = nil }
            }
        default:
            break
        }
    }

    /// Sets or clears the row under `key`, keeping the indexes and, inside a changeset, the undo journal.
    private mutating func put(_ schema: D365EntitySchema, key: String, _ row: D365Row?) {
        let old = tables[schema.setName]?[key]
        journal?.append(Undo(schema: schema, key: key, old: old))
        if let old { index(schema, old, adding: false) }
        tables[schema.setName, default: [:]][key] = row
        if let row { index(schema, row, adding: true) }
    }

    mutating func insert(_ schema: D365EntitySchema, _ values: [String: D365Value]) -> D365Row {
        let row = D365Row(values: values, recId: nextRecId, version: 1)
        nextRecId += 1
        put(schema, key: D365Store.keyString(schema, values), row)
        return row
    }

    mutating func replace(_ schema: D365EntitySchema, _ row: D365Row) {
        put(schema, key: D365Store.keyString(schema, row.values), row)
    }

    mutating func remove(_ schema: D365EntitySchema, key: [String: D365Value]) {
        let k = D365Store.keyString(schema, key)
        guard tables[schema.setName]?[k] != nil else { return }
        put(schema, key: k, nil)
    }

    /// Starts recording what the writes of one changeset change.
    mutating func beginChangeset() {
        journal = []
        savedRecId = nextRecId
        savedHeaderReferenceNext = headerReferenceNext
    }

    /// Keeps the changeset's writes.
    mutating func commitChangeset() {
        journal = nil
    }

    /// Undoes every write since `beginChangeset`, number sequences included.
    mutating func rollBackChangeset() {
        guard let undo = journal else { return }
        journal = nil
        for entry in undo.reversed() { put(entry.schema, key: entry.key, entry.old) }
        nextRecId = savedRecId
        headerReferenceNext = savedHeaderReferenceNext
    }

    mutating func addPosted(_ invoice: D365PostedInvoice) {
        posted[D365Store.postedKey(invoice.header.string("dataAreaId"), invoice.header.string("HeaderReference"))] = invoice
        postedInvoiceNumbers.insert(D365Store.invoiceNumberKey(invoice.header))
    }

    /// Whether another pending header (not `excluding`) or a posted invoice uses this invoice number for the account.
    func invoiceNumberUsed(company: String, invoiceAccount: String, invoiceNumber: String, excluding: String?) -> Bool {
        let k = D365Store.invoiceNumberKey(company: company, invoiceAccount: invoiceAccount, invoiceNumber: invoiceNumber)
        if postedInvoiceNumbers.contains(k) { return true }
        return (invoiceNumberIndex[k] ?? []).contains { $0 != excluding }
    }

    /// Rows of `set` whose string property `name` equals `value` (case-insensitive).
    func rows(_ set: String, where name: String, equals value: String) -> [D365Row] {
        (tables[set] ?? [:]).values.filter { D365Text.equal($0.string(name), value) }
    }

    func vendor(company: String, account: String) -> D365Row? {
        row(D365Schema.vendorsV2, key: ["dataAreaId": .string(company), "VendorAccountNumber": .string(account)])
    }

    func currency(_ code: String) -> D365Row? {
        row(D365Schema.currencies, key: ["CurrencyCode": .string(code)])
    }

    func header(company: String, reference: String) -> D365Row? {
        row(D365Schema.vendorInvoiceHeaders, key: ["dataAreaId": .string(company), "HeaderReference": .string(reference)])
    }

    func lines(company: String, reference: String) -> [D365Row] {
        let table = tables[D365Schema.vendorInvoiceLines.setName] ?? [:]
        return (linesByHeader[D365Store.postedKey(company, reference)] ?? []).compactMap { table[$0] }
            .sorted { $0.decimal("InvoiceLineNumber") < $1.decimal("InvoiceLineNumber") }
    }

    /// `FinancialDimensionValues` rows of `dimension` with `value` (case-insensitive), every company, in key order.
    func dimensionValues(dimension: String, value: String) -> [D365Row] {
        let table = tables[D365Schema.financialDimensionValues.setName] ?? [:]
        return (dimensionValueIndex[D365Store.postedKey(dimension, value)] ?? []).sorted().compactMap { table[$0] }
    }

    func postedInvoice(company: String, reference: String) -> D365PostedInvoice? {
        posted[D365Store.postedKey(company, reference)]
    }
}

// MARK: Seed and settings

struct D365Settings: Sendable {
    var pageSize = 10_000
    var tokenLifetimeSeconds = 3599
    var requestsPerWindow = 6000
    var windowSeconds = 300
    var duplicateInvoiceCheck = true
    /// `reject` (400) or `drop` (the documented F&O behaviour) for segments beyond the active format.
    var extraDimensionSegments = "reject"
    var headerReferenceDigits = 8
    var headerReferenceStart = 1
    /// Whether a changeset may refer to an earlier operation's result as `$<Content-ID>` (OData v4). `false` plays a
    /// server that answers such an operation 400 "Resource not found for the segment '$1'".
    var contentIdReferences = true
    /// `allow` (default): a `HeaderReference` sent on a header create is kept (the number sequence allows manual
    /// numbers). `reject`: it is refused with a validation error (the number sequence assigns every reference).
    var manualHeaderReference = "allow"

    mutating func apply(_ o: D365JSONObject) throws {
        for (k, v) in o.pairs {
            switch k {
            case "pageSize": pageSize = try D365Settings.int(v, k, min: 1)
            case "tokenLifetimeSeconds", "tokenLifetime": tokenLifetimeSeconds = try D365Settings.int(v, k, min: 0)
            case "requestsPerWindow": requestsPerWindow = try D365Settings.int(v, k, min: 1)
            case "windowSeconds": windowSeconds = try D365Settings.int(v, k, min: 1)
            case "duplicateInvoiceCheck":
                guard let b = v.boolValue else { throw D365JSONError(description: "\(k) must be true or false") }
                duplicateInvoiceCheck = b
            case "extraDimensionSegments":
                guard let s = v.stringValue, s == "reject" || s == "drop" else {
                    throw D365JSONError(description: "extraDimensionSegments must be \"reject\" or \"drop\"")
                }
                extraDimensionSegments = s
            case "headerReferenceDigits": headerReferenceDigits = try D365Settings.int(v, k, min: 1)
            case "headerReferenceStart": headerReferenceStart = try D365Settings.int(v, k, min: 1)
            case "contentIdReferences":
                guard let b = v.boolValue else { throw D365JSONError(description: "\(k) must be true or false") }
                contentIdReferences = b
            case "manualHeaderReference":
                guard let s = v.stringValue, s == "allow" || s == "reject" else {
                    throw D365JSONError(description: "manualHeaderReference must be \"allow\" or \"reject\"")
                }
                manualHeaderReference = s
            default: throw D365JSONError(description: "Unknown setting '\(k)'")
            }
        }
    }

    private static func int(_ v: D365JSON, _ name: String, min: Int) throws -> Int {
        guard let i = v.intValue, i >= min else { throw D365JSONError(description: "\(name) must be an integer >= \(min)") }
        return i
    }

    var json: D365JSON {
        .object(
            D365JSONObject([
                ("pageSize", .int(pageSize)), ("tokenLifetimeSeconds", .int(tokenLifetimeSeconds)),
                ("requestsPerWindow", .int(requestsPerWindow)), ("windowSeconds", .int(windowSeconds)),
                ("duplicateInvoiceCheck", .bool(duplicateInvoiceCheck)),
                ("extraDimensionSegments", .string(extraDimensionSegments)),
                ("headerReferenceDigits", .int(headerReferenceDigits)), ("headerReferenceStart", .int(headerReferenceStart)),
                ("contentIdReferences", .bool(contentIdReferences)), ("manualHeaderReference", .string(manualHeaderReference)),
            ]))
    }
}

struct EntraTenant: Sendable {
    var name: String
    var id: String
}
struct EntraSecret: Sendable {
    var value: String
    var expiresAt: D365Date?
}
struct EntraApplication: Sendable {
    var clientId: String
    var displayName: String
    var secrets: [EntraSecret]
}
/// A row of F&O's "Microsoft Entra ID applications" page.
struct D365AppRegistration: Sendable {
    var clientId: String
    var name: String
    var userId: String
}
struct D365User: Sendable {
    var userId: String
    var name: String
    var enabled: Bool
    var companies: [String]
    var defaultCompany: String
}
struct D365Company: Sendable {
    var dataAreaId: String
    var name: String
}

struct D365Seed: Sendable {
    var settings = D365Settings()
    var tenants: [EntraTenant] = []
    var resources: [String] = []
    var applications: [EntraApplication] = []
    var registrations: [D365AppRegistration] = []
    var users: [D365User] = []
    var companies: [D365Company] = []
    var store = D365Store()

    static func load(_ url: URL) throws -> D365Seed {
        let data = try Data(contentsOf: url)
        let json: D365JSON
        do { json = try D365JSONParser.parse(data) } catch {
            throw D365JSONError(description: "\(url.path): \(error)")
        }
        do { return try parse(json) } catch {
            throw D365JSONError(description: "\(url.path): \(error)")
        }
    }

    static func parse(_ json: D365JSON) throws -> D365Seed {
        guard let root = json.objectValue else { throw D365JSONError(description: "seed must be a JSON object") }
        var seed = D365Seed()
        if let s = root["settings"]?.objectValue { try seed.settings.apply(s) }
        func str(_ o: D365JSONObject, _ k: String) throws -> String {
            guard let s = o[k]?.stringValue, !s.isEmpty else { throw D365JSONError(description: "missing string '\(k)'") }
            return s
        }
        if let entra = root["entra"]?.objectValue {
            for t in entra["tenants"]?.arrayValue ?? [] {
                guard let o = t.objectValue else { continue }
                seed.tenants.append(EntraTenant(name: try str(o, "name"), id: try str(o, "id")))
            }
            seed.resources = (entra["resources"]?.arrayValue ?? []).compactMap(\.stringValue)
            for a in entra["applications"]?.arrayValue ?? [] {
                guard let o = a.objectValue else { continue }
                var secrets: [EntraSecret] = []
                for sj in o["secrets"]?.arrayValue ?? [] {
                    guard let so = sj.objectValue else { continue }
                    let exp = so["expiresAt"]?.stringValue.flatMap(D365Date.parse)
                    secrets.append(EntraSecret(value: try str(so, "value"), expiresAt: exp))
                }
                seed.applications.append(
                    EntraApplication(
                        clientId: try str(o, "clientId"), displayName: o["displayName"]?.stringValue ?? "", secrets: secrets))
            }
        }
        for r in root["entraApplications"]?.arrayValue ?? [] {
            guard let o = r.objectValue else { continue }
            seed.registrations.append(
                D365AppRegistration(
                    clientId: try str(o, "clientId"), name: o["name"]?.stringValue ?? "", userId: try str(o, "userId")))
        }
        for u in root["users"]?.arrayValue ?? [] {
            guard let o = u.objectValue else { continue }
            let companies = (o["companies"]?.arrayValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }
            seed.users.append(
                D365User(
                    userId: try str(o, "userId"), name: o["name"]?.stringValue ?? "", enabled: o["enabled"]?.boolValue ?? true,
                    companies: companies, defaultCompany: (try str(o, "defaultCompany")).lowercased()))
        }
        for c in root["companies"]?.arrayValue ?? [] {
            guard let o = c.objectValue else { continue }
            seed.companies.append(D365Company(dataAreaId: try str(o, "dataAreaId").lowercased(), name: o["name"]?.stringValue ?? ""))
        }
        if let seqs = root["numberSequences"]?.objectValue {
            for (company, v) in seqs["headerReference"]?.objectValue?.pairs ?? [] {
                if let n = v.intValue { seed.store.headerReferenceNext[company.lowercased()] = n }
            }
            if let v = seqs["voucher"]?.intValue { seed.store.voucherNext = v }
        }
        if let entities = root["entities"]?.objectValue {
            for (setName, rows) in entities.pairs {
                guard let schema = D365Schema.entitySet(setName) else {
                    throw D365JSONError(description: "unknown entity set '\(setName)' in seed")
                }
                for (n, r) in (rows.arrayValue ?? []).enumerated() {
                    guard let o = r.objectValue else { throw D365JSONError(description: "\(setName)[\(n)] is not an object") }
                    var values: [String: D365Value] = [:]
                    for p in schema.properties { values[p.name] = p.defaultValue }
                    for (k, v) in o.pairs {
                        guard let p = schema.property(k) else {
                            throw D365JSONError(description: "\(setName)[\(n)]: unknown property '\(k)'")
                        }
                        switch D365Convert.value(v, for: p, ieee754: true) {
                        case .success(let value): values[k] = value
                        case .failure(let e): throw D365JSONError(description: "\(setName)[\(n)].\(k): \(e.message)")
                        }
                    }
                    if schema.companySpecific { values["dataAreaId"] = .string(values["dataAreaId"]?.string?.lowercased() ?? "") }
                    if schema.setName == "MainAccounts" { values["MainAccountRecId"] = .int(seed.store.nextRecId) }
                    _ = seed.store.insert(schema, values)
                }
            }
        }
        return seed
    }
}

/// Failure of a JSON value → typed value conversion (message in ODataLib's words).
struct D365ConvertError: Error, Sendable { var message: String }

enum D365Convert {
    /// Converts a JSON body value to the property's type. Decimals and Int64 accept JSON strings only
    /// with `IEEE754Compatible=true`, as OData specifies.
    static func value(_ json: D365JSON, for p: D365Property, ieee754: Bool) -> Result<D365Value, D365ConvertError> {
        func cannot(_ literal: String) -> Result<D365Value, D365ConvertError> {
            .failure(D365ConvertError(message: "Cannot convert the literal '\(literal)' to the expected type '\(p.kind.edmName)'."))
        }
        let shown: String = {
            switch json {
            case .string(let s): return s
            case .number(let n): return n
            case .bool(let b): return b ? "true" : "false"
            case .null: return "null"
            case .array: return "[...]"
            case .object: return "{...}"
            }
        }()
        if case .null = json {
            if p.nullable { return .success(p.defaultValue) }
            let t = "\(p.kind.edmName)[Nullable=False]"
            return .failure(
                D365ConvertError(
                    message:
                        "A null value was found for the property named '\(p.name)', which has the expected type '\(t)'. The expected type '\(t)' does not allow null values."
                ))
        }
        switch p.kind {
        case .string:
            guard case .string(let s) = json else {
                return .failure(
                    D365ConvertError(
                        message:
                            "Cannot convert a primitive value to the expected type 'Edm.String'. See the inner exception for more details. (property '\(p.name)', value \(shown))"
                    ))
            }
            return .success(.string(s))
        case .decimal:
            switch json {
            case .number(let n):
                guard let d = D365Decimal.parse(n) else { return cannot(n) }
                return .success(.decimal(d))
            case .string(let s) where ieee754:
                guard let d = D365Decimal.parse(s) else { return cannot(s) }
                return .success(.decimal(d))
            default:
                return cannot(shown)
            }
        case .int32, .int64:
            let text: String
            switch json {
            case .number(let n): text = n
            case .string(let s) where ieee754 && p.kind == .int64: text = s
            default: return cannot(shown)
            }
            guard let i = Int64(text) else { return cannot(text) }
            if p.kind == .int32, i < Int64(Int32.min) || i > Int64(Int32.max) { return cannot(text) }
            return .success(.int(i))
        case .dateTimeOffset:
            guard case .string(let s) = json, let d = D365Date.parse(s) else { return cannot(shown) }
            return .success(.date(d))
        case .enumeration(let type):
            guard case .string(let s) = json else { return cannot(shown) }
            guard let m = D365Schema.member(s, of: type) else {
                return .failure(
                    D365ConvertError(
                        message:
                            "The value '\(s)' is not a valid enumerated type value. Enum type: '\(D365Schema.namespace).\(type)'."))
            }
            return .success(.enumMember(m))
        }
    }
}
