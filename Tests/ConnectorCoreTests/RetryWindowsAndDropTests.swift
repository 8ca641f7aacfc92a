import ConnectorCore
import ConnectorLedger
import Foundation
import Pipeline
import XCTest

@testable import Expensify

/// Export windows of under a year, the ledger's nightly retry list and operator drops (real SQLite file).
final class RetryWindowsAndDropTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("ledger.sqlite").path }
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("retry-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    typealias W = ExportWindows.Window

    func testARangeThatFitsIsOneWindowWithoutEndDate() {
        XCTAssertEqual(
            ExportWindows.split(approvedAfter: "2026-10-31", until: "2026-12-04", maxDays: 364), [W(approvedAfter: "2026-10-31", endDate: nil)])
        XCTAssertEqual(
            ExportWindows.split(approvedAfter: "2025-12-05", until: "2026-12-04", maxDays: 364), [W(approvedAfter: "2025-12-05", endDate: nil)],
            "exactly 364 days still fits")
        XCTAssertEqual(
            ExportWindows.split(approvedAfter: "2026-12-06", until: "2026-12-04", maxDays: 364), [W(approvedAfter: "2026-12-06", endDate: nil)],
            "a watermark after today (clock skew) is one window")
    }

    func testALongerRangeIsConsecutiveWindowsOfAtMostMaxDaysEndingToday() {
        XCTAssertEqual(
            ExportWindows.split(approvedAfter: "2025-12-04", until: "2026-12-04", maxDays: 364),
            [
                W(approvedAfter: "2025-12-04", endDate: "2026-12-03"), W(approvedAfter: "2026-12-03", endDate: "2026-12-04"),
            ], "365 days: two windows")
        let windows = ExportWindows.split(approvedAfter: "2023-02-27", until: "2026-12-04", maxDays: 364)
        XCTAssertEqual(windows.count, 4)
        XCTAssertEqual(windows.first?.approvedAfter, "2023-02-27")
        XCTAssertEqual(windows.last?.endDate, "2026-12-04")
        for (a, b) in zip(windows, windows.dropFirst()) { XCTAssertEqual(a.endDate, b.approvedAfter, "consecutive: \(windows)") }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        for w in windows {
            let days = Calendar(identifier: .gregorian).dateComponents([.day], from: f.date(from: w.approvedAfter)!, to: f.date(from: w.endDate!)!)
                .day!
            XCTAssertTrue((1...364).contains(days), "\(w): \(days) days")
        }
        XCTAssertEqual(ExportWindows.split(approvedAfter: "2026-11-01", until: "2026-12-04", maxDays: 10).count, 4)
    }

    func testTheExportJobCarriesEndDateOnlyWhenGiven() {
        let credentials = ExpensifyCredentials(partnerUserID: "aa_x", partnerUserSecret: Secret("s"))
        let with = ExpensifyJobs.export(ExportFilter(approvedAfter: "2025-05-31", endDate: "2026-05-30"), fileBasename: "x", credentials: credentials)
        XCTAssertEqual(with["inputSettings"]?["filters"]?["endDate"], .string("2026-05-30"))
        let without = ExpensifyJobs.export(ExportFilter(approvedAfter: "2026-11-19"), fileBasename: "x", credentials: credentials)
        XCTAssertNil(without["inputSettings"]?["filters"]?["endDate"])
        let byID = ExpensifyJobs.export(
            ExportFilter(markedAsExported: "L", reportIDs: ["90000003", "90000061"]), fileBasename: "x", credentials: credentials)
        XCTAssertEqual(byID["inputSettings"]?["filters"]?["reportIDList"], .string("90000003,90000061"))
        XCTAssertNil(byID["inputSettings"]?["filters"]?["approvedAfter"])
    }

    func testOpenReportsAreRetriedUntilCommittedOrDroppedAndADropIsFinal() throws {
        let ledger = try Ledger(path: path)
        let a = AuditContext(actor: "ml-connector/run by test", batchID: "B1", stage: .extract)
        try ledger.createBatch(id: "B1", target: "d365fo", approvedAfter: "2026-10-31", exportLabel: "L", exportUntil: "2026-11-21", audit: a)
        XCTAssertEqual(try ledger.batch("B1")?.exportUntil, "2026-11-21")
        for id in ["101", "102", "103", "104"] {
            try ledger.recordExtracted(reportID: id, policyID: "P", submitter: "a@b", approved: "2026-11-02 10:00:00", batchID: "B1", audit: a)
        }
        try ledger.setReportState("101", state: .held, reason: "no vendor for a@b", audit: a)
        try ledger.setReportState("102", state: .failed, reason: "500", audit: a)
        try ledger.setReportState("103", state: .committed, reason: "labelled 'L'", audit: a)
        try ledger.setReportState("104", state: .loaded, reason: nil, audit: a)
        XCTAssertEqual(try ledger.reportsToRefetch(), ["101", "102", "104"], "every report not committed, by ID")

        let op = AuditContext(actor: "ml-connector/drop by finance", batchID: nil, stage: nil)
        XCTAssertThrowsError(try ledger.dropReport("101", reason: " \n", audit: op)) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "drop.reason_missing")
        }
        XCTAssertThrowsError(try ledger.dropReport("999", reason: "x", audit: op)) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "drop.unknown_report")
        }
        XCTAssertThrowsError(try ledger.dropReport("103", reason: "x", audit: op)) { XCTAssertEqual(($0 as? ConnectorError)?.code, "drop.not_open") }
        XCTAssertThrowsError(try ledger.dropReport("104", reason: "x", audit: op)) { XCTAssertEqual(($0 as? ConnectorError)?.code, "drop.not_open") }

        let d = try ledger.dropReport("101", reason: "employee left", audit: op)
        XCTAssertEqual(d.stateAtDrop, "held")
        XCTAssertEqual(d.reasonAtDrop, "no vendor for a@b")
        XCTAssertEqual(d.actor, "ml-connector/drop by finance")
        XCTAssertThrowsError(try ledger.dropReport("101", reason: "again", audit: op)) {
            XCTAssertEqual(($0 as? ConnectorError)?.code, "drop.already_dropped")
        }
        XCTAssertEqual(try ledger.reportsToRefetch(), ["102", "104"])
        XCTAssertEqual(try ledger.openReportCount(), 2)
        XCTAssertEqual(try ledger.droppedIDs(), ["101"])
        XCTAssertEqual(try ledger.report("101")?.state, .held, "the report itself is unchanged")
        let events = try ledger.auditEvents(entityID: "101")
        XCTAssertEqual(events.last?.event, "report.dropped")
        XCTAssertEqual(events.last?.detail, "employee left (was held: no vendor for a@b)")

        // Reopened, the drop is still there (a real file; migrations idempotent).
        XCTAssertEqual(try Ledger(path: path).drop("101")?.reason, "employee left")
    }
}
