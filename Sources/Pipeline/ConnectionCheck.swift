import ConnectorCore
import ConnectorHTTP
import Expensify
import Foundation
import Logging

extension PipelineContext {
    /// Retries for `check`: an operator is waiting, and one failure is the finding.
    static let checkRetry = RetryPolicy(maxAttempts: 2, baseDelay: 0.5, maxDelay: 2, jitter: 0.2)

    /// Pings every configured system with the stored credentials (environment first, then the credential store):
    /// Expensify's policy getter for the configured policies, then the target's own check (a token and a one-row read
    /// per company). Reads only: nothing is written to Expensify or the target, and nothing to the ledger.
    public func checkConnections() async -> ConnectionReport {
        var checks = await checkExpensify()
        checks += await checkTarget()
        for c in checks {
            let metadata: Logger.Metadata = [
                "system": "\(c.system)", "check.item": "\(c.item)", "check.ok": "\(c.ok)",
                "check.problem": "\(c.problem?.rawValue ?? "-")",
            ]
            if c.ok { logger.debug("check passed", metadata: metadata) } else { logger.warning("check failed", metadata: metadata) }
        }
        return ConnectionReport(checks: checks)
    }

    /// The policy getter for every policy of the `companies` map (one request; each policy alone when the account
    /// cannot read one of them, to name it). Without configured policies, a made-up policy ID is asked for: Expensify
    /// answers 410 when the credentials are good.
    func checkExpensify() async -> [CheckResult] {
        let e = config.expensify
        let idVariable = e.partnerUserIDEnv ?? "EXPENSIFY_PARTNER_USER_ID"
        let secretVariable = e.partnerUserSecretEnv ?? "EXPENSIFY_PARTNER_USER_SECRET"
        let missing = [idVariable, secretVariable].filter { !secrets.has($0) }
        if !missing.isEmpty {
            return [
                .fail(
                    "expensify", "credentials", .secretMissing,
                    "\(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") neither set in the environment nor in the credential store (ml-connector credentials set)."
                )
            ]
        }
        let host = URL(string: e.endpoint)?.host ?? e.endpoint
        let client: ExpensifyClient
        do {
            let id = try secrets.secret(idVariable).reveal()
            let secret = try secrets.secret(secretVariable)
            guard let url = URL(string: e.endpoint) else { throw ConnectorError("config.invalid", "expensify.endpoint is not a URL") }
            let http = HTTPClient(transport: transport, retry: Self.checkRetry, logger: logger, system: "expensify")
            client = ExpensifyClient(
                endpoint: url, credentials: ExpensifyCredentials(partnerUserID: id, partnerUserSecret: secret), http: http,
                logger: logger)
        } catch {
            return [.fail("expensify", "credentials", .other, "\(error)")]
        }

        let policies = config.companies.keys.sorted()
        guard !policies.isEmpty else {
            do {
                _ = try await client.getPolicies(["0000000000000000"])
                return [.pass("expensify", "credentials", "Expensify (\(host)) accepted the partner credentials.")]
            } catch let error as ConnectorError where ExpensifyErrors.isUnreadablePolicy(error) {
                return [.pass("expensify", "credentials", "Expensify (\(host)) accepted the partner credentials (no policy is configured to read).")]
            } catch {
                return [expensifyFailure(error, item: "credentials", host: host, idVariable: idVariable, secretVariable: secretVariable)]
            }
        }
        do {
            let info = try await client.getPolicies(policies)
            let returned = Set(info.objectValue?.keys.map { $0 } ?? [])
            return policies.map { id in
                returned.contains(id)
                    ? .pass("expensify", "policy \(id)", "Expensify (\(host)) accepted the partner credentials and returned policy \(id).")
                    : .fail("expensify", "policy \(id)", .notFound, "Expensify accepted the partner credentials but did not return policy \(id).")
            }
        } catch let error as ConnectorError where ExpensifyErrors.isUnreadablePolicy(error) {
            // The credentials work; one or more policies cannot be read: ask for each to name them.
            var out: [CheckResult] = []
            for id in policies {
                do {
                    _ = try await client.getPolicies([id])
                    out.append(.pass("expensify", "policy \(id)", "Expensify (\(host)) accepted the partner credentials and returned policy \(id)."))
                } catch let one as ConnectorError where ExpensifyErrors.isUnreadablePolicy(one) {
                    out.append(
                        .fail(
                            "expensify", "policy \(id)", .notFound,
                            "Expensify accepted the partner credentials, but policy \(id) does not exist or this account cannot read it (responseCode \(one.context["expensify.response_code"] ?? "410")): check the companies map, or make the partner account an admin of the policy. Expensify said: \(one.message)"
                        ))
                } catch {
                    out.append(expensifyFailure(error, item: "policy \(id)", host: host, idVariable: idVariable, secretVariable: secretVariable))
                }
            }
            return out
        } catch {
            return [expensifyFailure(error, item: "credentials", host: host, idVariable: idVariable, secretVariable: secretVariable)]
        }
    }

    func expensifyFailure(_ error: any Error, item: String, host: String, idVariable: String, secretVariable: String) -> CheckResult {
        guard let e = error as? ConnectorError else {
            return .fail("expensify", item, .other, "The request to Expensify (\(host)) failed: \(error)")
        }
        switch e.code {
        case "expensify.auth":
            let code = e.context["expensify.response_code"] ?? e.context["http.status"] ?? "401"
            return .fail(
                "expensify", item, .wrongCredentials,
                "Expensify refused the partner credentials (\(code)): \(idVariable) and \(secretVariable) do not match a partner key pair; generate one at expensify.com/tools/integrations and store both. Expensify said: \(e.message)"
            )
        case ErrorCode.httpNetwork:
            return .fail(
                "expensify", item, .unreachable,
                "Expensify (\(host)) did not answer: \(e.message) Check expensify.endpoint, DNS, the firewall and the proxy.")
        case ExpensifyErrors.rateLimited:
            return .fail("expensify", item, .throttled, "Expensify kept rate-limiting the check; try again in a minute.")
        default:
            return .fail("expensify", item, .other, "Expensify (\(host)) answered [\(e.code)]: \(e.message)")
        }
    }

    /// The configured target's own check, with its secrets from the same sources.
    func checkTarget() async -> [CheckResult] {
        let type = config.target.type
        let target: any TargetSystem
        do {
            let driver = try TargetRegistry.driver(for: config)
            let (transport, logger) = (self.transport, self.logger)
            let context = TargetBuildContext(secrets: secrets, logger: logger) { system in
                HTTPClient(transport: transport, retry: Self.checkRetry, logger: logger, system: system)
            }
            target = try driver.make(config, context)
        } catch let e as ConnectorError where e.code == ErrorCode.secretMissing {
            let variable = e.context["variable"] ?? "the target's secret"
            return [
                .fail(
                    type, "credentials", .secretMissing,
                    "\(variable) is neither set in the environment nor in the credential store (ml-connector credentials set).")
            ]
        } catch {
            return [.fail(type, "configuration", .other, (error as? ConnectorError)?.description ?? "\(error)")]
        }
        return await target.check(companies: Array(Set(config.companies.values)))
    }
}
