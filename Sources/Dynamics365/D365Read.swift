import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// One collection read (`GET <entity set>?cross-company=true&$filter=…`).
struct D365Read: Sendable {
    var entitySet: String
    var filter: String?
    var select: [String] = []
}
