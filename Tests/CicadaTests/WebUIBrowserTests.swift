import CicadaTestSupport
import Foundation
import XCTest

/// The web UI in a real browser: Debian's chromium, driven by Selenium through chromium-driver
/// (Tests/Browser/web_ui_browser.py), against `cicada run SCENARIO` and the fault server. Its screenshots
/// are kept in `.build/test-artifacts/web-ui/`.
final class WebUIBrowserTests: FaultServerTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let python = repository.appendingPathComponent(".build/test-python/bin/python").path

    /// Chromium, its driver and the test venv's Selenium, which scripts/test installs: without them the test
    /// fails saying so (it is not skipped).
    private static func requireBrowser() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), HeadlessChromium.isInstalled,
              FileManager.default.isExecutableFile(atPath: python) else {
            throw ChildError(description: "chromium, chromium-driver and the test venv's selenium are needed: run scripts/test, which installs them")
        }
    }

    func testAPersonStartsWatchesSteersStopsAndDownloadsInChromium() throws {
        try Self.requireBrowser()
        let scenario = try CicadaBinary.scenarioFile("""
            host: \(server.baseURL)
            users:
              - name: Browser
                wait: constant(0.05)
                tasks:
                  - {path: /ok}
              - name: Crawler
                wait: constant(0.05)
                tasks:
                  - {path: /ok?crawl}
            stages:
              - {name: warm, users: 2, spawn_rate: 20, duration: 60s}
              - {name: hot, users: 5, spawn_rate: 20, duration: 60s}
            thresholds:
              http_req_failed: ["rate < 0.01"]
            """)
        let child = try CicadaChild(["run", scenario, "--web-port", "0"])
        let url = try child.line(startingWith: "web UI: ")
        let artifacts = Self.repository.appendingPathComponent(".build/test-artifacts/web-ui").path
        try? FileManager.default.removeItem(atPath: artifacts)
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let script = Self.repository.appendingPathComponent("Tests/Browser/web_ui_browser.py").path
        let run = try CicadaBinary.command([script, url, server.baseURL, artifacts], timeout: 180, binary: Self.python)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr.suffix(3000))
        XCTAssertTrue(run.stdout.contains("browser: all steps passed"), run.stdout + run.stderr.suffix(3000))
        for shot in ["running.png", "hot-stage.png", "finished.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: artifacts + "/" + shot), shot)
        }
        XCTAssertEqual(child.stop(), 0)
    }

    /// The "done when": the seed's load test started, watched through its four stages and its
    /// report downloaded from the page of `cicada demo --web` (the release binary, as a user runs it).
    func testThePersonRunsTheSeedsLoadTestFromTheDemosPage() throws {
        try Self.requireBrowser()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-web-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let child = try CicadaChild(["demo", "--web", "--web-port", "0", "--time-factor", "0.02", "--output", folder],
                                    binary: CicadaBinary.releasePath)
        let url = try child.line(startingWith: "web UI: ", timeout: 60)
        let artifacts = Self.repository.appendingPathComponent(".build/test-artifacts/web-ui-seed").path
        try? FileManager.default.removeItem(atPath: artifacts)
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let script = Self.repository.appendingPathComponent("Tests/Browser/web_ui_browser.py").path
        let run = try CicadaBinary.command([script, "--seed", url, artifacts], timeout: 240, binary: Self.python)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr.suffix(3000))
        XCTAssertTrue(run.stdout.contains("browser: all steps passed"), run.stdout + run.stderr.suffix(3000))
        child.stop(timeout: 60)
        XCTAssertTrue(child.output.contains("Every route's count agrees"), String(child.output.suffix(3000)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/report.html"), "the demo's own files are written too")
    }
}
