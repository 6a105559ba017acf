import CicadaTestSupport
import Foundation
import XCTest

/// `cicada demo` as a newcomer runs it, from a folder outside the checkout: the seed's suite through its
/// four stages against the embedded target, its criteria judged, the reports written, and the target's own
/// counts agreeing with Cicada's; then with the target made to fail on purpose, the criteria that must fail
/// do. A short time factor keeps each run to a few seconds (the seed's own spawn rates, shorter stages).
///
/// The demo runs the release build, as a user runs it (`scripts/test` builds it first): the debug build's
/// target spends about 25 times the CPU per request (MultipartKit and Hummingbird unoptimised), which
/// saturates two cores and fails the latency criterion for a reason no user meets.
final class DemoCommandTests: XCTestCase {
    private var folder: String!
    private let binary = CicadaBinary.releasePath

    override func setUpWithError() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary),
                      "\(binary) is needed: scripts/test builds it (swift build -c release --product cicada)")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-demo-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Runs the demo in `folder` (the current folder) with `arguments` added, its 21 minutes times `factor`.
    private func demo(_ arguments: [String], factor: Double = 0.005) throws -> (CicadaRun, [String: Any]) {
        let run = try CicadaBinary.command(["demo", "--time-factor", "\(factor)", "--threads", "1"] + arguments,
                                           timeout: 120, folder: folder, binary: binary)
        let reports = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix("cicada-demo-") },
                                    "the demo's folder is made in the current folder: \(run.stdout)\(run.stderr)")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: "\(folder!)/\(reports)/summary.json"))
        return (run, try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    private func verdicts(_ summary: [String: Any]) -> [String: Bool] {
        var verdicts: [String: Bool] = [:]
        for row in summary["thresholds"] as? [[String: Any]] ?? [] {
            verdicts["\(row["metric"] as! String): \(row["expression"] as! String)"] = (row["passed"] as? NSNumber)?.boolValue
        }
        return verdicts
    }

    func testTheDemoRunsTheSeedsLoadTestFromAnyFolderAndTheTargetsCountsAgree() throws {
        // 25 s: the administrators wait 5 to 10 s between tasks, and each of their tasks must come up. The
        // target's simulated latency at half: a 1.2 s baseline has about 40 requests, and at full latency 2 % of
        // analyses pass 500 ms (p99 600 ms), enough for a p95 of so few to fail now and then; the default
        // demo's 3 s baseline has the numbers for it.
        let (run, summary) = try demo(["--latency-scale", "0.5"], factor: 0.02)
        XCTAssertEqual(run.exitCode, 0, "every criterion holds: \(run.stdout.suffix(3000))\(run.stderr)")
        let stages = try XCTUnwrap(summary["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.map { $0["name"] as? String }, ["baseline", "normal", "peak", "stress"])
        let names = Set((summary["endpoints"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        for login in ["/api/v1/auth/login", "/api/v1/audio/upload", "/api/v1/batch", "/api/v1/admin/dashboard"] {
            XCTAssertTrue(names.contains(login), "each class reached the target: \(names)")
        }
        XCTAssertTrue(run.stdout.contains("Contract mistakes the target saw: 0."), run.stdout)
        XCTAssertTrue(run.stdout.contains("Every route's count agrees"), run.stdout)
        XCTAssertNotNil(summary["monitor"], "the target was watched by PID")
        XCTAssertEqual(verdicts(summary).count, 12, "the scenario's two criteria, the target's two, two per stage")
        let reports = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix("cicada-demo-") })
        let directory = "\(folder!)/\(reports)"
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        for stage in ["baseline", "normal", "peak", "stress"] { XCTAssertTrue(html.contains("Stage \(stage)"), stage) }
        for file in ["stats_stats.csv", "stats_stats_history.csv", "junit.xml", "target.log", "target-metrics.txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/" + file), file)
        }
        XCTAssertTrue(run.stdout.contains("Reports: \(directory)/report.html"), run.stdout)
        // Every route of the contract was reached, as the target itself counted.
        let metrics = try String(contentsOfFile: directory + "/target-metrics.txt", encoding: .utf8)
        for route in ["POST /api/v1/auth/login", "GET /api/v1/auth/me", "POST /api/v1/audio/upload", "POST /api/v1/audio/analyze",
                      "GET /api/v1/audio/results/{analysis_id}", "GET /api/v1/files", "GET /api/v1/files/search",
                      "POST /api/v1/batch", "GET /api/v1/jobs/{job_id}", "GET /api/v1/admin/dashboard",
                      "GET /api/v1/admin/users", "POST /api/v1/admin/users", "GET /api/v1/admin/health", "GET /health"] {
            let parts = route.split(separator: " ").map(String.init)
            XCTAssertGreaterThan(DemoTargetProcess.sum(metrics, "samplemind_requests_total", labels: ["method": parts[0], "route": parts[1]]),
                                 0, "\(route) reached")
        }
        // What ran is the example, byte for byte, though the demo reads it from the binary.
        XCTAssertEqual(try String(contentsOfFile: directory + "/samplemind.yaml", encoding: .utf8),
                       try String(contentsOfFile: ScenarioTests.examples + "/samplemind.yaml", encoding: .utf8),
                       "the embedded scenario is examples/samplemind.yaml: run scripts/embed-demo-scenario")
    }

    func testATargetThatFailsFivePercentFailsTheErrorRateCriterion() throws {
        let (run, summary) = try demo(["--error-rate", "0.05"])
        XCTAssertEqual(run.exitCode, 3, run.stdout.suffix(2000) + run.stderr)
        XCTAssertEqual(verdicts(summary)["http_req_failed: rate < 0.001"], false)
        XCTAssertTrue(run.stdout.contains("Contract mistakes the target saw: 0."), "injected 500s are no client's mistake")
    }

    func testATargetOfSmallCapacityBreaksInTheStressStageNotTheBaseline() throws {
        let (run, summary) = try demo(["--capacity", "8"])
        XCTAssertEqual(run.exitCode, 3, run.stdout.suffix(2000) + run.stderr)
        let verdicts = verdicts(summary)
        XCTAssertEqual(verdicts["http_req_failed{stage:baseline}: rate < 0.001"], true, "3 users stay under the capacity")
        XCTAssertEqual(verdicts["http_req_failed{stage:stress}: rate < 0.001"], false, "hundreds of users get 503s")
    }

    func testAFolderThatCannotBeMadeIsRefusedBeforeTheTargetStarts() throws {
        let run = try CicadaBinary.command(["demo", "--output", "/proc/cicada-demo"], folder: folder, binary: binary)
        XCTAssertEqual(run.exitCode, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--output /proc/cicada-demo: cannot create the folder"), run.stderr)
    }

    func testADemoKilledOutrightLeavesNoTargetBehind() throws {
        let child = try CicadaChild(["demo", "--time-factor", "1", "--output", folder + "/killed"], binary: binary)
        // The first line names the target's pid.
        let text = try child.line(startingWith: "cicada demo: ", timeout: 30)
        let pid = try XCTUnwrap(text.range(of: "(pid ").flatMap { Int32(text[$0.upperBound...].prefix { $0.isNumber }) }, text)
        XCTAssertEqual(kill(pid, 0), 0, "the target runs")
        child.stop(signal: SIGKILL, timeout: 10)
        let gone = Date().addingTimeInterval(5)
        while kill(pid, 0) == 0, Date() < gone { usleep(50_000) }
        XCTAssertNotEqual(kill(pid, 0), 0, "the target (pid \(pid)) stopped with its parent")
    }
}
