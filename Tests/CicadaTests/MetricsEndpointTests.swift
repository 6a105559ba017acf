import Cicada
import CicadaTestSupport
import CicadaWeb
import Foundation
import XCTest

/// `--metrics-port`: the run's figures in Prometheus's text format, read by Prometheus's own Python parser
/// (Debian's python3-prometheus-client), with counters equal to the run's own totals.
final class MetricsEndpointTests: FaultServerTestCase {
    private func scrape(_ url: String) throws -> String {
        try MetricsScrape.fetch(try TargetURL(url), timeout: 5)
    }

    func testTheExpositionParsesAndItsCountersEqualTheRunsTotals() throws {
        let scenario = Scenario(host: server.baseURL) {
            UserClass("Mixed", weight: 1, wait: .constant(0.005)) {
                Task("ok", weight: 3) { Request.get("/ok") }
                Task("fail", weight: 1) { Request.get("/status/500").named("/status/\"500\"") }
            }
        }
        try scenario.validate()
        let url = try TargetURL(base: server.baseURL)
        let plan = try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
        let run = try LoadRun.start(plan: plan, engine: EngineOptions(host: url.host, port: url.port, threads: 1, maxUsers: 4),
                                    configuration: RunConfiguration(users: 4, spawnRate: 0, runTime: 1.5, stopTimeout: 2, reportInterval: 0.2))
        let metrics = try MetricsServer.start(host: "127.0.0.1", port: 0) { run.progress }
        defer { metrics.stop() }
        usleep(700_000)
        let during = try PrometheusParser.samples(try scrape(metrics.url))
        XCTAssertGreaterThan(during["cicada_requests_total{method=GET,name=/ok}"] ?? 0, 0, "figures while the run goes on")
        let result = try run.wait()
        let text = try scrape(metrics.url)
        let after = try PrometheusParser.samples(text)
        let ok = try XCTUnwrap(result.statistics.perEndpoint.first { $0.endpoint.name == "/ok" })
        let failing = try XCTUnwrap(result.statistics.perEndpoint.first { $0.endpoint.name == "/status/\"500\"" })
        XCTAssertEqual(after["cicada_requests_total{method=GET,name=/ok}"], Double(ok.requests))
        XCTAssertEqual(after["cicada_request_failures_total{method=GET,name=/status/\"500\"}"], Double(failing.failures),
                       "a quoted name is escaped and read back")
        XCTAssertEqual(after["cicada_request_failures_total{method=GET,name=/ok}"], 0)
        XCTAssertEqual(after["cicada_response_time_seconds_count{method=GET,name=/ok}"], Double(ok.successes))
        XCTAssertEqual(after["cicada_response_time_seconds_bucket{le=+Inf,method=GET,name=/ok}"], Double(ok.successes))
        XCTAssertEqual(after["cicada_intended_start_latency_seconds_count{method=GET,name=/ok}"], Double(ok.successes))
        // Cumulative buckets never decrease, and the fault server answers /ok well within a second.
        var previous = 0.0
        for bound in PrometheusExposition.bucketBounds {
            let key = "cicada_response_time_seconds_bucket{le=\(formatNumber(bound)),method=GET,name=/ok}"
            let value = try XCTUnwrap(after[key], "\(key) in \(text.prefix(2000))")
            XCTAssertGreaterThanOrEqual(value, previous, key)
            previous = value
        }
        XCTAssertEqual(after["cicada_response_time_seconds_bucket{le=1,method=GET,name=/ok}"], Double(ok.successes))
        XCTAssertEqual(after["cicada_dropped_iterations_total{}"], 0)
        XCTAssertGreaterThan(after["process_resident_memory_bytes{}"] ?? 0, 1_048_576)
        XCTAssertEqual(result.statistics.aggregated.requests, ok.requests + failing.requests)
    }

    func testTheCommandLinePrintsWhereItServesAndRefusesABadPort() throws {
        let child = try CicadaChild(["run", "--headless", server.baseURL + "/ok", "-u", "2", "-t", "4s", "--wait", "0.01", "--metrics-port", "0"])
        let url = try child.line(startingWith: "metrics: ", timeout: 10)
        // The figures are the run's progress, which it publishes at each report (every 2 s on the command line).
        usleep(2_600_000)
        let scraped = try scrape(url)
        XCTAssertTrue(scraped.contains("cicada_requests_total{method=\"GET\",name=\"/ok\"}"), scraped)
        XCTAssertTrue(scraped.contains("cicada_users 2"), scraped)
        XCTAssertTrue(scraped.contains("# TYPE cicada_loop_lag_seconds gauge\ncicada_loop_lag_seconds "), scraped)
        CicadaBinary.waitForExit(child.process, timeout: 30, "the run ends")
        XCTAssertEqual(child.process.terminationStatus, 0)

        let bad = try CicadaBinary.run([server.baseURL + "/ok", "-u", "1", "-t", "1s", "--metrics-port", "70000"], json: false)
        XCTAssertEqual(bad.exitCode, 2)
        XCTAssertTrue(bad.stderr.contains("expected a port from 0 to 65535, got '70000'"), bad.stderr)
    }
}
