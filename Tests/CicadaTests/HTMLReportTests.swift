import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// `--html FILE`, opened in Debian's headless Chromium: the charts are drawn from the run's data, the tables
/// hold the stages and the verdicts, nothing leaves for the network, and a screenshot is kept.
final class HTMLReportTests: XCTestCase {
    private var server: FaultServer!
    private var directory: String!

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-html-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Where screenshots are kept after the test: CICADA_TEST_ARTIFACTS, or .build/test-artifacts.
    private var artifacts: String {
        let path = ProcessInfo.processInfo.environment["CICADA_TEST_ARTIFACTS"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/test-artifacts").standardized.path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The requests that reached the proxy other than Chromium's own (its clock, updates and accounts, which
    /// the headless flags do not all silence), and the tunnels asked for to any host.
    private func pageRequests() -> [String] {
        server.paths.filter { path in
            // `http://host/path` for a fetch, `host:443` for a CONNECT.
            let authority = path.replacingOccurrences(of: "http://", with: "").prefix { $0 != "/" }
            let host = authority.split(separator: ":").first.map(String.init) ?? ""
            return !["google.com", "googleapis.com", "gvt1.com"].contains { host == $0 || host.hasSuffix("." + $0) }
        }.sorted()
    }

    /// A `data-NAME="VALUE"` attribute of the first element that `tag` opens with `id` (or of `<body>`).
    private func attribute(_ name: String, of dom: String, element: String) -> String? {
        guard let start = dom.range(of: element) else { return nil }
        let tag = dom[start.lowerBound...].prefix { $0 != ">" }
        guard let value = tag.range(of: "data-\(name)=\"") else { return nil }
        return String(tag[value.upperBound...].prefix { $0 != "\"" })
    }

    func testTheReportDrawsItsChartsInABrowserAndLoadsNothing() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks:
                  - {path: /ok, endpoint: "</script><b>odd name</b>"}
                  - {path: /status/500}
            stages:
              - {name: warm, users: 2, spawn_rate: 10, duration: 2s}
              - {name: peak, users: 4, spawn_rate: 10, duration: 2s}
            thresholds:
              http_req_failed: ["rate < 0.01"]
              "http_req_duration{stage:peak}": ["p(95) < 5s"]
            """)
        let report = directory + "/report.html"
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "--html", report,
                                        "--monitor-pid", String(getpid())], timeout: 60)
        XCTAssertEqual(run.exitCode, 3, "the failure-rate threshold fails: \(run.stderr)")
        let page = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertFalse(page.contains("<b>odd name</b>"), "names are escaped")
        XCTAssertTrue(page.contains("&lt;/script&gt;&lt;b&gt;odd name&lt;/b&gt;"))
        XCTAssertTrue(page.contains("FAIL: 1 of 2 thresholds failed"))
        XCTAssertTrue(page.contains("<h3>Stage warm</h3>") && page.contains("<h3>Stage peak</h3>"))
        XCTAssertTrue(page.contains("Chart.js v3."), "Debian's Chart.js is inlined")
        XCTAssertNil(page.range(of: #"<(script|link|img)[^>]+(src|href)="#, options: .regularExpression), "nothing to fetch")

        // Every request the page could make goes to the fault server as its proxy; it must see none.
        let proxy = "127.0.0.1:\(server.port)"
        server.resetCounts()
        let dom = try HeadlessChromium.dumpDOM(of: report, proxy: proxy)
        XCTAssertEqual(attribute("charts", of: dom, element: "<body"), "5", "five charts drawn")
        XCTAssertEqual(attribute("blocked", of: dom, element: "<body"), "0", "the policy refused nothing")
        for chart in ["throughput", "latency", "users", "cpu", "memory"] {
            let element = "id=\"chart-\(chart)\""
            let painted = Int(attribute("painted", of: dom, element: element) ?? "") ?? 0
            let points = Int(attribute("points", of: dom, element: element) ?? "") ?? 0
            XCTAssertGreaterThan(painted, 2_000, "\(chart): the canvas has lines on it")
            XCTAssertGreaterThan(points, 3, "\(chart): drawn from the run's history")
        }
        XCTAssertEqual(pageRequests(), [], "the report made no request")

        let screenshot = artifacts + "/html-report.png"
        try HeadlessChromium.screenshot(of: report, to: screenshot)
        XCTAssertGreaterThan((try FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0, 20_000)
    }

    /// The proxy trap catches a page that does load something, so the check above can fail.
    func testAPageThatFetchesIsSeenByTheProxy() throws {
        let page = directory + "/fetching.html"
        try "<html><body><img src=\"http://cicada-test.invalid/pixel.png\"></body></html>".write(toFile: page, atomically: true, encoding: .utf8)
        _ = try HeadlessChromium.dumpDOM(of: page, proxy: "127.0.0.1:\(server.port)")
        XCTAssertEqual(pageRequests(), ["http://cicada-test.invalid/pixel.png"])
    }

    func testAnHTMLPathThatCannotBeWrittenIsRefusedBeforeAnyLoad() throws {
        let run = try CicadaBinary.run([server.baseURL + "/ok", "-t", "1s", "--html", directory + "/missing/r.html"], json: false)
        XCTAssertEqual(run.exitCode, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--html: the directory '\(directory!)/missing' does not exist"), run.stderr)
        XCTAssertEqual(server.connectionsAccepted, 0)
        XCTAssertThrowsError(try HTMLReport.loadChartLibrary(path: directory + "/Chart.min.js")) { error in
            XCTAssertTrue("\(error)".contains("apt-get install libjs-chart.js"), "\(error)")
        }
    }
}
