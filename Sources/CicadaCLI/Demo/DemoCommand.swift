import ArgumentParser
import Cicada
import Foundation

/// `cicada demo`: the seed's whole load test against the embedded SampleMind target, in about a minute, with
/// no server of one's own: the target as a child process, the seed's scenario (embedded in the binary)
/// through its four stages, the success criteria as thresholds (the scenario's, the target's CPU and
/// memory, and each stage's), the reports in a folder of their own, and the target's own counts beside
/// Cicada's at the end.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the seed's load test (examples/samplemind.yaml, four stages) against the embedded demo target.",
        discussion: """
            Starts `cicada target` on a free loopback port as a child process, runs the SampleMind suite \
            through the seed's stages (\(DemoCommand.seedStages.map(\.name).joined(separator: ", "))) \
            with every duration scaled by --time-factor and the seed's own spawn rates (so a short stage may \
            end before its ramp does, as the seed's ramps take their time), judges the seed's success criteria, writes report.html, summary.json, \
            the Locust CSV files and junit.xml into the output folder and prints its path. The target is \
            watched by PID (its CPU and memory), and its own request counts are compared with Cicada's at \
            the end. Exit codes as `cicada run`'s.
            """)

    /// The seed's four stages (`../shared/seed/load-testing-suite.md`).
    static let seedStages = [
        Stage("baseline", users: 100, spawnRate: 10, duration: 60),
        Stage("normal", users: 500, spawnRate: 20, duration: 300),
        Stage("peak", users: 1000, spawnRate: 50, duration: 600),
        Stage("stress", users: 2000, spawnRate: 100, duration: 300),
    ]
    /// 21 minutes × 0.05: about a minute.
    static let defaultTimeFactor = 0.05

    @Option(name: .customLong("time-factor"), parsing: .unconditional,
            help: "Scale the seed's 21 minutes: every stage's duration times this, \(SettingBounds.timeFactor.rangeText) (default \(formatNumber(defaultTimeFactor)): about a minute); spawn rates stay the seed's.",
            transform: { try SettingBounds.timeFactor.parse($0) })
    var timeFactor: Double?

    @Flag(help: "The seed's real durations: 21 minutes (--time-factor 1).")
    var full = false

    @Option(help: ArgumentHelp("The folder for the reports (created; default ./cicada-demo-YYYYMMDD-HHMMSS).", valueName: "dir"))
    var output: String?

    @Flag(help: "Open the HTML report in a browser afterwards, when one is there (xdg-open).")
    var open = false

    @Flag(help: "Serve the web UI (http://127.0.0.1:8089/) with the seed's stages in its form instead of running headless; start the run from the page, and Ctrl-C when done.")
    var web = false

    @Option(name: .customLong("web-port"), parsing: .unconditional,
            help: ArgumentHelp("With --web: the web UI's port (default 8089; 0: a free port, printed).", valueName: "port"),
            transform: parsePort)
    var webPort: Int?

    @Option(name: .customLong("error-rate"), help: "The target answers this fraction of /api/v1 requests with 500, 0 to 1 (see the error-rate threshold fail).")
    var errorRate: Double?

    @Option(help: "The target degrades past this many requests in flight, then refuses with 503 (see the stress stage break); 0 for no limit.")
    var capacity: Int?

    @Option(name: .customLong("latency-scale"), help: "Multiply the target's simulated latency by this, 0 to 100.")
    var latencyScale: Double?

    @Option(parsing: .unconditional, help: "Worker threads, \(SettingBounds.threads.rangeText) (default: one per core).",
            transform: { try SettingBounds.threads.parse($0) })
    var threads: Int?

    func validate() throws {
        if full, timeFactor != nil { throw ValidationError("--full is --time-factor 1; give one of them") }
        if webPort != nil, !web { throw ValidationError("--web-port is for --web") }
    }

    /// The seed's stages with their durations scaled by `factor`, as `--stages` takes them. The spawn rates
    /// stay the seed's: dividing them by the factor too would start thousands of users a second, each
    /// logging in and uploading at once, a load the seed never asks for.
    static func stages(factor: Double) -> String {
        seedStages.map { "\($0.name):\($0.users)@\(formatNumber($0.spawnRate))/\(formatNumber($0.duration * factor * 1000))ms" }
            .joined(separator: ",")
    }

    func run() throws {
        let factor = full ? 1 : timeFactor ?? Self.defaultTimeFactor
        let folder = try makeFolder()
        let scenario = folder + "/samplemind.yaml"
        do { try DemoScenario.yaml.write(toFile: scenario, atomically: true, encoding: .utf8) } catch {
            throw SetupError("cannot write \(scenario): \(error)")
        }
        let errors = ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error")
        // The target holds a socket per user too: it inherits the raised limit.
        raiseOpenFileLimit(users: Self.seedStages.map(\.users).max()! + 64, warnings: errors)
        var targetArguments: [String] = []
        if let errorRate { targetArguments += ["--error-rate", "\(errorRate)"] }
        if let capacity { targetArguments += ["--capacity", "\(capacity)"] }
        if let latencyScale { targetArguments += ["--latency-scale", "\(latencyScale)"] }
        let target = try DemoTargetChild(arguments: targetArguments, logPath: folder + "/target.log")
        defer { target.stop() }
        let console = ConsoleStream(fileDescriptor: STDOUT_FILENO, name: "standard output", warnings: errors)
        console.write("cicada demo: the SampleMind target (pid \(target.pid)) at \(target.baseURL); the seed's four stages "
            + "at time factor \(formatNumber(factor)); reports in \(folder)\n")

        var arguments = [scenario, "--host", target.baseURL, "--stages", Self.stages(factor: factor),
                         "--monitor-pid", "\(target.pid)",
                         // The seed's criteria that are the target's: its CPU under 80 % of the machine, and its
                         // memory within a bound. Its "no memory leak" needs a steady stretch to tell a leak from
                         // a ramp (each new user and each stored upload adds memory, up to the store's bound),
                         // which a one-minute demo does not have: the demo bounds the RSS instead.
                         "--threshold", "target_cpu: avg < \(80 * ProcessInfo.processInfo.activeProcessorCount)%",
                         "--threshold", "target_rss: max < 1GiB",
                         "--html", folder + "/report.html", "--json", folder + "/summary.json",
                         "--csv", folder + "/stats", "--junit", folder + "/junit.xml", "--stop-timeout", "5s"]
        if !web { arguments.append("--headless") }
        if let webPort { arguments += ["--web-port", "\(webPort)"] }
        // Each stage judged on its own too, so that the report says which stage broke a criterion.
        for stage in Self.seedStages {
            arguments += ["--threshold", "http_req_duration{stage:\(stage.name)}: p(95) < 500ms",
                          "--threshold", "http_req_failed{stage:\(stage.name)}: rate < 0.001"]
        }
        if let threads { arguments += ["--threads", "\(threads)"] }
        var exit: ExitCode?
        do {
            var command = try RunCommand.parse(arguments)
            try command.run()
        } catch let code as ExitCode {
            exit = code
        }
        crossCheck(target: target, summaryPath: folder + "/summary.json", console: console, errors: errors)
        target.stop()
        console.write("\nReports: \(folder)/report.html (and summary.json, stats_*.csv, junit.xml, target.log)\n")
        if open { openReport(folder + "/report.html", errors: errors) }
        if let exit { throw exit }
    }

    /// `./cicada-demo-<timestamp>`, or --output, created now: a folder that cannot be made is found before
    /// the target starts.
    private func makeFolder() throws -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let path = output ?? FileManager.default.currentDirectoryPath + "/cicada-demo-" + formatter.string(from: Date())
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SetupError("--output \(path): cannot create the folder: \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: path) else { throw SetupError("--output \(path): not writable") }
        return (path as NSString).standardizingPath
    }

    /// Scrapes the target once the run has ended and prints its counts beside Cicada's.
    private func crossCheck(target: DemoTargetChild, summaryPath: String, console: ConsoleStream, errors: ConsoleStream) {
        guard let data = FileManager.default.contents(atPath: summaryPath),
              let summary = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        do {
            let metrics = try MetricsScrape.fetch(try TargetURL(target.baseURL + "/metrics"), timeout: 5)
            try? metrics.write(toFile: (summaryPath as NSString).deletingLastPathComponent + "/target-metrics.txt",
                               atomically: true, encoding: .utf8)
            console.write("\n" + TargetCrossCheck(summary: summary, metrics: metrics).text)
        } catch {
            errors.write("warning: the target's /metrics could not be read for the cross-check: \(error)\n")
        }
    }

    private func openReport(_ path: String, errors: ConsoleStream) {
        let opener = Process()
        opener.executableURL = URL(fileURLWithPath: "/usr/bin/xdg-open")
        opener.arguments = [path]
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xdg-open"), (try? opener.run()) != nil else {
            errors.write("warning: no browser to open the report with (xdg-open); open \(path) yourself\n")
            return
        }
    }
}
