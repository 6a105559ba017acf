import CCicadaCore
import Foundation
import XCTest
@testable import Cicada

/// The scenario language read into the model and compiled: captures, checks, steps, conditions, repeats,
/// data, tags, and the failures the core reports put back into the scenario's words.
final class ScenarioLanguageTests: XCTestCase {
    func testEveryNewKeyIsRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-lang-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "username,password\nalice,\"p,1\"\nbob,\"say \"\"hi\"\"\"\n".write(to: directory.appendingPathComponent("users.csv"),
                                                                            atomically: true, encoding: .utf8)
        let yaml = """
            users:
              - name: Shopper
                weight: 2
                fixed_count: 4
                tags: [shop]
                cookies: false
                data: {file: users.csv, mode: per_user, recycle: true}
                on_start:
                  method: POST
                  path: /login
                  form: {user: "${row.username}", pass: "${row.password}"}
                  capture:
                    - {var: token, json: "$.auth[\\"access.token\\"]"}
                    - {var: cart, header: Location, optional: true}
                    - {var: code, status: true}
                    - {var: sid, cookie: session, default: none}
                    - {var: seen, regex: 'id="(\\w+)"', append: true, max: 5}
                tasks:
                  - name: checkout
                    weight: 3
                    tags: [slow]
                    steps:
                      - path: /cart
                        if: ${cart}
                        check:
                          - {status: [200, 201, 3xx, 400-404]}
                          - {body_contains: "items"}
                          - {json: {path: "items[*].id", exists: true}}
                          - {json: {path: total, equals: 0}}
                          - {json: {path: state, matches: "^(open|paid)$"}}
                          - {header: {name: content-type, equals: application/json}}
                          - {max_duration: 1.5s}
                      - {wait: 500ms}
                      - method: POST
                        path: /pay
                        unless: ${sid}
                        on_failure: continue
                        json: {card: "${random(seen)}", n: 3}
                      - path: /order/${last(seen)}
                        repeat: {until: [{json: {path: state, equals: paid}}, {status: 200}], every: 250ms, max: 8}
                on_stop: {method: POST, path: /logout}
            """
        let scenario = try Scenario.parse(yaml: yaml, file: directory.path + "/s.yaml")
        let shopper = scenario.userClasses[0]
        XCTAssertEqual(shopper.fixedCount, 4)
        XCTAssertEqual(shopper.tags, ["shop"])
        XCTAssertFalse(shopper.cookies)
        XCTAssertEqual(shopper.data, DataSource(file: directory.path + "/users.csv", table: DataTable(
            columns: ["username", "password"], rows: [["alice", "p,1"], ["bob", "say \"hi\""]]), mode: .perUser, recycle: true))
        let login = try XCTUnwrap(shopper.onStart).requests[0]
        XCTAssertEqual(login.content, .template(Template(pieces: [
            .text("user="), .slot(.row("username"), .url), .text("&pass="), .slot(.row("password"), .url)])))
        XCTAssertEqual(login.captures, [
            Capture("token", from: .json("$.auth[\"access.token\"]")),
            Capture("cart", from: .header("Location"), optional: true),
            Capture("code", from: .status),
            Capture("sid", from: .cookie("session"), default: "none"),
            Capture("seen", from: .regex("id=\"(\\w+)\""), append: true, max: 5),
        ])
        let checkout = shopper.tasks[0]
        XCTAssertEqual(checkout.tags, ["slow"])
        XCTAssertEqual(checkout.steps.count, 4)
        guard case .request(let cart) = checkout.steps[0], case .wait(let wait) = checkout.steps[1],
              case .request(let pay) = checkout.steps[2], case .request(let order) = checkout.steps[3] else {
            return XCTFail("steps: \(checkout.steps)")
        }
        XCTAssertEqual(cart.condition, .ifSet("cart"))
        XCTAssertEqual(cart.checks, [
            .status([StatusRange(200), StatusRange(201), StatusRange(300, 399), StatusRange(400, 404)]),
            .bodyContains("items"), .jsonExists(path: "items[*].id"), .jsonEquals(path: "total", value: "0"),
            .jsonMatches(path: "state", pattern: "^(open|paid)$"), .headerEquals(name: "content-type", value: "application/json"),
            .maxDuration(1.5),
        ])
        XCTAssertEqual(cart.checks.map(\.description), [
            "check status in [200, 201, 3xx, 400-404]", "check body contains \"items\"", "check json items[*].id exists",
            "check json total == 0", "check json state matches /^(open|paid)$/",
            "check header content-type == \"application/json\"", "check duration <= 1.5s",
        ])
        XCTAssertEqual(wait, .constant(0.5))
        XCTAssertEqual(pay.condition, .unlessSet("sid"))
        XCTAssertTrue(pay.continueOnFailure)
        // A string that is one variable is its JSON value: a captured number goes back unquoted.
        XCTAssertEqual(pay.content, .template(Template(pieces: [.text(#"{"card":"#), .slot(.randomItem("seen"), .jsonValue), .text(#","n":3}"#)])))
        XCTAssertEqual(order.repeatUntil, Repeat(until: [.jsonEquals(path: "state", value: "paid"), .status([StatusRange(200)])],
                                                 every: 0.25, max: 8))
        XCTAssertEqual(shopper.onStop?.requests.map(\.path), ["/logout"])

        // The plan: steps for every task, checks of the repeat marked `until`, indices plan-wide.
        let plan = try PlanSpecification(scenario: scenario, hostHeader: "h")
        XCTAssertEqual(plan.variables.map(\.name), ["cart", "code", "seen", "sid", "token"])
        XCTAssertEqual(plan.variables.map(\.listMax), [0, 0, 5, 0, 0])
        XCTAssertEqual(plan.classes[0].dataTable, 0)
        XCTAssertEqual(plan.classes[0].dataMode, UInt8(CC_DATA_PER_USER.rawValue))
        XCTAssertTrue(plan.classes[0].dataRecycle)
        XCTAssertFalse(plan.classes[0].cookies)
        XCTAssertEqual(plan.classes[0].fixedCount, 4)
        XCTAssertEqual([plan.classes[0].onStartTask, plan.classes[0].onStopTask], [1, 2])
        XCTAssertEqual(plan.tasks.map { [$0.firstStep, $0.stepCount] }, [[0, 4], [4, 1], [5, 1]])
        XCTAssertEqual(plan.steps.map(\.kind), [0, 1, 0, 0, 0, 0].map(UInt8.init))
        XCTAssertEqual(plan.steps[0].when, UInt8(CC_WHEN_SET.rawValue))
        XCTAssertEqual(plan.steps[0].whenVariable, 0)
        XCTAssertEqual(plan.steps[2].when, UInt8(CC_WHEN_UNSET.rawValue))
        XCTAssertEqual(plan.steps[2].whenVariable, 3)
        XCTAssertTrue(plan.steps[2].continueOnFailure)
        XCTAssertEqual([plan.steps[3].repeatMax], [8])
        XCTAssertEqual(plan.steps[3].repeatEveryNanoseconds, 250_000_000)
        XCTAssertEqual(plan.requests[2].checks.map(\.until), [true, true])
        XCTAssertEqual(plan.requests[2].firstCheck, 7)
        XCTAssertEqual(plan.checkDescriptions[7], "repeat until json state == \"paid\" still not true after 8 attempts")
        XCTAssertEqual(plan.requests[3].captures.map(\.source), [0, 1, 3, 4, 2].map(UInt8.init))
        XCTAssertEqual(plan.captureDescriptions, [
            "capture 'token' found nothing at json $.auth[\"access.token\"]", "capture 'cart' found nothing at header Location",
            "capture 'code' found nothing at status", "capture 'sid' found nothing at cookie session",
            "capture 'seen' found nothing at regex id=\"(\\w+)\"",
        ])
        XCTAssertEqual(plan.dataTables[0].rows.count, 2)
        // And it compiles in the core as it is.
        XCTAssertNoThrow(try CompiledPlan(specification: plan))
    }

    /// A plan without waits, conditions, repeats or on_failure has no steps: each task is its requests.
    func testAPlanWithoutFlowsHasNoSteps() throws {
        let plan = try PlanSpecification(scenario: Scenario.load(path: ScenarioTests.examples + "/audio-api.yaml"), hostHeader: "h")
        XCTAssertTrue(plan.steps.isEmpty)
        XCTAssertEqual(plan.tasks.map(\.stepCount), plan.tasks.map { _ in 0 })
        XCTAssertTrue(plan.requests.allSatisfy { $0.targetTemplate == nil && $0.bodyTemplate == nil && $0.headers.allSatisfy { $0.template == nil } })
    }

    /// Static requests compile to the same bytes they did before templates existed.
    func testStaticRequestBytesAreUnchanged() throws {
        let scenario = Scenario.oneEndpoint(url: try TargetURL("http://127.0.0.1:8080/health?x=1"), method: "POST",
                                            headers: [Header(name: "X-A", value: "b")], body: Array("hi".utf8), wait: .constant(0))
        let plan = try CompiledPlan(scenario: scenario, hostHeader: "127.0.0.1:8080")
        XCTAssertEqual(String(decoding: try XCTUnwrap(plan.requestBytes(0)), as: UTF8.self),
                       "POST /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: cicada/\(CC_VERSION)\r\nX-A: b\r\n"
                        + "Content-Length: 2\r\n\r\nhi")
    }

    // MARK: Failures in words

    static func sample(endpoint: UInt32 = 0, failure: cc_failure_t, detail: Int32, status: UInt16 = 200,
                       evidence: String = "", cut: Bool = false) -> cc_sample_t {
        var sample = cc_sample_t()
        sample.endpoint = endpoint
        sample.failure = UInt8(failure.rawValue)
        sample.detail = detail
        sample.status = status
        sample.first_byte_ns = 2
        sample.end_ns = 3
        let bytes = Array(evidence.utf8.prefix(Int(CC_SAMPLE_EVIDENCE)))
        withUnsafeMutableBytes(of: &sample.evidence) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        sample.evidence_length = UInt8(bytes.count)
        if cut { sample.flags |= UInt8(CC_SAMPLE_EVIDENCE_CUT) }
        return sample
    }

    func testFailuresReadAsTheScenariosChecksAndCaptures() throws {
        let yaml = """
            users:
              - name: A
                on_start: {method: POST, path: /login, capture: [{var: token, json: access_token}]}
                tasks:
                  - path: /job/${token}
                    check:
                      - {json: {path: status, equals: done}}
                      - {status: 200}
                      - {max_duration: 500ms}
            """
        let plan = try CompiledPlan(scenario: Scenario.parse(yaml: yaml, file: "t.yaml"), hostHeader: "h")
        XCTAssertEqual(plan.checkDescriptions, ["check json status == \"done\"", "check status 200", "check duration <= 500ms"])
        XCTAssertEqual(plan.captureDescriptions, ["capture 'token' found nothing at json access_token"])
        XCTAssertEqual(plan.variableNames, ["token"])
        var statistics = RunStatistics(endpoints: plan.endpoints, failureNames: plan.failureNames)
        // The evidence as the core words it (inspect.c's cc__judge).
        for _ in 0..<3 { statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 0, evidence: "got \"running\"")) }
        statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 0, evidence: "got \"queued\""))
        statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 0, evidence: "got \"" + String(repeating: "x", count: 25), cut: true))
        statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 0))
        statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 1, status: 404, evidence: "got 404"))
        statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 1, status: 404)) // the status, when the core gave none
        statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 2, evidence: "took 731 ms"))
        statistics.record(Self.sample(endpoint: 1, failure: CC_FAIL_CAPTURE, detail: 0))
        statistics.record(Self.sample(failure: CC_FAIL_TEMPLATE, detail: 0))
        statistics.record(Self.sample(failure: CC_FAIL_TEMPLATE, detail: 0, evidence: "is longer than the arena"))
        let messages = statistics.failureRows.map { "\($0.count) \(failureKindKey($0.kind)) \($0.message)" }
        XCTAssertEqual(messages, [
            "3 check check json status == \"done\" failed: got \"running\"",
            "2 check check status 200 failed: got 404",
            "1 check check duration <= 500ms failed: took 731 ms",
            "1 check check json status == \"done\" failed: got \"queued\"",
            "1 check check json status == \"done\" failed: got \"xxxxxxxxxxxxxxxxxxxxxxxxx…",
            "1 check check json status == \"done\" failed: got nothing",
            "1 template unset variable 'token'",
            "1 template variable 'token': is longer than the arena",
            "1 capture capture 'token' found nothing at json access_token",
        ])
        let table = StatsTable.renderFailures(statistics)
        XCTAssertTrue(table.contains("GET     /job/${token}                    check json status == \"done\" failed: got \"running\""), table)
    }

    /// A check that fails with a new value each time keeps a bounded number of rows.
    func testDistinctValuesPerCheckAreBounded() {
        var statistics = RunStatistics(endpoints: [Endpoint(method: "GET", name: "/p")],
                                       failureNames: FailureNames(checks: ["check json progress == 100"]))
        for progress in 0..<500 { statistics.record(Self.sample(failure: CC_FAIL_CHECK, detail: 0, evidence: "\(progress)")) }
        XCTAssertEqual(statistics.failureCounts.count, RunStatistics.evidencePerCheck + 1)
        let rows = statistics.failureRows
        XCTAssertEqual(rows.first?.message, "check json progress == 100 failed: got other values")
        XCTAssertEqual(rows.first?.count, UInt64(500 - RunStatistics.evidencePerCheck))
        XCTAssertEqual(rows.reduce(0) { $0 + $1.count }, 500)
    }

    // MARK: validate() for scenarios built in code

    func testValidateAppliesTheLanguageRules() {
        func scenario(_ request: RequestTemplate, data: DataSource? = nil, tags: [String] = []) -> Scenario {
            Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [request], tags: tags)], data: data)])
        }
        let table: [(Scenario, String)] = [
            (scenario(RequestTemplate(path: "/x/${id}")),
             "user class 'U', task 't': path: ${id} is used but never set in user class 'U': no capture of the class sets 'id'"),
            (scenario(RequestTemplate(path: "/x/${id")), "user class 'U', task 't': in the path '/x/${id': the slot '${id' has no closing '}'"),
            (scenario(RequestTemplate(path: "/", captures: [Capture("uuid", from: .json("a"))])),
             "user class 'U', task 't': cannot capture into 'uuid': it is a built-in's name"),
            (scenario(RequestTemplate(path: "/", captures: [Capture("a", from: .json("a..b"))])), "invalid JSON path 'a..b'"),
            (scenario(RequestTemplate(path: "/", captures: [Capture("a", from: .regex("(x"))])), "the regex '(x' does not compile"),
            (scenario(RequestTemplate(path: "/", checks: [.status([])])), "expected at least one status in a status check"),
            (scenario(RequestTemplate(path: "/", repeatUntil: Repeat(until: []))), "'repeat' has no 'until'"),
            (scenario(RequestTemplate(path: "/", condition: .ifSet("nope"))), "${nope} is used but never set"),
            (scenario(RequestTemplate(path: "/${row.x}")), "${row.x} reads a data row, but user class 'U' has no 'data:' file"),
            (scenario(RequestTemplate(path: "/${row.x}"), data: DataSource(file: "d.csv", table: DataTable(columns: ["y"], rows: [["1"]]))),
             "the data file 'd.csv' has no column 'x'; did you mean 'y'? Columns: y"),
            (scenario(RequestTemplate(path: "/", headers: [Header(name: "Content-Type", value: "a/b")],
                                      content: .multipart([.field("a", "b")]))),
             "the header 'Content-Type' cannot be set on a multipart request"),
            (scenario(RequestTemplate(path: "/", content: .multipart([.generated("f", size: 0)]))),
             "expected a generated size from 1 byte to 64MiB for multipart part 'f', got 0 bytes"),
            (scenario(RequestTemplate(path: "/"), tags: ["a b"]), "expected a tag without spaces or commas"),
            (scenario(RequestTemplate(path: "/", headers: [Header(name: "X", value: "${env.CICADA_TEST_UNSET_VARIABLE}")])),
             "the environment variable 'CICADA_TEST_UNSET_VARIABLE' is not set and has no default"),
        ]
        for (bad, message) in table {
            XCTAssertThrowsError(try bad.validate(), message) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) lacks \(message)")
            }
        }
    }

    // MARK: The seed's suite

    func testSampleMindExpressesTheSeed() throws {
        let scenario = try Scenario.load(path: ScenarioTests.examples + "/samplemind.yaml")
        XCTAssertEqual(scenario.userClasses.map(\.name), ["AudioAnalysisUser", "APIUser", "AdminUser"])
        XCTAssertEqual(scenario.userClasses.map(\.weight), [5, 3, 1])
        XCTAssertEqual(scenario.userClasses.map(\.wait), [.between(1, 5), .between(0.5, 2), .between(5, 10)])
        XCTAssertEqual(scenario.userClasses.map { $0.tasks.map { "\($0.name)=\($0.weight)" } }, [
            ["analyze_audio=3", "upload_file=1", "view_results=2", "list_files=2", "search_files=1"],
            ["api_analyze=5", "api_batch_process=2", "api_get_status=3"],
            ["view_dashboard=3", "manage_users=1", "system_health_check=2"],
        ])
        let audio = scenario.userClasses[0]
        let login = try XCTUnwrap(audio.onStart).requests[0]
        XCTAssertEqual(login.captures, [Capture("token", from: .json("access_token"))])
        XCTAssertTrue(audio.tasks.allSatisfy { $0.requests.allSatisfy { $0.headers.contains(Header(name: "Authorization", value: "Bearer ${token}")) } })
        let upload = audio.tasks[1].requests[0]
        guard case .multipart(let parts) = upload.content else { return XCTFail("upload is \(upload.content)") }
        XCTAssertEqual(parts.map(\.name), ["file", "genre", "tags"])
        XCTAssertEqual(parts[0], MultipartPart(name: "file", filename: "sample.wav", contentType: "audio/wav", content: .generated(size: 262_144)))
        XCTAssertEqual(upload.captures, [Capture("file_ids", from: .json("file_id"), append: true, max: 20)])
        XCTAssertEqual(audio.tasks[0].requests[0].condition, .ifSet("file_ids"))
        // The API key from the environment, with the contract's demo key as the default.
        let api = scenario.userClasses[1]
        let key = try Scenario.parse(yaml: String(contentsOfFile: ScenarioTests.examples + "/samplemind.yaml", encoding: .utf8),
                                     file: ScenarioTests.examples + "/samplemind.yaml", environment: ["SAMPLEMIND_API_KEY": "k2"])
        XCTAssertEqual(key.userClasses[1].tasks[0].requests[0].headers.first, Header(name: "X-API-Key", value: "k2"))
        if ProcessInfo.processInfo.environment["SAMPLEMIND_API_KEY"] == nil {
            XCTAssertEqual(api.tasks[0].requests[0].headers.first, Header(name: "X-API-Key", value: "demo-api-key"))
        }
        let poll = api.tasks[1].requests[1]
        XCTAssertEqual(poll.path, "/api/v1/jobs/${job_id}")
        XCTAssertEqual(poll.repeatUntil, Repeat(until: [.jsonEquals(path: "status", value: "done")], every: 1, max: 30))
        let admin = scenario.userClasses[2]
        XCTAssertEqual(admin.onStart?.requests[0].captures, [Capture("admin_token", from: .json("access_token"))])
        XCTAssertEqual(admin.tasks[1].requests[1].content, .template(Template(pieces: [
            .text(#"{"username":"user-"#), .slot(.uuid, .json), .text(#"","role":"user"}"#)])))
        // Every route of the contract is reached.
        let paths = Set(scenario.userClasses.flatMap { $0.allRequests.map { "\($0.method) \($0.endpointName)" } })
        for route in ["POST /api/v1/auth/login", "GET /api/v1/auth/me", "POST /api/v1/audio/upload", "POST /api/v1/audio/analyze",
                      "GET /api/v1/audio/results/:id", "GET /api/v1/files", "GET /api/v1/files/search", "POST /api/v1/batch",
                      "GET /api/v1/jobs/:id", "GET /api/v1/admin/dashboard", "GET /api/v1/admin/users", "POST /api/v1/admin/users",
                      "GET /api/v1/admin/health", "GET /health"] {
            XCTAssertTrue(paths.contains(route), "\(route) is not reached: \(paths.sorted())")
        }
        XCTAssertNoThrow(try CompiledPlan(scenario: scenario, hostHeader: "127.0.0.1:8000"))
    }
}
