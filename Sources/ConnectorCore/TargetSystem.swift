import Foundation

/// An accounting system the connector writes to. Stages talk to targets only through this protocol, so
/// extract, transform and load never know which ERP they feed.
public protocol TargetSystem: Sendable {
    /// Short stable name (`d365fo`, `bc`, `nav-soap`), recorded in the ledger.
    var name: String { get }

    /// Reads vendors (of `vendorGroup`, when given), main accounts, dimension values and the dimension
    /// format for `companies`, once per run, following every page.
    func fetchReferenceData(companies: [String], vendorGroup: String?) async throws -> ReferenceData

    /// Looks documents up by stable key (batched, not one request per document). Keys absent from the
    /// result do not exist in the ERP.
    func findExisting(_ documents: [InvoiceDocument]) async throws -> [String: ExistingDocument]

    /// Writes one document: header first, then lines in order; or, given what already exists, only the
    /// missing lines; never touches a posted document. Errors are reported in the result, not thrown.
    func load(_ document: InvoiceDocument, existing: ExistingDocument?) async -> DocumentLoadResult

    /// Writes many documents. The default runs `load` for different documents concurrently, at most
    /// `concurrency` at once; a target may override it to pack documents into fewer requests.
    /// `onResult` is called as each document finishes, so the caller can record it at once.
    func loadAll(
        _ documents: [InvoiceDocument], existing: [String: ExistingDocument], concurrency: Int,
        onResult: @escaping @Sendable (DocumentLoadResult) async -> Void) async

    /// HTTP requests sent so far (for the run summary and benchmarks).
    func requestCount() async -> Int

    /// Which installation of the target this is (e.g. its name and environment URL): the ledger keeps learned
    /// capabilities per identity, so facts about one environment never steer another.
    var identity: String { get }

    /// Facts an earlier run learned about this target (`learnedCapabilities()`), handed over before `load`.
    /// Names and values are the target's own; callers store them without knowing their meaning.
    func useCapabilities(_ remembered: [String: String]) async

    /// Facts learned so far in this run that later runs should start from (e.g. "refuses `$n` references").
    func learnedCapabilities() async -> [String: String]

    /// How many documents the caller should hand to one `findExisting` + `loadAll` round, given the concurrency
    /// (a target that packs documents into requests wants a multiple of its request size).
    func loadWindow(concurrency: Int) -> Int

    /// `ml-connector check`: a token (or sign-in) and one cheap read per company with the stored credentials, each
    /// failure explained in plain words. Never writes. The default (SystemCheck.swift) fails with "no check yet".
    func check(companies: [String]) async -> [CheckResult]

    /// Reads back where loaded documents stand in the ERP (draft, posted, deleted), in bounded requests, so the
    /// ledger learns that a draft was posted or removed by a person. Keys absent from the result were not checked.
    func readBack(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentState]

    /// Reads what the ERP holds now for loaded documents (status, currency, lines with account and amount), for
    /// reconciliation, in bounded requests (batched `or` filters or `$batch`, never one request per document). Every
    /// key asked for is in the result: a document found neither as a draft nor as posted is `.deleted` with no lines.
    /// The default throws `reconcile.unsupported`.
    func snapshot(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentSnapshot]

    /// Reads the workers employed (or once employed) in `companies`, with e-mail, manager, legal entity, status and
    /// employment end, in bounded paged requests, sorted by personnel number then company. The default throws
    /// `employees.unsupported`.
    func fetchWorkers(companies: [String]) async throws -> [ERPWorker]

    /// Reads how the ERP classifies the main accounts (G/L accounts) of `companies`, for `align categories` filters by
    /// type or category, in bounded paged requests: company (exactly as passed) → account number → classification.
    /// Only `align` calls it, and only when such a filter is configured, so the nightly master-data read stays as
    /// it is. The default throws `align.account_types_unsupported`.
    func fetchAccountClassifications(companies: [String]) async throws -> [String: [String: AccountClassification]]
}

extension TargetSystem {
    /// By default the target's name, for targets with a single installation.
    public var identity: String { name }
    /// By default forgets them, for targets that learn nothing.
    public func useCapabilities(_ remembered: [String: String]) async {}
    /// By default nothing learned.
    public func learnedCapabilities() async -> [String: String] { [:] }
    /// By default nothing is read back, for targets that cannot tell.
    public func readBack(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentState] { [:] }
    /// By default unsupported: reconciliation says so instead of reporting a variance.
    public func snapshot(_ documents: [TrackedDocument]) async throws -> [String: ERPDocumentSnapshot] {
        throw ConnectorError("reconcile.unsupported", "target \(name) cannot read documents back for reconciliation yet")
    }
    /// By default unsupported: `employees sync` says so instead of guessing.
    public func fetchWorkers(companies: [String]) async throws -> [ERPWorker] {
        throw ConnectorError(
            "employees.unsupported", "target \(name) cannot read workers yet, so 'employees sync' cannot run against it")
    }
    /// By default unsupported: `align categories` with a type or category filter says so.
    public func fetchAccountClassifications(companies: [String]) async throws -> [String: [String: AccountClassification]] {
        throw ConnectorError(
            "align.account_types_unsupported",
            "target \(name) cannot say how its accounts are classified, so align.categories.accountTypes and accountCategories cannot be used with it; use accountRanges or accounts"
        )
    }
    /// By default 200 documents, for targets that send one document per request.
    public func loadWindow(concurrency: Int) -> Int { 200 }

    /// Runs `load` for up to `concurrency` documents at once and reports each as it finishes.
    public func loadAll(
        _ documents: [InvoiceDocument], existing: [String: ExistingDocument], concurrency: Int,
        onResult: @escaping @Sendable (DocumentLoadResult) async -> Void
    ) async {
        let bound = max(1, concurrency)
        await withTaskGroup(of: DocumentLoadResult.self) { group in
            var next = 0
            func submit() {
                let doc = documents[next]
                next += 1
                group.addTask { await self.load(doc, existing: existing[doc.key]) }
            }
            while next < documents.count && next < bound { submit() }
            while let r = await group.next() {
                await onResult(r)
                if next < documents.count { submit() }
            }
        }
    }
}
