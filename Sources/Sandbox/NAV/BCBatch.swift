import Foundation

/// JSON `$batch` of the BC API (`POST …/api/v2.0/$batch`, `{"requests":[{"id","method","url","headers","body",
/// "dependsOn","atomicityGroup"}]}` → `{"responses":[{"id","status","headers","body"}]}`).
///
/// - More than 100 operations → 400 (the online limit).
/// - Without `Isolation: snapshot` every operation stands alone (a failure leaves the others applied).
/// - `Isolation: snapshot`: one transaction; when any operation fails the whole batch is reverted "as if the batch
///   request never happened" (use-odata-batch.md); each operation still answers its own status.
/// - `atomicityGroup`: the group is all or nothing; when one of its operations fails, the group is rolled back and its
///   other operations answer 424.
/// - `dependsOn`: an operation whose dependency failed answers 424 without running.
extension BCService {
    static let maxBatchOperations = 100

    func batch(_ request: SimRequest, db: inout NAVDatabase) -> (SimResponse, Int?) {
        guard let root = try? D365JSONParser.parse(request.body), let ops = root["requests"]?.arrayValue else {
            return (NAVResponses.error(400, "BadRequest", "Invalid Request Body"), nil)
        }
        guard ops.count <= BCService.maxBatchOperations else {
            return (
                NAVResponses.error(
                    400, "BadRequest", "The batch request contains \(ops.count) operations; the maximum is \(BCService.maxBatchOperations)."),
                ops.count
            )
        }
        let snapshot = request.headers["isolation"]?.lowercased() == "snapshot"
        let original = db
        var responses: [(id: String, status: Int, headers: [(String, String)], body: D365JSON?)] = []
        var statusById: [String: Int] = [:]
        var groupStart: [String: NAVDatabase] = [:]
        var failedGroups: Set<String> = []
        var anyFailure = false

        for raw in ops {
            let o = raw.objectValue ?? D365JSONObject()
            let id = o["id"].map(NAVDatabase.text) ?? String(responses.count + 1)
            let group = o["atomicityGroup"]?.stringValue
            let depends = (o["dependsOn"]?.arrayValue ?? []).map(NAVDatabase.text)
            func record(_ status: Int, _ headers: [(String, String)], _ body: D365JSON?) {
                responses.append((id, status, headers, body))
                statusById[id] = status
                if status >= 400 { anyFailure = true }
            }
            if let group, failedGroups.contains(group) {
                record(424, [], NAVResponses.errorBody("BadRequest_FailedDependency", "The atomicity group \(group) failed."))
                continue
            }
            if let bad = depends.first(where: { (statusById[$0] ?? 424) >= 400 }) {
                record(424, [], NAVResponses.errorBody("BadRequest_FailedDependency", "The operation \(bad) this operation depends on failed."))
                continue
            }
            guard let method = o["method"]?.stringValue?.uppercased(), let url = o["url"]?.stringValue else {
                record(400, [], NAVResponses.errorBody("BadRequest", "Each request needs a method and a url."))
                continue
            }
            if let group, groupStart[group] == nil { groupStart[group] = db }
            var headers: [String: String] = [:]
            for (k, v) in o["headers"]?.objectValue?.pairs ?? [] { headers[k.lowercased()] = NAVDatabase.text(v) }
            let body = o["body"].map { D365JSONWriter.data($0) } ?? Data()
            let (path, query) = BCService.relative(url)
            let sub = SimRequest(
                method: method, path: rootPath + "/" + path, query: query, headers: headers, body: body, baseURL: request.baseURL)
            let op = Operation(
                method: method, segments: NAVSimulator.segments(sub.decodedPath.dropFirst(rootPath.count + 1).description),
                query: sub.queryItems, headers: headers, body: body, request: sub)
            var work = db
            let r = execute(op, db: &work)
            if r.status < 400 {
                db = work
            } else if let group, let start = groupStart[group] {
                db = start
                failedGroups.insert(group)
                for i in responses.indices where groupOf(ops, responses[i].id) == group && responses[i].status < 400 {
                    responses[i].status = 424
                    responses[i].body = NAVResponses.errorBody("BadRequest_FailedDependency", "The atomicity group \(group) failed.")
                    statusById[responses[i].id] = 424
                }
            }
            let parsed = r.body.isEmpty ? nil : try? D365JSONParser.parse(r.body)
            record(r.status, r.headers.filter { $0.0.lowercased() != "content-type" || parsed != nil }, parsed)
        }
        if snapshot, anyFailure { db = original }
        let out = responses.map { r -> D365JSON in
            var o = D365JSONObject()
            o["id"] = .string(r.id)
            o["status"] = .int(r.status)
            o["headers"] = .object(D365JSONObject(r.headers.map { ($0.0.lowercased(), .string($0.1)) }))
            if let b = r.body { o["body"] = b }
            return .object(o)
        }
        return (
            SimResponse(
                status: 200, headers: [("Content-Type", "application/json; charset=utf-8"), ("OData-Version", "4.0")],
                body: D365JSONWriter.data(D365Responses.obj([("responses", .array(out))]))), ops.count
        )
    }

    private func groupOf(_ ops: [D365JSON], _ id: String) -> String? {
        ops.first { $0["id"].map(NAVDatabase.text) == id }?["atomicityGroup"]?.stringValue
    }

    /// `companies(…)/purchaseInvoices?$x=y`, `/v2.0/…/api/v2.0/companies(…)…` or an absolute URL → (path after
    /// `api/v2.0/`, raw query).
    static func relative(_ url: String) -> (String, String?) {
        var u = url
        if let r = u.range(of: "/api/v2.0/") { u = String(u[r.upperBound...]) }
        while u.hasPrefix("/") { u.removeFirst() }
        let parts = u.split(separator: "?", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : nil)
    }
}
