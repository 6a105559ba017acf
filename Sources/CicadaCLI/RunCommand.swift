import ArgumentParser
import Cicada
import Dispatch
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario file, or load one URL.",
        discussion: """
            TARGET is a scenario file (YAML, see docs/scenario.md) or a URL. A URL runs one endpoint \
            like wrk: every user sends its next request as soon as the previous one completes, unless \
            --wait says otherwise.
            Options given here override the scenario's `run:` defaults.
            """)

    @Argument(help: "A scenario file or an http:// URL.")
    var target: String

    @Option(name: [.customShort("u"), .customLong("users")], help: "Peak number of concurrent users (default: the scenario's, or 1).")
    var users: Int?

    @Option(name: [.customShort("r"), .customLong("spawn-rate")], help: "Users started per second (default: the scenario's, or all users within the first second).")
    var spawnRate: Double?

    @Option(name: [.customShort("t"), .customLong("run-time")], help: "Stop after this long, e.g. 30s, 5m, 1h30m (default: the scenario's, or run until Ctrl-C).")
    var runTime: String?

    @Option(help: "Target base URL; overrides the scenario's host.")
    var host: String?

    @Flag(help: "Run without the web UI (the only mode for now).")
    var headless = false

    @Option(help: "Worker threads, each with its own event loop (default: one per core).")
    var threads: Int?

    @Option(help: "Seconds a request may take from its first byte written to its last byte read (default 60).")
    var timeout: String?

    @Option(name: .customLong("connect-timeout"), help: "Seconds a connect may take (default 5).")
    var connectTimeout: String?

    @Option(name: .customLong("stop-timeout"), help: "Seconds requests in flight may take to finish when the run ends, before they are cancelled (default 10).")
    var stopTimeout: String?

    @Option(help: "Write a JSON summary to this file (schema: docs/json-summary.md).")
    var json: String?

    @Option(help: "URL runs: wait between requests, seconds: '2' (constant) or '1-5' (between).")
    var wait: String?

    @Option(name: [.customShort("X"), .customLong("method")], help: "URL runs: the request method (default GET, or POST with a body).")
    var method: String?

    @Option(name: [.customShort("H"), .customLong("header")], help: "URL runs: a request header, 'Name: value'; repeatable.")
    var headers: [String] = []

    @Option(name: [.customShort("d"), .customLong("body")], help: "URL runs: the request body; @FILE reads it from a file.")
    var body: String?

    @Flag(name: [.customShort("k"), .customLong("insecure")], help: "HTTPS: do not verify the server's certificate (the run says so).")
    var insecure = false

    @Option(name: .customLong("ca-file"), help: "HTTPS: also trust this CA certificate (PEM).")
    var caFile: String?

    @Option(name: .customLong("cert"), help: "HTTPS: present this client certificate (PEM), for mutual TLS.")
    var certFile: String?

    @Option(name: .customLong("key"), help: "HTTPS: the client certificate's private key (PEM), when not in --cert.")
    var keyFile: String?

    @Option(name: .customLong("tls-min"), help: "HTTPS: the lowest TLS version to offer: 1.2 or 1.3 (default 1.2).")
    var tlsMin: String?

    @Option(name: .customLong("tls-max"), help: "HTTPS: the highest TLS version to offer: 1.2 or 1.3 (default 1.3).")
    var tlsMax: String?

    @Flag(name: .customLong("no-tls-resume"), help: "HTTPS: never resume TLS sessions, so every connection does a full handshake.")
    var noTLSResume = false

    @Option(name: .customLong("tls-server-name"), help: "HTTPS: the name sent as SNI and checked in the certificate (default: the target's host).")
    var tlsServerName: String?

    @Option(help: "Requests each user keeps in flight on its connection (HTTP/1.1 pipelining), 1-64 (default 1: none).")
    var pipeline: Int?

    @Option(help: "Seed for the users' random choices (task picks, wait jitter).")
    var seed: UInt64 = 0x5EED

    func validate() throws {
        if let users, users < 1 { throw ValidationError("--users must be at least 1, got \(users)") }
        if let spawnRate, spawnRate < 0 { throw ValidationError("--spawn-rate must be 0 or more, got \(spawnRate)") }
        if let threads, !(1...255).contains(threads) { throw ValidationError("--threads must be 1-255, got \(threads)") }
        if let pipeline, !(1...64).contains(pipeline) { throw ValidationError("--pipeline must be 1-64, got \(pipeline)") }
    }

    func run() throws {
        let scenario: Scenario
        let isURL = target.contains("://")
        do {
            scenario = try isURL ? urlScenario() : Scenario.load(path: target)
        } catch let error as ScenarioError {
            throw SetupError(error.description)
        } catch let error as CicadaError {
            throw SetupError(error.description)
        }
        if !isURL, wait != nil || method != nil || !headers.isEmpty || body != nil {
            throw SetupError("--wait, -X, -H and -d apply to URL runs; a scenario file sets them per request")
        }

        let baseURL = try url(host ?? scenario.host, what: "host")
        let defaults = scenario.run
        let users = self.users ?? defaults.users ?? 1
        let spawnRate = self.spawnRate ?? defaults.spawnRate ?? Double(users)
        let runTime = try runTime.map { try seconds($0, option: "--run-time") } ?? defaults.runTime
        let requestTimeout = try timeout.map { try seconds($0, option: "--timeout") } ?? defaults.timeout ?? 60
        let connectTimeout = try connectTimeout.map { try seconds($0, option: "--connect-timeout") } ?? defaults.connectTimeout ?? 5
        let stopTimeout = try stopTimeout.map { try seconds($0, option: "--stop-timeout") } ?? 10
        let tls = try baseURL.scheme == .https ? tlsSettings(scenario.tls) : nil
        if baseURL.scheme == .http, insecure || caFile != nil || certFile != nil || keyFile != nil || tlsMin != nil
            || tlsMax != nil || noTLSResume || tlsServerName != nil {
            throw SetupError("TLS options were given but the target \(baseURL) is plain http://")
        }

        // A report that cannot be written is found now, before any load is sent.
        let jsonFile = try json.map { path in
            do { return try ReportFile(path: path) } catch { throw SetupError("--json: \(error)") }
        }

        let rebased = scenario.rebased(onto: baseURL)
        let run: LoadRun
        do {
            let plan = try CompiledPlan(scenario: rebased, hostHeader: baseURL.hostHeader)
            run = try LoadRun(
                plan: plan,
                engine: EngineOptions(
                    host: baseURL.host, port: baseURL.port, threads: threads ?? 0, maxUsers: users,
                    connectTimeout: connectTimeout, requestTimeout: requestTimeout, seed: seed, tls: tls,
                    pipelineDepth: pipeline ?? defaults.pipeline ?? 1),
                configuration: RunConfiguration(users: users, spawnRate: spawnRate, runTime: runTime,
                                                stopTimeout: stopTimeout))
        } catch let error as CicadaError {
            throw SetupError(error.description)
        }

        // A console that fails (a closed pipe, a full disk) is a warning: the run, its files and its exit
        // code stay. SIGPIPE is ignored (CicadaCommand.main), so a closed pipe fails the write instead.
        let errors = ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error")
        let console = ConsoleStream(fileDescriptor: STDOUT_FILENO, name: "standard output", warnings: errors)
        if tls?.verify == false {
            errors.write("warning: TLS certificate verification is OFF: any certificate is accepted\n")
        }
        raiseOpenFileLimit(users: users, warnings: errors)
        let reporter = ConsoleReporter(output: console)
        // The first Ctrl-C stops the run as its run time would; a second one exits at once.
        let interrupts = InterruptHandler { if !run.stop(reason: "interrupted") { Foundation.exit(130) } }
        let result = try withExtendedLifetime(interrupts) { try run.run(observer: reporter) }

        reporter.finish(result: result)
        var reportsWritten = true
        if let jsonFile {
            do {
                try jsonFile.write(JSONSummary(result: result, version: cicadaVersion).encoded())
            } catch {
                errors.write("cicada: error: the JSON summary was not written: \(error)\n")
                reportsWritten = false
            }
        }
        if !reportsWritten { throw ExitCode(3) }
        if result.statistics.aggregated.failures > 0 { throw ExitCode(1) }
    }

    /// The scenario's `tls:` block with the command line's options over it, checked by the same rules
    /// as the file (readable PEM of the right kind, a key only with a certificate, versions in order). Fields
    /// that neither sets stay nil: the engine gives them their defaults.
    private func tlsSettings(_ file: TLSSettings) throws -> TLSSettings {
        func version(_ text: String?, _ option: String) throws -> TLSVersion? {
            guard let text else { return nil }
            do { return try parseTLSVersion(text) } catch { throw SetupError("\(option): \(error)") }
        }
        let flags = TLSSettings(
            verify: insecure ? false : nil, caFile: caFile, certFile: certFile, keyFile: keyFile,
            minVersion: try version(tlsMin, "--tls-min"), maxVersion: try version(tlsMax, "--tls-max"),
            resume: noTLSResume ? false : nil, serverName: tlsServerName)
        let settings = file.overridden(by: flags)
        do { try settings.validate() } catch { throw SetupError("\(error)") }
        return settings
    }

    private func urlScenario() throws -> Scenario {
        let parsed = try url(target, what: "target")
        var headerList: [Header] = []
        for line in headers {
            guard let colon = line.firstIndex(of: ":") else {
                throw SetupError("-H '\(line)': expected 'Name: value'")
            }
            headerList.append(Header(name: String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                                     value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        var bodyBytes: [UInt8] = []
        if let body {
            if body.hasPrefix("@") {
                let path = String(body.dropFirst())
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw SetupError("-d @\(path): cannot read that file")
                }
                bodyBytes = Array(data)
            } else {
                bodyBytes = Array(body.utf8)
            }
        }
        let waitTime = try wait.map { text in
            do { return try parseWait(text) } catch { throw SetupError("--wait: \(error)") }
        } ?? .constant(0)
        let scenario = Scenario.oneEndpoint(url: parsed, method: method ?? (body == nil ? "GET" : "POST"),
                                            headers: headerList, body: bodyBytes, wait: waitTime)
        do { try scenario.validate() } catch { throw SetupError("\(error)") }
        return scenario
    }

    private func url(_ text: String?, what: String) throws -> TargetURL {
        guard let text else {
            throw SetupError("no host: give --host http://HOST:PORT or set `host:` in the scenario")
        }
        do { return try TargetURL(text) } catch { throw SetupError("\(what) '\(text)': \(error)") }
    }

    private func seconds(_ text: String, option: String) throws -> Double {
        do { return try parseDuration(text) } catch { throw SetupError("\(option) '\(text)': \(error)") }
    }
}
