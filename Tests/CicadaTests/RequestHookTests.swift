import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// Request hooks: Swift code that sets a request's variables on the worker thread before it is rendered,
/// run against the project's fault server, whose /echo-body sends back the body it received.
final class RequestHookTests: FaultServerTestCase {
    /// What the hooks saw, from several worker threads.
    private final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var count = 0
        private(set) var onMainThread = 0
        private(set) var pairs = Set<String>()
        func record(_ user: UInt64, _ iteration: UInt64) {
            lock.lock()
            defer { lock.unlock() }
            count += 1
            if Thread.isMainThread { onMainThread += 1 }
            pairs.insert("\(user)/\(iteration)")
        }
    }

    private func run(_ scenario: Scenario, users: Int = 3, seconds: Double = 1) throws -> RunResult {
        try scenario.validate()
        let url = try TargetURL(base: server.baseURL)
        let plan = try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
        let engine = EngineOptions(host: url.host, port: url.port, threads: 2, maxUsers: users, connectTimeout: 2, requestTimeout: 2)
        return try LoadRun(plan: plan, engine: engine,
                           configuration: RunConfiguration(users: users, spawnRate: 0, runTime: seconds, stopTimeout: 1)).run()
    }

    private func reasons(_ result: RunResult) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for (key, count) in result.statistics.failureCounts {
            out["\(failureKindKey(key.kind)): \(key.detailText(names: result.statistics.failureNames))", default: 0] += count
        }
        return out
    }

    func testAHookSetsTheVariableItsRequestSendsOnAWorkerThread() throws {
        let calls = Calls()
        let scenario = Scenario("hooks") {
            UserClass("Signer", wait: .constant(0.01)) {
                Task("sign") {
                    Request.post("/echo-body", json: ["user": "${user.id}", "signature": "${signature}"])
                        .hook("sign", sets: ["signature"]) { call in
                            calls.record(call.userID, call.iteration)
                            XCTAssertNil(call.value("signature").flatMap { $0.hasPrefix("sig-") ? nil : $0 },
                                         "a value set before is the hook's own")
                            try call.set("signature", to: "sig-\(call.userID)-\(call.iteration)")
                        }
                        .capture("echoed", json: "signature")
                        .check(.jsonMatches(path: "signature", pattern: "^sig-[0-9]+-[0-9]+$"))
                }
            }
        }
        let result = try run(scenario)
        let total = result.statistics.aggregated
        XCTAssertGreaterThan(total.requests, 20)
        XCTAssertEqual(total.failures, 0, "\(reasons(result))")
        XCTAssertEqual(server.count(path: "/echo-body"), Int(total.requests), "the server got each request counted")
        // Each request was rendered once after its hook ran; a request cancelled at the stop had its hook run too.
        XCTAssertGreaterThanOrEqual(calls.count, Int(total.requests))
        XCTAssertLessThanOrEqual(calls.count, Int(total.requests) + 3, "at most one request per user in flight at the stop")
        XCTAssertEqual(calls.onMainThread, 0, "hooks run on the workers' threads")
        XCTAssertEqual(Set(calls.pairs.map { $0.split(separator: "/")[0] }).count, 3, "every user's requests ran the hook")
    }

    func testAHookThatThrowsFailsItsRequestWithTheReasonAndTheUserGoesOn() throws {
        let scenario = Scenario("hooks") {
            UserClass("Failing", wait: .constant(0.01)) {
                Task("sign") {
                    Request.post("/echo-body", json: ["signature": "${signature}"])
                        .hook("sign", sets: ["signature"]) { call in
                            if call.iteration % 2 == 0 { throw RequestHookFailure("no key for tenant") }
                            try call.set("signature", to: "ok")
                        }
                }
                Task("stray") {
                    Request.get("/echo-head?${other}").named("/stray")
                        .hook("stray", sets: ["other"]) { call in
                            try call.set("signature", to: "not declared")
                        }
                }
            }
        }
        let result = try run(scenario, users: 2)
        let found = reasons(result)
        XCTAssertGreaterThan(found["template: no key for tenant"] ?? 0, 3, "\(found)")
        XCTAssertGreaterThan(found["template: hook 'stray' sets 'signature',…"] ?? 0, 3, "the reason cut at 30 bytes: \(found)")
        XCTAssertEqual(server.count(path: "/stray"), 0)
        XCTAssertEqual(server.count(pathPrefix: "/echo-head"), 0, "a failed hook sends nothing")
        let sent = result.statistics.aggregated.requests - result.statistics.aggregated.failures
        XCTAssertEqual(server.count(path: "/echo-body"), Int(sent), "the requests whose hook succeeded were sent and succeeded")
        XCTAssertGreaterThan(sent, 3)
    }

    func testAValueLargerThanTheArenaFailsTheRequestNotTheRun() throws {
        let scenario = Scenario("hooks") {
            UserClass("Big", wait: .constant(0.01)) {
                Task("big") {
                    Request.post("/echo-body", json: ["v": "${big}"])
                        .hook("big", sets: ["big"]) { call in try call.set("big", to: String(repeating: "x", count: 1 << 20)) }
                }
            }
        }
        let result = try run(scenario, users: 1, seconds: 0.3)
        let found = reasons(result)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.keys.first?.hasPrefix("template: 'big': 1048576 bytes") ?? false, "\(found)")
        XCTAssertEqual(server.count(path: "/echo-body"), 0)
    }

    func testTheVariablesAHookSetsCountAsSetAndFollowTheNameRules() throws {
        func scenario(sets: [String], capture: Capture? = nil) -> Scenario {
            var request = Request.get("/echo-head?s=${signature}").hook("h", sets: sets) { _ in }
            if let capture { request = request.capture(capture) }
            return Scenario("hooks") {
                UserClass("C") {
                    Task("t") { request }
                }
            }
        }
        XCTAssertNoThrow(try scenario(sets: ["signature"]).validate())
        XCTAssertThrowsError(try scenario(sets: []).validate()) { error in
            XCTAssertTrue("\(error)".contains("${signature} is used but never set in user class 'C'"), "\(error)")
        }
        XCTAssertThrowsError(try scenario(sets: ["signature", "user.id"]).validate()) { error in
            XCTAssertTrue("\(error)".contains("cannot set from hook 'h' 'user.id': it is a built-in's name"), "\(error)")
        }
        XCTAssertThrowsError(try scenario(sets: ["signature"], capture: Capture("signature", from: .json("s"), append: true)).validate()) { error in
            XCTAssertTrue("\(error)".contains("hook 'h' sets 'signature', which a capture appends to as a list"), "\(error)")
        }
    }

    func testAHookMakesAStaticRequestTemplatedAndIsShownInThePlanAndTheSummary() throws {
        let hook = RequestHook("stamp", sets: ["stamp"]) { _ in }
        let scenario = Scenario("hooks") {
            UserClass("C") {
                Task("t") { Request.get("/echo-head").hook(hook).header("X-Stamp", "${stamp}") }
            }
        }
        let url = try TargetURL(base: server.baseURL)
        let plan = try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
        XCTAssertTrue(plan.canonicalDescription.contains("  hook \"stamp\" sets=stamp\n"), plan.canonicalDescription)
        let summary = ScenarioSummary.render(scenario, users: 1, plan: plan.specification)
        XCTAssertTrue(summary.contains("hook stamp (Swift, before each rendering) sets stamp"), summary)
        XCTAssertTrue(summary.contains("stamp: set by task 't' GET /echo-head (hook stamp)"), summary)
        // The same hook value is equal to itself; another closure with the same name is not the same hook.
        XCTAssertEqual(hook, hook)
        XCTAssertNotEqual(hook, RequestHook("stamp", sets: ["stamp"]) { _ in })
    }
}
