import ConnectorCore
import Foundation

/// The value of the `Authorization` header for one system, so clients stay the same whether the system takes
/// Entra bearer tokens (F&O, Business Central) or Basic with a web service access key (NAV on premises).
public protocol HTTPAuthorization: Sendable {
    /// The whole header value (`Bearer …`, `Basic …`). `refresh` asks for new credentials after a 401.
    func headerValue(refresh: Bool) async throws -> Secret
}
