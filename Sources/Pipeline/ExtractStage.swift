import ConnectorCore
import ConnectorStaging
import Expensify
import Foundation
import Logging

extension Day {
    /// Whole days from `a` to `b` (negative when `b` is earlier).
    static func between(_ a: String, _ b: String) -> Int? {
        guard let x = parse(a), let y = parse(b) else { return nil }
        return calendar.dateComponents([.day], from: x, to: y).day
    }
}

extension PipelineContext {
    /// Pulls approved reports (after the watermark, without our label), the held and failed reports of earlier
    /// batches (by ID), the policies they belong to and the target's master data into `staging/<batch>/extract/`.
    /// With `batchID`, re-extracts that batch with the window it was created with (and today's re-fetch list).
    public func extract(batchID requested: String? = nil) async throws -> ExtractSummary {
        let batchID: String
        let approvedAfter: String
        let until: String
        if let requested {
            guard let b = try ledger.batch(requested) else {
                throw ConnectorError("batch.unknown", "Batch \(requested) is not in the ledger.", context: ["batch": requested])
            }
            if let source = b.replayOf {
                throw ConnectorError(
                    "stage.order",
                    "Batch \(b.id) replays batch \(source) and is not extracted again; run 'ml-connector replay --batch \(source)' for a new replay batch.",
                    context: ["batch": b.id])
            }
            try checkRerunAllowed(.extract, batchID: b.id)
            batchID = b.id
            approvedAfter = try b.approvedAfter ?? initialWatermark()
            until = try b.exportUntil ?? today()
        } else {
            approvedAfter = try ledger.watermark() ?? initialWatermark()
            until = try today()
            batchID = try newBatchID()
            try ledger.createBatch(
                id: batchID, target: config.target.type, approvedAfter: approvedAfter, exportLabel: config.expensify.exportLabel,
                exportUntil: until, audit: audit(batchID, .extract))
        }
        return try await extractBatch(batchID, approvedAfter: approvedAfter, until: until, replay: nil)
    }

    /// What a replay batch extracts instead of the date windows and the nightly re-fetch: these reports, by ID.
    struct ReplayPlan {
        var source: String
        var reportIDs: [String]
    }

    /// The extract stage proper for `batchID`: the date windows after `approvedAfter` up to `until` and every open report
    /// by ID, or, for a replay, only the replay's reports by ID.
    func extractBatch(_ batchID: String, approvedAfter: String, until: String, replay: ReplayPlan?) async throws -> ExtractSummary {
        let layout = self.layout(batchID)
        return try await recordStage(.extract, batchID: batchID) {
            try layout.ensure(.extract)
            let expensify = try expensifyClient(batchID: batchID, stage: .extract)
            let target = try self.target(batchID: batchID, stage: .extract)
            let a = audit(batchID, .extract)
            var files: [String: String] = [:]
            // Counted before the export registers the re-fetched reports as extracted again (step 4 uses it).
            let held = try ledger.heldReportCount()

            // 1. Export jobs (no onFinish: the label is written only after the ERP confirmed), each downloaded to
            //    extract/jobs/: the date windows after the watermark, then the open reports of earlier batches by ID.
            let windows = replay == nil ? ExportWindows.split(approvedAfter: approvedAfter, until: until, maxDays: config.exportMaxRangeDays) : []
            let refetch = try replay?.reportIDs ?? ledger.reportsToRefetch()
            var plans: [(kind: String, filter: ExportFilter)] = windows.map { w in
                (
                    "window",
                    ExportFilter(
                        reportStates: config.reportStates, approvedAfter: w.approvedAfter, endDate: w.endDate,
                        markedAsExported: config.expensify.exportLabel, policyIDs: config.expensify.policyIDs ?? [],
                        reportIDs: [], limit: config.expensify.limit)
                )
            }
            for start in stride(from: 0, to: refetch.count, by: config.refetchChunkSize) {
                let chunk = Array(refetch[start..<min(start + config.refetchChunkSize, refetch.count)])
                plans.append(
                    (
                        "reportIDs",
                        ExportFilter(
                            reportStates: config.reportStates, markedAsExported: config.expensify.exportLabel,
                            policyIDs: config.expensify.policyIDs ?? [], reportIDs: chunk)
                    ))
            }
            if windows.count > 1 {
                logger.info(
                    "export range split into windows",
                    metadata: [
                        "batch.id": "\(batchID)", "expensify.approved_after": "\(approvedAfter)",
                        "expensify.until": "\(until)", "expensify.windows": "\(windows.count)",
                    ])
            }
            let template = try ExpensifyClient.bundledTemplate()
            let jobsDirectory = layout.stageDirectory(.extract).appendingPathComponent("jobs", isDirectory: true)
            try? FileManager.default.removeItem(at: jobsDirectory)
            var jobs: [ExportJobSummary] = []
            var jobFiles: [URL] = []
            progress?.start("extract", unit: "export jobs", total: plans.count)
            defer { progress?.finish() }
            for (n, plan) in plans.enumerated() {
                let name = String(format: "%02d-%@.json", n + 1, plan.kind == "window" ? "window" : "reports")
                let fileName = try await expensify.exportReports(plan.filter, template: template, fileBasename: "mlconnector-\(batchID)-")
                let jobFile = jobsDirectory.appendingPathComponent(name)
                // Streamed to the staged file (flat memory, renamed into place once complete); its SHA-256 is read back.
                try OwnerOnly.directory(jobsDirectory)
                try await expensify.download(fileName: fileName, to: jobFile)
                try OwnerOnly.restrict(jobFile)
                files["jobs/" + name] = try StagedFile.sha256(of: jobFile)
                jobFiles.append(jobFile)
                jobs.append(
                    ExportJobSummary(
                        kind: plan.kind, approvedAfter: plan.filter.approvedAfter, endDate: plan.filter.endDate,
                        requested: plan.filter.reportIDs.count, fileName: fileName, stagedFile: "jobs/" + name,
                        reports: 0, duplicates: 0))
                progress?.advance(1)
            }
            progress?.finish()

            // 2. One export.json for the batch (as received) and its normalised records: every job's reports, in
            //    job order, each report once (the same report in a window and in the re-fetch, or in two windows,
            //    is kept the first time), never one an operator dropped. Every report kept is registered.
            let merged = try mergeExports(
                jobs: &jobs, jobFiles: jobFiles, refetch: refetch, layout: layout, batchID: batchID, files: &files,
                refetchSource: replay.map { "replayed from batch \($0.source)" } ?? "re-fetched by ID")
            var counts = merged.counts
            let policyIDs = merged.policyIDs.union(config.expensify.policyIDs ?? [])
            let notReturned = merged.notReturned

            // 3. Policies (categories with GL codes, tags) for the reports' policies, as received and normalised.
            let policyInfo = try await readPolicies(policyIDs, expensify: expensify, batchID: batchID)
            files["policies.json"] = try StagedFile.write(policyInfo.serialized(pretty: true), to: layout.policiesFile)
            let catalogEncoder = JSONEncoder()
            catalogEncoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            files["catalog.json"] = try StagedFile.write(
                try catalogEncoder.encode(ExpensifyPolicies.catalog(from: policyInfo)), to: layout.catalogFile)

            // 4. Target master data, once per run and company: the ledger's cached copy while it is fresh
            //    (`masterData.maxAgeMinutes`), else read from the target; the staged file is the same either way.
            //    A replay, or a run while reports are held (waiting for their data to be fixed), reads the target, so
            //    a fix made a minute ago is seen.
            let companies = Set(config.companies.values).sorted()
            let (reference, origin) = try await masterData(
                target: target, companies: companies, refresh: replay != nil || held > 0, audit: a,
                why: replay != nil ? "replay" : held > 0 ? "reports held" : nil)
            try checkDimensionFormat(reference)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            files["reference.json"] = try StagedFile.write(try enc.encode(reference), to: layout.referenceFile)

            let count = counts["reports", default: 0]
            let summary = ExtractSummary(
                batchID: batchID, approvedAfter: approvedAfter, exportUntil: until, windows: windows.count,
                reports: count, refetchRequested: refetch.count, refetchReturned: counts["refetched", default: 0],
                notReturned: notReturned, duplicates: counts["duplicates", default: 0],
                droppedSkipped: counts["dropped_skipped", default: 0], policies: policyIDs.count,
                companies: companies.count, exportFile: jobs.first?.fileName ?? "", jobs: jobs,
                replayOf: replay?.source)
            files["manifest.json"] = try StagedFile.write(try enc.encode(summary), to: layout.extractManifest)
            counts["limit_reached"] = counts["limit_reached"] ?? 0
            var stageCounts = counts
            stageCounts["policies"] = policyIDs.count
            stageCounts["companies"] = companies.count
            stageCounts["vendors"] = reference.companies.reduce(0) { $0 + $1.vendors.count }
            stageCounts["windows"] = windows.count
            stageCounts["master_data_cached"] = origin.fromCache ? 1 : 0
            stageCounts["refetch_requested"] = refetch.count
            stageCounts["not_returned"] = notReturned.count
            stageCounts["requests.expensify"] = await expensify.requestCount()
            stageCounts["requests.\(target.name)"] = await target.requestCount()
            return (summary, stageCounts, files)
        }
    }

    /// What merging the jobs' files gave: counts, the policies seen, the re-fetched reports that did not come back.
    struct MergedExport {
        var counts: [String: Int]
        var policyIDs: Set<String>
        var notReturned: [String]
    }

    /// Writes `export.json` (the jobs' elements as received, each report once) and `records.jsonl` (the same reports
    /// normalised, one `ExtractedReport` per line), registering every report kept in the ledger. A malformed element
    /// is kept as a record with its problem and no report ID: it is never guessed at.
    func mergeExports(
        jobs: inout [ExportJobSummary], jobFiles: [URL], refetch: [String], layout: BatchLayout, batchID: String,
        files: inout [String: String], refetchSource: String = "re-fetched by ID"
    ) throws -> MergedExport {
        let a = audit(batchID, .extract)
        let dropped = try ledger.droppedIDs()
        let underReview = try reportsUnderReview()
        let wanted = Set(refetch)
        var seen = Set<String>()
        var policyIDs = Set<String>()
        var counts = [
            "reports": 0, "duplicates": 0, "dropped_skipped": 0, "unidentified": 0, "refetched": 0, "limit_reached": 0, "under_review_skipped": 0,
        ]
        let export = try StreamingFile(layout.exportFile)
        let records = try JSONLinesWriter<ExtractedReport>(layout.recordsFile)
        export.write("[")
        for (n, job) in jobs.enumerated() {
            var reader = try JSONArrayReader(url: jobFiles[n])
            defer { reader.close() }
            var inJob = 0
            var inThisJob = Set<String>()
            while let element = try reader.next() {
                inJob += 1
                let index = counts["reports", default: 0]
                let record = ExpensifyExportDecoder.record(element, index: index)
                if let report = record.report {
                    let id = report.reportID
                    if seen.contains(id) {
                        jobs[n].duplicates += 1
                        counts["duplicates", default: 0] += 1
                        // In two jobs (a window and the re-fetch) is expected; twice in one export is not: say so.
                        if inThisJob.contains(id) {
                            try ledger.audit(
                                a, entityType: "report", entityID: id, event: "report.duplicate",
                                detail:
                                    "reportID: element \(inJob) of export job \(n + 1) repeats report \(id); the first copy is kept, the repeat ignored"
                            )
                            logger.warning(
                                "an export repeats a report; the first copy is kept",
                                metadata: ["batch.id": "\(batchID)", "expensify.report": "\(id)"])
                        }
                        continue
                    }
                    inThisJob.insert(id)
                    if dropped.contains(id) {
                        counts["dropped_skipped", default: 0] += 1
                        try ledger.audit(
                            a, entityType: "report", entityID: id, event: "report.skipped_dropped",
                            detail: "in the export again; dropped by an operator, so not processed")
                        continue
                    }
                    if underReview.contains(id) {
                        seen.insert(id)  // a second copy (window and re-fetch) is a duplicate, not a second skip
                        counts["under_review_skipped", default: 0] += 1
                        try ledger.audit(
                            a, entityType: "report", entityID: id, event: "report.skipped_under_review",
                            detail: "in the export again while its batch waits for finance's review; processed after the sign-off or rejection")
                        continue
                    }
                    seen.insert(id)
                    if !report.policyID.isEmpty { policyIDs.insert(report.policyID) }
                    let source = job.kind == "window" ? "export window after \(job.approvedAfter ?? "-")" : refetchSource
                    if wanted.contains(id) { counts["refetched", default: 0] += 1 }
                    try ledger.recordExtracted(
                        reportID: id, policyID: report.policyID.isEmpty ? nil : report.policyID,
                        submitter: report.accountEmail, approved: report.approved, batchID: batchID, source: source, audit: a)
                } else {
                    counts["unidentified", default: 0] += 1
                    try ledger.audit(
                        a, entityType: "export", entityID: "export[\(index)]", event: "exception",
                        detail: record.issues.map { "\($0.field): \($0.reason)" }.joined(separator: "; "))
                }
                export.write(index == 0 ? "\n" : ",\n")
                export.write(element)
                try records.append(record)
                counts["reports", default: 0] += 1
            }
            jobs[n].reports = inJob
            if job.kind == "window", let limit = config.expensify.limit, inJob >= limit { counts["limit_reached"] = 1 }
        }
        export.write(counts["reports", default: 0] == 0 ? "]\n" : "\n]\n")
        files["export.json"] = try export.finish()
        files["records.jsonl"] = try records.finish()
        let notReturned = refetch.filter { !seen.contains($0) && !dropped.contains($0) && !underReview.contains($0) }
        for id in notReturned {
            try ledger.audit(
                a, entityType: "report", entityID: id, event: "report.not_returned",
                detail:
                    "asked for by ID (held or failed earlier); Expensify did not return it (state, label or policy filter, or deleted); asked again next run"
            )
        }
        if counts["unidentified", default: 0] > 0 {
            logger.warning(
                "export elements without a readable report ID; the watermark will not move this batch",
                metadata: ["batch.id": "\(batchID)", "count": "\(counts["unidentified", default: 0])"])
        }
        return MergedExport(counts: counts, policyIDs: policyIDs, notReturned: notReturned)
    }

    /// The policy getter's answer for `policyIDs`. One policy the account cannot read must not stop the run: they are
    /// then read one by one, and a report of an unreadable policy is still checked against its export's GL codes and tags.
    func readPolicies(_ policyIDs: Set<String>, expensify: ExpensifyClient, batchID: String) async throws -> JSONValue {
        guard !policyIDs.isEmpty else { return .object([:]) }
        do {
            return try await expensify.getPolicies(policyIDs.sorted())
        } catch let e as ConnectorError where ExpensifyErrors.isUnreadablePolicy(e) {
            var merged: [String: JSONValue] = [:]
            for id in policyIDs.sorted() {
                do {
                    for (k, v) in try await expensify.getPolicies([id]).objectValue ?? [:] { merged[k] = v }
                } catch let one as ConnectorError where ExpensifyErrors.isUnreadablePolicy(one) {
                    logger.warning("policy cannot be read", metadata: ["expensify.policy": "\(id)", "error": "\(one.message)"])
                    try ledger.audit(audit(batchID, .extract), entityType: "policy", entityID: id, event: "policy.unreadable", detail: one.message)
                }
            }
            return .object(merged)
        }
    }

    /// Today (UTC), the end of the export range. `ML_CONNECTOR_TODAY` (yyyy-MM-dd) overrides it, for tests and
    /// demos against a sandbox whose clock was moved.
    func today() throws -> String {
        if let forced = environment["ML_CONNECTOR_TODAY"], !forced.isEmpty {
            guard ConnectorConfig.isDate(forced), Day.parse(forced) != nil else {
                throw ConnectorError("config.invalid", "ML_CONNECTOR_TODAY '\(forced)' is not a yyyy-MM-dd date")
            }
            return forced
        }
        return Day.format(Date())
    }

    /// The day before the configured start date (`approvedAfter` keeps reports approved strictly after it).
    func initialWatermark() throws -> String {
        guard let d = Day.adding(-1, to: config.expensify.startDate) else {
            throw ConnectorError("config.invalid", "expensify.startDate is not a date")
        }
        return d
    }

    func newBatchID() throws -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        let base = f.string(from: Date())
        var id = base
        var n = 2
        // Never a batch folder that exists already (another ledger, or one made by hand): it is never overwritten.
        while try ledger.batch(id) != nil || FileManager.default.fileExists(atPath: layout(id).batchDirectory.path) {
            id = "\(base)-\(n)"
            n += 1
        }
        return id
    }

    /// The configured dimension order and delimiter must match the ERP's active integration format, or
    /// every display value would land in the wrong segment.
    func checkDimensionFormat(_ reference: ReferenceData) throws {
        if let f = reference.dimensionFormat, f.count == 1, config.dimensions.format.count > 1 {
            // One segment where several are configured: the ERP's format text was not understood; say so, go on.
            logger.warning(
                "the target's dimension format could not be read; using the configured one",
                metadata: ["erp.dimension_format": "\(f.joined(separator: ","))"])
        } else if let f = reference.dimensionFormat, !f.isEmpty, f != config.dimensions.format {
            throw ConnectorError(
                "config.dimension_format",
                "dimensions.format \(config.dimensions.format) differs from the target's active default dimension format \(f); update the configuration."
            )
        }
        if let d = reference.dimensionDelimiter, !d.isEmpty, d != config.dimensions.delimiter {
            throw ConnectorError(
                "config.dimension_format", "dimensions.delimiter '\(config.dimensions.delimiter)' differs from the target's segment delimiter '\(d)'."
            )
        }
    }
}
