import Foundation

/// A random fault mode injected with `POST /_sandbox/d365/faults` and a `probability`:
/// `{"probability":0.3,"statuses":[429,500,503],"drop":true,"seed":42}` (`method`, `entitySet`, `retryAfter` and
/// `limit` optional). Every matching top-level `/data` request draws once from a generator seeded with `seed`; with
/// the given probability it fails, with one of the statuses or (with `drop`) by being processed and then answered
/// with a closed connection, chosen uniformly. The same seed and the same sequence of requests give the same faults.
/// A status fault answers without doing the work (like a count rule); a drop does the work first. `limit` stops the
/// mode after that many faults. It stays until `DELETE /_sandbox/d365/faults`.
struct D365RandomFaults: Sendable {
    var probability: Double
    var statuses: [Int]
    var drop: Bool
    var seed: UInt64
    var method: String?
    var entitySet: String?
    var retryAfter: Int?
    var limit: Int?
    /// Matching requests seen and faults fired so far.
    var seen = 0
    var fired = 0
    private var random: SandboxRandom

    /// What one request draws.
    enum Draw {
        case pass
        case status(Int)
        case drop
    }

    init(probability: Double, statuses: [Int], drop: Bool, seed: UInt64, method: String?, entitySet: String?, retryAfter: Int?, limit: Int?) {
        self.probability = probability
        self.statuses = statuses
        self.drop = drop
        self.seed = seed
        self.method = method
        self.entitySet = entitySet
        self.retryAfter = retryAfter
        self.limit = limit
        self.random = SandboxRandom(seed: seed)
    }

    /// Draws for one top-level request (`entitySet` is the request's first path segment after `/data/`).
    mutating func draw(method: String, entitySet: String) -> Draw {
        if let m = self.method, m != method.uppercased() { return .pass }
        if let e = self.entitySet, e != entitySet { return .pass }
        if let limit, fired >= limit { return .pass }
        seen += 1
        guard let index = random.pick(probability: probability, outcomes: statuses.count + (drop ? 1 : 0)) else { return .pass }
        fired += 1
        return index < statuses.count ? .status(statuses[index]) : .drop
    }

    /// The rule that answers a status draw (same bodies as a count rule).
    func rule(status: Int) -> D365FaultRule {
        D365FaultRule(
            remaining: 1, status: status, retryAfter: retryAfter ?? (status == 429 ? 1 : nil), method: method, entitySet: entitySet,
            message: nil)
    }

    var json: D365JSON {
        var o = D365JSONObject()
        o["probability"] = .number(String(probability))
        o["statuses"] = .array(statuses.map { .int($0) })
        o["drop"] = .bool(drop)
        o["seed"] = .number(String(seed))
        if let method { o["method"] = .string(method) }
        if let entitySet { o["entitySet"] = .string(entitySet) }
        if let retryAfter { o["retryAfter"] = .int(retryAfter) }
        if let limit { o["limit"] = .int(limit) }
        o["seen"] = .int(seen)
        o["fired"] = .int(fired)
        return .object(o)
    }

    /// Reads the control body; an error message when it is not a valid random mode.
    static func parse(_ o: D365JSONObject) -> Result<D365RandomFaults, D365JSONError> {
        guard case .number(let text)? = o["probability"], let p = Double(text), p >= 0, p <= 1 else {
            return .failure(D365JSONError(description: "probability must be a number from 0 to 1"))
        }
        var statuses: [Int] = []
        if let list = o["statuses"] {
            guard let items = list.arrayValue else { return .failure(D365JSONError(description: "statuses must be an array of HTTP statuses")) }
            for item in items {
                guard let s = item.intValue, (400...599).contains(s) else {
                    return .failure(D365JSONError(description: "statuses must be HTTP statuses from 400 to 599"))
                }
                statuses.append(s)
            }
        }
        let drop = o["drop"]?.boolValue ?? false
        guard !statuses.isEmpty || drop else { return .failure(D365JSONError(description: "a random fault needs statuses, \"drop\": true, or both")) }
        var seed: UInt64 = 0
        if let s = o["seed"] {
            var text = s.stringValue
            if case .number(let n) = s { text = n }
            guard let text, let v = UInt64(text) else { return .failure(D365JSONError(description: "seed must be a non-negative integer")) }
            seed = v
        }
        var limit: Int?
        if let l = o["limit"] {
            guard let v = l.intValue, v > 0 else { return .failure(D365JSONError(description: "limit must be a positive integer")) }
            limit = v
        }
        return .success(
            D365RandomFaults(
                probability: p, statuses: statuses, drop: drop, seed: seed,
                method: o["method"]?.stringValue?.uppercased(), entitySet: o["entitySet"]?.stringValue,
                retryAfter: o["retryAfter"]?.intValue, limit: limit))
    }
}
