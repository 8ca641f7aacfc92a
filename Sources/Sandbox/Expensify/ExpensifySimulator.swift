import Foundation

/// Simulated Expensify Integration Server (reference: `expensify-api.md`, §1–§4, §6, §9, §11).
///
/// Serves `POST /Integration-Server/ExpensifyIntegrations` with the `requestJobDescription` form
/// field (urlencoded, multipart or query string; JSON read leniently like org.json) and test-only
/// control routes under `/_sandbox/expensify/`. Jobs: `file` (report exporter, rendering the
/// FreeMarker `template`), `download`, `get` `policy`/`policyList`, `update` `reportStatus`/`policy`/`employees` (advanced employee updater).
/// Errors are HTTP 200 envelopes `{"responseMessage":...,"responseCode":N}`; rate limiting is HTTP 429.
public actor ExpensifySimulator: SimulatorHandler {
    struct StoredFile: Sendable {
        let data: Data
        let contentType: String
        let createdAt: String
        let reportIDs: [String]
    }

    struct Fault: Sendable {
        var remaining: Int
        let httpStatus: Int
        let responseCode: Int
        let jobType: String?
        let message: String?
    }

    static let endpoint = "/Integration-Server/ExpensifyIntegrations"
    static let controlPrefix = "/_sandbox/expensify"
    static let rateLimitMessage = "You have been rate-limited. Please try again later or contact help@expensify.com for assistance."
    static let fileExtensions: Set<String> = ["csv", "xls", "xlsx", "txt", "pdf", "json", "xml"]
    static let maxLoggedJobs = 10_000

    private let seedFile: URL?
    var settings: ExpensifySettings
    var partners: [ExpensifyPartner]
    var policies: [ExpensifyPolicy]
    var reports: [String: ExpensifyReport]
    var files: [String: StoredFile] = [:]
    var jobs: [ExpensifyJSONObject] = []
    var emails: [ExpensifyJSONObject] = []
    var faults: [Fault] = []
    /// The random fault mode (`{"probability":…}`), drawn when no count fault matches.
    var randomFaults: ExpensifyRandomFaults?
    var limiter: ExpensifyRateLimiter
    var jobCounter = 0
    /// Override of "today" for the one-year date-range rule (tests only).
    var todayOverride: String?

    public init(seedFile: URL) throws {
        let seed = try ExpensifySeed.load(from: seedFile)
        self.seedFile = seedFile
        settings = seed.settings
        partners = seed.partners
        policies = seed.policies
        reports = Dictionary(uniqueKeysWithValues: seed.reports.map { ($0.reportID, $0) })
        limiter = ExpensifyRateLimiter(windows: seed.settings.rateLimitWindows)
    }

    /// A simulator from an in-memory seed (tests).
    init(seed: ExpensifySeed) {
        seedFile = nil
        settings = seed.settings
        partners = seed.partners
        policies = seed.policies
        reports = Dictionary(uniqueKeysWithValues: seed.reports.map { ($0.reportID, $0) })
        limiter = ExpensifyRateLimiter(windows: seed.settings.rateLimitWindows)
    }

    func load(_ seed: ExpensifySeed) {
        settings = seed.settings
        partners = seed.partners
        policies = seed.policies
        reports = Dictionary(uniqueKeysWithValues: seed.reports.map { ($0.reportID, $0) })
        limiter = ExpensifyRateLimiter(windows: seed.settings.rateLimitWindows)
        files = [:]
        jobs = []
        emails = []
        faults = []
        randomFaults = nil
        jobCounter = 0
    }

    /// Reloads the seed file (or keeps the in-memory seed's data for test instances).
    func reset() throws {
        if let seedFile { load(try ExpensifySeed.load(from: seedFile)) }
    }

    func setToday(_ day: String?) { todayOverride = day }

    public func handle(_ request: SimRequest) async -> SimResponse? {
        var path = request.decodedPath
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if path == ExpensifySimulator.endpoint { return integration(request) }
        if path == ExpensifySimulator.controlPrefix || path.hasPrefix(ExpensifySimulator.controlPrefix + "/") {
            return control(request, path: path)
        }
        return nil
    }

    // MARK: - Responses

    static func envelope(_ code: Int, _ message: String, httpStatus: Int = 200) -> SimResponse {
        let body = ExpensifyJSON.object(ExpensifyJSONObject([("responseMessage", .string(message)), ("responseCode", .int(code))]))
        return .jsonData(httpStatus, body.data)
    }

    static func success(_ pairs: [(String, ExpensifyJSON)]) -> SimResponse {
        var o = ExpensifyJSONObject(pairs)
        o["responseCode"] = .int(200)
        return .jsonData(200, ExpensifyJSON.object(o).data)
    }

    static func contentType(forExtension ext: String) -> String {
        switch ext.lowercased() {
        case "csv": return "text/csv; charset=utf-8"
        case "json": return "application/json; charset=utf-8"
        case "txt": return "text/plain; charset=utf-8"
        case "xml": return "application/xml; charset=utf-8"
        case "xls": return "application/vnd.ms-excel"
        case "xlsx": return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "pdf": return "application/pdf"
        default: return "application/octet-stream"
        }
    }

    var today: String { todayOverride ?? ExpensifyDates.today() }

    var policyIndex: [String: ExpensifyPolicy] { Dictionary(policies.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }) }

    /// Reports in a stable order: numeric report ID ascending.
    var sortedReports: [ExpensifyReport] {
        reports.values.sorted { a, b in
            if let x = Int(a.reportID), let y = Int(b.reportID), x != y { return x < y }
            return a.reportID < b.reportID
        }
    }

    // MARK: - Integration Server

    private func integration(_ request: SimRequest) -> SimResponse {
        jobCounter += 1
        var log = ExpensifyJSONObject([("seq", .int(jobCounter)), ("receivedAt", .string(ExpensifyDates.now()))])
        let response = runJob(request, log: &log)
        log["httpStatus"] = .int(response.status)
        if response.headers.contains(where: { $0.0 == "Content-Type" && $0.1.hasPrefix("application/json") }),
            let body = try? ExpensifyJSONParser.parseObject(String(decoding: response.body, as: UTF8.self)),
            let code = body["responseCode"]
        {
            log["responseCode"] = code
            if let message = body["responseMessage"] { log["responseMessage"] = message }
        } else {
            log["responseCode"] = .int(response.status)
        }
        jobs.append(log)
        if jobs.count > ExpensifySimulator.maxLoggedJobs { jobs.removeFirst(jobs.count - ExpensifySimulator.maxLoggedJobs) }
        return response
    }

    private func runJob(_ request: SimRequest, log: inout ExpensifyJSONObject) -> SimResponse {
        guard request.method == "POST" else {
            return ExpensifySimulator.envelope(405, "The Integration Server only accepts POST requests", httpStatus: 405)
        }
        let form = ExpensifyForm(request)
        guard let jobText = form["requestJobDescription"], !jobText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return ExpensifySimulator.envelope(410, "Required parameter 'requestJobDescription' is missing")
        }
        let job: ExpensifyJSONObject
        do {
            job = try ExpensifyJSONParser.parseObject(jobText)
        } catch {
            return ExpensifySimulator.envelope(410, "Argument 'requestJobDescription' is malformed: \(error)")
        }
        let type = job.string("type")
        let inputSettings = job.object("inputSettings")
        let credentials = job.object("credentials")
        let partnerUserID = credentials?.string("partnerUserID")
        // The job log never holds the secret: only these keys are copied.
        log["type"] = type.map { .string($0) } ?? .null
        for key in ["inputSettings", "outputSettings", "onReceive", "onFinish", "test", "fileName", "fileSystem"] {
            if let v = job[key] { log[key] = v }
        }
        log["partnerUserID"] = partnerUserID.map { .string($0) } ?? .null
        for name in ["template", "data", "file"] {
            if let v = form[name] { log["\(name)Length"] = .int(v.count) }
        }

        if let i = faults.firstIndex(where: { $0.remaining > 0 && ($0.jobType == nil || $0.jobType == type) }) {
            faults[i].remaining -= 1
            let fault = faults[i]
            if faults[i].remaining <= 0 { faults.remove(at: i) }
            log["fault"] = .bool(true)
            return faultResponse(fault)
        }
        if var random = randomFaults {
            let fault = random.draw(jobType: type)
            randomFaults = random
            if let fault {
                log["fault"] = .bool(true)
                return faultResponse(fault)
            }
        }

        guard limiter.admit(partnerUserID ?? "") else {
            return ExpensifySimulator.envelope(429, ExpensifySimulator.rateLimitMessage, httpStatus: 429)
        }

        guard let credentials else { return ExpensifySimulator.envelope(410, "Required parameter 'credentials' is missing") }
        guard let id = credentials.string("partnerUserID"), let secret = credentials.string("partnerUserSecret"),
            let partner = partners.first(where: { $0.partnerUserID == id && $0.partnerUserSecret == secret })
        else {
            return ExpensifySimulator.envelope(
                settings.authFailureCode, "Authentication error: the partnerUserID and partnerUserSecret do not match any credentials")
        }

        do {
            switch (type, inputSettings?.string("type")) {
            case ("file", _):
                let name = try export(job, form: form)
                log["result"] = .string(name)
                return .text(200, name)
            case ("download", _):
                return try download(job)
            case ("get", "policy"):
                return try getPolicies(job)
            case ("get", "policyList"):
                return getPolicyList(job, partner: partner)
            case ("update", "reportStatus"):
                return try updateReportStatus(job)
            case ("update", "policy"):
                return try updatePolicy(job, form: form)
            case ("update", "employees"):
                return try updateEmployees(job, form: form)
            case ("get", _), ("update", _), ("create", _):
                throw inputSettings == nil ? ExpensifyJobError.missing("inputSettings") : ExpensifyJobError.malformed("inputSettings.type")
            default:
                throw ExpensifyJobError.malformed("type")
            }
        } catch let error as ExpensifyJobError {
            return ExpensifySimulator.envelope(error.code, error.message)
        } catch {
            return ExpensifySimulator.envelope(500, "Internal error: \(error)")
        }
    }

    private func faultResponse(_ fault: Fault) -> SimResponse {
        switch fault.httpStatus {
        case 429:
            return ExpensifySimulator.envelope(fault.responseCode, fault.message ?? ExpensifySimulator.rateLimitMessage, httpStatus: 429)
        case 502, 503, 504:
            let text =
                "<html><head><title>\(fault.httpStatus) Service Unavailable</title></head><body><h1>\(fault.httpStatus) Service Unavailable</h1></body></html>"
            return .text(fault.httpStatus, text, contentType: "text/html; charset=utf-8")
        default:
            return ExpensifySimulator.envelope(
                fault.responseCode, fault.message ?? "Simulated failure (sandbox fault injection)", httpStatus: fault.httpStatus)
        }
    }

    // MARK: - Report exporter

    private func export(_ job: ExpensifyJSONObject, form: ExpensifyForm) throws -> String {
        guard let onReceive = job["onReceive"] else { throw ExpensifyJobError.missing("onReceive") }
        guard let immediate = onReceive.objectValue?.array("immediateResponse"),
            immediate.contains(.string("returnRandomFileName"))
        else {
            throw ExpensifyJobError.malformed("onReceive.immediateResponse")
        }
        guard let input = job.object("inputSettings") else { throw ExpensifyJobError.missing("inputSettings") }
        guard input.string("type") == "combinedReportData" else { throw ExpensifyJobError.malformed("inputSettings.type") }
        let output = job.object("outputSettings") ?? ExpensifyJSONObject()
        guard let ext = output.string("fileExtension"), !ext.isEmpty else { throw ExpensifyJobError.missing("fileExtension") }
        guard ExpensifySimulator.fileExtensions.contains(ext.lowercased()) else { throw ExpensifyJobError.malformed("fileExtension") }
        guard let template = form["template"], !template.isEmpty else { throw ExpensifyJobError.missing("template") }
        let filters = try ExpensifyExportFilters.parse(input, settings: settings, today: today)

        var actions: [ExpensifyJSONObject] = []
        if let onFinish = job["onFinish"] {
            switch onFinish {
            case .array(let items): actions = items.compactMap { $0.objectValue }
            case .object(let o): actions = [o]
            default: throw ExpensifyJobError.malformed("onFinish")
            }
        }
        for action in actions where action.string("actionName") == "markAsExported" {
            guard let label = action.string("label"), !label.isEmpty else { throw ExpensifyJobError.missing("label") }
        }

        var selected = sortedReports.filter { filters.matches($0, keepUnapproved: settings.approvedAfterKeepsUnapproved) }
        if let limit = filters.limit { selected = Array(selected.prefix(limit)) }
        if !settings.duplicateReportIDs.isEmpty {
            selected = selected.flatMap { settings.duplicateReportIDs.contains($0.reportID) ? [$0, $0] : [$0] }
        }
        let builder = ExpensifyModelBuilder(policies: policyIndex, unset: settings.unsetFields)
        let model = FMHash([("reports", .sequence(selected.map { builder.reportModel($0) })), ("addHeader", .boolean(true))])
        let text: String
        do {
            text = try FMTemplate(template).render(model)
        } catch let error as FMError {
            throw ExpensifyJobError(500, error.message)
        }
        let rendered = settings.corruptReportIDs.isEmpty ? text : Self.corrupt(text, reportIDs: settings.corruptReportIDs)
        let basename = output.string("fileBasename").flatMap { $0.isEmpty ? nil : $0 } ?? "export"
        let name = basename + UUID().uuidString.lowercased() + "." + ext
        let ids = selected.map(\.reportID)
        files[name] = StoredFile(
            data: Data(rendered.utf8), contentType: ExpensifySimulator.contentType(forExtension: ext), createdAt: ExpensifyDates.now(), reportIDs: ids
        )

        let isTest = job["test"]?.boolValue ?? false
        if !isTest {
            for action in actions {
                switch action.string("actionName") {
                case "markAsExported":
                    guard let label = action.string("label") else { continue }
                    for id in ids where !(reports[id]?.labels.contains(label) ?? true) {
                        reports[id]?.labels.append(label)
                    }
                case "email":
                    emails.append(
                        ExpensifyJSONObject([
                            ("at", .string(ExpensifyDates.now())), ("recipients", action["recipients"] ?? .null),
                            ("message", action["message"] ?? .null), ("filenames", .array([.string(name)])),
                            ("reportIDs", .array(ids.map { .string($0) })),
                        ]))
                default:
                    break
                }
            }
        }
        return name
    }

    // MARK: - Downloader

    private func download(_ job: ExpensifyJSONObject) throws -> SimResponse {
        guard let fileName = job.string("fileName"), !fileName.isEmpty else { throw ExpensifyJobError.missing("fileName") }
        if let fileSystem = job.string("fileSystem"), fileSystem != "integrationServer" {
            return ExpensifySimulator.envelope(404, "File not found")
        }
        guard let file = files[fileName] else { return ExpensifySimulator.envelope(404, "File not found") }
        return SimResponse(status: 200, headers: [("Content-Type", file.contentType)], body: file.data)
    }

    // MARK: - Policies

    static let employeeOutputKeys = ["role", "email", "submitsTo", "forwardsTo", "employeeID", "customField1", "customField2"]

    private func getPolicies(_ job: ExpensifyJSONObject) throws -> SimResponse {
        guard let input = job.object("inputSettings") else { throw ExpensifyJobError.missing("inputSettings") }
        guard let idList = input["policyIDList"], idList != .null else { throw ExpensifyJobError.missing("policyIDList") }
        guard let ids = idList.arrayValue else { throw ExpensifyJobError.malformed("policyIDList") }
        guard let fieldList = input["fields"], fieldList != .null else { throw ExpensifyJobError.missing("fields") }
        guard let fields = fieldList.arrayValue?.compactMap({ $0.stringValue }) else { throw ExpensifyJobError.malformed("fields") }
        let index = policyIndex
        var info = ExpensifyJSONObject()
        for idValue in ids {
            guard let id = idValue.stringValue, let policy = index[id] else {
                throw ExpensifyJobError(410, "Policy '\(idValue.stringValue ?? "null")' was not found or is not accessible with these credentials")
            }
            var p = ExpensifyJSONObject()
            for field in fields {
                switch field {
                case "categories":
                    p["categories"] = .array(
                        policy.categories.map { c in
                            var o = c
                            if o["enabled"] == nil { o["enabled"] = .bool(true) }
                            return .object(o)
                        })
                case "tags":
                    p["tags"] = ExpensifySimulator.tagsAnswer(policy.tags)
                case "reportFields":
                    p["reportFields"] = .array(policy.reportFields)
                case "tax":
                    p["tax"] = .object(policy.tax)
                case "employees":
                    p["employees"] = .array(
                        policy.employees.map { e in
                            var o = ExpensifyJSONObject()
                            for key in ExpensifySimulator.employeeOutputKeys {
                                if let v = e[key], v != .null { o[key] = v }
                            }
                            return .object(o)
                        })
                default:
                    break
                }
            }
            info[id] = .object(p)
        }
        return ExpensifySimulator.success([("policyInfo", .object(info))])
    }

    private func role(of email: String, in policy: ExpensifyPolicy) -> String? {
        if policy.owner.lowercased() == email.lowercased() { return "admin" }
        return policy.employee(email)?.string("role")
    }

    private func getPolicyList(_ job: ExpensifyJSONObject, partner: ExpensifyPartner) -> SimResponse {
        let input = job.object("inputSettings") ?? ExpensifyJSONObject()
        let adminOnly = input["adminOnly"]?.boolValue ?? false
        let email = input.string("userEmail") ?? partner.email
        var list: [ExpensifyJSON] = []
        for policy in policies {
            guard let role = role(of: email, in: policy) else { continue }
            if adminOnly && role != "admin" { continue }
            list.append(
                .object(
                    ExpensifyJSONObject([
                        ("outputCurrency", .string(policy.outputCurrency)), ("owner", .string(policy.owner)), ("role", .string(role)),
                        ("name", .string(policy.name)), ("id", .string(policy.id)), ("type", .string(policy.type)),
                    ])))
        }
        return ExpensifySimulator.success([("policyList", .array(list))])
    }

    private func updatePolicy(_ job: ExpensifyJSONObject, form: ExpensifyForm) throws -> SimResponse {
        guard let input = job.object("inputSettings") else { throw ExpensifyJobError.missing("inputSettings") }
        guard let policyID = input.string("policyID"), !policyID.isEmpty else { throw ExpensifyJobError.missing("policyID") }
        guard let index = policies.firstIndex(where: { $0.id == policyID }) else {
            throw ExpensifyJobError(404, "Policy '\(policyID)' not found")
        }
        var policy = policies[index]
        if let categories = job["categories"] {
            policy.categories = try ExpensifySimulator.mergeNamed(policy.categories, categories, what: "categories")
        }
        if let reportFields = job["reportFields"] {
            let current = policy.reportFields.compactMap { $0.objectValue }
            policy.reportFields = try ExpensifySimulator.mergeNamed(current, reportFields, what: "reportFields").map { .object($0) }
        }
        if let tags = job["tags"] {
            guard let t = tags.objectValue else { throw ExpensifyJobError(410, "'tags' object malformed") }
            if t.string("source") == "file" {
                guard let file = form["file"], !file.isEmpty else { throw ExpensifyJobError.missing("file") }
                policy.tags = try ExpensifySimulator.tagsFromFile(file, config: t.object("config") ?? ExpensifyJSONObject())
            } else {
                policy.tags = try ExpensifySimulator.inlineTags(t)
            }
        }
        policies[index] = policy
        return ExpensifySimulator.success([])
    }

    static func mergeNamed(_ current: [ExpensifyJSONObject], _ update: ExpensifyJSON, what: String) throws -> [ExpensifyJSONObject] {
        guard let u = update.objectValue, let data = u.array("data") else { throw ExpensifyJobError(410, "'\(what)' object malformed") }
        let items = try data.map { item -> ExpensifyJSONObject in
            guard let o = item.objectValue, o.string("name") != nil else { throw ExpensifyJobError(410, "'\(what)' object malformed") }
            // Categories require `name` and `enabled` (§6.4).
            if what == "categories", o["enabled"]?.boolValue == nil { throw ExpensifyJobError(410, "'\(what)' object malformed") }
            return o
        }
        switch u.string("action") ?? "merge" {
        case "replace":
            return items
        case "merge":
            var result = current
            for item in items {
                if let i = result.firstIndex(where: { $0.string("name") == item.string("name") }) {
                    for (k, v) in item.pairs { result[i][k] = v }
                } else {
                    result.append(item)
                }
            }
            return result
        default:
            throw ExpensifyJobError(410, "'\(what)' object malformed")
        }
    }

    /// Inline tags (§6.4, independent levels only): `data` is a list of levels `{name, tags:[{name, enabled, glCode}]}`
    /// and REPLACES every tag of the policy. With one level the tags are stored flat (the getter's flat shape); with
    /// several, each tag keeps its level's name (the getter answers the levels shape) and `enabled` is ignored (true),
    /// as the reference says for multi-level tags.
    static func inlineTags(_ t: ExpensifyJSONObject) throws -> [ExpensifyJSONObject] {
        if let source = t.string("source"), source != "inline" { throw ExpensifyJobError(410, "'tags' object malformed") }
        guard let levels = t.array("data"), !levels.isEmpty else { throw ExpensifyJobError(410, "'tags' object malformed") }
        let multi = levels.count > 1
        var out: [ExpensifyJSONObject] = []
        for level in levels {
            guard let lo = level.objectValue, let tagList = lo.array("tags") else { throw ExpensifyJobError(410, "'tags' object malformed") }
            let levelName = lo.string("name") ?? "Tags"
            var seen = Set<String>()
            for tag in tagList {
                guard let o = tag.objectValue, let name = o.string("name"), !name.isEmpty, seen.insert(name).inserted else {
                    throw ExpensifyJobError(410, "'tags' object malformed")
                }
                if let e = o["enabled"], e.boolValue == nil { throw ExpensifyJobError(410, "'tags' object malformed") }
                var stored = ExpensifyJSONObject([
                    ("name", .string(name)), ("enabled", multi ? .bool(true) : (o["enabled"] ?? .bool(true))),
                    ("glCode", o["glCode"] ?? .string("")),
                ])
                if multi { stored["level"] = .string(levelName) }
                out.append(stored)
            }
        }
        return out
    }

    /// The getter's `tags`: the flat list (`{glCode, name, enabled}`), or, when the tags were written as several
    /// independent levels, the levels shape `[{"name": level, "tags": [...]}]` in the order the levels were written.
    static func tagsAnswer(_ tags: [ExpensifyJSONObject]) -> ExpensifyJSON {
        func entry(_ t: ExpensifyJSONObject) -> ExpensifyJSON {
            var o = ExpensifyJSONObject([("glCode", t["glCode"] ?? .string("")), ("name", t["name"] ?? .string(""))])
            o["enabled"] = t["enabled"] ?? .bool(true)
            for (k, v) in t.pairs where o[k] == nil && k != "level" { o[k] = v }
            return .object(o)
        }
        guard tags.contains(where: { $0.string("level") != nil }) else { return .array(tags.map(entry)) }
        var order: [String] = []
        var byLevel: [String: [ExpensifyJSON]] = [:]
        for t in tags {
            let level = t.string("level") ?? "Tags"
            if byLevel[level] == nil { order.append(level) }
            byLevel[level, default: []].append(entry(t))
        }
        return .array(order.map { .object(ExpensifyJSONObject([("name", .string($0)), ("tags", .array(byLevel[$0] ?? []))])) })
    }

    /// Tags from a CSV/TSV `file` (policy updater, `source: "file"`): each level column, followed by its
    /// GL code column when `glCodes` is true; multi-level names are joined with `:`.
    static func tagsFromFile(_ text: String, config: ExpensifyJSONObject) throws -> [ExpensifyJSONObject] {
        let separator: Character = (config.string("fileType") ?? "csv") == "tsv" ? "\t" : ","
        let glCodes = config["glCodes"]?.boolValue ?? false
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
        if config["header"]?.boolValue ?? false, !lines.isEmpty { lines.removeFirst() }
        var result: [ExpensifyJSONObject] = []
        var seen = Set<String>()
        for line in lines where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let cols = line.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var path: [String] = []
            var i = 0
            while i < cols.count {
                let name = cols[i]
                let gl = glCodes && i + 1 < cols.count ? cols[i + 1] : ""
                i += glCodes ? 2 : 1
                guard !name.isEmpty else { break }
                path.append(name)
                let full = path.joined(separator: ":")
                if seen.insert(full).inserted {
                    result.append(ExpensifyJSONObject([("name", .string(full)), ("enabled", .bool(true)), ("glCode", .string(gl))]))
                }
            }
        }
        guard !result.isEmpty else { throw ExpensifyJobError(410, "'tags' object malformed") }
        return result
    }

    // MARK: - Report status updater

    private func updateReportStatus(_ job: ExpensifyJSONObject) throws -> SimResponse {
        guard let input = job.object("inputSettings") else { throw ExpensifyJobError.missing("inputSettings") }
        guard let status = input.string("status"), !status.isEmpty else { throw ExpensifyJobError.missing("status") }
        guard status == "REIMBURSED" else { throw ExpensifyJobError(410, "Status '\(status)' is not supported") }
        guard let filters = input.object("filters") else { throw ExpensifyJobError.missing("filters") }
        var targets: [String] = []
        var notFound: [String] = []
        if let ids = ExpensifyExportFilters.commaList(filters["reportIDList"]) {
            let ordered = (filters.string("reportIDList") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                ids.contains($0)
            }
            for id in ordered where !targets.contains(id) && !notFound.contains(id) {
                if reports[id] != nil { targets.append(id) } else { notFound.append(id) }
            }
        } else if let start = filters.string("startDate") {
            guard ExpensifyDates.isValidDay(start) else { throw ExpensifyJobError(410, "Malformed date '\(start)'. Expected format is yyyy-MM-dd") }
            let end = filters.string("endDate")
            if let end, !ExpensifyDates.isValidDay(end) { throw ExpensifyJobError(410, "Malformed date '\(end)'. Expected format is yyyy-MM-dd") }
            for r in sortedReports {
                guard let later = [ExpensifyDates.day(r.created), ExpensifyDates.day(r.submitted)].compactMap({ $0 }).max() else { continue }
                if later >= start && (end == nil || later <= end ?? later) { targets.append(r.reportID) }
            }
        } else {
            throw ExpensifyJobError.missing("reportIDList")
        }
        func numericID(_ id: String) -> ExpensifyJSON { Int(id).map { .int($0) } ?? .string(id) }
        var done: [ExpensifyJSON] = []
        var skipped: [ExpensifyJSON] = []
        for id in targets {
            guard var r = reports[id] else { continue }
            if r.state == .approved {
                r.state = .reimbursed
                r.fields["reimbursed"] = .string(ExpensifyDates.now())
                reports[id] = r
                done.append(numericID(id))
            } else {
                skipped.append(
                    .object(ExpensifyJSONObject([("reason", .string("Report is in status '\(r.state.display)'")), ("reportID", numericID(id))])))
            }
        }
        let failed: [ExpensifyJSON] = notFound.map {
            .object(ExpensifyJSONObject([("reason", .string("Report not found")), ("reportID", numericID($0))]))
        }
        if skipped.isEmpty && failed.isEmpty {
            return ExpensifySimulator.success([("reportIDs", .array(done))])
        }
        let body = ExpensifyJSONObject([
            ("responseCode", .int(207)), ("reportIDs", .array(done)), ("skippedReports", .array(skipped)), ("failedReports", .array(failed)),
        ])
        return .jsonData(200, ExpensifyJSON.object(body).data)
    }

    /// The rendered export with the element of each of `reportIDs` made invalid JSON: the colon after the first
    /// `"reportName"` that follows its `"reportID"` is removed (tolerates the key/value spacing of any template).
    static func corrupt(_ text: String, reportIDs: Set<String>) -> String {
        var out = text
        for id in reportIDs.sorted() {
            for marker in ["\"reportID\":\"\(id)\"", "\"reportID\": \"\(id)\""] {
                guard let at = out.range(of: marker),
                    let name = out.range(of: "\"reportName\"", range: at.upperBound..<out.endIndex),
                    let colon = out[name.upperBound...].firstIndex(of: ":")
                else { continue }
                out.replaceSubrange(colon...colon, with: " ")
                break
            }
        }
        return out
    }

}
