import CicadaTestSupport
import Foundation
import XCTest

/// `--monitor-pid` on real runs through the built binary: a process that grows its memory on purpose is
/// caught by an RSS-slope threshold and an idle one is not; a process that ends mid-run is a warning.
final class TargetMonitorRunTests: XCTestCase {
    private var server: FaultServer!
    private var watched: Process?

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
    }

    override func tearDown() {
        if let watched, watched.isRunning {
            watched.terminate()
            watched.waitUntilExit()
        }
        server?.stop()
    }

    /// Starts `python3 -c PROGRAM` as the process to watch and gives it time to finish starting up.
    private func watch(_ program: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program]
        try process.run()
        watched = process
        usleep(500_000)
        return process.processIdentifier
    }

    private func threshold(_ run: CicadaRun, _ name: String) -> [String: Any]? {
        (run.summary?["thresholds"] as? [[String: Any]])?.first { "\($0["metric"]!): \($0["expression"]!)" == name }
    }

    private func run(watching pid: Int32, seconds: Int = 3) throws -> CicadaRun {
        try CicadaBinary.run([server.baseURL + "/ok", "-u", "2", "--wait", "0.05", "-t", "\(seconds)s",
                              "--monitor-pid", "\(pid)",
                              "--threshold", "target_rss: slope < 1MiB/min", "--threshold", "target_cpu: avg < 100%"],
                             timeout: 60)
    }

    /// 2 MiB more every 100 ms is about 1,200 MiB/min: the slope threshold fails and the run exits 3.
    func testAProcessThatGrowsItsMemoryFailsTheSlopeThreshold() throws {
        let pid = try watch("""
            import time
            kept = []
            for _ in range(300):
                kept.append(b"\\x01" * (2 << 20))
                time.sleep(0.1)
            """)
        let run = try run(watching: pid)
        XCTAssertEqual(run.exitCode, 3, run.stdout + run.stderr)
        let slope = try XCTUnwrap((threshold(run, "target_rss: slope < 1MiB/min")?["observed"] as? NSNumber)?.doubleValue)
        XCTAssertGreaterThan(slope, 300, "about 1,200 MiB/min")
        XCTAssertEqual(threshold(run, "target_rss: slope < 1MiB/min")?["unit"] as? String, "mib_per_minute")
        XCTAssertTrue(run.stdout.contains("Target pid \(pid): "), run.stdout)
        let monitor = try XCTUnwrap(run.summary?["monitor"] as? [String: Any])
        let process = try XCTUnwrap((monitor["processes"] as? [[String: Any]])?.first)
        XCTAssertEqual((process["pid"] as? NSNumber)?.int32Value, pid)
        XCTAssertGreaterThanOrEqual((process["readings"] as? NSNumber)?.intValue ?? 0, 3)
        let history = try XCTUnwrap(process["history"] as? [[String: Any]])
        let rss = history.compactMap { ($0["rss_bytes"] as? NSNumber)?.doubleValue }
        XCTAssertGreaterThan(rss.last ?? 0, (rss.first ?? 0) + 10 * 1_048_576, "the history shows the growth")
    }

    /// An idle process: no growth, next to no CPU; both thresholds hold and the run exits 0.
    func testAnIdleProcessPassesTheSlopeThreshold() throws {
        let pid = try watch("import time\ntime.sleep(60)")
        let run = try run(watching: pid)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let slope = try XCTUnwrap((threshold(run, "target_rss: slope < 1MiB/min")?["observed"] as? NSNumber)?.doubleValue)
        XCTAssertLessThan(abs(slope), 1)
        let cpu = try XCTUnwrap((threshold(run, "target_cpu: avg < 100%")?["observed"] as? NSNumber)?.doubleValue)
        XCTAssertLessThan(cpu, 20)
    }

    /// A process that ends during the run is a warning and the run goes on; its figures stop there.
    func testAProcessThatEndsMidRunIsAWarningNotACrash() throws {
        let pid = try watch("import time\ntime.sleep(1)")
        let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "1", "--wait", "0.05", "-t", "3s",
                                        "--monitor-pid", "\(pid)"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.contains("warning: the watched process \(pid) can no longer be read"), run.stderr)
        let process = try XCTUnwrap(((run.summary?["monitor"] as? [String: Any])?["processes"] as? [[String: Any]])?.first)
        XCTAssertEqual(process["lost"] as? Bool, true)
        XCTAssertGreaterThan(run.total("requests"), 10, "the run went on")
    }

    /// Wrong input is refused before any load: a PID that is not there, a target threshold without a
    /// process to watch, a PID out of range.
    func testBadMonitorInputIsAUsageError() throws {
        let cases: [([String], String)] = [
            (["--monitor-pid", "4194304"], "--monitor-pid 4194304: no such process can be read"),
            (["--monitor-pid", "0"], "expected a process id from 1 to 4194304, got '0'"),
            (["--threshold", "target_cpu: avg < 80%"], "target_cpu and target_rss thresholds judge a watched target; give --monitor-pid PID or --monitor-prometheus URL"),
            (["--monitor-pid", "\(getpid())", "--threshold", "target_rss: slope < 1MiB/s/min"],
             "expected a memory growth such as 1MiB/min"),
            (["--monitor-pid", "\(getpid())", "--threshold", "target_rss: p(95) < 1"], "the metric 'target_rss' has no aggregation 'p(95)'; expected max, slope"),
        ]
        for (arguments, message) in cases {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "1", "-t", "1s"] + arguments, timeout: 30)
            XCTAssertEqual(run.exitCode, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            XCTAssertNil(run.summary, "no load, no summary")
        }
    }
}
