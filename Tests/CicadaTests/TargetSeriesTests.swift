@testable import Cicada
import XCTest

/// The target monitor's pieces as values: procfs lines read, the RSS slope and the CPU average computed
/// from readings, and the series' bound.
final class TargetSeriesTests: XCTestCase {
    private func snapshot(cpu: Double, rssMiB: Double, threads: Int = 4) -> ProcessSnapshot {
        ProcessSnapshot(cpuSeconds: cpu, residentBytes: UInt64(rssMiB * 1_048_576), threads: threads, openFiles: 9)
    }

    /// A command name may hold spaces and parentheses; the fields are counted from after the last ')'.
    func testAStatLineWithParenthesesInItsNameIsRead() throws {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        // cutime cstime priority nice num_threads itrealvalue starttime vsize rss ...
        let line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 104857600 2560 18446744073709551615\n"
        let read = try XCTUnwrap(ProcessSnapshot.parse(stat: line, ticksPerSecond: 100, pageSize: 4096))
        XCTAssertEqual(read.cpuSeconds, 3.0, accuracy: 1e-9, "(250 + 50) ticks at 100 a second")
        XCTAssertEqual(read.threads, 7)
        XCTAssertEqual(read.residentBytes, 2560 * 4096)
        XCTAssertNil(ProcessSnapshot.parse(stat: "4242 (cut short) S 1 2", ticksPerSecond: 100, pageSize: 4096))
        XCTAssertNil(ProcessSnapshot.parse(stat: "no parenthesis", ticksPerSecond: 100, pageSize: 4096))
        XCTAssertNil(ProcessSnapshot.parse(stat: line.replacingOccurrences(of: ") S ", with: ") Z "), ticksPerSecond: 100,
                                           pageSize: 4096), "a zombie has ended")
    }

    func testThisProcessCanBeReadAndAMissingOneCannot() throws {
        let me = try XCTUnwrap(ProcessSnapshot.read(pid: getpid()))
        XCTAssertGreaterThan(me.residentBytes, 1 << 20)
        XCTAssertGreaterThan(try XCTUnwrap(me.threads), 0)
        XCTAssertGreaterThan(try XCTUnwrap(me.openFiles), 2)
        XCTAssertNil(ProcessSnapshot.read(pid: 4_194_304))
    }

    /// Memory growing 1 MiB a second, with noise that cancels out, is 60 MiB/min; flat memory is 0.
    func testTheSlopeIsTheLeastSquaresFitInMiBPerMinute() throws {
        var growing = TargetSeries(), flat = TargetSeries()
        for second in 0..<120 {
            let noise = second % 2 == 0 ? 3.0 : -3.0
            growing.add(elapsed: Double(second), snapshot: snapshot(cpu: Double(second) * 0.5, rssMiB: 100 + Double(second) + noise))
            flat.add(elapsed: Double(second), snapshot: snapshot(cpu: 0, rssMiB: 100 + noise))
        }
        XCTAssertEqual(try XCTUnwrap(growing.rssSlopeMiBPerMinute), 60, accuracy: 0.2)
        XCTAssertEqual(try XCTUnwrap(flat.rssSlopeMiBPerMinute), 0, accuracy: 0.2)
        XCTAssertEqual(try XCTUnwrap(growing.cpuAveragePercent), 50, accuracy: 1e-9, "half a CPU second each second")
        XCTAssertEqual(growing.rssMaxBytes, UInt64(221 * 1_048_576), "the highest reading: 100 + 118 + 3 MiB")
        var one = TargetSeries()
        one.add(elapsed: 0, snapshot: snapshot(cpu: 1, rssMiB: 10))
        XCTAssertNil(one.rssSlopeMiBPerMinute, "one reading has no slope")
        XCTAssertNil(one.cpuAveragePercent)
    }

    /// Past its capacity the series merges neighbours: the points stay bounded, span the whole run, and the
    /// exact figures (average CPU, maximum, slope) are not changed by the merging.
    func testALongRunIsCoarsenedNotGrown() throws {
        var series = TargetSeries()
        let readings = TargetSeries.capacity * 5
        for second in 0..<readings {
            // One CPU second used in one second out of ten: 100% then, 10% on average.
            series.add(elapsed: Double(second), snapshot: snapshot(cpu: Double((second + 9) / 10), rssMiB: 50))
        }
        XCTAssertLessThan(series.points.count, TargetSeries.capacity)
        XCTAssertGreaterThan(series.points.count, TargetSeries.capacity / 2 - 1)
        XCTAssertEqual(series.readingsPerPoint, 8)
        XCTAssertEqual(series.points.last?.elapsedS ?? 0, Double(readings - 8), accuracy: 8, "the span reaches the end")
        XCTAssertEqual(series.readings, readings)
        XCTAssertEqual(try XCTUnwrap(series.cpuAveragePercent), 10, accuracy: 0.1)
        XCTAssertEqual(series.cpuMaxPercent, 100, accuracy: 1e-9, "the busiest second survives the merging")
        let merged = series.points.dropFirst().map(\.cpuPercent)
        XCTAssertEqual(merged.reduce(0, +) / Double(merged.count), 10, accuracy: 0.5, "merged points average their seconds")
    }

    /// A stage's window: flat memory then growth, each judged on its own seconds.
    func testAWindowHoldsOnlyItsSecondsFigures() throws {
        var series = TargetSeries()
        for second in 0...60 {
            let rss = second <= 30 ? 100.0 : 100 + Double(second - 30) * 2
            let cpu = second <= 30 ? Double(second) * 0.1 : 3 + Double(second - 30) * 0.5
            series.add(elapsed: Double(second), snapshot: snapshot(cpu: cpu, rssMiB: rss))
        }
        let flat = series.window(from: 0, to: 30), growing = series.window(from: 30, to: 60)
        XCTAssertEqual(try XCTUnwrap(flat.rssSlopeMiBPerMinute), 0, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(growing.rssSlopeMiBPerMinute), 120, accuracy: 1e-6, "2 MiB a second")
        XCTAssertEqual(try XCTUnwrap(flat.cpuAveragePercent), 10, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(growing.cpuAveragePercent), 50, accuracy: 1e-6)
        XCTAssertEqual(growing.rssMaxBytes, UInt64(160 * 1_048_576))
        XCTAssertEqual(series.window(from: 70, to: 80).readings, 0, "a window past the end holds nothing")
    }
}
