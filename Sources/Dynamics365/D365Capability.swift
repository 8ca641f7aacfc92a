import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// Facts about the environment that this target remembers between runs (through `TargetSystem`'s
/// `learnedCapabilities()` / `useCapabilities(_:)`; the ledger stores them without knowing their meaning).
public enum D365Capability {
    /// `unsupported`: the environment does not take `$batch` at all (404/405/501 for `POST /data/$batch`).
    public static let batch = "odata.batch"
    /// `unsupported`: changesets may not post lines through `$n` Content-ID references.
    public static let contentIDReferences = "odata.batch.contentIdReferences"
    /// `refused`: the pending-invoice number sequence does not take a client-assigned `HeaderReference`.
    public static let clientHeaderReference = "vendorInvoice.clientHeaderReference"

    /// The value recorded for a capability the environment turned out not to have.
    public static let unsupported = "unsupported"
    /// The value recorded for a request the environment refuses by policy (e.g. manual keys).
    public static let refused = "refused"
}
