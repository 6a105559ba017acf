import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// Runs driven through the library, as a long-lived process (the web UI) drives them: one after another in
/// one process, on a thread of their own, watched and stopped from another thread.
final class LoadRunTests: XCTestCase {
    private var nginx: NginxFixture!
    private var plan: CompiledPlan!
    private var engine: EngineOptions!

    override func setUpWithError() throws {
        XCTAssertTrue(NginxFixture.isAvailable, "nginx is needed: .ci/run and scripts/test install it")
        nginx = NginxFixture()
        try nginx.start()
        let url = try TargetURL(nginx.baseURL + "/")
        let scenario = Scenario.oneEndpoint(url: url, method: "GET", headers: [], body: [], wait: .between(0.005, 0.01))
        plan = try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
        engine = EngineOptions(host: url.host, port: url.port, threads: 2, maxUsers: 4)
    }

    override func tearDown() {
        nginx?.stop()
    }

    /// Asserts that a finished run counted every request it started, and exactly what nginx logged since
    /// the last reset.
    private func assertCounted(_ result: RunResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let total = result.statistics.aggregated
        XCTAssertGreaterThan(total.requests, 10, what, file: file, line: line)
        XCTAssertEqual(total.failures, 0, what, file: file, line: line)
        XCTAssertEqual(total.requests, result.requestsStarted, "\(what): one sample per request started", file: file, line: line)
        XCTAssertEqual(nginx.accessLogLines(atLeast: Int(total.successes)).count, Int(total.successes),
                       "\(what): nginx logged each request that succeeded, and no other", file: file, line: line)
    }

    /// Starts a run with no run time on a thread of its own and returns once it has counted `requests`.
    private func startAndWatch(until requests: UInt64) throws -> LoadRun {
        let configuration = RunConfiguration(users: 4, spawnRate: 0, runTime: nil, stopTimeout: 2, reportInterval: 0.1)
        let run = try LoadRun.start(plan: plan, engine: engine, configuration: configuration)
        // A guard against a hang, not a measurement.
        let deadline = Date().addingTimeInterval(30)
        while run.progress.statistics.aggregated.requests < requests && Date() < deadline { usleep(10_000) }
        return run
    }

    func testTwoRunsInOneProcessEachCountWhatNginxLogged() throws {
        // The first is stopped; a stop must not outlive its run, so the second runs to its run time.
        let first = try startAndWatch(until: 20)
        first.stop()
        assertCounted(try first.wait(), "first run")
        nginx.resetAccessLog()
        let second = try LoadRun(plan: plan, engine: engine,
                                 configuration: RunConfiguration(users: 4, spawnRate: 0, runTime: 0.5, stopTimeout: 2)).run()
        assertCounted(second, "second run")
        XCTAssertEqual(second.generator.usersPeak, 4, "the second run starts its own users")
    }

    func testTwoRunsSideBySideCountTogetherWhatNginxLogged() throws {
        let runs = try [startAndWatch(until: 20), startAndWatch(until: 20)]
        for run in runs { run.stop() }
        let results = try runs.map { try $0.wait() }
        let successes = results.reduce(0) { $0 + Int($1.statistics.aggregated.successes) }
        for result in results {
            XCTAssertGreaterThanOrEqual(result.statistics.aggregated.requests, 20)
            XCTAssertEqual(result.statistics.aggregated.failures, 0)
            XCTAssertEqual(result.statistics.aggregated.requests, result.requestsStarted)
        }
        XCTAssertEqual(nginx.accessLogLines(atLeast: successes).count, successes)
    }

    func testARunOnItsOwnThreadIsWatchedAndStoppedFromAnother() throws {
        let run = try startAndWatch(until: 20)
        let watched = run.progress
        XCTAssertEqual(watched.phase, .running)
        XCTAssertGreaterThanOrEqual(watched.statistics.aggregated.requests, 20, "progress is published while the run goes on")
        XCTAssertTrue(run.stop(reason: "test"), "the first stop asks")
        XCTAssertFalse(run.stop(), "a second stop finds one asked for")
        let result = try run.wait()
        XCTAssertEqual(try run.wait().statistics.aggregated.requests, result.statistics.aggregated.requests,
                       "every waiter gets the result")
        XCTAssertEqual(run.progress.phase, .finished)
        XCTAssertEqual(run.progress.statistics.aggregated.requests, result.statistics.aggregated.requests)
        XCTAssertGreaterThanOrEqual(result.statistics.aggregated.requests, watched.statistics.aggregated.requests)
        assertCounted(result, "stopped run")
    }

    func testAStopBeforeTheRunStartsSendsNothing() throws {
        let run = try LoadRun(plan: plan, engine: engine, configuration: RunConfiguration(users: 4, spawnRate: 0, runTime: nil))
        run.stop()
        let result = try run.run()
        XCTAssertEqual(result.statistics.aggregated.requests, 0)
        XCTAssertEqual(result.requestsStarted, 0)
        XCTAssertEqual(nginx.accessLogLines().count, 0)
    }

    func testAnUnresolvableHostFailsTheStartBeforeAnyThreadRuns() throws {
        let options = EngineOptions(host: "host.invalid", port: 80, maxUsers: 1)
        XCTAssertThrowsError(try LoadRun.start(plan: plan, engine: options,
                                               configuration: RunConfiguration(users: 1, spawnRate: 0, runTime: 1))) { error in
            XCTAssertTrue("\(error)".contains("host.invalid"), "\(error)")
        }
    }
}
