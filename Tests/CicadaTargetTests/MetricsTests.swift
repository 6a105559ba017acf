import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class MetricsTests: XCTestCase {
    /// The value of the series whose line starts with `series` (name and labels, as printed).
    static func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    func testCountersMoveAndContractMistakesAreCounted() async throws {
        try await withTarget(.live) { client, _ in
            let before = try await client.get("/metrics")
            XCTAssertEqual(before.status, .ok)
            XCTAssertEqual(before.headers[.contentType], "text/plain; version=0.0.4; charset=utf-8")
            let zero = #"samplemind_contract_mistakes_total{route="/api/v1/audio/results/{analysis_id}",status="404"}"#
            XCTAssertEqual(Self.value(zero, in: before.text), 0, "every mistake series exists from the start")

            let token = try await client.token()
            _ = try await client.get("/api/v1/auth/me", headers: bearer(token))
            _ = try await client.get("/api/v1/auth/me", headers: bearer(token))
            _ = try await client.get("/api/v1/auth/me")
            _ = try await client.get("/api/v1/audio/results/analysis_0", headers: bearer(token))
            _ = try await client.get("/api/v1/files?page=x", headers: bearer(token))
            _ = try await client.get("/no/such/path")
            let admin = try await client.get("/api/v1/admin/users", headers: bearer(token))
            XCTAssertEqual(admin.status, .forbidden)

            let text = try await client.get("/metrics").text
            XCTAssertEqual(Self.value(#"samplemind_requests_total{route="/api/v1/auth/me",method="GET",status="200"}"#, in: text), 2)
            XCTAssertEqual(Self.value(#"samplemind_requests_total{route="/api/v1/auth/me",method="GET",status="401"}"#, in: text), 1)
            XCTAssertEqual(Self.value(#"samplemind_requests_total{route="/api/v1/auth/login",method="POST",status="200"}"#, in: text), 1)
            XCTAssertEqual(Self.value(#"samplemind_requests_total{route="/metrics",method="GET",status="200"}"#, in: text), 1,
                           "the earlier scrape; this one is counted when it ends")
            XCTAssertEqual(Self.value(#"samplemind_contract_mistakes_total{route="/api/v1/auth/me",status="401"}"#, in: text), 1)
            XCTAssertEqual(Self.value(zero, in: text), 1)
            XCTAssertEqual(Self.value(#"samplemind_contract_mistakes_total{route="/api/v1/files",status="422"}"#, in: text), 1)
            XCTAssertEqual(Self.value(#"samplemind_contract_mistakes_total{route="unmatched",status="404"}"#, in: text), 1)
            XCTAssertEqual(Self.value(#"samplemind_contract_mistakes_total{route="/api/v1/admin/users",status="403"}"#, in: text), 1)
            XCTAssertEqual(Self.value(#"samplemind_request_duration_seconds_count{route="/api/v1/auth/me",method="GET"}"#, in: text), 3)
            XCTAssertNotNil(Self.value(#"samplemind_request_duration_seconds_bucket{route="/api/v1/auth/me",method="GET",le="0.1"}"#, in: text))
            XCTAssertTrue(text.contains("# TYPE samplemind_request_duration_seconds histogram"))
            XCTAssertEqual(Self.value(#"samplemind_store_entries{store="users"}"#, in: text), 1)
            XCTAssertEqual(Self.value("samplemind_requests_in_flight", in: text), 0, "/metrics is not counted against capacity")
            XCTAssertGreaterThan(Self.value("process_cpu_seconds_total", in: text) ?? 0, 0)
            XCTAssertGreaterThan(Self.value("process_resident_memory_bytes", in: text) ?? 0, 1_048_576)
            XCTAssertTrue(text.contains("# TYPE process_cpu_seconds_total counter"))
        }
    }

    func testACorrectClientMakesNoContractMistakes() async throws {
        try await withTarget { client, target in
            let token = try await client.token()
            let fileID = try await client.upload(token: token)
            _ = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "\#(fileID)", "analysis_type": "quick"}"#, headers: bearer(token))
            _ = try await client.get("/api/v1/files?page=1&limit=10", headers: bearer(token))
            _ = try await client.get("/health")
            XCTAssertEqual(target.metrics.totals.requests, 5)
            XCTAssertEqual(target.metrics.totals.contractMistakes, 0)
        }
    }

    func testProcessFiguresParseProcfs() throws {
        // A command name with spaces and a parenthesis must not shift the fields.
        let stat = "4242 (cicada (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 1000 300000000 5000"
        let figures = ProcessFigures.parse(stat: stat, statm: "73000 5000 1200 1 0 9000 0\n", ticksPerSecond: 100, pageSize: 4096)
        XCTAssertEqual(figures, ProcessFigures(cpuSeconds: 3.0, residentBytes: 5000 * 4096))
        XCTAssertNil(ProcessFigures.parse(stat: "garbage", statm: "", ticksPerSecond: 100, pageSize: 4096))
        let live = try XCTUnwrap(ProcessFigures.read())
        XCTAssertGreaterThan(live.residentBytes, 0)
    }
}
