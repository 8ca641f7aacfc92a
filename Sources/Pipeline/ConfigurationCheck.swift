import ConnectorCore
import ConnectorSecrets
import Foundation

/// Reads and checks a configuration file for `check-config` and for every command.
public enum ConfigurationCheck {
    /// The file's bytes; `config.missing` naming the path when it cannot be read.
    static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConnectorError("config.missing", "Configuration file \(path) cannot be read.", context: ["file": path])
        }
        return data
    }

    /// Every problem of the file at `path`, missing secret variables included (an empty or blank one is missing).
    public static func run(
        configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        options: ConfigCheckOptions = ConfigCheckOptions()
    ) -> ConfigurationReport {
        let data: Data
        do { data = try read(configPath) } catch {
            return ConfigurationReport(file: configPath, ok: false, problems: ["the file cannot be read"], settings: [:])
        }
        let (config, found) = ConnectorConfig.check(data, source: configPath, options: options, validateTarget: TargetRegistry.problems)
        var problems = found
        var settings: [String: String] = [:]
        if let c = config {
            problems += ScheduleTiming.problems(c.schedule)  // the cron parser is Pipeline's, so Core cannot check it
            problems += TargetRegistry.configurationProblems(c)
            var store: CredentialStore?
            do { store = try PipelineContext.credentialStore(c, environment: environment) } catch let e as ConnectorError {
                problems.append("credentials: \(e.message)")
            } catch {
                problems.append("credentials: \(error)")
            }
            let secrets = StoredSecrets(environment: environment, store: store)
            for variable in secretVariables(c) where !secrets.has(variable) {
                problems.append("secret: \(variable) is neither set in the environment (or it is blank) nor in the credential store")
            }
            settings["expensify"] =
                "\(c.expensify.endpoint) label '\(c.expensify.exportLabel)' states \(c.reportStates.joined(separator: ",")) from \(c.expensify.startDate)"
            settings["target"] = TargetRegistry.driver(c.target.type)?.summary(c.target.settings) ?? c.target.type
            settings["companies"] = c.companies.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }.joined(separator: ", ")
            settings["cards"] = c.companyCards.mode
            settings["staging"] = "\(c.stagingRoot); ledger \(c.ledgerPath)"
            if c.schedule != nil, let timing = try? ScheduleTiming.resolve(c.schedule) { settings["schedule"] = "\(timing)" }
            if let e = c.employees?.policyByCompany, !e.isEmpty {
                settings["employees"] = e.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }.joined(separator: ", ")
            }
            if let a = c.align { settings["align"] = Self.alignSummary(a, c) }
        }
        return ConfigurationReport(file: configPath, ok: problems.isEmpty, problems: problems, settings: problems.isEmpty ? settings : [:])
    }

    /// `align`: what `align categories|tags` would push, in one line.
    static func alignSummary(_ a: ConnectorConfig.AlignSettings, _ c: ConnectorConfig) -> String {
        var parts: [String] = []
        if let cat = a.categories {
            let ranges = (cat.accountRanges ?? []).map { $0.joined(separator: "–") } + (cat.accounts ?? [])
            parts.append("categories from accounts \(ranges.joined(separator: ", ")) named by \(c.alignCategoryNameFrom)")
        }
        if let t = a.tags {
            let dims = t.dimensions ?? c.dimensions.tagLevels.sorted { $0.level < $1.level }.map(\.dimension)
            parts.append("tags from \(dims.joined(separator: ", ")) named by \(t.nameFrom ?? "description")")
        }
        return parts.isEmpty ? "off" : parts.joined(separator: "; ")
    }

    /// The environment variables the configuration needs: the Expensify partner pair and the target's secrets.
    static func secretVariables(_ c: ConnectorConfig) -> [String] {
        [c.expensify.partnerUserIDEnv ?? "EXPENSIFY_PARTNER_USER_ID", c.expensify.partnerUserSecretEnv ?? "EXPENSIFY_PARTNER_USER_SECRET"]
            + (TargetRegistry.driver(c.target.type)?.secretVariables(c.target.settings) ?? [])
    }
}
