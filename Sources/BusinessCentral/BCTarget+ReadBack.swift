import ConnectorCore
import Foundation
import OData

extension BCTarget {
    /// Where earlier drafts stand: purchase invoices by vendor invoice number (a posted one keeps its id and shows
    /// status Open or Paid), journal documents among the journal's lines or, once posted, the G/L entries.
    public func readBack(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentState] {
        var out: [String: ERPDocumentState] = [:]
        for chunk in documents.chunked(500) {
            let found = try await lookUp(chunk.map { ($0.key, $0.company) })
            for d in chunk {
                if let f = found[d.key] {
                    out[d.key] = ERPDocumentState(status: f.isPosted ? .posted : .draft, number: f.number.isEmpty ? nil : f.number)
                } else {
                    out[d.key] = ERPDocumentState(status: .deleted, number: nil)
                }
            }
        }
        return out
    }

    /// `ml-connector check`: an Entra token for Business Central, the environment's companies, and each configured
    /// company found by name or id. Writes nothing.
    public func check(companies: [String]) async -> [CheckResult] {
        var results: [CheckResult] = []
        do {
            _ = try await tokens.token(forceRefresh: false)
            results.append(.pass("entra", "token", "Entra ID issued a token to client \(configuration.clientID ?? "") for \(settings.scope)."))
        } catch {
            results.append(.fail("entra", "token", .wrongSecret, "Entra ID refused the client credentials: \(error)"))
            return results
        }
        for configured in companies.sorted() {
            do {
                let c = try await company(configured)
                results.append(.pass("bc", "company \(configured)", "Business Central knows company '\(c.name)' (id \(c.id))."))
            } catch let e as ConnectorError where e.code == "bc.company_not_found" {
                results.append(.fail("bc", "company \(configured)", .notFound, e.message))
            } catch let e as ConnectorError where e.code == "bc.unauthorized" {
                results.append(.fail("bc", "company \(configured)", .appNotRegistered, e.message))
                break
            } catch {
                results.append(.fail("bc", "company \(configured)", .other, "\(error)"))
            }
        }
        return results
    }
}
