import Foundation

/// A parsed FreeMarker template (the subset the Expensify Integration Server's export templates use).
///
/// A real interpreter: the text is parsed to a tree once (syntax errors, unknown directives and unknown
/// built-ins fail here, as in FreeMarker), then evaluated against a data model. Missing values are
/// errors unless defaulted with `!`/`??`, numbers print with FreeMarker's en_US default format
/// (`1,234.5`) unless `?c` or `?string(...)` is used, and booleans can't be printed without a format.
struct FMTemplate {
    let name: String
    let root: FMNode

    init(_ text: String, name: String = "template") throws {
        self.name = name
        self.root = try FMParser(source: FMSource(text, name: name)).parseTemplate()
    }

    func render(_ model: FMHash) throws -> String {
        try FMEnvironment(dataModel: model).render(root)
    }
}
