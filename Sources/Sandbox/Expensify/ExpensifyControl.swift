import Foundation

/// Test-only control routes under `/_sandbox/expensify/` (JSON in, JSON out).
///
/// - `GET  /reports` — every report: id, policy, state, status, labels, total (`?format=seed` for full seed objects)
/// - `POST /reports` — add or replace reports; body: JSON array of reports in seed format
/// - `GET  /policies`, `POST /policies` — read, add or replace policies (seed format, JSON array)
/// - `GET|POST|DELETE /faults` — body `{"count":N,"httpStatus":200|429|500|503,"responseCode":500,"jobType":"file"}`;
///   or the random mode `{"probability":0.3,"httpStatuses":[429,500,503],"seed":7,"jobType":"file","limit":N}`
///   (`ExpensifyRandomFaults`: each job fails with that probability, deterministic by seed; listed with its counters)
/// - `GET|POST /rate-limits` — body `{"windows":[{"limit":5,"seconds":10},{"limit":20,"seconds":60}]}` (counters reset)
/// - `POST /generate?reports=1000&expenses=5&policyID=...&email=...` — deterministic approved reports from 80000001
/// - `POST /reset` — reload the seed file, clear files, jobs, e-mails, faults and rate-limit counters
/// - `GET|DELETE /jobs` — the log of jobs received (never the secret)
/// - `GET /files`, `GET /emails` — stored export files and recorded `email` actions
/// - `POST /today` — body `{"today":"2026-11-22"}` (or null) fixes "today" for the one-year date rule
/// - `GET|POST /settings` — body `{"unsetFields":"absent"|"empty"|"zero","maxDaysWithoutEndDate":365,"maxRangeDays":365,
///   "corruptReportIDs":["90000002"],"duplicateReportIDs":["90000006"],"authFailureCode":407,
///   "failEmployeePolicies":["A1B2C3D4E5F60002"]}`
///   (any subset): how the template model shows fields a report or expense does not have (absent key, "", or ""
///   with 0 for `modifiedAmount`), the one-year date rule (null switches a limit off), and reports whose element of a
///   rendered export is made invalid JSON, and reports rendered twice in a row in every export that selects them
extension ExpensifySimulator {
    private static func json(_ status: Int, _ value: ExpensifyJSON) -> SimResponse {
        .jsonData(status, Data(value.serialized(pretty: true).utf8))
    }

    private static func failure(_ status: Int, _ message: String) -> SimResponse {
        json(status, .object(ExpensifyJSONObject([("error", .string(message))])))
    }

    private static func body(_ request: SimRequest) throws -> ExpensifyJSON {
        let text = String(decoding: request.body, as: UTF8.self)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .null }
        return try ExpensifyJSONParser.parse(text)
    }

    func control(_ request: SimRequest, path: String) -> SimResponse {
        let route = String(path.dropFirst(ExpensifySimulator.controlPrefix.count))
        do {
            switch (request.method, route) {
            case ("GET", "/reports"):
                let full = request.queryValue("format") == "seed"
                return Self.json(200, .array(sortedReports.map { full ? .object($0.json) : reportSummary($0) }))
            case ("POST", "/reports"):
                return try postReports(try Self.body(request))
            case ("GET", "/policies"):
                return Self.json(200, .array(policies.map { .object($0.json) }))
            case ("POST", "/policies"):
                return try postPolicies(try Self.body(request))
            case ("GET", "/faults"):
                return Self.json(200, faultList())
            case ("POST", "/faults"):
                return try postFault(try Self.body(request))
            case ("DELETE", "/faults"):
                faults = []
                randomFaults = nil
                return Self.json(200, faultList())
            case ("GET", "/rate-limits"):
                return Self.json(200, .object(ExpensifyJSONObject([("windows", .array(limiter.windows.map(\.json)))])))
            case ("POST", "/rate-limits"):
                let windows = try ExpensifyRateWindow.list(try Self.body(request))
                limiter.replaceWindows(windows)
                settings.rateLimitWindows = windows
                return Self.json(200, .object(ExpensifyJSONObject([("windows", .array(windows.map(\.json)))])))
            case ("POST", "/generate"):
                return try generate(request)
            case ("POST", "/reset"):
                try reset()
                return Self.json(200, .object(ExpensifyJSONObject([("status", .string("reset")), ("reports", .int(reports.count))])))
            case ("GET", "/jobs"):
                return Self.json(200, .array(jobs.map { .object($0) }))
            case ("DELETE", "/jobs"):
                jobs = []
                return Self.json(200, .array([]))
            case ("GET", "/files"):
                let list = files.sorted { $0.value.createdAt == $1.value.createdAt ? $0.key < $1.key : $0.value.createdAt < $1.value.createdAt }
                return Self.json(
                    200,
                    .array(
                        list.map { name, file in
                            .object(
                                ExpensifyJSONObject([
                                    ("fileName", .string(name)), ("bytes", .int(file.data.count)), ("contentType", .string(file.contentType)),
                                    ("createdAt", .string(file.createdAt)), ("reportIDs", .array(file.reportIDs.map { .string($0) })),
                                ]))
                        }))
            case ("GET", "/emails"):
                return Self.json(200, .array(emails.map { .object($0) }))
            case ("GET", "/settings"):
                return Self.json(200, settingsJSON())
            case ("POST", "/settings"):
                let body = try Self.body(request)
                guard let o = body.objectValue else { return Self.failure(400, "expected {\"unsetFields\": \"absent\"|\"empty\"|\"zero\"}") }
                if let v = o["unsetFields"] {
                    guard let text = v.stringValue, let shape = ExpensifyUnsetShape(rawValue: text) else {
                        return Self.failure(400, "unsetFields must be one of \(ExpensifyUnsetShape.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    settings.unsetFields = shape
                }
                if let v = o["corruptReportIDs"] {
                    guard let ids = v.arrayValue?.compactMap(\.stringValue) else {
                        return Self.failure(400, "corruptReportIDs must be an array of report IDs")
                    }
                    settings.corruptReportIDs = Set(ids)
                }
                if let v = o["authFailureCode"] {
                    guard let code = v.intValue, code == 401 || code == 407 else { return Self.failure(400, "authFailureCode must be 401 or 407") }
                    settings.authFailureCode = code
                }
                if let v = o["duplicateReportIDs"] {
                    guard let ids = v.arrayValue?.compactMap(\.stringValue) else {
                        return Self.failure(400, "duplicateReportIDs must be an array of report IDs")
                    }
                    settings.duplicateReportIDs = Set(ids)
                }
                if let v = o["failEmployeePolicies"] {
                    guard let ids = v.arrayValue?.compactMap(\.stringValue) else {
                        return Self.failure(400, "failEmployeePolicies must be an array of policy IDs")
                    }
                    settings.failEmployeePolicies = Set(ids)
                }
                for key in ["maxDaysWithoutEndDate", "maxRangeDays"] {
                    guard let v = o[key] else { continue }
                    guard v == .null || (v.intValue ?? -1) > 0 else { return Self.failure(400, "\(key) must be a positive number of days or null") }
                    if key == "maxRangeDays" { settings.maxRangeDays = v.intValue } else { settings.maxDaysWithoutEndDate = v.intValue }
                }
                return Self.json(200, settingsJSON())
            case ("POST", "/today"):
                let body = try Self.body(request)
                let day = body.objectValue?.string("today")
                if let day, !ExpensifyDates.isValidDay(day) { return Self.failure(400, "today must be yyyy-MM-dd") }
                todayOverride = day
                return Self.json(200, .object(ExpensifyJSONObject([("today", .string(today))])))
            default:
                return Self.failure(404, "No sandbox control route \(request.method) \(path)")
            }
        } catch let error as ExpensifySeedError {
            return Self.failure(400, error.message)
        } catch {
            return Self.failure(400, "\(error)")
        }
    }

    func settingsJSON() -> ExpensifyJSON {
        .object(
            ExpensifyJSONObject([
                ("unsetFields", .string(settings.unsetFields.rawValue)), ("today", .string(today)),
                ("maxDaysWithoutEndDate", settings.maxDaysWithoutEndDate.map { .int($0) } ?? .null),
                ("maxRangeDays", settings.maxRangeDays.map { .int($0) } ?? .null),
                ("corruptReportIDs", .array(settings.corruptReportIDs.sorted().map { .string($0) })),
                ("duplicateReportIDs", .array(settings.duplicateReportIDs.sorted().map { .string($0) })),
                ("authFailureCode", .int(settings.authFailureCode)),
            ]))
    }

    func reportSummary(_ r: ExpensifyReport) -> ExpensifyJSON {
        var o = ExpensifyJSONObject([
            ("reportID", .string(r.reportID)), ("reportName", r.fields["reportName"] ?? .null), ("policyID", .string(r.policyID)),
            ("accountEmail", .string(r.accountEmail)), ("state", .string(r.state.rawValue)), ("status", .string(r.state.display)),
            ("labels", .array(r.labels.map { .string($0) })), ("total", .int(r.total)),
            ("currency", r.fields["currency"] ?? policyIndex[r.policyID].map { .string($0.outputCurrency) } ?? .null),
            ("expenseCount", .int(r.expenses.count)),
        ])
        for key in ["created", "submitted", "approved", "reimbursed"] {
            if let v = r.fields[key] { o[key] = v }
        }
        return .object(o)
    }

    private static func items(_ body: ExpensifyJSON, key: String) throws -> [ExpensifyJSONObject] {
        let list: [ExpensifyJSON]
        switch body {
        case .array(let a): list = a
        case .object(let o): list = o.array(key) ?? [.object(o)]
        default: throw ExpensifySeedError("expected a JSON array of \(key)")
        }
        return try list.map { item in
            guard let o = item.objectValue else { throw ExpensifySeedError("expected \(key) as JSON objects") }
            return o
        }
    }

    private func postReports(_ body: ExpensifyJSON) throws -> SimResponse {
        let parsed = try Self.items(body, key: "reports").map { try ExpensifyReport(json: $0) }
        let known = Set(policies.map(\.id))
        for r in parsed where !known.contains(r.policyID) {
            throw ExpensifySeedError("report \(r.reportID) refers to unknown policy \(r.policyID)")
        }
        var added: [ExpensifyJSON] = []
        var replaced: [ExpensifyJSON] = []
        for r in parsed {
            if reports[r.reportID] == nil { added.append(.string(r.reportID)) } else { replaced.append(.string(r.reportID)) }
            reports[r.reportID] = r
        }
        return Self.json(200, .object(ExpensifyJSONObject([("added", .array(added)), ("replaced", .array(replaced))])))
    }

    private func postPolicies(_ body: ExpensifyJSON) throws -> SimResponse {
        let parsed = try Self.items(body, key: "policies").map { try ExpensifyPolicy(json: $0) }
        var added: [ExpensifyJSON] = []
        var replaced: [ExpensifyJSON] = []
        for p in parsed {
            if let i = policies.firstIndex(where: { $0.id == p.id }) {
                policies[i] = p
                replaced.append(.string(p.id))
            } else {
                policies.append(p)
                added.append(.string(p.id))
            }
        }
        return Self.json(200, .object(ExpensifyJSONObject([("added", .array(added)), ("replaced", .array(replaced))])))
    }

    private func faultList() -> ExpensifyJSON {
        .array(
            faults.map { f in
                .object(
                    ExpensifyJSONObject([
                        ("count", .int(f.remaining)), ("httpStatus", .int(f.httpStatus)), ("responseCode", .int(f.responseCode)),
                        ("jobType", f.jobType.map { .string($0) } ?? .null), ("responseMessage", f.message.map { .string($0) } ?? .null),
                    ]))
            } + (randomFaults.map { [$0.json] } ?? []))
    }

    private func postFault(_ body: ExpensifyJSON) throws -> SimResponse {
        guard let o = body.objectValue else {
            throw ExpensifySeedError("expected {\"count\":N,\"httpStatus\":...,\"responseCode\":...,\"jobType\":...}")
        }
        if o["probability"] != nil {
            randomFaults = try ExpensifyRandomFaults.parse(o)
            return Self.json(200, faultList())
        }
        let count = o["count"]?.intValue ?? 1
        if count <= 0 {
            faults = []
            return Self.json(200, faultList())
        }
        let httpStatus = o["httpStatus"]?.intValue ?? 200
        guard (200...599).contains(httpStatus) else { throw ExpensifySeedError("httpStatus must be an HTTP status code") }
        let responseCode = o["responseCode"]?.intValue ?? (httpStatus == 200 ? 500 : httpStatus)
        let jobType = o.string("jobType").flatMap { $0.isEmpty ? nil : $0 }
        faults.append(
            Fault(remaining: count, httpStatus: httpStatus, responseCode: responseCode, jobType: jobType, message: o.string("responseMessage")))
        return Self.json(200, faultList())
    }

    // MARK: - Benchmark generator

    private func generate(_ request: SimRequest) throws -> SimResponse {
        let count = Int(request.queryValue("reports") ?? "100") ?? -1
        let perReport = Int(request.queryValue("expenses") ?? "5") ?? -1
        guard (1...100_000).contains(count) else { throw ExpensifySeedError("reports must be 1...100000") }
        guard (0...200).contains(perReport) else { throw ExpensifySeedError("expenses must be 0...200") }
        let requestedPolicy = request.queryValue("policyID")
        let candidate = requestedPolicy.map { id in policies.first { $0.id == id } } ?? policies.first
        guard let policy = candidate else {
            throw ExpensifySeedError("unknown policyID \(requestedPolicy ?? "")")
        }
        let email =
            request.queryValue("email")
            ?? policy.employees.first { $0.string("role") == "user" }?.string("email")
            ?? policy.owner
        let categories =
            settings.generatorCategories
            ?? policy.categories.filter { !($0.string("glCode") ?? "").isEmpty }.compactMap { $0.string("name") }
        let tags = settings.generatorTags ?? policy.tags.compactMap { $0.string("name") }.filter { $0.contains(":") }
        guard !categories.isEmpty else { throw ExpensifySeedError("policy \(policy.id) has no category with a GL code") }

        let existing = reports.keys.compactMap { Int($0) }.filter { (80_000_000..<90_000_000).contains($0) }
        let first = (existing.max() ?? 80_000_000) + 1
        guard first + count - 1 < 90_000_000 else { throw ExpensifySeedError("generated report IDs would run past 89999999") }
        let merchants = ["Delta Air Lines", "Marriott", "Uber", "Staples", "Verizon", "Hilton", "Lyft", "Starbucks", "Amtrak", "FedEx Office"]

        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        for id in first..<(first + count) {
            var state = UInt64(id) &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            func random(_ bound: Int) -> Int {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((state >> 33) % UInt64(max(1, bound)))
            }
            let createdDay = 1 + id % 10
            let submittedDay = createdDay + 1
            let approvedDay = min(20, submittedDay + 1 + random(8))
            let tag = tags.isEmpty ? "" : tags[random(tags.count)]
            var expenses: [ExpensifyJSON] = []
            for j in 0..<perReport {
                let amount = 500 + random(49_500)
                let day = "2026-11-\(pad(max(1, createdDay - random(2)), 2))"
                var receipt = ExpensifyJSONObject()
                if random(4) != 0 {
                    receipt = ExpensifyJSONObject([
                        ("url", .string("https://www.expensify.com/receipts/w_bench\(id)_\(j).jpg")),
                        ("type", .string("jpg")), ("transactionID", .string("7\(pad(id % 10_000_000, 7))\(pad(j, 8))")),
                    ])
                }
                expenses.append(
                    .object(
                        ExpensifyJSONObject([
                            ("transactionID", .string("7\(pad(id % 10_000_000, 7))\(pad(j, 8))")), ("amount", .int(amount)),
                            ("currency", .string(policy.outputCurrency)), ("convertedAmount", .int(amount)), ("currencyConversionRate", .int(1)),
                            ("merchant", .string(merchants[random(merchants.count)])), ("created", .string(day)),
                            ("inserted", .string("\(day) 12:\(pad(random(60), 2)):00")), ("category", .string(categories[random(categories.count)])),
                            ("tag", .string(tag)), ("comment", .string("Benchmark expense \(j + 1)")), ("reimbursable", .bool(true)),
                            ("billable", .bool(false)), ("receiptObject", .object(receipt)), ("type", .string("cash")),
                        ])))
            }
            let json = ExpensifyJSONObject([
                ("reportID", .string(String(id))), ("policyID", .string(policy.id)), ("state", .string("APPROVED")), ("labels", .array([])),
                ("reportName", .string("Benchmark report \(id)")), ("accountEmail", .string(email)),
                ("created", .string("2026-11-\(pad(createdDay, 2)) 09:00:00")),
                ("submitted", .string("2026-11-\(pad(submittedDay, 2)) 17:30:00")),
                ("approved", .string("2026-11-\(pad(approvedDay, 2)) 10:15:00")),
                ("transactionList", .array(expenses)),
            ])
            let report = try ExpensifyReport(json: json)
            reports[report.reportID] = report
        }
        return Self.json(
            200,
            .object(
                ExpensifyJSONObject([
                    ("generated", .int(count)), ("firstReportID", .string(String(first))), ("lastReportID", .string(String(first + count - 1))),
                    ("policyID", .string(policy.id)), ("email", .string(email)), ("expensesPerReport", .int(perReport)),
                ])))
    }
}
