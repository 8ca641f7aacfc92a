import Foundation

/// What a NAV page field holds on the SOAP wire: text, or a subpage part (`<PurchLines><Purch_Invoice_Line>…`).
public enum NAVFieldValue: Sendable, Equatable {
    /// The element's text exactly as sent or received (encode with `NAVValue`; blank is `""`).
    case text(String)
    /// A part: the wrapper is the field's name, `item` the element name of each line (e.g. `Purch_Invoice_Line`).
    case part(item: String, records: [NAVRecord])
}
