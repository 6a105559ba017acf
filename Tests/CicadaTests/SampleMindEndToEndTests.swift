import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// The seed's suite, `examples/samplemind.yaml` unchanged but for shorter waits, against the demo target
/// run as its own process (`cicada target`): no contract mistake, every route reached, and the server's
/// own counts per route equal to Cicada's per endpoint.
final class SampleMindEndToEndTests: XCTestCase {
    private var target: DemoTargetProcess!

    override func setUpWithError() throws {
        // No simulated latency and jobs done in a second, so that a few seconds reach every route.
        target = DemoTargetProcess(arguments: ["--latency-scale", "0", "--job-seconds", "1"])
        try target.start()
    }

    override func tearDown() {
        target?.stop()
    }

    /// The route label of the target's metrics for one of the scenario's endpoints.
    private func route(_ endpoint: Endpoint) -> String {
        if endpoint.name.hasPrefix("/api/v1/audio/results/") { return "/api/v1/audio/results/{analysis_id}" }
        if endpoint.name.hasPrefix("/api/v1/jobs/") { return "/api/v1/jobs/{job_id}" }
        return endpoint.name
    }

    func testTheSeedsSuiteMakesNoContractMistakeAndEveryCountAgrees() throws {
        var scenario = try Scenario.load(path: ScenarioTests.examples + "/samplemind.yaml")
        // The waits of the seed (1-5 s, 0.5-2 s, 5-10 s) would need minutes to reach every route; the tasks,
        // weights, captures, checks and polling stay as written.
        for index in scenario.userClasses.indices { scenario.userClasses[index].wait = .between(0.01, 0.05) }
        let url = try TargetURL(base: target.baseURL)
        let plan = try CompiledPlan(scenario: scenario.rebased(onto: url), hostHeader: url.hostHeader)
        let users = 18 // 10, 6 and 2 of the classes weighted 5, 3 and 1
        let engine = EngineOptions(host: url.host, port: url.port, threads: 2, maxUsers: users, connectTimeout: 5, requestTimeout: 10)
        let result = try LoadRun(plan: plan, engine: engine,
                                 configuration: RunConfiguration(users: users, spawnRate: 0, runTime: 6, stopTimeout: 5)).run()
        let statistics = result.statistics
        let failures = statistics.failureCounts.map { key, count in
            "\(statistics.endpoints[key.endpoint].name) \(failureKindKey(key.kind)) \(key.detailText(names: statistics.failureNames)) ×\(count)"
        }
        let metrics = try target.metrics()

        XCTAssertEqual(DemoTargetProcess.sum(metrics, "samplemind_contract_mistakes_total"), 0,
                       "no 401, 403, 404, 415 or 422: \(metrics.split(separator: "\n").filter { $0.hasPrefix("samplemind_contract_mistakes_total") && !$0.hasSuffix(" 0") })")
        // Only a poll or a request caught in flight at the stop may fail, as cancelled.
        let notCancelled = statistics.failureCounts.filter { failureKindKey($0.key.kind) != "cancelled" }
        XCTAssertTrue(notCancelled.isEmpty, "failures: \(failures)")

        var cicadaByRoute: [String: (requests: UInt64, responses: UInt64)] = [:]
        for (index, endpoint) in statistics.endpoints.enumerated() {
            let key = "\(endpoint.method) \(route(endpoint))"
            let counts = statistics.perEndpoint[index]
            cicadaByRoute[key, default: (0, 0)].requests += counts.requests
            cicadaByRoute[key, default: (0, 0)].responses += counts.responses
        }
        let contract = ["POST /api/v1/auth/login", "GET /api/v1/auth/me", "POST /api/v1/audio/upload", "POST /api/v1/audio/analyze",
                        "GET /api/v1/audio/results/{analysis_id}", "GET /api/v1/files", "GET /api/v1/files/search",
                        "POST /api/v1/batch", "GET /api/v1/jobs/{job_id}", "GET /api/v1/admin/dashboard",
                        "GET /api/v1/admin/users", "POST /api/v1/admin/users", "GET /api/v1/admin/health", "GET /health"]
        XCTAssertEqual(Set(cicadaByRoute.keys), Set(contract), "the scenario's endpoints are the contract's routes")
        for key in contract {
            let parts = key.split(separator: " ")
            let served = DemoTargetProcess.sum(metrics, "samplemind_requests_total", labels: ["method": String(parts[0]), "route": String(parts[1])])
            let cicada = cicadaByRoute[key] ?? (0, 0)
            XCTAssertGreaterThan(served, 0, "\(key) reached")
            // A request cancelled at the stop may or may not have been answered; every other is on both sides.
            XCTAssertGreaterThanOrEqual(served, Double(cicada.responses), "\(key): the server answered each response Cicada read")
            XCTAssertLessThanOrEqual(served, Double(cicada.requests), "\(key): the server answered no request Cicada did not count")
        }
        // Every user logged in once and ran its on_stop once when the run ended.
        XCTAssertEqual(cicadaByRoute["POST /api/v1/auth/login"]?.requests, UInt64(users - 6), "10 users and 2 admins log in")
        XCTAssertEqual(cicadaByRoute["GET /api/v1/auth/me"]?.requests, 10, "each AudioAnalysisUser's on_stop, counted")
        XCTAssertEqual(DemoTargetProcess.sum(metrics, "samplemind_requests_total", labels: ["route": "/api/v1/auth/me", "status": "200"]), 10)
        XCTAssertEqual(result.requestsStarted, statistics.aggregated.requests, "one sample per request started")
        try assertUploadsAsTheServerKeptThem(users: users)
    }

    /// What the server parsed from the multipart uploads, read back as each user: the generated file's
    /// size, the genre drawn from the scenario's choice and the tags with the user's id.
    private func assertUploadsAsTheServerKeptThem(users: Int) throws {
        func body(_ response: String) throws -> Any {
            let text = try XCTUnwrap(response.range(of: "\r\n\r\n").map { String(response[$0.upperBound...]) }, response)
            return try JSONSerialization.jsonObject(with: Data(text.utf8))
        }
        var uploaders = 0
        for id in 1...users {
            let login = #"{"username":"user-\#(id)","password":"demo"}"#
            let token = try XCTUnwrap((try body(DemoTargetProcess.exchange(port: target.port, request:
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(login.utf8.count)\r\nConnection: close\r\n\r\n\(login)")) as? [String: Any])?["access_token"] as? String)
            let listing = try XCTUnwrap(try body(DemoTargetProcess.exchange(port: target.port, request:
                "GET /api/v1/files?limit=100 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Connection: close\r\n\r\n")) as? [String: Any])
            let items = try XCTUnwrap(listing["items"] as? [[String: Any]], "\(listing)")
            guard !items.isEmpty else { continue }
            uploaders += 1
            for item in items {
                XCTAssertEqual(item["size"] as? Int, 256 * 1024, "user-\(id): the generated file's bytes, all parsed: \(item)")
                XCTAssertEqual(item["filename"] as? String, "sample.wav", "\(item)")
                XCTAssertTrue(["electronic", "ambient", "rock", "jazz", "hip-hop"].contains(item["genre"] as? String ?? ""), "\(item)")
                let tags = (item["tags"] as? [String]) ?? (item["tags"] as? String).map { $0.split(separator: ",").map(String.init) } ?? []
                XCTAssertEqual(tags, ["loop", "demo", "user-\(id)"], "the tags field, with this user's id: \(item)")
            }
        }
        XCTAssertEqual(uploaders, 10, "each AudioAnalysisUser uploaded in its on_start")
    }
}
