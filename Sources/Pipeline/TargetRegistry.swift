import BusinessCentral
import ConnectorCore
import ConnectorHTTP
import Dynamics365
import Foundation
import Logging

/// Maps `target.type` to its driver, so no other file names a target.
enum TargetRegistry {
    static let drivers: [TargetDriver] =
        [
            TargetDriver(
                type: D365Configuration.type,
                problems: { D365Configuration.problems($0, options: $1) },
                secretVariables: { settings in (try? D365Configuration.decode(settings)).map { [$0.secretVariable] } ?? [] },
                summary: { settings in (try? D365Configuration.decode(settings))?.summary ?? D365Configuration.type },
                dimensionFormatter: { D365DimensionDisplayValue(delimiter: $0.dimensions.delimiter) },
                make: { config, context in
                    let settings = try D365Configuration.decode(config.target.settings).settings(secrets: context.secrets)
                    return D365Target(settings: settings, http: context.http(D365Target.system), logger: context.logger)
                }),
            TargetDriver(
                type: NAVTargetConfiguration.bc,
                problems: { NAVTargetConfiguration.problems($0, options: $1) },
                secretVariables: { settings in (try? NAVTargetConfiguration.decode(settings)).map { [$0.secretVariable] } ?? [] },
                summary: { settings in (try? NAVTargetConfiguration.decode(settings))?.summary ?? NAVTargetConfiguration.bc },
                dimensionFormatter: { NAVDimensionText(codes: $0.dimensions.format) },
                documentRules: { config in (try? NAVTargetConfiguration.decode(config.target.settings)).map(NAVTargets.rules) },
                make: { config, context in
                    let settings = try NAVTargetConfiguration.decode(config.target.settings).settings(secrets: context.secrets)
                    return BCTarget(settings: settings, http: context.http(BCTarget.system), logger: context.logger)
                }),
        ] + [NAVTargetConfiguration.navOData, NAVTargetConfiguration.navSOAP].map(navDriver)

    /// NAV over OData v4 pages or SOAP pages (one target, two page-service backends).
    static func navDriver(_ type: String) -> TargetDriver {
        TargetDriver(
            type: type,
            problems: { NAVTargetConfiguration.problems($0, options: $1) },
            secretVariables: { settings in (try? NAVTargetConfiguration.decode(settings)).map { [$0.secretVariable] } ?? [] },
            summary: { settings in (try? NAVTargetConfiguration.decode(settings))?.summary ?? type },
            dimensionFormatter: { NAVDimensionText(codes: $0.dimensions.format) },
            documentRules: { config in (try? NAVTargetConfiguration.decode(config.target.settings)).map(NAVTargets.rules) },
            make: { config, context in
                let settings = try NAVTargetConfiguration.decode(config.target.settings).settings(secrets: context.secrets)
                return NAVTarget(
                    settings: settings, companies: Array(config.companies.values), http: context.http(type), logger: context.logger)
            })
    }

    static var supported: [String] { drivers.map(\.type).sorted() }

    static func driver(_ type: String) -> TargetDriver? { drivers.first { $0.type == type } }

    /// The driver of the configured target; `config.invalid` when the type is unknown.
    static func driver(for config: ConnectorConfig) throws -> TargetDriver {
        guard let d = driver(config.target.type) else {
            throw ConnectorError(
                "config.invalid", "target.type '\(config.target.type)' is not supported (supported: \(supported.joined(separator: ", ")))")
        }
        return d
    }

    /// The target's own checks of its configuration, for `ConnectorConfig.load`.
    static func problems(_ target: TargetConfig, options: ConfigCheckOptions) -> [String] {
        guard let d = driver(target.type) else {
            let hint = UnknownKeys.suggestion(for: target.type, among: supported).map { " (did you mean `\($0)`?)" } ?? ""
            return ["target.type: '\(target.type)' is not supported\(hint) (supported: \(supported.joined(separator: ", ")))"]
        }
        return d.problems(target.settings, options)
    }

    /// Problems of the rest of the configuration that depend on what the target can do, for `check-config`.
    static func configurationProblems(_ c: ConnectorConfig) -> [String] {
        var p: [String] = []
        // Business Central and NAV vendors carry no vendor group: a group would match no vendor and hold every report.
        if c.target.type != D365Configuration.type, let group = c.vendors.employeeVendorGroup {
            p.append(
                "vendors.employeeVendorGroup: '\(group)' cannot be used with target \(c.target.type): its vendors carry no vendor group, so no employee would find a vendor; remove it (vendors are matched by e-mail, or by vendors.byEmail)"
            )
        }
        // Only F&O has a main account category besides the type; BC's `category` and NAV's `Account_Category` are types.
        if c.target.type != D365Configuration.type, c.align?.categories?.accountCategories != nil {
            p.append(
                "align.categories.accountCategories cannot be used with target \(c.target.type): its G/L accounts have no category besides the type; use align.categories.accountTypes (e.g. [\"Expense\"])"
            )
        }
        return p
    }
}
