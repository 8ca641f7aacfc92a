import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// A unit of loading work: one document the per-document way, or one `$batch`.
enum D365LoadUnit: Sendable {
    case single(D365SingleWork)
    case batch(D365BatchRequest)
}
