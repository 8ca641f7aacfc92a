import Foundation
import XCTest

@testable import Pipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The terminal progress line: its rate and ETA, and the redraw (in place, throttled, erased at the end) written to a
/// real pipe with a clock the test moves.
final class ProgressLineTests: XCTestCase {
    func testRateAndETA() {
        // 12 of 40 in 4 s: 3.0/s, 28 left → 9.33 s, shown rounded up.
        XCTAssertEqual(
            ProgressLine.format(phase: "load", unit: "documents", done: 12, total: 40, elapsed: 4), "load  12/40 documents  3.0/s  ETA 10s")
        // Before half a second, or before the first unit, no rate is guessed.
        XCTAssertEqual(ProgressLine.format(phase: "load", unit: "documents", done: 3, total: 40, elapsed: 0.2), "load  3/40 documents  …/s  ETA …")
        XCTAssertEqual(
            ProgressLine.format(phase: "extract", unit: "export jobs", done: 0, total: 2, elapsed: 9), "extract  0/2 export jobs  …/s  ETA …")
        // Done.
        XCTAssertEqual(
            ProgressLine.format(phase: "transform", unit: "reports", done: 500, total: 500, elapsed: 12.5),
            "transform  500/500 reports  40.0/s  done in 13s")
        // Unknown total: count and rate only.
        XCTAssertEqual(ProgressLine.format(phase: "transform", unit: "reports", done: 120, total: nil, elapsed: 3), "transform  120 reports  40.0/s")
        // Fast: whole numbers; slow: minutes and hours.
        XCTAssertEqual(
            ProgressLine.format(phase: "transform", unit: "reports", done: 2_500, total: 100_000, elapsed: 10),
            "transform  2500/100000 reports  250/s  ETA 6m30s")
        XCTAssertEqual(
            ProgressLine.format(phase: "load", unit: "documents", done: 1, total: 7_201, elapsed: 1), "load  1/7201 documents  1.0/s  ETA 2h00m")
        XCTAssertEqual(ProgressLine.duration(0), "0s")
        XCTAssertEqual(ProgressLine.duration(0.2), "1s")
        XCTAssertEqual(ProgressLine.duration(0.2, roundingUp: false), "0s")
        XCTAssertEqual(
            ProgressLine.format(phase: "load", unit: "documents", done: 0, total: 0, elapsed: 0.01), "load  0/0 documents  …/s  done in 0s")
        XCTAssertEqual(ProgressLine.duration(59), "59s")
        XCTAssertEqual(ProgressLine.duration(65), "1m05s")
        XCTAssertEqual(ProgressLine.duration(3_725), "1h02m")
    }

    /// A clock the test sets.
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var t: TimeInterval = 100
        var now: TimeInterval {
            lock.lock()
            defer { lock.unlock() }
            return t
        }
        func advance(_ s: TimeInterval) {
            lock.lock()
            t += s
            lock.unlock()
        }
    }

    func testRedrawnInPlaceAtMostFourTimesASecondAndErasedAtTheEnd() throws {
        let pipe = Pipe()
        let clock = Clock()
        let progress = TerminalProgress(fd: pipe.fileHandleForWriting.fileDescriptor, now: { clock.now })
        progress.start("load", unit: "documents", total: 10)  // drawn at once
        progress.advance(1)  // same instant: not drawn
        clock.advance(0.1)
        progress.advance(1)  // 0.1 s later: not drawn
        clock.advance(0.2)
        progress.advance(1)  // 0.3 s after the last draw: drawn
        clock.advance(0.3)
        progress.advance(2)  // drawn
        progress.finish()  // erased
        progress.advance(1)  // after the end: nothing
        try pipe.fileHandleForWriting.close()
        let written = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(
            written,
            "\rload  0/10 documents  …/s  ETA …\u{1B}[K" + "\rload  3/10 documents  …/s  ETA …\u{1B}[K"
                + "\rload  5/10 documents  8.3/s  ETA 1s\u{1B}[K" + "\r\u{1B}[K")
    }

    func testALogLineMovesTheProgressLineAsideAndItIsDrawnAgainBelow() throws {
        let pipe = Pipe()
        let clock = Clock()
        let fd = pipe.fileHandleForWriting.fileDescriptor
        let progress = TerminalProgress(fd: fd, now: { clock.now })
        progress.start("transform", unit: "reports", total: 4)
        progress.aside { _ = "a log line\n".withCString { write(fd, $0, strlen($0)) } }
        progress.finish()
        progress.aside { _ = "after the end\n".withCString { write(fd, $0, strlen($0)) } }
        try pipe.fileHandleForWriting.close()
        let written = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let line = "\rtransform  0/4 reports  …/s  ETA …\u{1B}[K"
        XCTAssertEqual(written, line + "\r\u{1B}[K" + "a log line\n" + line + "\r\u{1B}[K" + "after the end\n")
    }

    func testNoProgressLineForAPipeQuietOrJSON() {
        // This test's standard error is not a terminal when run by `swift test` under a pipe; either way, quiet and
        // JSON never get one.
        XCTAssertNil(TerminalProgress.standardError(quiet: true, json: false))
        XCTAssertNil(TerminalProgress.standardError(quiet: false, json: true))
        XCTAssertNil(TerminalProgress.standardError(quiet: false, json: false, environment: ["TERM": "dumb"]))
        if isatty(STDERR_FILENO) == 0 {
            XCTAssertNil(TerminalProgress.standardError(quiet: false, json: false))
        }
    }
}
