import ConnectorCore
import Foundation

/// `Basic base64(user:key)`, for NAV's web service access keys; a refresh cannot help, so it gives the same value.
public struct BasicAuthorization: HTTPAuthorization {
    private let value: Secret
    /// Encodes `user:key` once; the key stays a `Secret` inside the header value.
    public init(user: String, key: Secret) {
        value = Secret("Basic " + Data((user + ":" + key.reveal()).utf8).base64EncodedString())
    }

    /// The same header every time: a refresh cannot change a static key.
    public func headerValue(refresh: Bool) async throws -> Secret { value }
}
