import ConnectorCore
import ConnectorHTTP
import Foundation
import OData

/// Turns F&O error bodies into short, useful text (d365-fo-odata.md §2.8).
///
/// The OData envelope's real reason is in `error.innererror.message`, shaped
/// `Write failed for table row of type 'X'. Infolog: Warning: a.; Error: b.; Warning: validateWrite failed on data source 'T (T)'.`
/// → `a.; b.` Routing 404s use `{"Message": …}` instead.
public enum D365ErrorMessage {
    /// Generic Infolog lines that say nothing about the cause.
    static let noisePrefixes = [
        "validatewrite failed on data source", "update has been canceled", "update has been cancelled",
        "insert has been canceled", "insert has been cancelled", "write failed for table row",
    ]

    /// The clean message of an error body, or nil when the body has none.
    public static func parse(_ body: Data) -> String? {
        guard let envelope = ODataErrorEnvelope.parse(body) else { return nil }
        if let inner = envelope.innerMessage {
            let clean = cleanInfolog(inner)
            return clean.isEmpty ? inner.trimmingCharacters(in: .whitespacesAndNewlines) : clean
        }
        return envelope.message
    }

    /// The Infolog entries after `Infolog:`, split on `;`, without level prefixes, noise or repeats.
    public static func cleanInfolog(_ text: String) -> String {
        var body = Substring(text)
        if let r = text.range(of: "Infolog:") { body = text[r.upperBound...] }
        var seen = Set<String>()
        var kept: [String] = []
        for raw in body.split(separator: ";") {
            var entry = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            for level in ["Warning:", "Error:", "Info:"] where entry.lowercased().hasPrefix(level.lowercased()) {
                entry = String(entry.dropFirst(level.count)).trimmingCharacters(in: .whitespaces)
            }
            let lower = entry.lowercased()
            guard !entry.isEmpty, !noisePrefixes.contains(where: { lower.hasPrefix($0) }) else { continue }
            if seen.insert(entry).inserted { kept.append(entry) }
        }
        return kept.joined(separator: "; ")
    }
}
