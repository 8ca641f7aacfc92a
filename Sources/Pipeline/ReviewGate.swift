import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation
import Logging

/// Finance's review gate: what a sign-off binds (the SHA-256 of every staged transform file and the control totals),
/// and the check `load` makes against it.
///
/// A batch is under review when `review` is `required`, or when the ledger holds any review decision for it (an import
/// or a sign-off made with review optional still binds). `load` takes such a batch only when its newest decision is
/// `approved` and every staged transform file and control total still equals the sign-off.
extension PipelineContext {
    /// The commands that take a batch through review to the target, in order.
    static func reviewCommands(_ batchID: String) -> [String] {
        [
            "ml-connector review show --batch \(batchID)",
            "ml-connector review approve --batch \(batchID) --by NAME",
            "ml-connector load --batch \(batchID)",
            "ml-connector commit --batch \(batchID)",
        ]
    }

    /// Every staged file in the batch's `transform/` folder (hidden files aside) by name → SHA-256.
    func transformFileHashes(_ layout: BatchLayout) throws -> [String: String] {
        let folder = layout.stageDirectory(.transform)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var out: [String: String] = [:]
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            out[name] = try StagedFile.sha256(of: url)
        }
        return out
    }

    /// The control totals of `transform/control-totals.csv` per "company|currency", summed exactly over its rows per
    /// main account (the "(all)" rows are the same sums and are left out), as exact decimal text.
    func reviewControlTotals(_ layout: BatchLayout) throws -> [String: String] {
        let url = layout.controlTotalsCSV
        try layout.require(url, producedBy: .transform)
        var sums: [String: Decimal] = [:]
        for row in CSVReader.rows(try Data(contentsOf: url)) where row["main_account"] != "(all)" {
            let key = "\(row["company"] ?? "")|\(row["currency"] ?? "")"
            guard let amount = DecimalText.parse(row["amount"] ?? "") else {
                throw ConnectorError(
                    "staging.malformed", "control-totals.csv of batch \(layout.batchID) has an amount that is not a number for \(key).",
                    context: ["batch": layout.batchID, "file": url.path])
            }
            sums[key, default: 0] += amount
        }
        var out: [String: String] = [:]
        for (key, sum) in sums {
            let code = key.split(separator: "|", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            out[key] = Self.amountText(sum, currency: code)
        }
        return out
    }

    /// An exact sum with the currency's digits (`100.50`, `21300`), plain decimal text when the currency is unknown.
    static func amountText(_ d: Decimal, currency code: String) -> String {
        guard let c = Currency(code: code) else { return DecimalText.plain(d) }
        var v = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, c.exponent, .plain)
        guard rounded == d, let m = Money.parse(DecimalText.plain(rounded), currency: c) else { return DecimalText.plain(d) }
        return m.amountText
    }

    /// What changed in the staged transform files and control totals since `signOff`, one sentence each, files first
    /// (sorted by name). Empty when everything still equals the sign-off.
    func changesSince(_ signOff: ReviewSignOff, layout: BatchLayout) throws -> [ReviewChange] {
        let now = try transformFileHashes(layout)
        let who = "the sign-off by \(signOff.approver) at \(signOff.approvedAt)"
        var changes: [ReviewChange] = []
        for name in Set(now.keys).union(signOff.files.keys).sorted() {
            let file = "transform/\(name)"
            switch (signOff.files[name], now[name]) {
            case (let signed?, let current?) where signed != current:
                changes.append(
                    ReviewChange(
                        file: file,
                        description: "\(file) changed after \(who) (sha256 \(current.prefix(12))…, signed \(signed.prefix(12))…)"))
            case (.some, nil): changes.append(ReviewChange(file: file, description: "\(file) was removed after \(who)"))
            case (nil, .some): changes.append(ReviewChange(file: file, description: "\(file) appeared after \(who)"))
            default: break
            }
        }
        if FileManager.default.fileExists(atPath: layout.controlTotalsCSV.path) {
            let totals = try reviewControlTotals(layout)
            for key in Set(totals.keys).union(signOff.totals.keys).sorted() {
                let signed = signOff.totals[key].flatMap(DecimalText.parse)
                let current = totals[key].flatMap(DecimalText.parse)
                guard signed != current else { continue }
                changes.append(
                    ReviewChange(
                        file: "transform/control-totals.csv",
                        description:
                            "control total \(key.replacingOccurrences(of: "|", with: " ")) is \(totals[key] ?? "none") now, \(signOff.totals[key] ?? "none") at \(who)"
                    ))
            }
        }
        return changes
    }

    /// `load`'s review check: refuses a batch under review unless it is signed off and nothing changed since.
    /// - Throws: `review.required` (with the commands to run), `review.rejected` (who and why), `review.changed`
    ///   (naming the file).
    func checkReviewGate(batchID: String, layout: BatchLayout) throws {
        let decisions = try ledger.reviewDecisions(batchID: batchID)
        guard config.reviewRequired || !decisions.isEmpty else { return }
        // A batch that stages no document (everything held, or nothing new) has nothing to sign off.
        if decisions.isEmpty, try ledger.lastSucceededStage(batchID: batchID, stage: .transform)?.counts["documents"] ?? 0 == 0 { return }
        let how = Self.reviewCommands(batchID).prefix(2).joined(separator: "', then '")
        guard let newest = decisions.last else {
            throw ConnectorError(
                "review.required",
                "Batch \(batchID) must be signed off by finance before load (review: required). Run '\(how)', then load again.",
                context: ["batch": batchID])
        }
        switch newest.decision {
        case .awaiting:
            throw ConnectorError(
                "review.required",
                "Batch \(batchID) awaits finance's review (\(newest.reason ?? "review required"), since \(newest.at)). Run '\(how)', then load again.",
                context: ["batch": batchID])
        case .rejected:
            throw ConnectorError(
                "review.rejected",
                "Batch \(batchID) was rejected by \(newest.by ?? "finance") at \(newest.at): \(newest.reason ?? "no reason given"). It is held; a new 'review approve --batch \(batchID) --by NAME' releases it.",
                context: ["batch": batchID])
        case .approved:
            guard let signOff = newest.signOff else { return }
            let changes = try changesSince(signOff, layout: layout)
            guard let first = changes.first else { return }
            let rest = changes.count > 1 ? " (+\(changes.count - 1) more: \(changes.dropFirst().map(\.file).joined(separator: ", ")))" : ""
            throw ConnectorError(
                "review.changed",
                "Batch \(batchID): \(first.description)\(rest). Not loaded. Rerun 'transform --batch \(batchID)' to rebuild the files (or restore them), check them with 'review show --batch \(batchID)' and sign off again.",
                context: ["batch": batchID, "file": layout.batchDirectory.appendingPathComponent(first.file).path])
        }
    }

    /// Refuses a review action on a batch whose load already ran: what the target holds can no longer be reviewed.
    func refuseReviewAfterLoad(_ batchID: String, action: String) throws {
        if let load = try ledger.stageRuns(batchID: batchID).last(where: { $0.stage >= .load }) {
            throw ConnectorError(
                "review.loaded",
                "Batch \(batchID) cannot be \(action): '\(load.stage.rawValue)' already ran for it (\(load.outcome.rawValue), \(load.startedAt)).",
                context: ["batch": batchID])
        }
    }

    /// A batch named on the command line (review commands never default to the newest batch).
    func reviewBatch(_ batchID: String) throws -> String {
        try resolveBatch(batchID)
    }

    /// The transform run the review is about, with its files exactly as transform wrote them.
    func reviewedTransform(_ batchID: String, layout: BatchLayout) throws -> StageRunRecord {
        let run = try requireCurrent(.transform, batchID: batchID, before: .load)
        try verifyInputs(run.files.keys.sorted(), of: run, layout: layout)
        return run
    }

    // MARK: Commands

    /// `review approve`: records the sign-off (approver, time, SHA-256 of every staged transform file, control totals).
    /// Refuses a batch whose load already ran, and staged files that differ from what transform wrote (an edit goes
    /// through `review import`).
    public func reviewApprove(batchID requested: String, by approver: String) throws -> ReviewDecisionSummary {
        let batchID = try reviewBatch(requested)
        let name = approver.trimmedWhitespace
        guard !name.isEmpty else { throw ConnectorError("review.usage", "review approve needs --by NAME (the approver, for the ledger).") }
        try refuseReviewAfterLoad(batchID, action: "signed off")
        let layout = self.layout(batchID)
        _ = try reviewedTransform(batchID, layout: layout)
        let signOff = ReviewSignOff(
            batchID: batchID, approver: name, approvedAt: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            files: try transformFileHashes(layout),
            totals: try reviewControlTotals(layout))
        try ledger.recordSignOff(signOff, audit: audit(batchID, nil))
        writeBatchReportAfterStage(batchID)
        logger.info("batch signed off", metadata: ["batch.id": "\(batchID)", "review.by": "\(name)", "review.files": "\(signOff.files.count)"])
        return ReviewDecisionSummary(
            batchID: batchID, decision: .approved, by: name, at: signOff.approvedAt, reason: nil, signOff: signOff,
            next: Array(Self.reviewCommands(batchID).suffix(2)))
    }

    /// `review reject`: holds the batch (`load` refuses it) until a new sign-off.
    public func reviewReject(batchID requested: String, reason: String, by: String?) throws -> ReviewDecisionSummary {
        let batchID = try reviewBatch(requested)
        let why = reason.trimmedWhitespace
        guard !why.isEmpty else { throw ConnectorError("review.usage", "review reject needs --reason TEXT (for the ledger).") }
        try refuseReviewAfterLoad(batchID, action: "rejected")
        let name = by?.trimmedWhitespace.nilIfEmpty ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        try ledger.recordRejection(batchID: batchID, by: name, reason: why, audit: audit(batchID, nil))
        writeBatchReportAfterStage(batchID)
        let newest = try ledger.reviewDecision(batchID: batchID)
        logger.info("batch rejected in review", metadata: ["batch.id": "\(batchID)", "review.by": "\(name)"])
        return ReviewDecisionSummary(
            batchID: batchID, decision: .rejected, by: name, at: newest?.at ?? "", reason: why, signOff: nil,
            next: ["ml-connector review show --batch \(batchID)", "ml-connector review approve --batch \(batchID) --by NAME"])
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// One difference between the staged files and the last sign-off.
public struct ReviewChange: Sendable, Codable, Hashable {
    /// The staged file, relative to the batch folder (`transform/invoice-lines.csv`).
    public var file: String
    /// What changed, one sentence naming the file and the sign-off.
    public var description: String
}

/// What `review approve` or `review reject` recorded.
public struct ReviewDecisionSummary: Sendable, Codable {
    public var batchID: String
    public var decision: ReviewDecisionKind
    public var by: String
    public var at: String
    public var reason: String?
    public var signOff: ReviewSignOff?
    /// The commands to run next.
    public var next: [String]

    /// For the operator.
    public var text: String {
        var s: String
        switch decision {
        case .approved:
            s = "Batch \(batchID) signed off by \(by) at \(at): \(signOff?.files.count ?? 0) staged file(s) hashed"
            let totals = (signOff?.totals ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key.replacingOccurrences(of: "|", with: " ")) \($0.value)" }
            s += totals.isEmpty ? ".\n" : "; control totals: \(totals.joined(separator: ", ")).\n"
            s += "Any change to these files or totals makes load refuse the batch. Next:\n"
        case .rejected:
            s = "Batch \(batchID) rejected by \(by) at \(at): \(reason ?? ""). Load refuses it until a new sign-off:\n"
        case .awaiting:
            s = "Batch \(batchID) awaits review.\n"
        }
        for c in next { s += "  \(c)\n" }
        return s
    }
}
