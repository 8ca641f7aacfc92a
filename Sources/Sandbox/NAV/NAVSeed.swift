import Foundation

/// Behaviour switches of the NAV/BC simulators (`settings` in nav.json, `POST /_sandbox/nav/settings`).
struct NAVSettings: Sendable {
    /// Server page size of OData lists (BC online: 20,000); `Prefer: odata.maxpagesize` lowers it per request.
    var pageSize = 20_000
    /// Token bucket per user: this many requests per window.
    var requestsPerWindow = 6_000
    var windowSeconds = 300
    /// Requests processed at once per simulator; more → 503 with Retry-After.
    var maxConcurrent = 5
    /// Whether a throttling 429 carries `Retry-After` (the docs promise it only for 502/503).
    var retryAfterOn429 = true
    /// 409 (docs) or 412 for a stale If-Match.
    var staleETagStatus = 409
    /// Each request holds its slot this long (lets tests reach the concurrency cap).
    var holdMilliseconds = 0

    var json: D365JSON {
        D365Responses.obj([
            ("pageSize", .int(pageSize)), ("requestsPerWindow", .int(requestsPerWindow)), ("windowSeconds", .int(windowSeconds)),
            ("maxConcurrent", .int(maxConcurrent)), ("retryAfterOn429", .bool(retryAfterOn429)), ("staleETagStatus", .int(staleETagStatus)),
            ("holdMilliseconds", .int(holdMilliseconds)),
        ])
    }

    mutating func apply(_ o: D365JSONObject) throws {
        for (k, v) in o.pairs {
            func int(_ min: Int) throws -> Int {
                guard let i = v.intValue, i >= min else { throw D365JSONError(description: "\(k) must be an integer >= \(min)") }
                return i
            }
            switch k {
            case "pageSize": pageSize = try int(1)
            case "requestsPerWindow": requestsPerWindow = try int(1)
            case "windowSeconds": windowSeconds = try int(1)
            case "maxConcurrent": maxConcurrent = try int(1)
            case "holdMilliseconds": holdMilliseconds = try int(0)
            case "retryAfterOn429":
                guard let b = v.boolValue else { throw D365JSONError(description: "retryAfterOn429 must be true or false") }
                retryAfterOn429 = b
            case "staleETagStatus":
                let s = try int(0)
                guard s == 409 || s == 412 else { throw D365JSONError(description: "staleETagStatus must be 409 or 412") }
                staleETagStatus = s
            default: throw D365JSONError(description: "unknown setting '\(k)'")
            }
        }
    }
}

/// The seed: the database, the settings and the access facts (tenant, environment, NAV instance and credentials).
struct NAVSeed: Sendable {
    var database: NAVDatabase
    var settings: NAVSettings
    var tenant: String
    var environment: String
    var audience: String
    var instance: String
    var user: String
    var accessKey: String

    static func load(_ url: URL) throws -> NAVSeed { try parse(Data(contentsOf: url)) }

    static func parse(_ data: Data) throws -> NAVSeed {
        guard let root = try D365JSONParser.parse(data).objectValue else { throw D365JSONError(description: "nav.json must be an object") }
        func str(_ o: D365JSON?, _ k: String, _ d: String = "") -> String { o?[k]?.stringValue ?? d }
        var settings = NAVSettings()
        if let s = root["settings"]?.objectValue { try settings.apply(s) }
        var db = NAVDatabase()
        let currencies = root["currencies"]?.arrayValue ?? []
        let accounts = root["glAccounts"]?.arrayValue ?? []
        let dimensions = root["dimensions"]?.arrayValue ?? []
        let templates = root["journalTemplates"]?.arrayValue ?? []
        for co in root["companies"]?.arrayValue ?? [] {
            let id = str(co, "id").lowercased()
            let name = str(co, "name")
            guard NAVGuid.isGuid(id), !name.isEmpty else { throw D365JSONError(description: "a company needs a GUID id and a name") }
            func gid(_ kind: String, _ key: String) -> String { NAVGuid.make("\(id)|\(kind)|\(key)") }
            var c = NAVCompanyData(
                id: id, name: name, displayName: str(co, "displayName", name), lcy: str(co, "lcy"),
                policies: (co["policies"]?.arrayValue ?? []).compactMap(\.stringValue), version: db.nextVersion())
            for cur in currencies {
                let code = str(cur, "code")
                c.currencies.append(
                    NAVCurrency(
                        id: gid("currency", code), code: code, description: str(cur, "description"),
                        roundingPrecision: NAVDecimal.parse(str(cur, "roundingPrecision", "0.01")) ?? Decimal(string: "0.01")!,
                        version: db.nextVersion()))
            }
            for a in accounts {
                let no = str(a, "no")
                let type = NAVOptionSet.glAccountType.parse(str(a, "accountType", "Posting")) ?? NAVOption("Posting")
                let balance = no.hasPrefix("1") || no.hasPrefix("2") || no.hasPrefix("3")
                c.glAccounts.append(
                    NAVGLAccount(
                        id: gid("glaccount", no), no: no, name: str(a, "name"), accountType: type,
                        directPosting: a["directPosting"]?.boolValue ?? false, blocked: a["blocked"]?.boolValue ?? false,
                        category: NAVOption(str(a, "category", no.hasPrefix("6") ? "Expense" : (no.hasPrefix("2") ? "Liabilities" : " "))),
                        incomeBalance: NAVOption(balance ? "Balance Sheet" : "Income Statement"), version: db.nextVersion()))
            }
            for d in dimensions {
                let code = str(d, "code")
                c.dimensions.append(
                    NAVDimension(id: gid("dimension", code), code: code, name: str(d, "name"), slot: d["slot"]?.intValue, version: db.nextVersion()))
                for v in d["values"]?.arrayValue ?? [] {
                    let vc = str(v, "code")
                    c.dimensionValues.append(
                        NAVDimensionValue(
                            id: gid("dimensionvalue", code + "|" + vc), dimensionCode: code, code: vc, name: str(v, "name"),
                            valueType: NAVOption("Standard"), blocked: v["blocked"]?.boolValue ?? false, version: db.nextVersion()))
                }
            }
            for t in templates {
                let tn = str(t, "name")
                c.templates.append(NAVJournalTemplate(name: tn, description: str(t, "description")))
                for b in t["batches"]?.arrayValue ?? [] {
                    let bn = str(b, "name")
                    c.batches.append(
                        NAVJournalBatch(
                            id: gid("batch", tn + "|" + bn), template: tn, name: bn, description: str(b, "description"), version: db.nextVersion()))
                }
            }
            for v in co["vendors"]?.arrayValue ?? [] {
                let no = str(v, "no")
                c.vendors.append(
                    NAVVendor(
                        id: gid("vendor", no), no: no, name: str(v, "name"), email: str(v, "email"),
                        blocked: NAVOptionSet.vendorBlocked.parse(str(v, "blocked", " ")) ?? .blank,
                        currencyCode: c.storedCurrency(str(v, "currencyCode")), version: db.nextVersion()))
            }
            for e in co["employees"]?.arrayValue ?? [] {
                let no = str(e, "no")
                c.employees.append(
                    NAVEmployee(
                        id: gid("employee", no), no: no, givenName: str(e, "givenName"), surname: str(e, "surname"), email: str(e, "email"),
                        status: str(e, "status", "Active"), terminationDate: str(e, "terminationDate"), managerNo: str(e, "managerNo"),
                        version: db.nextVersion()))
            }
            db.companies.append(c)
        }
        let bc = root["bc"]
        let nav = root["nav"]
        return NAVSeed(
            database: db, settings: settings, tenant: str(bc, "tenant", "northwind.onmicrosoft.com"),
            environment: str(bc, "environment", "production"),
            audience: str(bc, "audience", "https://api.businesscentral.dynamics.com"), instance: str(nav, "instance", "DynamicsNAV110"),
            user: str(nav, "user"), accessKey: str(nav, "accessKey"))
    }
}
