import CicadaTestSupport
import XCTest

/// Runs against a real nginx on loopback and checks Cicada's counts against nginx's access log.
final class NginxIntegrationTests: XCTestCase {
    private var nginx: NginxFixture!

    override func setUpWithError() throws {
        XCTAssertTrue(NginxFixture.isAvailable, "nginx is needed: .ci/run and scripts/test install it")
        nginx = NginxFixture(options: .init(keepaliveRequests: 100_000))
        try nginx.start()
    }

    override func tearDown() {
        nginx?.stop()
    }

    func testTwentyUsersEveryRequestIsInTheAccessLogAndConnectionsAreReused() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: Reader
                wait: between(0.01, 0.05)
                tasks:
                  - {endpoint: home, path: /}
                  - {endpoint: item, path: "/items?id=1", weight: 2}
            """)
        let run = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "-u", "20", "-r", "100", "-t", "3s"])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 500)
        XCTAssertEqual(run.total("failures"), 0)
        XCTAssertEqual(run.total("requests"), successes + run.total("cancelled"))
        let lines = nginx.accessLogLines(atLeast: successes)
        XCTAssertEqual(lines.count, successes, "every request Cicada counted reached nginx, and no other")
        XCTAssertEqual(Set(lines.map(\.connection)).count, 20, "one keep-alive connection per user")
        XCTAssertGreaterThan(lines.map(\.connectionRequests).max() ?? 0, 10, "connections carry many requests")
        let endpoints = run.summary?["endpoints"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(endpoints.compactMap { $0["name"] as? String }), ["home", "item"])
        let items = lines.filter { $0.uri == "/items?id=1" }.count
        XCTAssertEqual(Double(items) / Double(lines.count), 2.0 / 3.0, accuracy: 0.06, "task weights 1:2")
    }

    func testURLRunWithoutWaitIsLikeWrk() throws {
        let run = try CicadaBinary.run([nginx.baseURL + "/", "-u", "4", "-t", "2s", "--threads", "1"])
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 1000)
        XCTAssertEqual(nginx.accessLogLines(atLeast: successes).count, successes)
    }

    func testClosedPortFailsEveryRequestWithConnectRefused() throws {
        let port = FaultServer.closedPort()
        let run = try CicadaBinary.run(["http://127.0.0.1:\(port)/", "-u", "3", "-t", "1s", "--wait", "0.01"])
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertGreaterThan(run.total("requests"), 10)
        XCTAssertEqual(run.failures("connect_refused"), run.total("requests"))
        XCTAssertTrue(run.stdout.contains("connection refused"), run.stdout)
    }

    func testHTTPErrorsAreFailuresByClass() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: U
                wait: constant(0.01)
                tasks:
                  - {path: /status/404}
                  - {path: /status/503}
                  - {path: /}
            """)
        let run = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "-u", "2", "-t", "1500ms"])
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertGreaterThan(run.failures("http_4xx"), 5)
        XCTAssertGreaterThan(run.failures("http_5xx"), 5)
        XCTAssertEqual(run.total("failures"), run.failures("http_4xx") + run.failures("http_5xx"))
        XCTAssertEqual(nginx.accessLogLines(atLeast: run.total("requests")).count, run.total("requests"))
        XCTAssertTrue(run.stdout.contains("HTTP 404"))
    }

    func testOnStartAndMultiStepTasksRunInOrder() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: Flow
                wait: constant(0.02)
                on_start:
                  name: login
                  method: POST
                  path: /login
                  json: {user: demo}
                tasks:
                  - name: browse
                    steps:
                      - {path: /step1}
                      - {path: /step2}
            """)
        let run = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "-u", "3", "-t", "1500ms"])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let lines = nginx.accessLogLines(atLeast: run.total("successes"))
        let byConnection = Dictionary(grouping: lines, by: \.connection)
        XCTAssertEqual(byConnection.count, 3)
        for (_, requests) in byConnection {
            let ordered = requests.sorted { $0.connectionRequests < $1.connectionRequests }
            XCTAssertEqual(ordered.first?.uri, "/login")
            XCTAssertEqual(ordered.first?.method, "POST")
            let rest = ordered.dropFirst().map(\.uri)
            for (index, uri) in rest.enumerated() {
                XCTAssertEqual(uri, index % 2 == 0 ? "/step1" : "/step2", "steps alternate in order")
            }
        }
    }

    func testServerClosingAfterEachResponseReconnectsAndLosesNothing() throws {
        let run = try CicadaBinary.run([nginx.baseURL + "/close", "-u", "5", "-t", "2s", "--wait", "0.005"])
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 100)
        let lines = nginx.accessLogLines(atLeast: successes)
        XCTAssertEqual(lines.count, successes)
        XCTAssertEqual(Set(lines.map(\.connection)).count, successes, "a new connection for every request")
        let generator = run.summary?["generator"] as? [String: Any]
        XCTAssertEqual((generator?["connections_opened"] as? NSNumber)?.intValue, run.total("requests"))
    }

    /// The bar, shortened for the suite: 2000 users waiting between(1, 5) s, zero failures and an
    /// exact match with the access log. bench/ runs the full 30 s version.
    func testTwoThousandUsers() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: Browser
                wait: between(1, 5)
                tasks:
                  - {name: index, path: /}
            """)
        let run = try CicadaBinary.run([scenario, "--host", nginx.baseURL, "-u", "2000", "-r", "1000", "-t", "8s"])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertEqual(run.total("failures"), 0)
        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 2000)
        XCTAssertEqual(nginx.accessLogLines(atLeast: successes).count, successes)
        let generator = run.summary?["generator"] as? [String: Any]
        XCTAssertEqual((generator?["users_peak"] as? NSNumber)?.intValue, 2000)
        XCTAssertEqual((generator?["connections_opened"] as? NSNumber)?.intValue, 2000, "no reconnects")
    }
}
