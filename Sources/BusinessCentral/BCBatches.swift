import ConnectorCore
import Foundation
import OData

/// The answers to operations sent in JSON `$batch` requests: by operation id, the ids of `$batch` requests that got
/// no answer (may or may not have been applied), and the error that refused a whole request.
struct BCBatchOutcome: Sendable {
    var answers: [String: ODataJSONBatchResponse] = [:]
    var lost: Set<String> = []
    var refused: [String: ConnectorError] = [:]
}

extension BCTarget {
    /// Sends groups of operations (a group never splits across requests unless it alone is larger than a request),
    /// at most `batchSize` operations per `$batch`.
    func send(_ groups: [[ODataJSONBatchRequest]], idempotent: Bool) async -> BCBatchOutcome {
        var outcome = BCBatchOutcome()
        var chunk: [ODataJSONBatchRequest] = []
        func flush() async {
            guard !chunk.isEmpty else { return }
            do {
                for answer in try await api.jsonBatch(chunk, idempotent: idempotent) { outcome.answers[answer.id] = answer }
                for op in chunk where outcome.answers[op.id] == nil { outcome.lost.insert(op.id) }
            } catch let e as ConnectorError where e.isTransient {
                for op in chunk { outcome.lost.insert(op.id) }
            } catch let e as ConnectorError {
                for op in chunk { outcome.refused[op.id] = e }
            } catch {
                for op in chunk { outcome.refused[op.id] = ConnectorError("bc.unexpected", "\(error)") }
            }
            chunk.removeAll()
        }
        let size = settings.batchSize
        for group in groups {
            if chunk.count + group.count > size { await flush() }
            for op in group {
                if chunk.count >= size { await flush() }
                chunk.append(op)
            }
        }
        await flush()
        return outcome
    }

    /// The ERP's words for a failed operation.
    func reason(_ answer: ODataJSONBatchResponse) -> String {
        NAVErrors.message(answer.bodyData) ?? "HTTP \(answer.status)"
    }

    /// The rows of a collection answer (`value`).
    static func rows(_ answer: ODataJSONBatchResponse?) -> [[String: JSONValue]] {
        answer?.body?["value"]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    /// Dimension set lines (`code` → `valueCode`) of an expanded entity.
    static func dimensions(_ row: [String: JSONValue]) -> [String: String] {
        var out: [String: String] = [:]
        for d in row["dimensionSetLines"]?.arrayValue ?? [] {
            if let code = d["code"]?.stringValue, let value = d["valueCode"]?.stringValue { out[code] = value }
        }
        return out
    }
}
