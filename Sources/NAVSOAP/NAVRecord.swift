import Foundation

/// A NAV page record as SOAP carries it: fields in order (NAV applies them in page order, but golden envelopes and
/// readers need a fixed one), text values, and parts holding line records. Answers come back as these too.
public struct NAVRecord: Sendable, Equatable {
    /// The fields in element order.
    public var fields: [NAVField]

    /// A record from fields in the order they should be written.
    public init(_ fields: [NAVField] = []) { self.fields = fields }

    /// A record of text fields, in the order given (`["Type": "G_L_Account", "No": "600100"]`).
    public init(_ pairs: KeyValuePairs<String, String>) {
        fields = pairs.map { NAVField(name: $0.key, value: .text($0.value)) }
    }

    /// The text of the first field named `name`; nil when absent or a part. NAV may omit blank fields in answers.
    public subscript(_ name: String) -> String? {
        for field in fields where field.name == name {
            if case .text(let text) = field.value { return text }
            return nil
        }
        return nil
    }

    /// The record's `Key` (opaque, changes on every write), which Update, Delete and paging need.
    public var key: String? { self["Key"] }

    /// The line records of part `name` (e.g. `PurchLines`); empty when absent or blank.
    public func part(_ name: String) -> [NAVRecord] {
        for field in fields where field.name == name {
            if case .part(_, let records) = field.value { return records }
            return []
        }
        return []
    }

    /// The field names in order.
    public var names: [String] { fields.map(\.name) }

    /// Appends a text field (use `NAVValue` to encode decimals, dates, booleans and options).
    public mutating func append(_ name: String, _ text: String) {
        fields.append(NAVField(name: name, value: .text(text)))
    }

    /// Appends a part with its lines, e.g. `append(part: "PurchLines", item: "Purch_Invoice_Line", records: lines)`.
    public mutating func append(part name: String, item: String, records: [NAVRecord]) {
        fields.append(NAVField(name: name, value: .part(item: item, records: records)))
    }

    /// Sets the first field named `name` to `text`, appending it when absent (e.g. a Key before an Update).
    public mutating func set(_ name: String, _ text: String) {
        if let index = fields.firstIndex(where: { $0.name == name }) {
            fields[index].value = .text(text)
        } else {
            fields.append(NAVField(name: name, value: .text(text)))
        }
    }
}
