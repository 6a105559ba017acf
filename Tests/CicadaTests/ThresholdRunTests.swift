import CicadaTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Thresholds judged on real runs against the fault server, through the built binary: each kind passes
/// and fails, the exit code follows them, abortOnFail stops a run early, and the JUnit file parses.
final class ThresholdRunTests: XCTestCase {
    private var server: FaultServer!
    private var directory: String!

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-thresholds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The `thresholds` rows of the JSON summary, by `metric: expression`.
    private func verdicts(_ run: CicadaRun) -> [String: [String: Any]] {
        var rows: [String: [String: Any]] = [:]
        for row in run.summary?["thresholds"] as? [[String: Any]] ?? [] {
            rows["\(row["metric"] as! String): \(row["expression"] as! String)"] = row
        }
        return rows
    }

    private func passed(_ row: [String: Any]?) -> Bool? { (row?["passed"] as? NSNumber)?.boolValue }
    private func observed(_ row: [String: Any]?) -> Double? { (row?["observed"] as? NSNumber)?.doubleValue }

    /// A run whose thresholds all hold exits 0, even though half its requests failed: with thresholds, they
    /// alone judge the run. Every kind is here: times with and without units and tags, rates, counts, the
    /// checks' rate and the generator's CPU.
    func testThresholdsThatHoldExitZeroWhateverTheFailuresAndTheJUnitFileHasNoFailure() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks:
                  - {path: /ok, check: {status: 200}}
                  - {path: /status/500}
            thresholds:
              http_req_duration: ["p(95) < 2s", "avg < 2000", "p(99.9) <= 5000ms", "med < 2s", "min >= 0"]
              "http_req_duration{endpoint:/ok}": ["max < 5s"]
              http_req_failed: ["rate < 0.9"]
              "http_req_failed{endpoint:/ok}": ["rate == 0"]
              "http_reqs{method:GET}": ["count > 10", "rate > 5"]
              checks: ["rate == 1"]
              generator_cpu: ["avg < 100000%"]
            """)
        let junit = directory + "/junit.xml"
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "2", "-t", "1s", "--junit", junit,
                                        "--threshold", "http_req_duration: p(90) < 2s"], timeout: 30)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertGreaterThan(run.failures("http_5xx"), 0, "requests failed, and the thresholds still hold")
        let rows = verdicts(run)
        XCTAssertEqual(rows.count, 13)
        for (name, row) in rows { XCTAssertEqual(passed(row), true, name) }
        XCTAssertEqual(observed(rows["checks: rate == 1"]), 1)
        XCTAssertEqual(observed(rows["http_req_failed{endpoint:/ok}: rate == 0"]), 0)
        XCTAssertEqual(observed(rows["http_reqs{method:GET}: count > 10"]).map(Int.init), run.total("requests"))
        let failedRatio = Double(run.failures("http_5xx")) / Double(run.total("requests") - run.total("cancelled"))
        XCTAssertEqual(try XCTUnwrap(observed(rows["http_req_failed: rate < 0.9"])), failedRatio, accuracy: 1e-9)
        XCTAssertTrue(run.stdout.contains("Thresholds: 13 passed, 0 failed"), run.stdout)
        let report = try JUnitFile(path: junit)
        XCTAssertEqual(report.testCases.count, 13)
        XCTAssertEqual(report.failures, [])
        XCTAssertTrue(report.testCases.contains("http_req_duration{endpoint:/ok}: max < 5s"), "\(report.testCases)")
    }

    /// `generator_cpu: max` judges the run's busiest full second and `loop_lag` its lag windows: the values
    /// observed are the summary's own figures, a limit no run can meet fails, and `loop_lag`/`generator_cpu`
    /// `max` can abort a run while it goes on.
    func testGeneratorHealthThresholdsJudgeTheRunsOwnFigures() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.005)
                tasks: [{path: /ok}]
            thresholds:
              generator_cpu: ["max < 100000%", "max < 0.0001%"]
              loop_lag: ["p(99) < 10000ms", "max >= 0"]
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "2", "-t", "2500ms"], timeout: 30)
        XCTAssertEqual(run.exitCode, 3, "no second of load costs under 0.0001% of a core: \(run.stdout + run.stderr)")
        let rows = verdicts(run)
        XCTAssertEqual(passed(rows["generator_cpu: max < 100000%"]), true)
        XCTAssertEqual(passed(rows["generator_cpu: max < 0.0001%"]), false)
        XCTAssertEqual(passed(rows["loop_lag: p(99) < 10000ms"]), true)
        XCTAssertEqual(passed(rows["loop_lag: max >= 0"]), true)
        let history = try XCTUnwrap(run.summary?["history"] as? [[String: Any]])
        let fullSeconds = history.filter { ($0["interval_s"] as! NSNumber).doubleValue >= 0.5 }
        XCTAssertGreaterThanOrEqual(fullSeconds.count, 2)
        let busiest = fullSeconds.map { ($0["generator_cpu_percent"] as! NSNumber).doubleValue }.max()!
        XCTAssertEqual(try XCTUnwrap(observed(rows["generator_cpu: max < 0.0001%"])), busiest, accuracy: 0.01)
        XCTAssertEqual(rows["loop_lag: max >= 0"]?["unit"] as? String, "ms")
        let generator = try XCTUnwrap(run.summary?["generator"] as? [String: Any])
        XCTAssertEqual(observed(rows["loop_lag: p(99) < 10000ms"]), (generator["loop_lag_p99_ms"] as? NSNumber)?.doubleValue)
        XCTAssertEqual(observed(rows["loop_lag: max >= 0"]), (generator["loop_lag_max_ms"] as? NSNumber)?.doubleValue)

        let aborting = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.005)
                tasks: [{path: /ok}]
            thresholds:
              generator_cpu:
                - {threshold: "max < 0.0001%", abortOnFail: true}
            """)
        let aborted = try CicadaBinary.run([aborting, "--host", server.baseURL, "-u", "2", "-t", "20s"], timeout: 30)
        XCTAssertEqual(aborted.exitCode, 3, aborted.stdout + aborted.stderr)
        XCTAssertLessThan(try XCTUnwrap((aborted.totals["duration_s"] as? NSNumber)?.doubleValue), 10,
                          "stopped at a report once its busiest second was known")
        XCTAssertTrue(aborted.stdout.contains("threshold 'generator_cpu: max < 0.0001%' failed"), aborted.stdout)
    }

    /// Failing thresholds of each kind exit 3; the table, the JSON and the JUnit file say which, with the
    /// value observed.
    func testFailingThresholdsExitThreeAndEachIsReportedWithItsValue() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks:
                  - {path: /slow/30}
                  - {path: /status/500}
                  - {path: /ok, check: {status: 201}}
            thresholds:
              "http_req_duration{endpoint:/slow/30}": ["p(95) < 10ms", "min > 20ms"]
              http_req_failed: ["rate < 10%"]
              "http_req_failed{endpoint:/slow/30}": ["rate == 0"]
              checks: ["rate > 0.5"]
              http_reqs: ["count < 3"]
            """)
        let junit = directory + "/junit.xml"
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "2", "-t", "1s", "--junit", junit],
                                       timeout: 30)
        XCTAssertEqual(run.exitCode, 3, run.stdout + run.stderr)
        let rows = verdicts(run)
        let expected = [
            "http_req_duration{endpoint:/slow/30}: p(95) < 10ms": false, "http_req_duration{endpoint:/slow/30}: min > 20ms": true,
            "http_req_failed: rate < 10%": false, "http_req_failed{endpoint:/slow/30}: rate == 0": true,
            "checks: rate > 0.5": false, "http_reqs: count < 3": false,
        ]
        XCTAssertEqual(Set(rows.keys), Set(expected.keys))
        for (name, pass) in expected { XCTAssertEqual(passed(rows[name]), pass, name) }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(observed(rows["http_req_duration{endpoint:/slow/30}: p(95) < 10ms"])), 30,
                                    "the server waits 30 ms")
        XCTAssertEqual(observed(rows["checks: rate > 0.5"]), 0, "every check failed")
        XCTAssertEqual(rows["http_req_failed: rate < 10%"]?["unit"] as? String, "ratio")
        XCTAssertEqual((rows["checks: rate > 0.5"]?["aborted"] as? NSNumber)?.boolValue, false)
        XCTAssertTrue(run.stdout.contains("Thresholds: 2 passed, 4 failed"), run.stdout)
        XCTAssertTrue(run.stdout.contains("checks: rate > 0.5"), run.stdout)
        let report = try JUnitFile(path: junit)
        XCTAssertEqual(report.testCases.count, 6)
        XCTAssertEqual(Set(report.failures), Set(expected.filter { !$0.value }.keys))
        XCTAssertTrue(report.messages.contains("observed rate = 0%"), "\(report.messages)")
    }

    /// An abortOnFail threshold that fails stops the run at the next report, long before its run time; the
    /// exit code is 3 and the JSON says which threshold aborted. One with a delay past the end never aborts.
    func testAbortOnFailStopsTheRunEarly() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks: [{path: /status/500}]
            thresholds:
              http_req_failed:
                - {threshold: "rate < 0.5", abortOnFail: true}
              http_reqs:
                - {threshold: "count < 1", abortOnFail: true, delayAbortEval: 1m}
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "2", "-t", "30s"], timeout: 60)
        XCTAssertEqual(run.exitCode, 3, run.stdout + run.stderr)
        XCTAssertLessThan(try XCTUnwrap(run.totals["duration_s"] as? NSNumber).doubleValue, 15,
                          "stopped at a report interval, not at its 30 s run time")
        let rows = verdicts(run)
        XCTAssertEqual((rows["http_req_failed: rate < 0.5"]?["aborted"] as? NSNumber)?.boolValue, true)
        XCTAssertEqual(passed(rows["http_req_failed: rate < 0.5"]), false)
        XCTAssertEqual((rows["http_reqs: count < 1"]?["aborted"] as? NSNumber)?.boolValue, false, "its delay had not passed")
        XCTAssertEqual(passed(rows["http_reqs: count < 1"]), false)
        XCTAssertTrue(run.stdout.contains("stopping: threshold 'http_req_failed: rate < 0.5' failed"), run.stdout)
        XCTAssertTrue(run.stdout.contains("FAIL (aborted the run at"), run.stdout)
    }

    /// A scenario threshold on an endpoint that a class selection leaves without requests is not judged,
    /// and the run says so, rather than failing it for "no samples" or passing it unseen.
    func testAThresholdOnAnEndpointLeftOutByTheSelectionIsNotJudgedWithAWarning() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks: [{path: /ok}]
              - name: B
                tasks: [{path: /status/500}]
            thresholds:
              "http_req_failed{endpoint:/status/500}": ["rate == 0"]
              http_req_failed: ["rate == 0"]
            """)
        let run = try CicadaBinary.run([scenario, "A", "--host", server.baseURL, "-u", "1", "-t", "500ms"], timeout: 30)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.contains("warning: the threshold 'http_req_failed{endpoint:/status/500}: rate == 0' is not "
            + "judged: the selection leaves no request it applies to"), run.stderr)
        XCTAssertEqual(Array(verdicts(run).keys), ["http_req_failed: rate == 0"])
        XCTAssertEqual(server.count(path: "/status/500"), 0)
    }

    /// `{stage:NAME}` judges that stage's own figures: its count is the stage's count in `stages[]`, not the
    /// run's, and a stage the run does not have is refused before any load (or, from the scenario when the
    /// command line replaces its stages, a warning).
    func testAStageThresholdJudgesThatStagesOwnFigures() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            stages:
              - {name: warm, users: 1, spawn_rate: 10, duration: 600ms}
              - {name: hot, users: 3, spawn_rate: 100, duration: 600ms}
            users:
              - name: A
                wait: constant(0.01)
                tasks: [{path: /ok}, {path: /status/500, weight: 0}]
            thresholds:
              "http_reqs{stage:hot}": ["count > 0"]
              "http_req_failed{stage:warm}": ["rate == 0"]
              "http_reqs{stage:warm,endpoint:/ok}": ["count < 0"]
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL], timeout: 30)
        XCTAssertEqual(run.exitCode, 3, "the last threshold cannot hold: " + run.stdout + run.stderr)
        let stages = try XCTUnwrap(run.summary?["stages"] as? [[String: Any]])
        func requests(_ stage: [String: Any]) -> Double? { ((stage["totals"] as? [String: Any])?["requests"] as? NSNumber)?.doubleValue }
        let rows = verdicts(run)
        XCTAssertEqual(observed(rows["http_reqs{stage:hot}: count > 0"]), requests(stages[1]))
        XCTAssertEqual(observed(rows["http_reqs{stage:warm,endpoint:/ok}: count < 0"]), requests(stages[0]))
        XCTAssertNotEqual(requests(stages[0]), Double(run.total("requests")), "a stage's count, not the run's")
        XCTAssertEqual(passed(rows["http_req_failed{stage:warm}: rate == 0"]), true)

        let unknown = try CicadaBinary.run([scenario, "--host", server.baseURL, "--threshold", "http_reqs{stage:hott}: count > 0"], timeout: 30)
        XCTAssertEqual(unknown.exitCode, 2)
        XCTAssertTrue(unknown.stderr.contains("no stage is named 'hott'; did you mean 'hot'? The run's stages: warm, hot"), unknown.stderr)
        let constant = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "1", "-t", "300ms"], timeout: 30)
        XCTAssertEqual(constant.exitCode, 0, constant.stderr)
        XCTAssertTrue(constant.stderr.contains("warning: the threshold 'http_reqs{stage:hot}: count > 0' is not judged: this run has no stage of that name"), constant.stderr)
        XCTAssertEqual(server.count(path: "/status/500"), 0)
    }

    /// A JUnit file that cannot be written after the run exits 4, with the console's report printed; the
    /// thresholds' verdict is still shown.
    func testAJUnitFileThatCannotBeWrittenAfterTheRunExitsFour() throws {
        let folder = directory + "/reports"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let stdout = directory + "/stdout"
        let stderr = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CicadaBinary.path)
        process.arguments = ["run", "--headless", server.baseURL + "/ok", "-t", "1500ms", "--wait", "0.01",
                             "--threshold", "http_req_failed: rate == 0", "--junit", folder + "/junit.xml"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        let started = Date().addingTimeInterval(15)
        while server.totalRequests == 0 && Date() < started { usleep(5_000) }
        try FileManager.default.removeItem(atPath: folder)
        CicadaBinary.waitForExit(process, timeout: 30, "the run ends at its run time")
        let out = (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 4, err)
        XCTAssertTrue(err.contains("the JUnit report was not written"), err)
        XCTAssertTrue(out.contains("Totals:") && out.contains("Thresholds: 1 passed, 0 failed"), out)
    }
}

/// A JUnit file read back with Foundation's XML parser: its test cases and the ones with a failure.
private final class JUnitFile: NSObject, XMLParserDelegate {
    private(set) var testCases: [String] = []
    private(set) var failures: [String] = []
    private(set) var messages: [String] = []
    private var current: String?

    init(path: String) throws {
        super.init()
        let parser = try XCTUnwrap(XMLParser(contentsOf: URL(fileURLWithPath: path)), "\(path) opens")
        parser.delegate = self
        XCTAssertTrue(parser.parse(), "\(path) parses as XML: \(String(describing: parser.parserError))")
    }

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if element == "testcase" {
            current = attributes["name"]
            testCases.append(attributes["name"] ?? "")
        } else if element == "failure", let current {
            failures.append(current)
            messages.append(attributes["message"] ?? "")
        }
    }
}
