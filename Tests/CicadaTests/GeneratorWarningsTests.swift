import Foundation
import XCTest
@testable import Cicada

/// When the generator itself may have limited the result (its CPU above 90 % of the cores it could use,
/// over the run or in its busiest second, or its event-loop lag p99 above 10 ms), the console's final
/// report and the HTML report say so; a healthy run has no such warning.
final class GeneratorWarningsTests: XCTestCase {
    /// A 10 s run with `threads` workers, `cpuSeconds` of CPU, the loop lag's p99, and one-second history
    /// points of the given CPU percentages.
    private func result(threads: Int = 1, cpuSeconds: Double = 1, lagP99: Double = 1, seconds: [Double] = []) -> RunResult {
        var history = RunHistory()
        for (index, cpu) in seconds.enumerated() {
            history.append(HistoryPoint(elapsedS: Double(index + 1), intervalS: 1, stage: nil, users: 1, requests: 0, failures: 0,
                                        responseTimeMs: IntervalLatency(p50: 0, p95: 0, p99: 0, max: 0),
                                        fromIntendedStartMs: IntervalLatency(p50: 0, p95: 0, p99: 0, max: 0),
                                        generatorCpuPercent: cpu, loopLagMaxMs: lagP99, generatorRssBytes: 0))
        }
        let generator = GeneratorUsage(threads: threads, cpuUserSeconds: cpuSeconds, cpuSystemSeconds: 0, peakRSSBytes: 0,
                                       loopLagP99Milliseconds: lagP99, loopLagMaxMilliseconds: lagP99, connectionsOpened: 0,
                                       samplesDropped: 0, usersPeak: 1)
        return RunResult(statistics: RunStatistics(endpoints: []), duration: 10, target: "127.0.0.1:1", generator: generator,
                         requestsStarted: 0, history: history)
    }

    func testAHealthyRunHasNoWarning() {
        XCTAssertEqual(generatorWarnings(result(cpuSeconds: 8.9, lagP99: 10, seconds: [89, 90, 85])), [],
                       "89 % of one core and a 10 ms p99 are at the limits, not above")
    }

    func testLoopLagAboveTenMillisecondsIsAWarning() throws {
        let warnings = generatorWarnings(result(lagP99: 12.5))
        XCTAssertEqual(warnings.count, 1)
        let warning = try XCTUnwrap(warnings.first)
        XCTAssertTrue(warning.hasPrefix("event-loop lag p99 was 12.5 ms (above 10 ms)"), warning)
        XCTAssertTrue(warning.hasSuffix("the result may be limited by the generator itself"), warning)
    }

    func testCPUOverTheRunAboveNinetyPercentOfItsCoresIsAWarning() throws {
        let warnings = generatorWarnings(result(cpuSeconds: 9.5, seconds: [95, 95]))
        XCTAssertEqual(warnings, ["the generator used 95% CPU over the run, above 90% of the 1 core its 1 worker thread could use: the result may be limited by the generator itself"],
                       "the run's average is said once, not again for its busiest second")
    }

    func testABusySecondInAnEasyRunIsAWarning() throws {
        let warnings = generatorWarnings(result(cpuSeconds: 3, seconds: [20, 97, 20]))
        XCTAssertEqual(warnings, ["the generator used 97% CPU in its busiest second, above 90% of the 1 core its 1 worker thread could use: that part of the result may be limited by the generator itself"])
    }

    /// More worker threads than cores do not raise the bar: the cores are the limit.
    func testThreadsBeyondTheCoresAreJudgedAgainstTheCores() throws {
        let cores = min(64, ProcessInfo.processInfo.activeProcessorCount)
        let warnings = generatorWarnings(result(threads: 64, cpuSeconds: Double(cores) * 0.95 * 10))
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(warnings.first?.contains("above 90% of the \(cores) core\(cores == 1 ? "" : "s") its 64 worker threads could use") == true,
                      "\(warnings)")
    }

    /// The console's final report prints them after the generator's figures.
    func testTheConsolesFinalReportPrintsTheWarnings() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { unlink(path) }
        ConsoleReporter(output: ConsoleStream(fileDescriptor: fd, name: "test")).finish(result: result(lagP99: 12.5))
        close(fd)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let generator = try XCTUnwrap(text.range(of: "\nGenerator: "))
        let warning = try XCTUnwrap(text.range(of: "\nwarning: event-loop lag p99 was 12.5 ms (above 10 ms)"))
        XCTAssertLessThan(generator.lowerBound, warning.lowerBound, text)
    }

    /// The HTML report shows the same warnings, boxed under the verdict; a healthy run's has no box.
    func testTheHTMLReportShowsTheWarnings() throws {
        let busy = result(lagP99: 12.5)
        let warnings = generatorWarnings(busy)
        let page = try HTMLReport.render(summary: JSONSummary(result: busy, version: "test"), thresholds: [], settings: [],
                                         warnings: warnings, chartLibrary: "")
        let box = try XCTUnwrap(page.range(of: "<div class=\"warning\" id=\"generator-warnings\""))
        XCTAssertLessThan(box.lowerBound, try XCTUnwrap(page.range(of: "<h2>Charts</h2>")).lowerBound, "at the top, before the charts")
        XCTAssertTrue(page.contains("<li>event-loop lag p99 was 12.5 ms (above 10 ms)"), page)
        let calm = try HTMLReport.render(summary: JSONSummary(result: result(), version: "test"), thresholds: [], settings: [],
                                         warnings: generatorWarnings(result()), chartLibrary: "")
        XCTAssertFalse(calm.contains("generator-warnings"))
    }
}
