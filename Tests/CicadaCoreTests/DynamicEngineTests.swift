import CCicadaCore
import CicadaTestSupport
import Foundation
import XCTest

/// Templates, captures, checks, steps, cookies and data rows in the engine, against a real server on
/// loopback (the test support's FaultServer, whose /echo-body, /echo-head, /set-cookie and /job routes
/// answer what the request asks for). Counts are compared with the server's own.
final class DynamicEngineTests: XCTestCase {
    private var server: FaultServer!
    typealias F = DynamicPlanFixture

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
    }

    override func tearDown() {
        server.stop()
    }

    private struct Run {
        var samples: [cc_sample_t]
        var counters: cc_engine_counters_t
        func failures(_ kind: cc_failure_t) -> [cc_sample_t] { samples.filter { $0.failure == UInt8(kind.rawValue) } }
        var successes: [cc_sample_t] { samples.filter { $0.failure == 0 } }
    }

    /// Runs `users` users of class 0 until `enough` holds for the samples so far (or 10 s), then stops
    /// gracefully and drains the rest.
    private func run(_ fixture: F, users: UInt32 = 1, retireAfter: Bool = false,
                     file: StaticString = #filePath, line: UInt = #line,
                     until enough: ([cc_sample_t]) -> Bool) throws -> Run {
        var fixture = fixture
        fixture.host = "127.0.0.1:\(server.port)"
        let compiled = fixture.compile()
        let plan = try XCTUnwrap(compiled.plan, compiled.message, file: file, line: line)
        defer { cc_plan_free(plan) }
        var options = cc_engine_options_t()
        options.port = UInt16(server.port)
        options.threads = 1
        options.max_users = users
        options.connect_timeout_ns = 5_000_000_000
        options.request_timeout_ns = 5_000_000_000
        options.seed = 11
        var engine: OpaquePointer?
        var error = [CChar](repeating: 0, count: 256)
        let rc = "127.0.0.1".withCString { host in
            options.host = host
            return cc_engine_create(plan, &options, &engine, &error, error.count)
        }
        let handle = try XCTUnwrap(engine, "\(rc)", file: file, line: line)
        defer { cc_engine_destroy(handle) }
        XCTAssertEqual(cc_engine_start(handle), 0)
        XCTAssertEqual(cc_engine_spawn(handle, 0, users), 0)
        var samples: [cc_sample_t] = []
        var buffer = [cc_sample_t](repeating: cc_sample_t(), count: 1024)
        func drain() {
            let n = cc_engine_drain(handle, &buffer, buffer.count)
            samples += buffer[0..<n]
        }
        XCTAssertTrue(waitUntil(10) {
            drain()
            return enough(samples)
        }, "the run did not get far enough: \(samples.count) samples", file: file, line: line)
        if retireAfter { XCTAssertEqual(cc_engine_retire(handle, 0, users), 0) }
        XCTAssertEqual(cc_engine_stop(handle), 0)
        var counters = cc_engine_counters_t()
        XCTAssertTrue(waitUntil(10) {
            drain()
            cc_engine_counters(handle, &counters)
            return counters.users_active == 0
        }, file: file, line: line)
        drain()
        XCTAssertEqual(UInt64(samples.count), counters.requests_started, "every request yields one sample",
                       file: file, line: line)
        XCTAssertEqual(counters.events_ignored, 0, file: file, line: line)
        return Run(samples: samples, counters: counters)
    }

    private func evidence(_ sample: cc_sample_t) -> String {
        withUnsafeBytes(of: sample.evidence) { raw in
            String(decoding: raw.prefix(Int(sample.evidence_length)), as: UTF8.self)
        }
    }

    /// One class, one task of the given requests in order, with the given variables.
    private func flow(_ requests: [F.Request], variables: [(String, UInt32)] = [],
                      steps: [F.Step]? = nil) -> F {
        var f = F()
        f.requests = requests
        f.steps = steps ?? requests.indices.map { F.Step(request: UInt32($0)) }
        f.tasks = [(0, UInt32(f.steps.count), 1)]
        f.classes = [.init(wait: cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 5_000_000, max_ns: 0))]
        f.variables = variables
        return f
    }

    func testATokenCapturedAtLogInIsSentOnEveryLaterRequest() throws {
        var f = flow([
            .init(method: "POST", target: [.text("/echo-body")],
                  body: [.text("{\"access_token\": \"tok-"), .userID, .text("\", \"expires_in\": 3600}")], endpoint: 0,
                  captures: [.json(variable: 0, path: "access_token")]),
            .init(target: [.text("/echo-head")], headers: [("Authorization", [.text("Bearer "), .variable(0)])],
                  endpoint: 1, checks: [.bodyContains("Authorization: Bearer tok-")]),
        ], variables: [("token", 0)])
        f.steps = [F.Step(request: 1), F.Step(request: 0)]
        f.tasks = [(0, 1, 1), (1, 1, 0)] // task 1, the log-in, is the class's on_start
        f.classes[0].onStart = 1
        let result = try run(f, users: 3) { samples in samples.filter { $0.endpoint == 1 }.count >= 30 }
        XCTAssertEqual(result.samples.filter { $0.failure != 0 }.count, 0,
                       "failures: \(result.samples.filter { $0.failure != 0 }.map { ($0.failure, evidence($0)) })")
        XCTAssertEqual(result.samples.filter { $0.endpoint == 0 }.count, 3, "one log-in per user")
        XCTAssertEqual(server.count(path: "/echo-head"), result.samples.filter { $0.endpoint == 1 }.count)
        XCTAssertEqual(server.count(path: "/echo-body"), 3)
    }

    func testAFailedJSONCheckSaysWhatItGot() throws {
        let f = flow([.init(target: [.text("/job/1000")], checks: [.jsonEquals(path: "job.status", value: "done")])])
        let result = try run(f) { $0.count >= 3 }
        let failed = result.failures(CC_FAIL_CHECK)
        XCTAssertEqual(failed.count, result.samples.count)
        XCTAssertEqual(failed.first.map(evidence), "got \"running\"")
        XCTAssertEqual(failed.first?.detail, 0, "the plan-wide index of the check")
        XCTAssertEqual(failed.first?.status, 200)
    }

    func testAStatusCheckReplacesTheDefaultRule() throws {
        let f = flow([
            .init(target: [.text("/status/404")], endpoint: 0, checks: [.status([(404, 404)])]),
            .init(target: [.text("/status/200")], endpoint: 1, checks: [.status([(201, 201)])]),
        ])
        let result = try run(f) { $0.count >= 4 }
        XCTAssertTrue(result.samples.filter { $0.endpoint == 0 }.allSatisfy { $0.failure == 0 }, "404 was expected")
        let second = result.samples.filter { $0.endpoint == 1 }
        XCTAssertFalse(second.isEmpty)
        XCTAssertTrue(second.allSatisfy { $0.failure == UInt8(CC_FAIL_CHECK.rawValue) && evidence($0) == "got 200" })
    }

    func testARepeatPollsUntilTheJobIsDone() throws {
        var f = flow([.init(target: [.text("/job/3")], checks: [.jsonEquals(path: "job.status", value: "done", until: true)])])
        f.steps = [F.Step(request: 0, repeatMax: 10, repeatEveryNs: 10_000_000)]
        f.classes[0].wait = cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 60_000_000_000, max_ns: 0)
        let result = try run(f) { $0.count >= 3 }
        XCTAssertEqual(result.samples.count, 3, "polled until the third answer said done, then the task ended")
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == 0 })
        XCTAssertEqual(server.count(path: "/job/3"), 3)
        let gaps = zip(result.samples.dropFirst(), result.samples).map { $0.start_ns - $1.end_ns }
        XCTAssertTrue(gaps.allSatisfy { $0 >= 10_000_000 }, "polls are `every` apart: \(gaps)")
    }

    func testARepeatThatRunsOutFailsItsLastAttempt() throws {
        var f = flow([.init(target: [.text("/job/100")], checks: [.jsonEquals(path: "job.status", value: "done", until: true)])])
        f.steps = [F.Step(request: 0, repeatMax: 3, repeatEveryNs: 1_000_000)]
        f.classes[0].wait = cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 60_000_000_000, max_ns: 0)
        let result = try run(f) { $0.count >= 3 }
        XCTAssertEqual(result.samples.count, 3)
        XCTAssertEqual(result.samples.prefix(2).map(\.failure), [0, 0], "attempts before the last are not failures")
        XCTAssertEqual(result.samples.last?.failure, UInt8(CC_FAIL_CHECK.rawValue))
        XCTAssertEqual(result.samples.last.map(evidence), "got \"running\"")
    }

    func testACaptureThatFindsNothingFailsUnlessItHasADefault() throws {
        let f = flow([
            .init(method: "POST", target: [.text("/echo-body")], body: [.text("{\"a\": 1}")], endpoint: 0,
                  captures: [.json(variable: 0, path: "b", defaultValue: "fallback")]),
            .init(target: [.text("/echo-head?v="), .variable(0)], endpoint: 1, checks: [.bodyContains("?v=fallback")]),
            .init(method: "POST", target: [.text("/echo-body")], body: [.text("{\"a\": 1}")], endpoint: 2,
                  captures: [.json(variable: 0, path: "b")]),
        ], variables: [("v", 0)])
        let result = try run(f) { $0.count >= 6 }
        XCTAssertTrue(result.samples.filter { $0.endpoint < 2 }.allSatisfy { $0.failure == 0 })
        let failed = result.samples.filter { $0.endpoint == 2 }
        XCTAssertTrue(failed.allSatisfy { $0.failure == UInt8(CC_FAIL_CAPTURE.rawValue) })
        XCTAssertEqual(failed.first?.detail, 1, "the second capture of the plan")
        XCTAssertEqual(failed.first.map(evidence), "nothing at the path")
    }

    func testAnUnsetVariableFailsTheRequestBeforeItIsSent() throws {
        let f = flow([.init(target: [.text("/files/"), .variable(0)])], variables: [("file_id", 0)])
        let result = try run(f) { $0.count >= 3 }
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == UInt8(CC_FAIL_TEMPLATE.rawValue) && $0.detail == 0 })
        XCTAssertEqual(result.samples.first.map(evidence), "unset variable")
        XCTAssertEqual(server.totalRequests, 0, "nothing was sent")
    }

    func testAChunkedJSONBodyIsCapturedAcrossChunks() throws {
        let f = flow([
            .init(method: "POST", target: [.text("/echo-body-chunked")],
                  body: [.text("{\"data\": {\"items\": [{\"id\": \"x1\"}, {\"id\": \"file-"), .userID, .text("\"}]}}")],
                  endpoint: 0, captures: [.json(variable: 0, path: "data.items[1].id")]),
            .init(target: [.text("/echo-head?id="), .variable(0)], endpoint: 1, checks: [.bodyContains("?id=file-1 ")]),
        ], variables: [("id", 0)])
        let result = try run(f) { $0.count >= 4 }
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == 0 },
                      "\(result.samples.map { ($0.failure, evidence($0)) })")
    }

    func testCookiesSetByTheServerAreSentBack() throws {
        var f = flow([
            .init(target: [.text("/set-cookie?c=sid%3Dabc%3B%20Path%3D%2F&c=other%3D1%3B%20Path%3D%2Felsewhere")], endpoint: 0),
            .init(target: [.text("/echo-head")], endpoint: 1, checks: [.bodyContains("\r\nCookie: sid=abc")]),
        ])
        f.classes[0].cookies = true
        let result = try run(f) { $0.count >= 4 }
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == 0 }, "\(result.samples.map { ($0.failure, evidence($0)) })")
        var g = f
        g.classes[0].cookies = false
        server.resetCounts()
        let without = try run(g) { $0.count >= 4 }
        XCTAssertTrue(without.samples.filter { $0.endpoint == 1 }.allSatisfy { $0.failure == UInt8(CC_FAIL_CHECK.rawValue) },
                      "cookies: false sends none")
    }

    func testACookieAndAHeaderCanBeCaptured() throws {
        let f = flow([
            .init(target: [.text("/set-cookie?c=session%3Ds-42")], endpoint: 0,
                  captures: [.cookie(variable: 0, name: "session"), .header(variable: 1, name: "content-length")]),
            .init(target: [.text("/echo-head?s="), .variable(0), .text("&n="), .variable(1)], endpoint: 1,
                  checks: [.bodyContains("?s=s-42&n=2 ")]),
        ], variables: [("s", 0), ("n", 0)])
        let result = try run(f) { $0.count >= 4 }
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == 0 }, "\(result.samples.map { ($0.failure, evidence($0)) })")
    }

    func testEachUserTakesItsDataRowAndAUserBeyondTheRowsFailsItsStart() throws {
        var f = flow([.init(target: [.text("/echo-head?name="), .data(0)], checks: [.bodyContains("?name=")])])
        f.dataTables = [[["alice"], ["bob"]]]
        f.classes[0].dataTable = 0
        let result = try run(f, users: 3) { samples in samples.filter { $0.failure == 0 }.count >= 6 }
        let failed = result.failures(CC_FAIL_DATA)
        XCTAssertEqual(failed.count, 1, "the third user has no row: it fails once and stops")
        XCTAssertEqual(Set(result.successes.map(\.user)).count, 2)
    }

    func testAStepWithAConditionIsSkippedUntilTheVariableIsSet() throws {
        let f = flow([
            .init(target: [.text("/ok?only-when-set")], endpoint: 0),
            .init(method: "POST", target: [.text("/echo-body")], body: [.text("{\"id\": 5}")], endpoint: 1,
                  captures: [.json(variable: 0, path: "id")]),
        ], variables: [("id", 0)], steps: [
            F.Step(request: 0, when: CC_WHEN_SET, whenVariable: 0),
            F.Step(request: 1),
        ])
        let result = try run(f) { $0.count >= 5 }
        XCTAssertEqual(result.samples.first?.endpoint, 1, "the first iteration skips the guarded step")
        XCTAssertEqual(result.samples.dropFirst().first?.endpoint, 0, "then it runs")
    }

    func testOnStopRunsWhenAUserIsRetired() throws {
        var f = flow([.init(target: [.text("/ok")], endpoint: 0), .init(target: [.text("/status/204")], endpoint: 1)])
        f.steps = [F.Step(request: 0), F.Step(request: 1)]
        f.tasks = [(0, 1, 1), (1, 1, 0)]
        f.classes[0].onStop = 1
        let result = try run(f, users: 2, retireAfter: true) { $0.count >= 10 }
        let onStop = result.samples.filter { $0.flags & UInt8(CC_SAMPLE_ON_STOP) != 0 }
        XCTAssertEqual(onStop.count, 2, "one on_stop request per user")
        XCTAssertTrue(onStop.allSatisfy { $0.endpoint == 1 && $0.failure == 0 })
        XCTAssertEqual(server.count(path: "/status/204"), 2)
    }

    func testAFailedStepThatContinuesDoesNotEndTheTask() throws {
        let f = flow([.init(target: [.text("/status/500")], endpoint: 0), .init(target: [.text("/ok")], endpoint: 1)],
                     steps: [F.Step(request: 0, continueOnFailure: true), F.Step(request: 1)])
        let result = try run(f) { $0.count >= 4 }
        XCTAssertEqual(result.samples.prefix(4).map(\.endpoint), [0, 1, 0, 1])
        XCTAssertEqual(result.samples.prefix(4).map(\.failure), [UInt8(CC_FAIL_HTTP_5XX.rawValue), 0,
                                                                UInt8(CC_FAIL_HTTP_5XX.rawValue), 0])
    }

    func testARequestHookSetsVariablesOnTheWorkerThread() throws {
        var f = flow([.init(target: [.text("/echo-head?sig="), .variable(0)], checks: [.bodyContains("?sig=sig-1-")]),
                      .init(target: [.text("/ok?"), .variable(0)], endpoint: 1)], variables: [("sig", 0)])
        f.hooks = [0: { _, hook in
            let text = "sig-\(cc_hook_user_id(hook))-\(cc_hook_iteration(hook))"
            return text.withCString { cc_hook_set(hook, 0, UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), strlen($0)) }
        }, 1: { _, hook in
            cc_hook_fail(hook, "no key to sign with")
            return 1
        }]
        let result = try run(f) { $0.count >= 4 }
        let signed = result.samples.filter { $0.endpoint == 0 }
        XCTAssertTrue(signed.allSatisfy { $0.failure == 0 }, "\(signed.map { ($0.failure, evidence($0)) })")
        let refused = result.samples.filter { $0.endpoint == 1 }
        XCTAssertTrue(refused.allSatisfy { $0.failure == UInt8(CC_FAIL_TEMPLATE.rawValue) && evidence($0) == "no key to sign with" })
        XCTAssertEqual(server.count(path: "/ok"), 0)
    }

    func testAFullJarDropsTheOldestCookieAndCountsIt() throws {
        let cookies = (1...4).map { "c=k\($0)%3D\(String(repeating: "v", count: 40))" }.joined(separator: "&")
        var f = flow([.init(target: [.text("/set-cookie?" + cookies)], endpoint: 0),
                      .init(target: [.text("/echo-head")], endpoint: 1, checks: [.bodyContains("Cookie: k3=\(String(repeating: "v", count: 40)); k4=")])])
        f.classes[0].cookies = true
        f.cookieBytes = 200 // room for two of them
        let result = try run(f) { $0.count >= 2 }
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == 0 }, "the newest cookie is kept")
        XCTAssertGreaterThanOrEqual(result.counters.cookies_dropped, 2)
    }

    func testACapturedNumberGoesBackAsANumberAndAStringAsAString() throws {
        let f = flow([
            .init(method: "POST", target: [.text("/echo-body")], body: [.text("{\"n\": 12, \"s\": \"12\"}")], endpoint: 0,
                  captures: [.json(variable: 0, path: "n"), .json(variable: 1, path: "s")]),
            .init(method: "POST", target: [.text("/echo-body")],
                  body: [.text("{\"n\":"), .variable(0, CC_ENCODE_JSON_VALUE), .text(",\"s\":"), .variable(1, CC_ENCODE_JSON_VALUE),
                         .text("}")], endpoint: 1, checks: [.bodyContains("{\"n\":12,\"s\":\"12\"}")]),
        ], variables: [("n", 0), ("s", 0)])
        let result = try run(f) { $0.count >= 4 }
        XCTAssertTrue(result.samples.allSatisfy { $0.failure == 0 }, "\(result.samples.map { ($0.failure, evidence($0)) })")
    }
}
