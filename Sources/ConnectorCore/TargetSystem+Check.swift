import Foundation

extension TargetSystem {
    /// Targets that have no check of their own say so; `check` then fails for them (nothing was proven).
    public func check(companies: [String]) async -> [CheckResult] {
        [.fail(name, "connection", .other, "This target has no connection check yet.")]
    }
}
