import CCicadaCore
import XCTest

/// Templated requests, compiled and rendered byte for byte (template.c, plan_templates.c).
final class TemplateRenderTests: XCTestCase {
    private func plan(_ requests: [DynamicPlanFixture.Request], variables: [(String, UInt32)] = [],
                      variableBytes: UInt32 = 0, tables: [[[String]]] = [], cookies: Bool = false,
                      file: StaticString = #filePath, line: UInt = #line) throws -> OpaquePointer {
        var f = DynamicPlanFixture()
        f.requests = requests
        f.steps = requests.indices.map { DynamicPlanFixture.Step(request: UInt32($0)) }
        f.tasks = [(0, UInt32(requests.count), 1)]
        f.classes = [.init(cookies: cookies)]
        f.variables = variables
        f.variableBytes = variableBytes
        f.dataTables = tables
        let result = f.compile()
        return try XCTUnwrap(result.plan, result.message, file: file, line: line)
    }

    private let head = "Host: example.test:8080\r\nUser-Agent: cicada/\(String(cString: CC_VERSION))\r\n"

    func testAStaticRequestKeepsItsPrerenderedBytes() throws {
        let p = try plan([.init(target: [.text("/static")])])
        defer { cc_plan_free(p) }
        var length = 0
        XCTAssertNotNil(cc_plan_request_bytes(p, 0, &length), "no slot: the bytes rendered at compile time")
        XCTAssertEqual(DynamicPlanFixture.render(p, 0).text, "GET /static HTTP/1.1\r\n\(head)\r\n")
    }

    func testEverySlotKindRendersInPlace() throws {
        let p = try plan([.init(
            method: "POST",
            target: [.text("/u/"), .userID, .text("/"), .userIndex, .text("?i="), .iteration, .text("&v="),
                     .variable(0, CC_ENCODE_URL)],
            headers: [("Authorization", [.text("Bearer "), .variable(1)])],
            body: [.text("{\"name\":\""), .variable(0, CC_ENCODE_JSON), .text("\",\"row\":\""), .data(1),
                   .text("\"}")])],
            variables: [("name", 0), ("token", 0)], tables: [[["alice", "a@x"], ["bob", "b@x"]]])
        defer { cc_plan_free(p) }
        XCTAssertNil(cc_plan_request_bytes(p, 0, nil), "a templated request has no fixed bytes")
        let result = DynamicPlanFixture.render(p, 0, values: ["a b&\"c\"", "tok.123"], userID: 42, userIndex: 7,
                                               iteration: 3, dataTable: 0, row: 1)
        let body = "{\"name\":\"a b&\\\"c\\\"\",\"row\":\"b@x\"}"
        XCTAssertEqual(result.text,
                       "POST /u/42/7?i=3&v=a%20b%26%22c%22 HTTP/1.1\r\n\(head)Authorization: Bearer tok.123\r\n"
                       + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)", result.reason)
    }

    func testContentLengthIsThatOfTheRenderedBody() throws {
        let p = try plan([.init(method: "PUT", target: [.text("/x")], body: [.variable(0)])], variables: [("v", 0)])
        defer { cc_plan_free(p) }
        for value in ["", "1", String(repeating: "é", count: 300)] {
            let text = try XCTUnwrap(DynamicPlanFixture.render(p, 0, values: [value]).text)
            XCTAssertTrue(text.hasSuffix("Content-Length: \(value.utf8.count)\r\n\r\n\(value)"), text)
        }
    }

    func testBuiltInsHaveTheirShape() throws {
        let p = try plan([.init(target: [.text("/"), .uuid, .text("/"), .randomInt(-3, 3), .text("/"),
                                         .choice(["red", "green"]), .text("/"), .timeUnix, .text("/"), .timeUnixMS])])
        defer { cc_plan_free(p) }
        var seenInts = Set<Int>()
        for seed in 1...200 {
            let text = try XCTUnwrap(DynamicPlanFixture.render(p, 0, seed: UInt64(seed)).text)
            let target = text.split(separator: " ")[1].split(separator: "/", omittingEmptySubsequences: true)
            XCTAssertEqual(target.count, 5, text)
            let uuid = String(target[0])
            XCTAssertNotNil(uuid.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                                       options: .regularExpression), uuid)
            let n = try XCTUnwrap(Int(target[1]))
            XCTAssertTrue((-3...3).contains(n))
            seenInts.insert(n)
            XCTAssertTrue(["red", "green"].contains(String(target[2])))
            let seconds = try XCTUnwrap(Int(target[3])), ms = try XCTUnwrap(Int(target[4]))
            XCTAssertLessThanOrEqual(abs(Int(Date().timeIntervalSince1970) - seconds), 5)
            XCTAssertLessThanOrEqual(abs(ms / 1000 - seconds), 1)
        }
        XCTAssertEqual(seenInts, Set(-3...3), "every value of random.int(-3, 3) comes up, the bounds included")
    }

    func testAnUnsetVariableFailsNamingIt() throws {
        let p = try plan([.init(target: [.text("/files/"), .variable(1)])], variables: [("token", 0), ("file_id", 0)])
        defer { cc_plan_free(p) }
        let result = DynamicPlanFixture.render(p, 0, values: ["t", nil])
        XCTAssertNil(result.text)
        XCTAssertEqual(result.variable, 1)
        XCTAssertEqual(result.reason, "unset variable")
    }

    func testAValueThatWouldSplitAHeaderFails() throws {
        let p = try plan([.init(target: [.text("/")], headers: [("X-Token", [.variable(0)])])], variables: [("t", 0)])
        defer { cc_plan_free(p) }
        let result = DynamicPlanFixture.render(p, 0, values: ["a\r\nX-Evil: 1"])
        XCTAssertNil(result.text, "a CR LF in a header value would be request smuggling")
        XCTAssertEqual(result.variable, 0)
        XCTAssertEqual(result.reason, "value has a character its place cannot hold")
        XCTAssertNotNil(DynamicPlanFixture.render(p, 0, values: ["a\tb"]).text, "a tab is allowed")
    }

    func testARawValueInTheTargetMustBeAValidTarget() throws {
        let p = try plan([.init(target: [.text("/q?x="), .variable(0)])], variables: [("v", 0)])
        defer { cc_plan_free(p) }
        XCTAssertNil(DynamicPlanFixture.render(p, 0, values: ["a b"]).text)
        XCTAssertNil(DynamicPlanFixture.render(p, 0, values: ["a#b"]).text)
        XCTAssertEqual(DynamicPlanFixture.render(p, 0, values: ["a%20b"]).text,
                       "GET /q?x=a%20b HTTP/1.1\r\n\(head)\r\n")
    }

    func testAValueOverTheArenaDoesNotFit() throws {
        let p = try plan([.init(target: [.text("/"), .variable(0)])], variables: [("v", 0)], variableBytes: 64)
        defer { cc_plan_free(p) }
        XCTAssertNotNil(DynamicPlanFixture.render(p, 0, values: [String(repeating: "a", count: 64)]).text)
        let result = DynamicPlanFixture.render(p, 0, values: [String(repeating: "a", count: 65)])
        XCTAssertNil(result.text)
        XCTAssertEqual(result.reason, "value does not fit the variables")
    }

    func testALargeBodyIsSentFromThePlanAndFramedRight() throws {
        let file = String(repeating: "0123456789abcdef", count: 16 * 1024) // 256 KiB
        let p = try plan([.init(method: "POST", target: [.text("/upload/"), .userID],
                                body: [.text("--b\r\n"), .text(file), .text("\r\n--b--\r\n")])])
        defer { cc_plan_free(p) }
        let text = try XCTUnwrap(DynamicPlanFixture.render(p, 0, userID: 5).text)
        let body = "--b\r\n\(file)\r\n--b--\r\n"
        XCTAssertEqual(text, "POST /upload/5 HTTP/1.1\r\n\(head)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    func testLiteralTextOfATemplateObeysTheRequestRules() {
        var f = DynamicPlanFixture()
        f.requests = [.init(target: [.text("/a b/"), .userID])]
        f.steps = [.init()]
        f.tasks = [(0, 1, 1)]
        f.classes = [.init()]
        let result = f.compile()
        XCTAssertNil(result.plan)
        XCTAssertEqual(result.code, CC_EINVAL.rawValue)
        XCTAssertTrue(result.message.contains("target: text at byte 2 has a character that must be percent-encoded"),
                      result.message)
    }

    func testASlotNamingAnUnknownVariableIsRefused() {
        var f = DynamicPlanFixture()
        f.requests = [.init(target: [.text("/"), .variable(3)])]
        f.steps = [.init()]
        f.tasks = [(0, 1, 1)]
        f.classes = [.init()]
        f.variables = [("a", 0)]
        let result = f.compile()
        XCTAssertNil(result.plan)
        XCTAssertTrue(result.message.contains("names variable 3 of 1"), result.message)
    }
}
