import ConnectorCore
import Foundation

/// Supplies bearer tokens. `forceRefresh` asks for a new token even if the cached one looks valid
/// (used once after a 401).
public protocol TokenProvider: Sendable {
    func token(forceRefresh: Bool) async throws -> Secret
}
