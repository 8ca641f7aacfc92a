import ConnectorCore
import ConnectorHTTP
import Foundation

/// The `requestJobDescription` documents this connector sends (expensify-api.md §3, §6.2). Pure values, so
/// the wire shape is testable without a server. Keys come out sorted (canonical JSON).
enum ExpensifyJobs {
    static func credentials(_ c: ExpensifyCredentials) -> JSONValue {
        .object(["partnerUserID": .string(c.partnerUserID), "partnerUserSecret": .string(c.partnerUserSecret.reveal())])
    }

    /// The report exporter. No `onFinish`: reports are labelled only after the ERP confirms (`markExported`).
    static func export(_ filter: ExportFilter, fileBasename: String, credentials c: ExpensifyCredentials) -> JSONValue {
        var filters: [String: JSONValue] = [:]
        if let approvedAfter = filter.approvedAfter { filters["approvedAfter"] = .string(approvedAfter) }
        if let endDate = filter.endDate { filters["endDate"] = .string(endDate) }
        if let label = filter.markedAsExported { filters["markedAsExported"] = .string(label) }
        if !filter.policyIDs.isEmpty { filters["policyIDList"] = .string(filter.policyIDs.joined(separator: ",")) }
        if !filter.reportIDs.isEmpty { filters["reportIDList"] = .string(filter.reportIDs.joined(separator: ",")) }
        var input: [String: JSONValue] = ["type": .string("combinedReportData"), "filters": .object(filters)]
        if !filter.reportStates.isEmpty { input["reportState"] = .string(filter.reportStates.joined(separator: ",")) }
        if let limit = filter.limit { input["limit"] = .string(String(limit)) }
        return .object([
            "type": .string("file"),
            "credentials": credentials(c),
            "onReceive": .object(["immediateResponse": .array([.string("returnRandomFileName")])]),
            "inputSettings": .object(input),
            "outputSettings": .object(["fileExtension": .string("json"), "fileBasename": .string(fileBasename)]),
        ])
    }

    static func download(fileName: String, credentials c: ExpensifyCredentials) -> JSONValue {
        .object([
            "type": .string("download"),
            "credentials": credentials(c),
            "fileName": .string(fileName),
            "fileSystem": .string("integrationServer"),
        ])
    }

    // Only what transform uses; `employees` (documented only by recorded responses) comes with employee sync.
    static let policyFields = ["categories", "tags", "reportFields"]

    /// The policy getter: here `policyIDList` is a JSON array, unlike the exporter's comma string.
    static func policies(_ ids: [String], fields: [String] = policyFields, credentials c: ExpensifyCredentials) -> JSONValue {
        .object([
            "type": .string("get"),
            "credentials": credentials(c),
            "inputSettings": .object([
                "type": .string("policy"),
                "fields": .array(fields.map { .string($0) }),
                "policyIDList": .array(ids.map { .string($0) }),
            ]),
        ])
    }

    /// Labelling: an export of exactly these reports whose only purpose is its `onFinish` action. Every
    /// `reportState` spelled out (the reference does not say what its absence means) and no `markedAsExported`
    /// filter, so a report is labelled whatever its state now.
    static func markExported(reportIDs: [String], label: String, credentials c: ExpensifyCredentials) -> JSONValue {
        .object([
            "type": .string("file"),
            "credentials": credentials(c),
            "onReceive": .object(["immediateResponse": .array([.string("returnRandomFileName")])]),
            "inputSettings": .object([
                "type": .string("combinedReportData"),
                "reportState": .string("OPEN,SUBMITTED,APPROVED,REIMBURSED,ARCHIVED"),
                "filters": .object(["reportIDList": .string(reportIDs.joined(separator: ","))]),
            ]),
            "outputSettings": .object(["fileExtension": .string("txt"), "fileBasename": .string("mlconnector-label")]),
            "onFinish": .array([.object(["actionName": .string("markAsExported"), "label": .string(label)])]),
        ])
    }

    /// A template that renders one report ID per line; the labelling job's file is never downloaded.
    static let labelTemplate = "<#list reports as report>${report.reportID}\n</#list>"

    /// The form body: `requestJobDescription` (and `template`), strictly percent-encoded.
    static func formBody(job: JSONValue, template: String?) -> Data {
        var fields = [("requestJobDescription", job.serializedString())]
        if let template { fields.append(("template", template)) }
        return FormEncoding.body(fields)
    }
}
