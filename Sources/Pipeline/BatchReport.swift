import ConnectorLedger
import Foundation

/// Everything `staging/<batch>/report.html` shows, read from the ledger and the batch's staged files; every list sorted,
/// every amount exact decimal text, every time one the ledger recorded (never the time of writing), so the same ledger
/// and files give the same report byte for byte.
public struct BatchReport: Sendable, Codable {
    /// The batch as the ledger keeps it.
    public struct Facts: Sendable, Codable {
        public var id: String
        public var target: String
        public var createdAt: String
        /// The export window: reports approved after this day…
        public var approvedAfter: String?
        /// …up to this day.
        public var exportUntil: String?
        public var exportLabel: String
        /// The batch this one replays, if any.
        public var replayOf: String?
    }

    /// Documents, lines and amount of one company and currency (the `(all)` rows of `control-totals.csv`).
    public struct CurrencyTotal: Sendable, Codable, Hashable {
        public var company: String
        public var currency: String
        /// Documents staged for load (from `invoices.json`).
        public var documents: Int
        public var lines: Int
        /// Exact decimal text, as in `control-totals.csv`.
        public var amount: String
    }

    /// One company, currency and main account row of `control-totals.csv`.
    public struct AccountTotal: Sendable, Codable, Hashable {
        public var company: String
        public var currency: String
        public var account: String
        public var lines: Int
        public var amount: String
    }

    /// One row of `reports.csv`.
    public struct ReportRow: Sendable, Codable, Hashable {
        public var reportID: String
        public var company: String
        public var employee: String
        public var currency: String
        public var expensifyTotal: String
        public var reason: String
    }

    /// The reports transform gave one status (`ready`, `held`, `empty`).
    public struct StatusGroup: Sendable, Codable, Hashable {
        public var status: String
        public var count: Int
        /// The first reports of the status, by report ID (at most `BatchReport.listLimit`).
        public var reports: [ReportRow]
    }

    /// One row of `exceptions.csv`, without its field and reason (the group's).
    public struct ExceptionRecord: Sendable, Codable, Hashable {
        public var record: String
        public var reportID: String
        public var company: String
        public var employee: String
    }

    /// The exceptions with one field and reason.
    public struct ExceptionGroup: Sendable, Codable, Hashable {
        public var field: String
        public var reason: String
        public var count: Int
        /// The first records, in file order (at most `BatchReport.listLimit`).
        public var records: [ExceptionRecord]
    }

    /// A staged file the sign-off hashed, and whether the staged file still has that hash.
    public struct SignedFile: Sendable, Codable, Hashable {
        public var name: String
        public var sha256: String
        /// `unchanged`, `changed` or `missing`.
        public var now: String
    }

    /// Finance's review of the batch.
    public struct Review: Sendable, Codable {
        /// `notRequired`, `awaiting`, `approved`, `rejected`.
        public var state: String
        public var by: String?
        public var at: String?
        public var reason: String?
        /// The newest sign-off's files (also when a later decision superseded it), by name.
        public var signedFiles: [SignedFile]
        /// The newest sign-off's control totals, "company|currency" → amount, sorted by key.
        public var signedTotals: [KeyAmount]
        /// When the newest sign-off was given, if any.
        public var signedAt: String?
        public var signedBy: String?
        /// Finance's edits imported from the spreadsheet (who, when, old, new), oldest first.
        public var overrides: [Override]
    }

    /// One audited edit of a staged line.
    public struct Override: Sendable, Codable, Hashable {
        public var documentKey: String
        public var lineNumber: Int
        public var field: String
        public var oldValue: String
        public var newValue: String
        public var by: String
        public var at: String
    }

    /// A key and an exact amount.
    public struct KeyAmount: Sendable, Codable, Hashable {
        public var key: String
        public var amount: String
    }

    /// One stage run: when, how long, how it ended, what it counted and the HTTP requests it sent per system.
    public struct StageTiming: Sendable, Codable, Hashable {
        public var stage: String
        public var startedAt: String
        public var finishedAt: String?
        /// Milliseconds between start and finish; nil while running or after a crash.
        public var milliseconds: Int?
        public var outcome: String
        /// The run's counts other than requests, sorted by name.
        public var counts: [String: Int]
        /// `requests.<system>` counts, by system.
        public var requests: [String: Int]
        public var error: String?
    }

    /// Amounts of one currency by main account or by the values of one dimension, for the bar charts.
    public struct AmountSeries: Sendable, Codable, Hashable {
        public var currency: String
        /// `mainAccount`, or `dimension`.
        public var kind: String
        /// "Main account", or the dimension's name.
        public var title: String
        /// Sorted by key ("" is the lines without a value); beyond `BatchReport.barLimit - 1` keys, the largest by
        /// absolute amount.
        public var bars: [KeyAmount]
        /// How many keys are summed in `othersAmount` (0 when every key has its bar).
        public var othersCount: Int
        /// The sum of the keys without a bar of their own.
        public var othersAmount: String?
    }

    /// A document load did not confirm as posted (`failed`, `locked`, `changedAfterLoad`), from `load/results.csv`.
    public struct LoadProblem: Sendable, Codable, Hashable {
        public var documentKey: String
        public var reportID: String
        public var company: String
        public var currency: String
        public var total: String
        public var status: String
        public var errorCode: String
        public var error: String
    }

    /// The merchants with the largest amounts in one currency.
    public struct MerchantTotals: Sendable, Codable, Hashable {
        public var currency: String
        /// At most `BatchReport.merchantLimit`, largest absolute amount first (then by name).
        public var merchants: [Merchant]
        /// Merchants not listed, and what their lines sum to.
        public var othersCount: Int
        public var othersAmount: String?
    }

    /// One merchant's lines in one currency.
    public struct Merchant: Sendable, Codable, Hashable {
        public var name: String
        public var lines: Int
        public var amount: String
    }

    /// Lists (reports of a status, records of an exception group) show at most this many entries; the CSV has all.
    public static let listLimit = 100
    /// A chart shows at most this many bars; the smallest (by absolute amount) beyond are summed in one more bar.
    public static let barLimit = 40
    /// Merchants listed per currency.
    public static let merchantLimit = 15

    public var batch: Facts
    /// The newest time the ledger recorded for the batch (a stage finished, a review decision, a reconciliation).
    public var asOf: String
    /// Staged files the report wanted but the batch does not have yet (e.g. before transform), by name.
    public var missingFiles: [String]
    public var totals: [CurrencyTotal]
    public var accountTotals: [AccountTotal]
    /// Reports by transform status, `held` first, then `ready`, `empty`, any other.
    public var reportsByStatus: [StatusGroup]
    /// Report states now (the ledger), state → count.
    public var reportStates: [String: Int]
    /// Documents per outcome of the newest load (`load/results.csv`), outcome → count; empty before load.
    public var loadOutcomes: [String: Int]
    /// The documents the newest load did not confirm, by key (at most `listLimit`).
    public var loadProblems: [LoadProblem]
    /// Exception rows in total.
    public var exceptionCount: Int
    /// Grouped by field and reason, largest group first.
    public var exceptions: [ExceptionGroup]
    public var review: Review
    /// The newest reconciliation; nil when the batch was never reconciled.
    public var reconciliation: ReconciliationResult?
    /// Every stage run of the batch, oldest first.
    public var stages: [StageTiming]
    /// HTTP requests per system over every stage run of the batch, by system.
    public var requests: [String: Int]
    /// Per currency: by main account, then by each dimension.
    public var charts: [AmountSeries]
    /// Per currency, the merchants with the largest amounts staged for load.
    public var merchants: [MerchantTotals]
}
