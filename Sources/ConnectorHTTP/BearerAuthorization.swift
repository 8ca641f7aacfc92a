import ConnectorCore
import Foundation

/// `Bearer <token>` from a token provider; a refresh asks the provider for a new token.
public struct BearerAuthorization: HTTPAuthorization {
    /// Where tokens come from (Entra ID in production), cached there.
    public let tokens: any TokenProvider
    /// Authorization backed by `tokens`.
    public init(tokens: any TokenProvider) { self.tokens = tokens }

    /// `Bearer <token>`; `refresh` after a 401 forces a new token.
    public func headerValue(refresh: Bool) async throws -> Secret {
        Secret("Bearer " + (try await tokens.token(forceRefresh: refresh)).reveal())
    }
}
