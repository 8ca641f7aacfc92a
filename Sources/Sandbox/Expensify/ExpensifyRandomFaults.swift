import Foundation

/// A random fault mode set with `POST /_sandbox/expensify/faults` and a `probability`:
/// `{"probability":0.3,"httpStatuses":[429,500,503],"seed":7}` (`jobType`, `limit` optional). Every job (of that
/// type) draws once from a generator seeded with `seed`; with the given probability it is refused without being
/// run, with one of the statuses chosen uniformly, shaped like a count fault of that status (429 with the rate-limit
/// envelope, 502–504 an HTML page, others a `responseCode` envelope). The same seed and job sequence give the same
/// faults. It stays until `DELETE /_sandbox/expensify/faults`.
struct ExpensifyRandomFaults: Sendable {
    var probability: Double
    var httpStatuses: [Int]
    var seed: UInt64
    var jobType: String?
    var limit: Int?
    var seen = 0
    var fired = 0
    private var random: SandboxRandom

    init(probability: Double, httpStatuses: [Int], seed: UInt64, jobType: String?, limit: Int?) {
        self.probability = probability
        self.httpStatuses = httpStatuses
        self.seed = seed
        self.jobType = jobType
        self.limit = limit
        self.random = SandboxRandom(seed: seed)
    }

    /// The fault for one job of `type`, or nil when it passes.
    mutating func draw(jobType type: String?) -> ExpensifySimulator.Fault? {
        if let jobType, jobType != type { return nil }
        if let limit, fired >= limit { return nil }
        seen += 1
        guard let index = random.pick(probability: probability, outcomes: httpStatuses.count) else { return nil }
        fired += 1
        let status = httpStatuses[index]
        return ExpensifySimulator.Fault(
            remaining: 1, httpStatus: status, responseCode: status == 200 ? 500 : status, jobType: type,
            message: nil)
    }

    var json: ExpensifyJSON {
        .object(
            ExpensifyJSONObject([
                ("probability", .number(Decimal(string: String(probability)) ?? 0)), ("httpStatuses", .array(httpStatuses.map { .int($0) })),
                ("seed", .number(Decimal(seed))), ("jobType", jobType.map { .string($0) } ?? .null),
                ("limit", limit.map { .int($0) } ?? .null), ("seen", .int(seen)), ("fired", .int(fired)),
            ]))
    }

    static func parse(_ o: ExpensifyJSONObject) throws -> ExpensifyRandomFaults {
        guard case .number(let p)? = o["probability"], p >= 0, p <= 1 else { throw ExpensifySeedError("probability must be a number from 0 to 1") }
        guard let list = o.array("httpStatuses"), !list.isEmpty else { throw ExpensifySeedError("httpStatuses must be a non-empty array") }
        var statuses: [Int] = []
        for item in list {
            guard let s = item.intValue, (200...599).contains(s) else { throw ExpensifySeedError("httpStatuses must be HTTP statuses") }
            statuses.append(s)
        }
        var seed: UInt64 = 0
        if let s = o["seed"] {
            guard let text = s.stringValue, let v = UInt64(text) else { throw ExpensifySeedError("seed must be a non-negative integer") }
            seed = v
        }
        var limit: Int?
        if let l = o["limit"] {
            guard let v = l.intValue, v > 0 else { throw ExpensifySeedError("limit must be a positive integer") }
            limit = v
        }
        let type = o.string("jobType").flatMap { $0.isEmpty ? nil : $0 }
        return ExpensifyRandomFaults(
            probability: NSDecimalNumber(decimal: p).doubleValue, httpStatuses: statuses, seed: seed, jobType: type,
            limit: limit)
    }
}
