import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class FaultAndCapacityTests: XCTestCase {
    func testErrorRateOneFailsEveryAPIRouteButNotHealthOrMetrics() async throws {
        try await withTarget(configure: { $0.errorRate = 1 }) { client, target in
            let token = try await target.tokens.issue(for: UserIdentity(username: "alice", role: .user))
            let login = try await client.post("/api/v1/auth/login", json: #"{"username": "alice", "password": "demo"}"#)
            XCTAssertEqual(login.status, .internalServerError)
            XCTAssertEqual(login.detail, "injected error (--error-rate)")
            let me = try await client.get("/api/v1/auth/me", headers: bearer(token))
            XCTAssertEqual(me.status, .internalServerError)
            let upload = try await client.execute(uri: "/api/v1/audio/upload", method: .post, headers: bearer(token))
            XCTAssertEqual(upload.status, .internalServerError, "a failed request changes no state")
            XCTAssertEqual(target.state.counts.files, 0)
            let health = try await client.get("/health")
            XCTAssertEqual(health.status, .ok)
            let metrics = try await client.get("/metrics")
            XCTAssertEqual(metrics.status, .ok)
            XCTAssertTrue(metrics.text.contains(#"samplemind_injected_errors_total{route="/api/v1/auth/me"} 1"#))
            XCTAssertTrue(metrics.text.contains(#"samplemind_requests_total{route="/api/v1/auth/login",method="POST",status="500"} 1"#))
            XCTAssertEqual(target.metrics.totals.injectedErrors, 3)
            let unknown = try await client.get("/nowhere")
            XCTAssertEqual(unknown.status, .notFound, "unknown paths are not an API route")
        }
    }

    func testErrorRateFailsAboutThatFractionOfRequests() async throws {
        let count = 400
        try await withTarget(configure: { $0.errorRate = 0.25 }) { client, target in
            let token = try await target.tokens.issue(for: UserIdentity(username: "alice", role: .user))
            var failed = 0
            for _ in 0..<count {
                let response = try await client.get("/api/v1/auth/me", headers: bearer(token))
                if response.status == .internalServerError { failed += 1 } else { XCTAssertEqual(response.status, .ok) }
            }
            // Binomial(400, 0.25): mean 100, standard deviation 8.7; the bounds are 5.7 deviations out.
            XCTAssertTrue((50...150).contains(failed), "\(failed) of \(count)")
            XCTAssertEqual(target.metrics.totals.injectedErrors, failed)
        }
    }

    func testCapacityGate() {
        let gate = CapacityGate(capacity: 4)
        XCTAssertEqual(gate.decide(inFlight: 1), .admit(delay: 0))
        XCTAssertEqual(gate.decide(inFlight: 4), .admit(delay: 0))
        XCTAssertEqual(gate.decide(inFlight: 5), .admit(delay: 0.025))
        XCTAssertEqual(gate.decide(inFlight: 6), .admit(delay: 0.05))
        XCTAssertEqual(gate.decide(inFlight: 8), .admit(delay: 0.1))
        XCTAssertEqual(gate.decide(inFlight: 9), .reject)
        XCTAssertEqual(CapacityGate(capacity: 0).decide(inFlight: 1_000_000), .admit(delay: 0))
    }

    func testPastTwiceTheCapacityRequestsAre503AndQueuedOnesWait() async throws {
        // Every route but /metrics takes a constant 400 ms, so six requests sent at once are all in flight together:
        // with capacity 2, the first two are served at once, the next two queue, the last two are refused.
        let hold = LatencyProfile(medianMilliseconds: 400, p99Milliseconds: 400)
        try await withTarget(configure: {
            $0.capacity = 2
            $0.latencyScale = 1
            $0.latencyProfiles = Dictionary(uniqueKeysWithValues: Endpoint.allCases.map { ($0, $0 == .metrics ? .zero : hold) })
        }) { client, target in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.get("/health").status }
                }
                // While they are held, /metrics still answers: it is not counted against the capacity.
                try await Task.sleep(for: .milliseconds(100))
                let scrape = try await client.get("/metrics")
                XCTAssertEqual(scrape.status, .ok)
                XCTAssertTrue(scrape.text.contains("samplemind_requests_in_flight 4.0"),
                              "two served, two queued: \(scrape.text.split(separator: "\n").filter { $0.contains("in_flight") })")
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .ok }.count, 4, "\(statuses)")
            XCTAssertEqual(statuses.filter { $0 == .serviceUnavailable }.count, 2, "\(statuses)")
            XCTAssertEqual(target.inFlight.current, 0)
            let after = try await client.get("/health")
            XCTAssertEqual(after.status, .ok, "capacity is back once they ended")
        }
    }

    func testA503SaysWhyAndWhenToRetry() async throws {
        try await withTarget(configure: {
            $0.capacity = 1
            $0.latencyScale = 1
            $0.latencyProfiles = [.health: LatencyProfile(medianMilliseconds: 300, p99Milliseconds: 300)]
        }) { client, _ in
            async let first = client.get("/health")
            async let second = client.get("/health")
            try await Task.sleep(for: .milliseconds(100))
            let third = try await client.get("/health")
            XCTAssertEqual(third.status, .serviceUnavailable)
            XCTAssertEqual(third.headers[.retryAfter], "1")
            XCTAssertTrue(third.detail?.hasPrefix("over capacity") ?? false, third.text)
            let statuses = try await [first.status, second.status]
            XCTAssertEqual(statuses, [.ok, .ok])
        }
    }
}
