// Input generator for the `transform` benchmark (scripts/bench-transform.sh runs it on a release build).
//
// Generating 200,000 reports through the Expensify sandbox over HTTP would take long, so this writes a batch's
// extract folder directly, from a real one: it reads `records.jsonl`, `catalog.json` and `reference.json` of a batch
// that `ml-connector extract` wrote (against the sandbox: its seed reports, with their exceptions, and generated ones),
// and repeats the template's records under new report and transaction IDs until the batch has the requested number
// of expense lines. The records are the ones extract normalised (same encoder, same fields), so transform reads
// them as it reads a real night's; the catalog and master data are copied unchanged, so every line maps (or is held)
// exactly as its template line was.
//
// Into a fresh ledger it registers the batch, every report (as extract does, `extracted`) and a succeeded extract
// stage run with the files' SHA-256, which transform verifies. Then `ml-connector transform --batch ID` runs on it.
//
//   ml-transform-bench --template DIR --staging ROOT --ledger FILE [--lines 1000000] [--batch ID]
import ConnectorCore
import ConnectorLedger
import ConnectorStaging
import Foundation

struct Options {
    var template = ""
    var staging = ""
    var ledger = ""
    var lines = 1_000_000
    var batch = "20261121-000000"

    init(_ arguments: [String]) {
        var it = arguments.dropFirst().makeIterator()
        while let a = it.next() {
            switch a {
            case "--template": template = it.next() ?? ""
            case "--staging": staging = it.next() ?? ""
            case "--ledger": ledger = it.next() ?? ""
            case "--lines": lines = Int(it.next() ?? "") ?? -1
            case "--batch": batch = it.next() ?? ""
            default: Self.usage()
            }
        }
        if template.isEmpty || staging.isEmpty || ledger.isEmpty || lines <= 0 || batch.isEmpty { Self.usage() }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: ml-transform-bench --template EXTRACT_DIR --staging ROOT --ledger FILE [--lines N] [--batch ID]\n".utf8))
        exit(2)
    }
}

/// `<copy><id>`: unique across copies, and the same length for every copy.
func renamed(_ id: String, copy: Int) -> String {
    id.isEmpty ? id : String(format: "%03d", copy) + id
}

/// A template record as copy `copy`: report, transaction and issue record IDs renamed, index renumbered.
func copyOf(_ record: ExtractedReport, copy: Int, index: Int) -> ExtractedReport {
    var r = record
    r.index = index
    guard var report = r.report else {
        r.issues = r.issues.map { i in
            var i = i
            i.record = "export[\(index)]"
            return i
        }
        return r
    }
    let old = report.reportID
    report.reportID = renamed(old, copy: copy)
    for n in report.expenses.indices { report.expenses[n].transactionID = renamed(report.expenses[n].transactionID, copy: copy) }
    r.issues = r.issues.map { i in
        var i = i
        if i.record == old || i.record.hasPrefix(old + "/") {
            let rest = i.record.dropFirst(old.count)
            let tail = rest.hasPrefix("/") && !rest.hasPrefix("/expense[") ? "/" + renamed(String(rest.dropFirst()), copy: copy) : String(rest)
            i.record = report.reportID + tail
        }
        return i
    }
    r.report = report
    return r
}

let options = Options(CommandLine.arguments)
let started = Date()
do {
    let template = URL(fileURLWithPath: options.template, isDirectory: true)
    var reader = try JSONLinesReader<ExtractedReport>(template.appendingPathComponent("records.jsonl"))
    var records: [ExtractedReport] = []
    while let r = try reader.next() { records.append(r) }
    reader.close()
    let perPass = records.reduce(0) { $0 + ($1.report?.expenses.count ?? 0) }
    guard perPass > 0 else { throw ConnectorError("bench.template", "\(options.template)/records.jsonl has no expense lines") }

    let layout = BatchLayout(root: URL(fileURLWithPath: options.staging, isDirectory: true), batchID: options.batch)
    guard !FileManager.default.fileExists(atPath: layout.batchDirectory.path), !FileManager.default.fileExists(atPath: options.ledger) else {
        throw ConnectorError("bench.exists", "\(layout.batchDirectory.path) or \(options.ledger) exists already; start from empty folders")
    }
    try layout.ensure(.extract)
    let ledger = try Ledger(path: options.ledger)
    let audit = AuditContext(actor: "ml-transform-bench", batchID: options.batch, stage: .extract)
    try ledger.createBatch(
        id: options.batch, target: "d365fo", approvedAfter: "2026-10-31", exportLabel: "ml-connector",
        exportUntil: "2026-11-21", audit: audit)
    let run = try ledger.startStage(batchID: options.batch, stage: .extract, audit: audit)

    var files: [String: String] = [:]
    for name in ["catalog.json", "reference.json"] {
        let data = try Data(contentsOf: template.appendingPathComponent(name))
        files[name] = try StagedFile.write(data, to: layout.stageDirectory(.extract).appendingPathComponent(name))
    }
    let writer = try JSONLinesWriter<ExtractedReport>(layout.recordsFile)
    var lines = 0
    var reports = 0
    var held = 0
    var index = 0
    var copy = 0
    var extracted: [ExtractedReport] = []
    func register() throws {
        for r in extracted {
            guard let report = r.report else { continue }
            try ledger.recordExtracted(
                reportID: report.reportID, policyID: report.policyID.isEmpty ? nil : report.policyID,
                submitter: report.accountEmail, approved: report.approved, batchID: options.batch,
                source: "ml-transform-bench copy", audit: audit)
        }
        extracted.removeAll(keepingCapacity: true)
    }
    outer: while true {
        for t in records {
            if lines >= options.lines { break outer }
            let r = copyOf(t, copy: copy, index: index)
            try writer.append(r)
            index += 1
            lines += r.report?.expenses.count ?? 0
            if r.report != nil { reports += 1 }
            if !r.issues.isEmpty { held += 1 }
            extracted.append(r)
            if extracted.count >= 1_000 { try register() }
        }
        copy += 1
        guard copy < 1_000 else { throw ConnectorError("bench.too_many", "at most 1,000 copies of the template") }
    }
    try register()
    files["records.jsonl"] = try writer.finish()
    try ledger.finishStage(runID: run, outcome: .succeeded, counts: ["reports": reports], files: files, error: nil, audit: audit)
    let size = (try? FileManager.default.attributesOfItem(atPath: layout.recordsFile.path)[.size] as? NSNumber)?.intValue ?? 0
    let summary: [String: Any] = [
        "batchID": options.batch, "records": index, "reports": reports, "lines": lines, "templateRecords": records.count,
        "templateLines": perPass, "recordsWithDecodeIssues": held, "recordsBytes": size,
        "seconds": (Date().timeIntervalSince(started) * 100).rounded() / 100,
    ]
    let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
    FileHandle.standardOutput.write(json + Data("\n".utf8))
} catch {
    FileHandle.standardError.write(Data("ml-transform-bench: \(error)\n".utf8))
    exit(1)
}
