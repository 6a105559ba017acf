import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// `--monitor-prometheus`: the text format read as Prometheus writes it, and a run that watches the demo
/// target through its own `/metrics` (swift-prometheus), as one would watch a remote service.
final class PrometheusMonitorTests: XCTestCase {
    func testTheTextFormatIsReadLineByLineWithLabelsAndOddValues() {
        let text = """
            # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total 12.5
            process_resident_memory_bytes 1.048576e+07 1700000000000
            http_requests_total{route="/a b",code="200"} 3
            http_requests_total{route="/odd\\"}{,",code="500"} 4
            http_requests_total{route="/unclosed 9
            weird_gauge +Inf
            not a sample line at all
            nan_gauge NaN
              process_open_fds 7
            """
        let sums = PrometheusText.sums(of: ["process_cpu_seconds_total", "process_resident_memory_bytes",
                                            "http_requests_total", "weird_gauge", "nan_gauge", "process_open_fds", "absent"],
                                       in: text)
        XCTAssertEqual(sums["process_cpu_seconds_total"], 12.5)
        XCTAssertEqual(sums["process_resident_memory_bytes"], 10_485_760, "an exponent, and a timestamp after it")
        XCTAssertEqual(sums["http_requests_total"], 7, "label sets add up; quoted braces and quotes are skipped")
        XCTAssertEqual(sums["process_open_fds"], 7, "leading spaces")
        XCTAssertNil(sums["weird_gauge"], "infinite values are not readings")
        XCTAssertNil(sums["nan_gauge"])
        XCTAssertNil(sums["absent"])
        let requests = PrometheusText.samples(in: text, named: ["http_requests_total"])
        XCTAssertEqual(requests.map { $0.labels["route"] }, ["/a b", "/odd\"}{,"], "the unclosed line is skipped")
        XCTAssertEqual(PrometheusText.sum("http_requests_total", labels: ["code": "500"], in: requests), 4)
    }

    func testARunWatchesTheDemoTargetThroughItsMetricsEndpoint() throws {
        let target = DemoTargetProcess(arguments: ["--latency-scale", "0"])
        try target.start()
        defer { target.stop() }
        let metrics = target.baseURL + "/metrics"
        let run = try CicadaBinary.run([target.baseURL + "/health", "-u", "4", "-t", "2500ms", "--wait", "0.005",
                                        "--monitor-prometheus", metrics, "--monitor-series", "samplemind_requests_total",
                                        "--threshold", "target_rss: max < 4GiB", "--threshold", "target_cpu: avg < 100000%"],
                                       timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let monitor = try XCTUnwrap(run.summary?["monitor"] as? [String: Any])
        let process = try XCTUnwrap((monitor["processes"] as? [[String: Any]])?.first)
        XCTAssertEqual(process["url"] as? String, metrics)
        XCTAssertNil(process["pid"])
        XCTAssertGreaterThanOrEqual((process["readings"] as? NSNumber)?.intValue ?? 0, 3, "one a second, start and end included")
        XCTAssertGreaterThan((process["rss_max_bytes"] as? NSNumber)?.intValue ?? 0, 1 << 20, "the target's own RSS")
        XCTAssertNotNil(process["cpu_avg_percent"] as? NSNumber)
        XCTAssertTrue(run.stdout.contains("Target \(metrics): CPU"), run.stdout)
        // The series asked for, at the last reading (after the run): the target's own count of what it served.
        let last = try XCTUnwrap((process["history"] as? [[String: Any]])?.last)
        let served = try XCTUnwrap(((last["series"] as? [String: Any])?["samplemind_requests_total"] as? NSNumber)?.intValue, "\(last)")
        XCTAssertGreaterThanOrEqual(served, run.total("requests") - run.total("cancelled"), "every answered request, and the scrapes")
        XCTAssertTrue(run.stdout.contains("samplemind_requests_total \(served) at the end"), run.stdout)
        let thresholds = try XCTUnwrap(run.summary?["thresholds"] as? [[String: Any]])
        XCTAssertEqual(thresholds.compactMap { ($0["passed"] as? NSNumber)?.boolValue }, [true, true])
    }

    func testAnEndpointThatCannotBeScrapedIsRefusedBeforeAnyLoad() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let cases: [(String, String)] = [
            (server.baseURL + "/ok", "--monitor-prometheus \(server.baseURL)/ok: the scrape has no process_cpu_seconds_total and process_resident_memory_bytes"),
            (server.baseURL + "/status/503", "--monitor-prometheus \(server.baseURL)/status/503: HTTP 503"),
            (server.baseURL + "/garbage-status", "malformed response"),
            ("https://127.0.0.1:1/metrics", "only http:// endpoints can be scraped"),
            ("http://127.0.0.1:1/metrics", "cannot connect to 127.0.0.1:1"),
            ("not a url", "--monitor-prometheus"),
        ]
        for (arguments, message) in [(["--monitor-series", "9lives"], "expected a metric name"),
                                     (["--monitor-series", "up"], "give --monitor-prometheus URL too")] {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "1", "-t", "1s"] + arguments, json: false, timeout: 30)
            XCTAssertEqual(run.exitCode, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        for (url, message) in cases {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "1", "-t", "1s", "--monitor-prometheus", url],
                                           json: false, timeout: 30)
            XCTAssertEqual(run.exitCode, 2, "\(url): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(url): \(run.stderr)")
        }
        XCTAssertEqual(server.count(path: "/ok"), 1, "only the scrape of /ok itself, and no load: \(server.paths)")
    }
}
