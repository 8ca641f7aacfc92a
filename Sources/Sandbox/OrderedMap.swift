/// A string-keyed map that keeps insertion order, shared by the simulators' JSON values and the
/// FreeMarker hash (seeds, responses and template output stay readable and stable).
struct OrderedMap<Value> {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    init() {}

    init(_ pairs: [(String, Value)]) {
        for (key, value) in pairs { self[key] = value }
    }

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var pairs: [(String, Value)] { keys.compactMap { k in storage[k].map { (k, $0) } } }
    var values: [Value] { keys.compactMap { storage[$0] } }
    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }
}

extension OrderedMap: Sendable where Value: Sendable {}

extension OrderedMap: Equatable where Value: Equatable {
    /// Equal when the same keys hold equal values in the same order.
    static func == (lhs: OrderedMap, rhs: OrderedMap) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }
}
