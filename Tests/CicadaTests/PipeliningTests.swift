import CicadaTestSupport
import XCTest

/// HTTP/1.1 pipelining: several requests in flight on one connection, responses matched in order.
final class PipeliningTests: XCTestCase {
    func testPipelinedRunAgainstNginxCountsEveryRequestOnOneConnectionPerUser() throws {
        let nginx = NginxFixture(options: .init(keepaliveRequests: 1_000_000))
        try nginx.start()
        defer { nginx.stop() }
        let run = try CicadaBinary.run([nginx.baseURL + "/", "-u", "3", "-t", "2s", "--pipeline", "8", "--threads", "1"])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 1000)
        let lines = nginx.accessLogLines(atLeast: successes)
        XCTAssertEqual(lines.count, successes)
        XCTAssertEqual(Set(lines.map(\.connection)).count, 3, "the lanes of a user share its connection")
    }

    func testResponsesAreMatchedInOrder() throws {
        // Two endpoints with different status codes on one pipelined connection: if responses were
        // matched to the wrong requests, 404s would be counted against /ok and 200s against /status/404.
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: U
                tasks:
                  - {path: /ok}
                  - {path: /status/404}
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "2", "-t", "1500ms", "--pipeline", "4"], timeout: 30)
        XCTAssertEqual(run.exitCode, 1)
        let endpoints = run.summary?["endpoints"] as? [[String: Any]] ?? []
        let byName = Dictionary(uniqueKeysWithValues: endpoints.map { ($0["name"] as! String, $0) })
        let ok = try XCTUnwrap(byName["/ok"])
        let missing = try XCTUnwrap(byName["/status/404"])
        XCTAssertEqual((ok["failures"] as! NSNumber).intValue, 0, "every /ok got its own 200")
        XCTAssertEqual((missing["failures"] as! NSNumber).intValue, (missing["requests"] as! NSNumber).intValue - (missing["cancelled"] as! NSNumber).intValue)
        XCTAssertEqual(run.total("requests"), server.totalRequests)
        XCTAssertEqual(server.connectionsAccepted, 2)
    }

    func testAFailedConnectionFailsEveryRequestInFlightOnIt() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        // /close-mid-body breaks the connection under the requests pipelined behind it: each is counted.
        let run = try CicadaBinary.run([server.baseURL + "/close-mid-body", "-u", "1", "-t", "1s", "--pipeline", "4",
                                        "--wait", "0.01"], timeout: 30)
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertEqual(run.total("requests"), run.total("failures") + run.total("cancelled"))
        XCTAssertEqual(run.failures("closed"), run.total("failures"))
        XCTAssertGreaterThanOrEqual(run.total("requests"), server.count(path: "/close-mid-body"),
                                    "requests sent behind the broken one may never reach the server, but all are counted")
    }

    func testPipelineOutOfRangeIsAUsageError() throws {
        let run = try CicadaBinary.run(["http://127.0.0.1:1/", "--pipeline", "65"], json: false)
        XCTAssertEqual(run.exitCode, 2)
        XCTAssertTrue(run.stderr.contains("The value '65' is invalid for '--pipeline <pipeline>': expected a pipeline depth "
            + "from 1 to 64"), run.stderr)
    }
}
