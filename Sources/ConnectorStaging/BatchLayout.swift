import ConnectorCore
import Foundation

/// Where a batch's staged files live: `<root>/<batch>/{extract,transform,load,commit}/`.
public struct BatchLayout: Sendable {
    /// The staging root (`staging.root`) that holds every batch.
    public let root: URL
    /// The batch whose files these are.
    public let batchID: String

    /// The layout of one batch under one staging root.
    public init(root: URL, batchID: String) {
        self.root = root
        self.batchID = batchID
    }

    /// The batch's folder, which is never overwritten by a later batch.
    public var batchDirectory: URL { root.appendingPathComponent(batchID, isDirectory: true) }
    /// The folder a stage writes into, named after the stage.
    public func stageDirectory(_ stage: Stage) -> URL { batchDirectory.appendingPathComponent(stage.rawValue, isDirectory: true) }

    // extract
    /// The batch's reports merged from its export jobs, each once (the batch's raw input).
    public var exportFile: URL { stageDirectory(.extract).appendingPathComponent("export.json") }
    /// The export's reports normalised by extract (JSON Lines of `ExtractedReport`), what transform reads.
    public var recordsFile: URL { stageDirectory(.extract).appendingPathComponent("records.jsonl") }
    /// The policies' categories and tags normalised by extract (`PolicyCatalog`).
    public var catalogFile: URL { stageDirectory(.extract).appendingPathComponent("catalog.json") }
    /// The policy getter's answer as received, for review.
    public var policiesFile: URL { stageDirectory(.extract).appendingPathComponent("policies.json") }
    /// The target's master data read at extract, so transform runs offline.
    public var referenceFile: URL { stageDirectory(.extract).appendingPathComponent("reference.json") }
    /// What extract asked for and got (windows, jobs, counts), for audit.
    public var extractManifest: URL { stageDirectory(.extract).appendingPathComponent("manifest.json") }
    // transform
    /// The documents load writes; its hash in the ledger stops a changed file from loading.
    public var invoicesFile: URL { stageDirectory(.transform).appendingPathComponent("invoices.json") }
    /// One row per expense for finance's review.
    public var linesCSV: URL { stageDirectory(.transform).appendingPathComponent("invoice-lines.csv") }
    /// Every problem that holds a report, naming record and field.
    public var exceptionsCSV: URL { stageDirectory(.transform).appendingPathComponent("exceptions.csv") }
    /// Counts and sums per company, currency and account, to reconcile with the ERP.
    public var controlTotalsCSV: URL { stageDirectory(.transform).appendingPathComponent("control-totals.csv") }
    /// One row per report with its totals and status.
    public var reportsCSV: URL { stageDirectory(.transform).appendingPathComponent("reports.csv") }
    // load
    /// What load did to each document.
    public var resultsCSV: URL { stageDirectory(.load).appendingPathComponent("results.csv") }
    // commit
    /// The reports commit labelled in the source.
    public var labelledCSV: URL { stageDirectory(.commit).appendingPathComponent("labelled.csv") }

    /// Creates the stage's folder (owner-only, like every folder of the batch).
    public func ensure(_ stage: Stage) throws {
        try OwnerOnly.directory(stageDirectory(stage))
    }

    /// Fails with `staging.missing` naming the stage to run first, instead of a bare file-not-found.
    public func require(_ file: URL, producedBy stage: Stage) throws {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConnectorError(
                "staging.missing", "\(file.lastPathComponent) is missing for batch \(batchID); run '\(stage.rawValue)' for this batch first.",
                context: ["batch": batchID, "file": file.path])
        }
    }
}
