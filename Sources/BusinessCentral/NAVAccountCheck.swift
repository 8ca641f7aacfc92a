import Foundation

/// Why a G/L account cannot take expense lines, in the words finance uses in BC and NAV; nil when it can.
enum NAVAccountCheck {
    static func problem(accountType: String, directPosting: Bool?, blocked: Bool) -> String? {
        if blocked { return "is blocked" }
        let type = accountType.trimmingCharacters(in: .whitespaces)
        if !type.isEmpty && type.lowercased() != "posting" { return "is a \(type) account, not a Posting account" }
        if directPosting == false { return "does not allow direct posting" }
        return nil
    }

    /// BC and NAV vendor `Blocked` (`" "`, `Payment`, `All`) as the vendor hold the mapping reads: only `All` stops invoices.
    static func vendorHold(_ blocked: String) -> String {
        let b = blocked.trimmingCharacters(in: .whitespaces)
        return b.isEmpty || b == "_blank_" ? "No" : b
    }
}
