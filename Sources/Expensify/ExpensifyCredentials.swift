import ConnectorCore

/// Integration Server partner credentials (expensify-api.md §1.2). The secret is a `Secret`: it is revealed
/// only into the job description at the moment of sending.
public struct ExpensifyCredentials: Sendable {
    /// The partner user ID; not secret, but read like one so it never sits in the file.
    public var partnerUserID: String
    /// The partner user secret, revealed only into the job description.
    public var partnerUserSecret: Secret

    /// Memberwise, from the configured secret source.
    public init(partnerUserID: String, partnerUserSecret: Secret) {
        self.partnerUserID = partnerUserID
        self.partnerUserSecret = partnerUserSecret
    }
}
