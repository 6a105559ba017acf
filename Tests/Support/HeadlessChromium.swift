import Foundation

/// Debian's chromium, headless, for tests of web pages: it loads a page, lets its scripts run, and gives
/// back the DOM as the scripts left it, or a screenshot. Each call has a profile directory of its own and
/// Chromium's own background traffic (updates, sync, metrics) turned off; `proxy` sends every request the
/// page makes, loopback included, to that `host:port`, so that a test can count them.
///
/// ```swift
/// let dom = try HeadlessChromium.dumpDOM(of: "/tmp/report.html", proxy: "127.0.0.1:\(server.port)")
/// XCTAssertTrue(dom.contains("data-charts=\"5\""))
/// ```
public enum HeadlessChromium {
    public static let binary = "/usr/bin/chromium"

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// The page's DOM after its scripts ran (`--dump-dom`), with up to `budget` ms of virtual time.
    public static func dumpDOM(of path: String, proxy: String? = nil, budget: Int = 5_000) throws -> String {
        try run(["--dump-dom", "--virtual-time-budget=\(budget)", URL(fileURLWithPath: path).absoluteString], proxy: proxy)
    }

    /// Saves a PNG of the page, `width` by `height` pixels, to `screenshot`.
    public static func screenshot(of path: String, to screenshot: String, width: Int = 1280, height: Int = 2600) throws {
        _ = try run(["--screenshot=\(screenshot)", "--window-size=\(width),\(height)", "--hide-scrollbars",
                     "--virtual-time-budget=5000", URL(fileURLWithPath: path).absoluteString], proxy: nil)
        guard FileManager.default.fileExists(atPath: screenshot) else {
            throw TestServerError.browserFailed(reason: "chromium wrote no screenshot to \(screenshot)")
        }
    }

    private static func run(_ arguments: [String], proxy: String?) throws -> String {
        guard isInstalled else { throw TestServerError.browserFailed(reason: "\(binary) is not installed (apt-get install chromium)") }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        var flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--no-default-browser-check"]
        if let proxy {
            // `<-loopback>` takes loopback off Chromium's implicit bypass list, so that it too goes to the proxy.
            flags += ["--proxy-server=http://\(proxy)", "--proxy-bypass-list=<-loopback>"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = flags + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw TestServerError.browserFailed(reason: "chromium did not finish within 90 s")
        }
        try handle.close()
        guard process.terminationStatus == 0 else {
            throw TestServerError.browserFailed(reason: "chromium exited with \(process.terminationStatus)")
        }
        return try String(contentsOf: output, encoding: .utf8)
    }
}
