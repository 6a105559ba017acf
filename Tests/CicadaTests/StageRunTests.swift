import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// Staged runs against a real nginx: each stage reaches its users at its spawn rate and holds them, as
/// Cicada's progress and nginx's own count of open connections both show; ramping down retires users;
/// every figure per stage adds up exactly to the whole run's; and a custom ``LoadShape`` drives a run.
final class StageRunTests: XCTestCase {
    private var nginx: NginxFixture!

    override func setUpWithError() throws {
        XCTAssertTrue(NginxFixture.isAvailable, "nginx is needed: .ci/run and scripts/test install it")
        nginx = NginxFixture(options: .init(keepaliveRequests: 100_000))
        try nginx.start()
    }

    override func tearDown() {
        nginx?.stop()
    }

    /// Two endpoints, so that per-endpoint sums are checked too; each user keeps one connection.
    private func plan() throws -> (CompiledPlan, TargetURL) {
        let url = try TargetURL(base: nginx.baseURL)
        let scenario = Scenario(host: nginx.baseURL) {
            UserClass("Reader", weight: 3, wait: .between(0.01, 0.02)) {
                Task("home") { Request.get("/") }
            }
            UserClass("Lister", weight: 1, wait: .between(0.01, 0.02)) {
                Task("item") { Request.get("/items?id=1") }
            }
        }
        try scenario.validate()
        return (try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader), url)
    }

    /// What the test saw at one moment: Cicada's progress and nginx's open connections (less the one asking).
    private struct Observation {
        var stage: StageProgress
        var users: Int
        var connections: Int
    }

    private func watch(_ run: LoadRun) -> [Observation] {
        var seen: [Observation] = []
        let deadline = Date().addingTimeInterval(30) // a guard against a hang, not a measurement
        while run.progress.phase != .finished && run.progress.phase != .stopping && Date() < deadline {
            let progress = run.progress
            if let stage = progress.stage, let open = nginx.activeConnections() {
                seen.append(Observation(stage: stage, users: progress.usersActive, connections: open - 1))
            }
            usleep(40_000)
        }
        return seen
    }

    func testStagesRampUpHoldAndRetireAsNginxSeesAndAddUpToTheTotals() throws {
        let (plan, url) = try plan()
        let stages = [Stage("up", users: 16, spawnRate: 40, duration: 1.2),
                      Stage("down", users: 4, spawnRate: 40, duration: 1.0),
                      Stage("drain", users: 0, spawnRate: 100, duration: 0.6)]
        let run = try LoadRun.start(
            plan: plan, engine: EngineOptions(host: url.host, port: url.port, threads: 2, maxUsers: 16),
            configuration: RunConfiguration(shape: try StagedShape(stages), runTime: nil, stopTimeout: 2, reportInterval: 0.05))
        let seen = watch(run)
        let result = try run.wait()

        // The ramp never outruns the spawn rate (the first user at once, then one each 1/40 s), and it keeps up
        // with it but for the ticks' lateness (a generous 0.3 s on a busy machine).
        for observation in seen where observation.stage.name == "up" {
            let t = observation.stage.elapsed
            XCTAssertLessThanOrEqual(observation.users, min(16, Int(40 * t) + 1), "up at \(t) s")
            XCTAssertGreaterThanOrEqual(observation.users, min(16, Int(40 * max(0, t - 0.3))), "up at \(t) s")
        }
        func late(_ name: String, after seconds: Double) -> [Observation] {
            seen.filter { $0.stage.name == name && $0.stage.elapsed >= seconds && ($0.stage.remaining ?? 0) > 0.1 }
        }
        for (name, users, settled) in [("up", 16, 0.8), ("down", 4, 0.7), ("drain", 0, 0.4)] {
            let hold = late(name, after: settled)
            XCTAssertFalse(hold.isEmpty, "\(name): observed while holding")
            XCTAssertEqual(hold.map(\.users), hold.map { _ in users }, "\(name): Cicada holds \(users) users")
            XCTAssertEqual(hold.last?.connections, users, "\(name): nginx has one connection per user")
        }
        XCTAssertEqual(result.generator.usersPeak, 16)

        // Every stage ran, in order, from its start to the next one's.
        XCTAssertEqual(result.stages.map(\.name), ["up", "down", "drain"])
        XCTAssertEqual(result.stages.map(\.users), [16, 4, 0])
        XCTAssertEqual(result.stages[0].started, 0)
        for index in 1..<3 {
            XCTAssertEqual(result.stages[index].started, result.stages[index - 1].started + result.stages[index - 1].duration,
                           accuracy: 1e-6)
        }
        XCTAssertEqual(result.stages.map(\.duration).reduce(0, +), result.duration, accuracy: 1e-6)

        // Each request counts in exactly one stage: the sums are the whole run's, endpoint by endpoint.
        let total = result.statistics.aggregated
        XCTAssertGreaterThan(total.requests, 100)
        XCTAssertEqual(total.failures, 0)
        for stage in result.stages.prefix(2) { XCTAssertGreaterThan(stage.statistics.aggregated.requests, 20, stage.name) }
        for endpoint in result.statistics.endpoints.indices {
            let whole = result.statistics.perEndpoint[endpoint]
            let parts = result.stages.map { $0.statistics.perEndpoint[endpoint] }
            XCTAssertEqual(parts.map(\.requests).reduce(0, +), whole.requests, whole.endpoint.name)
            XCTAssertEqual(parts.map(\.failures).reduce(0, +), whole.failures, whole.endpoint.name)
            XCTAssertEqual(parts.map(\.cancelled).reduce(0, +), whole.cancelled, whole.endpoint.name)
            XCTAssertEqual(parts.map { $0.responseTime.totalCount }.reduce(0, +), whole.responseTime.totalCount,
                           "\(whole.endpoint.name): the stages' histograms hold every sample of the whole run's")
        }
        let logged = nginx.accessLogLines(atLeast: Int(total.successes)).filter { $0.uri != "/nginx_status" }
        XCTAssertEqual(logged.count, Int(total.successes), "nginx logged each request that succeeded, and no other")
    }

    /// A shape of the test's own: two named steps, then the end.
    private struct TwoSteps: LoadShape {
        func tick(elapsed: Double) -> LoadTarget? {
            switch elapsed {
            case ..<0.5: LoadTarget(users: 2, spawnRate: 0, stage: "two")
            case ..<1.0: LoadTarget(users: 5, spawnRate: 0, stage: "five")
            default: nil
            }
        }
    }

    /// A shape that asks for more users than any run may have.
    private struct Absurd: LoadShape {
        func tick(elapsed: Double) -> LoadTarget? { LoadTarget(users: 2_000_000, spawnRate: 1) }
    }

    func testACustomShapeDrivesALoadRun() throws {
        let (plan, url) = try plan()
        let engine = EngineOptions(host: url.host, port: url.port, threads: 1, maxUsers: 5)
        let result = try LoadRun(plan: plan, engine: engine,
                                 configuration: RunConfiguration(shape: TwoSteps(), runTime: nil, stopTimeout: 2)).run()
        XCTAssertEqual(result.stages.map(\.name), ["two", "five"])
        XCTAssertEqual(result.stages.map(\.users), [2, 5])
        XCTAssertEqual(result.generator.usersPeak, 5)
        XCTAssertLessThan(result.duration, 10, "the shape's nil ended the run (a guard, not a measurement)")
        XCTAssertEqual(result.stages.map { $0.statistics.aggregated.requests }.reduce(0, +), result.statistics.aggregated.requests)

        XCTAssertThrowsError(try LoadRun(plan: plan, engine: engine,
                                         configuration: RunConfiguration(shape: Absurd(), runTime: 5)).run()) { error in
            XCTAssertEqual("\(error)", "the load shape asked for 2000000 users; expected an integer number of users from 0 to 1000000")
        }
    }

    /// `--stages` and `--time-factor` through the command line, the JSON summary's `stages[]` and the console's
    /// per-stage tables; `-t` cuts the stages short.
    func testStagesOnTheCommandLineInTheSummaryAndTheConsole() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: Reader
                wait: between(0.01, 0.02)
                tasks:
                  - {endpoint: home, path: /}
                  - {endpoint: item, path: "/items?id=1"}
            """)
        let stages = "warm:4@100/30s,cool:2@100/30s"
        let run = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "--stages", stages, "--time-factor", "0.02"])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("stopping: the last stage (cool) ended"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Stage 1 warm: 4 users at 100/s"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Stage 2 cool: 2 users at 100/s"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Whole run"), run.stdout)
        let summary = try XCTUnwrap(run.summary)
        let list = try XCTUnwrap(summary["stages"] as? [[String: Any]])
        XCTAssertEqual(list.compactMap { $0["name"] as? String }, ["warm", "cool"])
        XCTAssertEqual(list.compactMap { ($0["users"] as? NSNumber)?.intValue }, [4, 2])
        XCTAssertEqual(list.compactMap { ($0["spawn_rate"] as? NSNumber)?.doubleValue }, [100, 100])
        XCTAssertEqual((list[0]["started_s"] as? NSNumber)?.doubleValue, 0)
        let durations = list.compactMap { ($0["duration_s"] as? NSNumber)?.doubleValue }
        XCTAssertEqual(durations.count, 2)
        XCTAssertEqual((list[1]["started_s"] as? NSNumber)?.doubleValue ?? -1, durations[0], accuracy: 1e-9)
        XCTAssertEqual(durations.reduce(0, +), (run.totals["duration_s"] as? NSNumber)?.doubleValue ?? -1, accuracy: 1e-6)
        // The same blocks as the whole run's, with the same keys, adding up to its counts.
        for key in ["requests", "successes", "failures", "cancelled"] {
            let parts = list.map { (($0["totals"] as? [String: Any])?[key] as? NSNumber)?.intValue ?? -1 }
            XCTAssertEqual(parts.reduce(0, +), run.total(key), key)
        }
        XCTAssertEqual(Set((list[0]["totals"] as? [String: Any] ?? [:]).keys), Set(run.totals.keys))
        let wholeEndpoints = summary["endpoints"] as? [[String: Any]] ?? []
        for (index, endpoint) in wholeEndpoints.enumerated() {
            let parts = list.map { ((($0["endpoints"] as? [[String: Any]])?[index])?["requests"] as? NSNumber)?.intValue ?? -1 }
            XCTAssertEqual(parts.reduce(0, +), (endpoint["requests"] as? NSNumber)?.intValue, "\(endpoint["name"] ?? "")")
            XCTAssertEqual(Set(((list[0]["endpoints"] as? [[String: Any]])?[index] ?? [:]).keys), Set(endpoint.keys))
        }
        XCTAssertGreaterThan(run.total("successes"), 50)
        let logged = nginx.accessLogLines(atLeast: run.total("successes")).filter { $0.uri != "/nginx_status" }
        XCTAssertEqual(logged.count, run.total("successes"))

        // -t (scaled by the factor too: 40 s × 0.02 = 0.8 s) ends the run within the second stage.
        let cut = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "--stages", stages, "--time-factor", "0.02", "-t", "40s"])
        XCTAssertEqual(cut.exitCode, 0, cut.stdout + cut.stderr)
        XCTAssertTrue(cut.stdout.contains("stopping: run time reached"), cut.stdout)
        let cutStages = cut.summary?["stages"] as? [[String: Any]] ?? []
        XCTAssertEqual(cutStages.compactMap { $0["name"] as? String }, ["warm", "cool"])

        // A run without stages has no `stages` key.
        let plain = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "-u", "2", "-t", "300ms"])
        XCTAssertEqual(plain.exitCode, 0, plain.stderr)
        XCTAssertNotNil(plain.summary?["totals"])
        XCTAssertNil(plain.summary?["stages"])
        XCTAssertFalse(plain.stdout.contains("Whole run"))
    }
}
