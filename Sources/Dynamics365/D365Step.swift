import ConnectorCore
import ConnectorHTTP
import Foundation
import Logging
import OData

/// What a unit of work came to: results to report and work it hands back.
struct D365Step: Sendable {
    var results: [DocumentLoadResult] = []
    var news: [D365NewJob] = []
    var lines: [D365LinesJob] = []
    var removes: [D365RemoveJob] = []
    var singles: [D365SingleWork] = []

    mutating func merge(_ other: D365Step) {
        results += other.results
        news += other.news
        lines += other.lines
        removes += other.removes
        singles += other.singles
    }
}
