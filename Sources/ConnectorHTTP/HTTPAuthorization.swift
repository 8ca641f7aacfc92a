import ConnectorCore
import Foundation

/// The value of the `Authorization` header for one system, so clients stay the same whether the system takes
/// Entra bearer tokens (F&O, Business Central) or Basic with a web service access key (NAV on premises).
public protocol HTTPAuthorization: Sendable {
    /// The whole header value (`Bearer …`, `Basic …`). `refresh` asks for new credentials after a 401.
    func headerValue(refresh: Bool) async throws -> Secret
}

/// `Bearer <token>` from a token provider; a refresh asks the provider for a new token.
public struct BearerAuthorization: HTTPAuthorization {
    public let tokens: any TokenProvider
    public init(tokens: any TokenProvider) { self.tokens = tokens }

    public func headerValue(refresh: Bool) async throws -> Secret {
        Secret("Bearer " + (try await tokens.token(forceRefresh: refresh)).reveal())
    }
}

/// `Basic base64(user:key)`, for NAV's web service access keys; a refresh cannot help, so it gives the same value.
public struct BasicAuthorization: HTTPAuthorization {
    private let value: Secret
    public init(user: String, key: Secret) {
        value = Secret("Basic " + Data((user + ":" + key.reveal()).utf8).base64EncodedString())
    }

    public func headerValue(refresh: Bool) async throws -> Secret { value }
}
