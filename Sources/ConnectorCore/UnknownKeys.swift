import Foundation

/// Finds keys a configuration file names that nothing reads (`accountOverides`, `batchsize`), by comparing what was
/// written with the stored properties of what it decoded into, so the check can never fall out of step with the types.
public enum UnknownKeys {
    /// One problem per unknown key, naming its JSON path and, when one is close, the key that was probably meant.
    /// - Parameters:
    ///   - written: the object as written in the file.
    ///   - decoded: the value it decoded into (a struct whose stored property names are the JSON keys).
    ///   - path: the JSON path of `written` (`""` for the top level).
    ///   - skip: keys of `written` checked elsewhere (e.g. `target`, which its target checks).
    public static func problems(_ written: JSONValue, decoded: Any, path: String = "", skip: Set<String> = []) -> [String] {
        var out: [String] = []
        check(written, decoded, path, skip: skip, into: &out)
        return out
    }

    static func check(_ written: JSONValue, _ decoded: Any, _ path: String, skip: Set<String> = [], into out: inout [String]) {
        guard let value = unwrap(decoded) else { return }
        func join(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        switch written {
        case .object(let object):
            if let dictionary = value as? [String: Any] {
                // Keys of a map are data (policy IDs, GL codes, e-mails); only its values have a shape.
                for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                    if let v = dictionary[key] { check(child, v, join(key), into: &out) }
                }
                return
            }
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .struct || mirror.displayStyle == .class else { return }
            var properties: [String: Any] = [:]
            for child in mirror.children { if let label = child.label { properties[label] = child.value } }
            for (key, child) in object.sorted(by: { $0.key < $1.key }) where !skip.contains(key) {
                if let v = properties[key] {
                    check(child, v, join(key), into: &out)
                } else if !child.isNull {
                    let hint = suggestion(for: key, among: Array(properties.keys) + Array(skip)).map { " (did you mean `\($0)`?)" } ?? ""
                    out.append("\(join(key)): unknown key\(hint)")
                }
            }
        case .array(let elements):
            guard let array = value as? [Any] else { return }
            for (i, e) in elements.enumerated() where i < array.count { check(e, array[i], "\(path)[\(i)]", into: &out) }
        default:
            return
        }
    }

    /// The value inside an optional, or nil for `nil`.
    static func unwrap(_ any: Any) -> Any? {
        let mirror = Mirror(reflecting: any)
        guard mirror.displayStyle == .optional else { return any }
        return mirror.children.first.map { unwrap($0.value) } ?? nil
    }

    /// The known key nearest to `key` (case-insensitive edit distance), when it is near enough to be a typo.
    public static func suggestion(for key: String, among known: [String]) -> String? {
        let k = Array(key.lowercased())
        var best: (String, Int)?
        for candidate in known.sorted() {
            let d = distance(k, Array(candidate.lowercased()))
            if d <= max(2, key.count / 3), best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
