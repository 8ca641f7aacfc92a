import ConnectorCore
import Foundation
import NAVSOAP

/// A value written to a NAV page field. The same typed value goes to both page web services, each in its own form:
/// OData v4 JSON takes option captions (`G/L Account`) and JSON numbers; SOAP takes XML names (`G_L_Account`,
/// `_blank_`) and invariant decimal text. Decimals are exact text from the document, never `Double`.
public enum NAVPageValue: Sendable, Hashable {
    /// Text or code.
    case text(String)
    /// Exact decimal text (`-12.50`).
    case decimal(String)
    /// `yyyy-mm-dd`.
    case date(String)
    /// An option by its caption (`G/L Account`; `" "` or `""` is the blank option).
    case option(String)
    /// `true` / `false`.
    case bool(Bool)

    /// The value in OData v4 JSON: captions as strings, decimals as JSON numbers written from the exact text.
    public var odata: JSONValue {
        switch self {
        case .text(let s), .date(let s): return .string(s)
        case .decimal(let d): return Self.invariantDecimal(d).map { .number($0) } ?? .string(d)
        case .option(let caption): return .string(caption.trimmingCharacters(in: .whitespaces).isEmpty ? " " : caption)
        case .bool(let b): return .bool(b)
        }
    }

    /// The value as SOAP element text: options as XML names (`G/L Account` → `G_L_Account`, blank → `_blank_`).
    public var soap: String {
        switch self {
        case .text(let s), .date(let s): return s
        case .decimal(let d): return Self.invariantDecimal(d) ?? d
        case .option(let caption): return NAVValue.option(caption)
        case .bool(let b): return b ? "true" : "false"
        }
    }

    /// `45.50` → `45.5`, `-0.00` → `0`, `007` → `7`; nil for anything but `-?digits(.digits)?`.
    public static func invariantDecimal(_ text: String) -> String? { try? NAVValue.decimal(text) }
}

/// A record to write to a NAV page: fields in page order (NAV applies them in control order anyway; a fixed order
/// keeps requests deterministic).
public struct NAVPageRecord: Sendable, Hashable {
    /// (SOAP/OData field name, value), in order.
    public var fields: [NAVPageField]

    /// A record of `fields` in that order.
    public init(_ fields: [NAVPageField] = []) { self.fields = fields }

    /// Appends a field.
    public mutating func append(_ name: String, _ value: NAVPageValue) { fields.append(NAVPageField(name: name, value: value)) }

    /// The value of the field `name`, if set.
    public subscript(_ name: String) -> NAVPageValue? { fields.first { $0.name == name }?.value }

    /// The record as an OData v4 JSON body.
    public var odataBody: [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        for f in fields { body[f.name] = f.value.odata }
        return body
    }
}

/// One field of a `NAVPageRecord`.
public struct NAVPageField: Sendable, Hashable {
    /// The page field name (`Buy_from_Vendor_No`, `ShortcutDimCode_x005B_3_x005D_`).
    public var name: String
    /// The typed value.
    public var value: NAVPageValue
}

/// A record read from a NAV page, values as text whichever API it came through (booleans `true`/`false`, decimals
/// as the server wrote them, options as captions over OData and XML names over SOAP), with its lines and its
/// concurrency token (OData `@odata.etag`, SOAP `Key`).
public struct NAVPageRow: Sendable, Hashable {
    /// Field name → text.
    public var fields: [String: String]
    /// Part lines (purchase invoice lines), in line order.
    public var lines: [NAVPageRow]
    /// The OData ETag or the SOAP Key.
    public var token: String?

    /// Memberwise.
    public init(fields: [String: String], lines: [NAVPageRow] = [], token: String? = nil) {
        self.fields = fields
        self.lines = lines
        self.token = token
    }

    /// The text of `name`, "" when absent (NAV omits blank fields in SOAP answers).
    public subscript(_ name: String) -> String { fields[name] ?? "" }

    /// `name` read as a boolean (`true`, `Yes`, `1`).
    public func bool(_ name: String) -> Bool? {
        guard let v = fields[name]?.lowercased() else { return nil }
        if ["true", "yes", "1"].contains(v) { return true }
        if ["false", "no", "0", ""].contains(v) { return false }
        return nil
    }
}

/// The name of the page field that sets shortcut dimension `slot` (1...8).
public enum NAVShortcutField {
    /// `Shortcut_Dimension_1_Code`, `Shortcut_Dimension_2_Code`, `ShortcutDimCode_x005B_3_x005D_` … `_8_`.
    public static func name(slot: Int) -> String {
        slot <= 2 ? "Shortcut_Dimension_\(slot)_Code" : "ShortcutDimCode_x005B_\(slot)_x005D_"
    }
}
