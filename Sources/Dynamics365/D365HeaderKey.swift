import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// A pending invoice header by company (lower-cased) and `HeaderReference`.
struct D365HeaderKey: Sendable, Hashable {
    var company: String
    var reference: String

    init(company: String, reference: String) {
        self.company = company.lowercased()
        self.reference = reference
    }
}
