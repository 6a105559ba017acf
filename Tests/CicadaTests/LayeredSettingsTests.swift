import CicadaTestSupport
import Foundation
import XCTest

/// Settings from a config file (`--config`), from `CICADA_*` variables and from the command line, through
/// the built binary against the fault server: the command line over the environment over the file, each
/// value checked by the option's own rules, and a bad one named where it was written.
final class LayeredSettingsTests: XCTestCase {
    private var server: FaultServer!
    private var directory: URL!

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func config(_ text: String) throws -> String {
        let path = directory.appendingPathComponent("cicada-\(UUID().uuidString).toml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func thresholds(_ run: CicadaRun) -> [String] {
        (run.summary?["thresholds"] as? [[String: Any]] ?? []).map { "\($0["metric"]!): \($0["expression"]!)" }
    }

    private func usersPeak(_ run: CicadaRun) -> Int? {
        ((run.summary?["generator"] as? [String: Any])?["users_peak"] as? NSNumber)?.intValue
    }

    /// The file sets everything; the environment overrides the users; the command line overrides the
    /// thresholds, replacing the file's list rather than adding to it.
    func testTheCommandLineOverridesTheEnvironmentWhichOverridesTheFile() throws {
        let file = try config("""
            # a run in a file
            locustfile = "\(server.baseURL)/ok"
            users = 2
            spawn_rate = 100
            run-time = "400ms"
            wait = "0.01"
            threshold = ["http_req_failed: rate == 0", "http_reqs: count > 0"]
            headless = true
            """)
        let fromFile = try CicadaBinary.run(["--config", file], timeout: 30)
        XCTAssertEqual(fromFile.exitCode, 0, fromFile.stderr)
        XCTAssertEqual(usersPeak(fromFile), 2)
        XCTAssertEqual(thresholds(fromFile), ["http_req_failed: rate == 0", "http_reqs: count > 0"])

        let fromEnvironment = try CicadaBinary.run(["--config", file], timeout: 30, environment: ["CICADA_USERS": "3"])
        XCTAssertEqual(fromEnvironment.exitCode, 0, fromEnvironment.stderr)
        XCTAssertEqual(usersPeak(fromEnvironment), 3)

        let fromCommandLine = try CicadaBinary.run(["-u", "1", "--threshold", "http_reqs: count > 1", "--config", file],
                                                   timeout: 30, environment: ["CICADA_USERS": "3"])
        XCTAssertEqual(fromCommandLine.exitCode, 0, fromCommandLine.stderr)
        XCTAssertEqual(usersPeak(fromCommandLine), 1)
        XCTAssertEqual(thresholds(fromCommandLine), ["http_reqs: count > 1"])

        // CICADA_CONFIG names the file; a repeatable option in a variable takes one value per line.
        let viaVariable = try CicadaBinary.run([], timeout: 30, environment: [
            "CICADA_CONFIG": file, "CICADA_THRESHOLD": "http_reqs: count > 2\nhttp_req_failed: rate < 0.5"])
        XCTAssertEqual(viaVariable.exitCode, 0, viaVariable.stderr)
        XCTAssertEqual(thresholds(viaVariable), ["http_reqs: count > 2", "http_req_failed: rate < 0.5"])
        XCTAssertGreaterThan(server.count(path: "/ok"), 0)
    }

    /// Locust's `-f FILE`: the words after it are user classes.
    func testDashFTakesTheScenarioAndTheWordsAfterItAreUserClasses() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - {name: A, wait: constant(0.01), tasks: [{path: /ok}]}
              - {name: B, wait: constant(0.01), tasks: [{path: /status/500}]}
            """)
        let run = try CicadaBinary.run(["-f", scenario, "A", "--host", server.baseURL, "-u", "2", "-t", "300ms"], timeout: 30)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertGreaterThan(server.count(path: "/ok"), 0)
        XCTAssertEqual(server.count(path: "/status/500"), 0, "only class A ran")
        let none = try CicadaBinary.run(["-u", "1"], timeout: 30)
        XCTAssertEqual(none.exitCode, 2)
        XCTAssertTrue(none.stderr.contains("no scenario or URL: give one"), none.stderr)
    }

    /// Each bad setting is refused before any load, with where it was written and what was expected.
    func testBadSettingsNameWhereTheyWereWritten() throws {
        let target = [server.baseURL + "/ok", "-t", "200ms"]
        let cases: [(arguments: [String], environment: [String: String], message: String)] = [
            (["--config", try config("users = 2\nusrs = 3\n")], [:],
             ":2: unknown setting 'usrs'; did you mean 'users'?"),
            (["--config", try config("users = [2, 3]\n")], [:], ":1: 'users' takes one value, not a list"),
            (["--config", try config("users = \n")], [:], ":1:9: invalid TOML"),
            (["--config", try config("users = 0\n")], [:], "(--users was set by "),
            (["--config", try config("insecure = \"yes\"\n")], [:], ":1: 'insecure' is a flag; expected true or false"),
            (["--config", try config("host = { a = 1 }\n")], [:], "expected a string, a number or true/false, got a TOML table"),
            (["--config", directory.appendingPathComponent("missing.toml").path], [:], "cannot read the file"),
            ([], ["CICADA_USERS": "abc"], "(--users was set by CICADA_USERS)"),
            ([], ["CICADA_INSECURE": "maybe"], "CICADA_INSECURE='maybe': expected true or false"),
        ]
        for (arguments, environment, message) in cases {
            let run = try CicadaBinary.run(target + arguments, timeout: 30, environment: environment)
            XCTAssertEqual(run.exitCode, 2, "\(arguments) \(environment): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments) \(environment): \(run.stderr)")
            XCTAssertNil(run.summary)
        }
        XCTAssertEqual(server.totalRequests, 0, "no load was sent")
    }
}
