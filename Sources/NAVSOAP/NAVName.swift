import Foundation

/// NAV's rule for turning captions into SOAP/OData names, for field names and option values alike.
///
/// Each run of characters that are neither letters nor digits becomes one `_`, trailing punctuation is dropped,
/// `%` becomes `Percent`, and array brackets are XML-escaped (`ShortcutDimCode[3]` → `ShortcutDimCode_x005B_3_x005D_`).
/// A name already in SOAP form comes back unchanged.
public enum NAVName {
    /// The SOAP name of a control: `Bal. Account No.` → `Bal_Account_No`, `Line Discount %` → `Line_Discount_Percent`.
    public static func field(_ caption: String) -> String {
        var out = ""
        var pendingSeparator = false
        func emit(_ s: String) {
            if pendingSeparator && !out.isEmpty && !out.hasSuffix("_") { out += "_" }
            pendingSeparator = false
            out += s
        }
        for ch in caption {
            if ch == "[" {
                emit("_x005B_")
            } else if ch == "]" {
                out += "_x005D_"
                pendingSeparator = false
            } else if ch == "%" {
                emit("Percent")
            } else if ch == "_" || ch.isLetter || ch.isNumber {
                if ch == "_" {
                    out += "_"
                    pendingSeparator = false
                } else {
                    emit(String(ch))
                }
            } else {
                pendingSeparator = true
            }
        }
        return out
    }

    /// The SOAP name of a single field name made of an array control and its index: `ShortcutDimCode_x005B_3_x005D_`.
    public static func arrayField(_ name: String, index: Int) -> String { field(name) + "_x005B_\(index)_x005D_" }
}
