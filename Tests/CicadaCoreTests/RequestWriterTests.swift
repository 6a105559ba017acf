import CCicadaCore
import XCTest

/// The request writer renders each request once, at compile time (RFC 9112 section 3).
final class RequestWriterTests: XCTestCase {
    private func compileOne(_ request: PlanFixture.Request) -> (plan: OpaquePointer?, code: Int32, message: String) {
        var fixture = PlanFixture()
        fixture.requests = [request]
        fixture.tasks = [(0, 1, 1)]
        fixture.classes = [.init(firstTask: 0, taskCount: 1)]
        return fixture.compile()
    }

    func testGetHasHostAndUserAgentAndNoLength() throws {
        let result = compileOne(.init(method: "GET", target: "/a?b=1"))
        let plan = try XCTUnwrap(result.plan)
        defer { cc_plan_free(plan) }
        XCTAssertEqual(PlanFixture.rendered(plan, 0),
                       "GET /a?b=1 HTTP/1.1\r\nHost: example.test:8080\r\nUser-Agent: cicada/\(CC_VERSION)\r\n\r\n")
    }

    func testBodyGetsContentLengthAndHeadersKeepTheirOrder() throws {
        let result = compileOne(.init(method: "POST", target: "/upload", headers: [("Content-Type", "application/json"), ("X-Key", "k")],
                                      body: Array("{\"a\":1}".utf8)))
        let plan = try XCTUnwrap(result.plan)
        defer { cc_plan_free(plan) }
        XCTAssertEqual(PlanFixture.rendered(plan, 0),
                       "POST /upload HTTP/1.1\r\nHost: example.test:8080\r\nUser-Agent: cicada/\(CC_VERSION)\r\n"
                       + "Content-Type: application/json\r\nX-Key: k\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
    }

    func testEmptyPostSendsContentLengthZero() throws {
        let plan = try XCTUnwrap(compileOne(.init(method: "POST", target: "/")).plan)
        defer { cc_plan_free(plan) }
        XCTAssertTrue(PlanFixture.rendered(plan, 0).contains("Content-Length: 0\r\n"))
    }

    func testHostAndUserAgentFromTheScenarioWin() throws {
        let plan = try XCTUnwrap(compileOne(.init(headers: [("host", "other"), ("User-Agent", "me")])).plan)
        defer { cc_plan_free(plan) }
        XCTAssertEqual(PlanFixture.rendered(plan, 0), "GET / HTTP/1.1\r\nhost: other\r\nUser-Agent: me\r\n\r\n")
    }

    func testCloseConnectionAddsTheHeader() throws {
        let plan = try XCTUnwrap(compileOne(.init(close: true)).plan)
        defer { cc_plan_free(plan) }
        XCTAssertTrue(PlanFixture.rendered(plan, 0).hasSuffix("Connection: close\r\n\r\n"))
    }

    func testRejectsWhatWouldBreakTheMessage() {
        let cases: [(PlanFixture.Request, String)] = [
            (.init(method: "GE T"), "request 0: method 'GE T' has a character a token cannot have"),
            (.init(method: "post"), "request 0: method 'post' is a standard method in lower case"),
            (.init(target: "no-slash"), "request 0: target 'no-slash' does not start with '/'"),
            (.init(target: "*"), "request 0: target '*' does not start with '/'"),
            (.init(target: "/a b"), "request 0: target '/a b' has a character that must be percent-encoded"),
            (.init(target: "/caf\u{E9}"), "has a character that must be percent-encoded"),
            (.init(target: "/page#top"), "request 0: target '/page#top' has a fragment ('#'), which is never sent"),
            (.init(headers: [("Bad Name", "v")]), "request 0: header 'Bad Name' has a character a token cannot have"),
            (.init(headers: [("X", "a\r\nInjected: 1")]), "request 0: the value of header 'X' has a control character"),
            (.init(headers: [("Content-Length", "5")]), "header 'Content-Length' is Content-Length, which Cicada sets"),
            (.init(headers: [("transfer-encoding", "chunked")]), "header 'transfer-encoding' is Transfer-Encoding"),
            (.init(headers: [("Connection", "close")]), "header 'Connection' is Connection, which Cicada manages"),
        ]
        for (request, expected) in cases {
            let result = compileOne(request)
            XCTAssertNil(result.plan)
            XCTAssertEqual(result.code, CC_EINVAL.rawValue)
            XCTAssertTrue(result.message.contains(expected), "\(result.message) should contain \(expected)")
        }
    }

    func testRejectsInconsistentTables() {
        var fixture = PlanFixture()
        fixture.requests = [.init()]
        fixture.tasks = [(0, 2, 1)]
        fixture.classes = [.init(firstTask: 0, taskCount: 1)]
        XCTAssertTrue(fixture.compile().message.contains("task 0 names requests beyond the plan's 1"))
        fixture.tasks = [(0, 1, 0)]
        XCTAssertTrue(fixture.compile().message.contains("every task has weight 0"))
        fixture.tasks = [(0, 1, 1)]
        fixture.classes = [.init(firstTask: 0, taskCount: 1, wait: cc_wait_spec_t(kind: CC_WAIT_BETWEEN, min_ns: 5, max_ns: 1))]
        XCTAssertTrue(fixture.compile().message.contains("needs a <= b"))
        fixture.classes = [.init(firstTask: 0, taskCount: 1, onStart: 3)]
        XCTAssertTrue(fixture.compile().message.contains("on_start task 3 does not exist"))
    }
}
