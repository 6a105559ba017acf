import CicadaTestSupport
import XCTest

/// Every way a server can misbehave ends as the right failure kind; nothing hangs, nothing is lost.
final class FaultServerRunTests: FaultServerTestCase {
    /// Runs two users against one fault path for about 1.5 s and checks the accounting against the server's
    /// own counts: what it received, and what it answered with a whole response.
    private func run(_ path: String, extra: [String] = []) throws -> CicadaRun {
        let run = try CicadaBinary.run([server.baseURL + path, "-u", "2", "-r", "100", "-t", "1500ms", "--wait", "0.01",
                                        "--timeout", "1", "--stop-timeout", "0.2"] + extra, timeout: 30)
        XCTAssertNotNil(run.summary, "\(path): \(run.stderr)")
        XCTAssertEqual(run.total("requests"), server.count(path: path), "\(path): Cicada counted what the server received")
        // The responses Cicada read whole are its successes and its HTTP errors. The server answered at least
        // those, and more only by requests cancelled at the stop, whose answers may have been on the way: so a
        // success or an HTTP error counted for a fault, or a whole answer counted as a failure, shows here.
        let readWhole = run.total("successes") + run.failures("http_4xx") + run.failures("http_5xx")
        let answered = server.answered(path: path)
        XCTAssertLessThanOrEqual(readWhole, answered, "\(path): no response counted that the server did not answer")
        XCTAssertGreaterThanOrEqual(readWhole, answered - run.total("cancelled"),
                                    "\(path): every answer is a success, an HTTP error or cancelled")
        return run
    }

    func testWellFormedResponsesSucceed() throws {
        for path in ["/ok", "/chunked", "/http10", "/close-after"] {
            let run = try run(path)
            XCTAssertEqual(run.exitCode, 0, "\(path): \(run.stdout)")
            XCTAssertGreaterThan(run.total("successes"), 10, path)
            XCTAssertEqual(run.total("failures"), 0, path)
        }
    }

    func testEachFaultIsClassified() throws {
        let expected: [(String, String, String)] = [
            ("/close-mid-body", "closed", "connection closed before the response was complete"),
            ("/garbage-status", "malformed", "bad HTTP version"),
            ("/oversized-header", "malformed", "header section too large"),
            ("/bad-chunk", "malformed", "bad chunk size"),
            ("/reset", "reset", "ECONNRESET"),
            ("/status/500", "http_5xx", "HTTP 500"),
        ]
        for (path, kind, text) in expected {
            let run = try run(path)
            XCTAssertEqual(run.exitCode, 1, path)
            XCTAssertGreaterThan(run.failures(kind), 5, "\(path) → \(kind): \(run.failureKinds)")
            XCTAssertEqual(run.total("failures"), run.failures(kind), "\(path): only \(kind): \(run.failureKinds)")
            XCTAssertTrue(run.stdout.contains(text), "\(path): the failures table says '\(text)':\n\(run.stdout)")
        }
    }

    func testAnHTTPErrorStatusKeepsTheConnection() throws {
        let run = try run("/status/500")
        XCTAssertGreaterThan(run.total("requests"), 20)
        XCTAssertEqual(server.connectionsAccepted, 2, "one connection per user, kept across 5xx responses")
    }

    func testStallsEndInTimeoutsAndCancellation() throws {
        for path in ["/stall", "/stall-mid-body"] {
            let run = try run(path)
            XCTAssertEqual(run.exitCode, 1, path)
            XCTAssertEqual(run.failures("timeout"), 2, "\(path): each user times out once at 1 s: \(run.failureKinds)")
            XCTAssertEqual(run.total("cancelled"), 2, "\(path): the second request of each user is cancelled at stop")
        }
    }

    func testAMixOfFaultsDoesNotStopTheGoodRequests() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: Mixed
                wait: constant(0.005)
                tasks:
                  - {path: /ok, weight: 4}
                  - {path: /reset}
                  - {path: /garbage-status}
                  - {path: /close-mid-body}
                  - {path: /bad-chunk}
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "4", "-t", "2s", "--timeout", "1"], timeout: 30)
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertGreaterThan(run.total("successes"), 50)
        XCTAssertEqual(run.total("successes"), server.count(path: "/ok"))
        XCTAssertEqual(run.total("requests"), server.totalRequests)
        XCTAssertEqual(Set(run.failureKinds.keys), ["reset", "malformed", "closed"])
    }

    func testAFailedCheckIsShownInTheCoresWordsOnce() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: Checker
                wait: constant(0.01)
                tasks:
                  - {path: /status/404, check: {status: 200}}
                  - path: /echo-body
                    method: POST
                    json: {status: running}
                    check: {json: {path: status, equals: done}}
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "1", "-t", "1s", "--stop-timeout", "1"], timeout: 30)
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertTrue(run.stdout.contains("check status 200 failed: got 404"), run.stdout)
        XCTAssertTrue(run.stdout.contains(#"check json status == "done" failed: got "running""#), run.stdout)
        XCTAssertFalse(run.stdout.contains("got got") || run.stdout.contains(#"got "got"#), run.stdout)
        XCTAssertEqual(run.total("failures"), run.failures("check"), "\(run.failureKinds)")
    }
}
