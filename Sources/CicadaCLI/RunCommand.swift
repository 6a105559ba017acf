import ArgumentParser
import Cicada
import CicadaWeb
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
            Exit codes: 0 when the run finished and every request succeeded or, with thresholds, every \
            threshold held; 1 (or --exit-code-on-error's) when a request failed and no thresholds were given; 2 for a usage, scenario \
            or setup error (no load was sent); 3 when a threshold failed or an abortOnFail threshold \
            stopped the run; 4 when the run ended but a report file (--json, --junit, --csv, --html, --hdr-log) could not be written.
            """)

    @Argument(help: "A scenario file or an http:// URL (or give it with -f).")
    var target: String?

    @Option(name: [.customShort("f"), .customLong("locustfile")],
            help: "The scenario file or URL, as Locust's -f takes its locustfile; the words after it are user classes.")
    var locustfile: String?

    @Option(help: ArgumentHelp("Read settings from this TOML file: one key per option, by its long name (users = 500, threshold = [...]); the command line overrides the environment (CICADA_USERS, ...), which overrides the file.",
                               valueName: "file"))
    var config: String?

    @OptionGroup var selection: ClassSelectionOptions

    // Each number is read through SettingBounds, as the scenario file's are, so that both accept the same
    // values. `.unconditional` hands "-5" to the check, which says what is wrong with it, instead of
    // taking it for an option and reporting a missing value.

    @Option(name: [.customShort("u"), .customLong("users")], parsing: .unconditional,
            help: "Peak number of concurrent users, \(SettingBounds.users.rangeText) (default: the scenario's, or 1).",
            transform: { try SettingBounds.users.parse($0) })
    var users: Int?

    @Option(name: [.customShort("r"), .customLong("spawn-rate")], parsing: .unconditional,
            help: "How fast users start, \(SettingBounds.spawnRate.rangeText) (default: the scenario's, or all users within the first second).",
            transform: { try SettingBounds.spawnRate.parse($0) })
    var spawnRate: Double?

    @Option(name: [.customShort("t"), .customLong("run-time")], parsing: .unconditional,
            help: "Stop after this long, \(SettingBounds.runTime.rangeText), e.g. 30s, 5m, 1h30m (default: the scenario's, or run until Ctrl-C).",
            transform: { try SettingBounds.runTime.parse($0) })
    var runTime: Double?

    @Option(parsing: .unconditional,
            help: ArgumentHelp("Run stages one after another instead of a constant load: \(Stage.form); comma-separated (overrides the scenario's `stages:`; not with -u or -r).",
                               valueName: "stages"),
            transform: { try Stage.parseList($0) })
    var stages: [Stage]?

    @OptionGroup(title: "The open model (arrival rates)") var arrivalOptions: ArrivalOptions

    @Option(name: .customLong("find-limit"),
            help: ArgumentHelp("Search for the breaking point: raise the load step by step, each step held for its time, while the thresholds hold on each step's own figures; end at the first step that breaks one and report the highest that held: \(LimitSearch.form). Not with --stages, -u or --arrival-rate.",
                               valueName: "search"),
            transform: { try LimitSearch(parsing: $0) })
    var findLimit: LimitSearch?

    @Option(name: .customLong("time-factor"), parsing: .unconditional,
            help: "Multiply every stage duration and the run time by this, \(SettingBounds.timeFactor.rangeText), for demos and CI; waits, timeouts and --stop-timeout are not scaled (default 1).",
            transform: { try SettingBounds.timeFactor.parse($0) })
    var timeFactor: Double?

    @Option(help: "Target base URL; overrides the scenario's host.")
    var host: String?

    @Flag(help: "Run without the web UI: a scenario file otherwise serves one (--web-port) and waits for its form, or --autostart; a URL run is always headless.")
    var headless = false

    @Option(name: .customLong("metrics-port"), parsing: .unconditional,
            help: ArgumentHelp("Serve the run's figures in Prometheus's text format at http://127.0.0.1:PORT/metrics while it goes on (0: a free port, printed at the start): per-endpoint request, failure and cancelled counters, both latencies as histograms, users, dropped iterations, the stage and the generator's CPU and memory.",
                               valueName: "port"),
            transform: parsePort)
    var metricsPort: Int?

    @Option(parsing: .unconditional, help: "Worker threads, each with its own event loop, \(SettingBounds.threads.rangeText) (default: one per core).",
            transform: { try SettingBounds.threads.parse($0) })
    var threads: Int?

    @Option(parsing: .unconditional,
            help: "How long a request may take from its first byte written to its last byte read, \(SettingBounds.timeout.rangeText); default 60s.",
            transform: { try SettingBounds.timeout.parse($0) })
    var timeout: Double?

    @Option(name: .customLong("connect-timeout"), parsing: .unconditional,
            help: "How long a connect may take, \(SettingBounds.connectTimeout.rangeText); default 5s.",
            transform: { try SettingBounds.connectTimeout.parse($0) })
    var connectTimeout: Double?

    @Option(name: .customLong("stop-timeout"), parsing: .unconditional,
            help: "How long requests in flight may take to finish when the run ends, before they are cancelled, \(SettingBounds.stopTimeout.rangeText); 0 cancels them at once; default 10s.",
            transform: { try SettingBounds.stopTimeout.parse($0) })
    var stopTimeout: Double?

    @Option(help: "Write a JSON summary to this file (schema: docs/json-summary.md).")
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report to this file: charts over time (Chart.js from Debian's libjs-chart.js, inlined), per-stage tables, failures, thresholds and settings; it loads nothing from the network.",
                               valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("Write Locust's four CSV files: PREFIX_stats.csv, PREFIX_stats_history.csv (a row a second), PREFIX_failures.csv and PREFIX_exceptions.csv, with Locust's header lines (docs/csv.md).",
                               valueName: "prefix"))
    var csv: String?

    @Option(name: .customLong("hdr-log"),
            help: ArgumentHelp("Write the response times as an HdrHistogram interval log (.hlog): a line a second for all endpoints, and one per endpoint tagged Tag=METHOD:NAME; values in microseconds (docs/hdr-log.md).",
                               valueName: "file"))
    var hdrLog: String?

    @Flag(name: .customLong("only-summary"),
          help: "Print only the final summary: no live table or line while the run goes on (Locust's --only-summary).")
    var onlySummary = false

    @Option(name: .customLong("exit-code-on-error"), parsing: .unconditional,
            help: "The exit code when a request failed and no threshold judges the run, \(SettingBounds.exitCode.rangeText) (default 1; Locust's --exit-code-on-error).",
            transform: { try SettingBounds.exitCode.parse($0) })
    var exitCodeOnError: Int32?

    @Flag(name: .customLong("csv-full-history"),
          help: "With --csv: a history row per endpoint each second as well as the Aggregated one, as Locust's --csv-full-history.")
    var csvFullHistory = false

    @OptionGroup var thresholdOptions: ThresholdOptions

    @OptionGroup var monitorOptions: MonitorOptions

    @Option(parsing: .unconditional,
            help: "URL runs: wait between requests, \(SettingBounds.wait.rangeText): '2' (constant) or '1-5' (between).",
            transform: { try parseWait($0) })
    var wait: WaitTime?

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

    @Option(parsing: .unconditional,
            help: "Requests each user keeps in flight on its connection (HTTP/1.1 pipelining), \(SettingBounds.pipeline.range.lowerBound)-\(SettingBounds.pipeline.range.upperBound) (default 1: none).",
            transform: { try SettingBounds.pipeline.parse($0) })
    var pipeline: Int?

    @Option(parsing: .unconditional, help: "Seed for the users' random choices (task picks, wait jitter), \(SettingBounds.seed.rangeText).",
            transform: { try SettingBounds.seed.parse($0) })
    var seed: UInt64 = 0x5EED

    @OptionGroup(title: "The web UI") var webOptions: WebOptions

    func run() throws {
        if try webOptions.servesUI(headless: headless, target: locustfile ?? target) {
            try runWithWebUI()
            return
        }
        let prepared = try prepare(web: false)
        let run = prepared.run
        // Bound before the run, so that a port in use is found before any load.
        let metrics = try metricsPort.map { port in
            do { return try MetricsServer.start(host: "127.0.0.1", port: port) { run.progress } } catch let error as CicadaError {
                throw SetupError(error.description)
            }
        }
        defer { metrics?.stop() }
        if let metrics { prepared.console.write("metrics: \(metrics.url)\n") }
        // The first Ctrl-C stops the run as its run time would; a second one exits at once.
        let interrupts = InterruptHandler { if !run.stop(reason: "interrupted") { Foundation.exit(130) } }
        let result = try withExtendedLifetime(interrupts) { try run.run(observer: prepared.observer) }
        let ending = finish(prepared, result: result, keepReports: false)
        if let code = ending.exitCode { throw ExitCode(code) }
    }

    /// Everything a run needs, checked and made on the calling thread, which becomes the run's control
    /// thread: the scenario read and selected, the shape, the report files opened (so that one that cannot
    /// be written is found before any load), the engine prepared and the observers chained. `web` makes the
    /// shape steerable, the engine roomy enough to scale up to ``WebOptions/userCapacity`` users and the
    /// chain feed the page.
    func prepare(web: Bool) throws -> PreparedRun {
        // With -f, the words after the options are all user classes: the first one landed in `target`.
        var selection = self.selection
        let target: String
        switch (locustfile, self.target) {
        case (let file?, let first):
            target = file
            if let first { selection.userClasses.insert(first, at: 0) }
        case (nil, let positional?):
            target = positional
        case (nil, nil):
            throw SetupError("no scenario or URL: give one, as `cicada run FILE` or `cicada run -f FILE` (or locustfile in --config, or CICADA_LOCUSTFILE)")
        }
        let scenario: Scenario
        let isURL = target.contains("://")
        do {
            scenario = try isURL ? urlScenario(target) : Scenario.load(path: target)
        } catch let error as ScenarioError {
            throw SetupError(error.description)
        } catch let error as CicadaError {
            throw SetupError(error.description)
        }
        if !isURL, wait != nil || method != nil || !headers.isEmpty || body != nil {
            throw SetupError("--wait, -X, -H and -d apply to URL runs; a scenario file sets them per request")
        }
        if isURL, selection.isSelecting {
            throw SetupError("user classes and --tags choose among a scenario file's classes and tasks; a URL run has one")
        }
        let selected = try selection.apply(to: scenario)
        var (thresholds, skippedThresholds) = try thresholdOptions.thresholds(for: selected)
        // A scenario's target_cpu and target_rss need a process to watch: without --monitor-pid they are a
        // warning, so that a scenario can carry them; on the command line they are an error (MonitorOptions).
        let unwatched = monitorOptions.pids.isEmpty && monitorOptions.prometheus.isEmpty ? selected.thresholds.filter { (try? $0.parsed())?.metric.isTargetFigure == true } : []
        thresholds.removeAll { unwatched.contains($0) && !thresholdOptions.thresholds.contains($0) }

        let baseURL = try url(host ?? selected.host, what: "host", base: true)
        let defaults = selected.run
        if self.stages != nil, self.users != nil || self.spawnRate != nil {
            throw SetupError("--stages gives each stage its users and spawn rate; give it without -u/--users and -r/--spawn-rate")
        }
        // The command line's constant load (of users or of iterations) overrides the file's stages;
        // `--stages` overrides both.
        let usersGiven = self.users != nil || self.spawnRate != nil
        if findLimit != nil, self.stages != nil || self.users != nil || arrivalOptions.arrivalRate != nil {
            throw SetupError("--find-limit gives each step its load; give it without --stages, -u/--users or --arrival-rate")
        }
        let stages = findLimit != nil ? [] : self.stages ?? (!usersGiven && arrivalOptions.arrivalRate == nil ? selected.stages : [])
        let open = try arrivalOptions.model(defaults: defaults, stages: stages, usersGiven: usersGiven || findLimit?.load == .users,
                                            searchPeak: findLimit?.load == .rate ? findLimit?.to : nil)
        // A threshold on a stage this run does not have: a warning for the scenario's (a constant load given
        // on the command line replaces its stages), an error for the command line's.
        let stageNames = stages.map(\.name)
        let stageless = thresholds.filter { threshold in
            (try? threshold.parsed()).flatMap(\.stage).map { !stageNames.contains($0) } ?? false
        }
        for threshold in stageless where thresholdOptions.thresholds.contains(threshold) {
            do { try ThresholdRule.checkStages([try threshold.parsed()], stages: stageNames) } catch let error as InputError {
                throw SetupError("--threshold: \(error.message)")
            }
        }
        thresholds.removeAll { stageless.contains($0) }
        let timeFactor = self.timeFactor ?? 1
        let users = open?.0.maxUsers ?? findLimit.map { Int($0.to) }
            ?? (stages.isEmpty ? self.users ?? defaults.users ?? 1 : max(1, stages.map(\.users).max() ?? 1))
        let spawnRate = self.spawnRate ?? defaults.spawnRate ?? Double(users)
        // With stages, the file's run_time belongs to its constant load; only -t cuts the stages short.
        let runTime = (stages.isEmpty ? self.runTime ?? defaults.runTime : self.runTime).map { $0 * timeFactor }
        var shape: any LoadShape
        do {
            if let findLimit {
                // Each step's users start at once unless -r says otherwise: the step's time is its own.
                shape = findLimit.shape(spawnRate: self.spawnRate ?? max(findLimit.from, findLimit.step, 1))
            } else if !stages.isEmpty {
                shape = try StagedShape(stages.map { $0.scaled(by: timeFactor) })
            } else if let rate = open?.rate {
                shape = ConstantArrivalShape(rate: rate)
            } else {
                shape = ConstantShape(users: users, spawnRate: spawnRate)
            }
        } catch {
            // The stages were checked as written; only the factor can push a duration out of its bound.
            throw SetupError("--time-factor \(timeFactor) takes a stage out of bounds: \(error)")
        }
        let control = LoadControl()
        if web { shape = SteerableShape(base: shape, control: control) }
        let requestTimeout = timeout ?? defaults.timeout ?? 60
        let connectTimeout = self.connectTimeout ?? defaults.connectTimeout ?? 5
        let stopTimeout = self.stopTimeout ?? 10
        let tls = try baseURL.scheme == .https ? tlsSettings(selected.tls) : nil
        if baseURL.scheme == .http, insecure || caFile != nil || certFile != nil || keyFile != nil || tlsMin != nil
            || tlsMax != nil || noTLSResume || tlsServerName != nil {
            throw SetupError("TLS options were given but the target \(baseURL) is plain http://")
        }

        // A report that cannot be written is found now, before any load is sent.
        let jsonFile = try json.map { path in
            do { return try ReportFile(path: path) } catch { throw SetupError("--json: \(error)") }
        }
        let junitFile = try thresholdOptions.junitFile(thresholds: thresholds)
        let htmlFile = try html.map { path in
            do { return (try ReportFile(path: path), try HTMLReport.loadChartLibrary()) } catch { throw SetupError("--html: \(error)") }
        }
        if csvFullHistory, csv == nil { throw SetupError("--csv-full-history adds to the files of --csv PREFIX; give --csv too") }
        let csvFiles = try csv.map { prefix in
            do { return try LocustCSVFiles(prefix: prefix, fullHistory: csvFullHistory) } catch { throw SetupError("--csv: \(error)") }
        }

        let hdrLog = try hdrLog.map { path in
            do { return try HdrIntervalLog(file: try ReportFile(path: path)) } catch { throw SetupError("--hdr-log: \(error)") }
        }

        let rebased = selected.rebased(onto: baseURL)
        // From the page, a run of users may grow past its start: its users' slots cost address space only.
        let capacity = web && open == nil ? max(users, WebOptions.userCapacity) : users
        let run: LoadRun
        let evaluator: ThresholdEvaluator
        do {
            let plan = try CompiledPlan(scenario: rebased, hostHeader: baseURL.hostHeader)
            evaluator = try ThresholdEvaluator(thresholds: thresholds, plan: plan)
            if findLimit != nil, !evaluator.rules.contains(where: { $0.stage == nil && !$0.metric.isGeneratorFigure }) {
                throw SetupError("--find-limit judges each step by the thresholds: give at least one (--threshold or the scenario's thresholds:) that is not narrowed to a stage, such as 'http_req_failed: rate < 0.01'")
            }
            let monitor = try monitorOptions.monitor(thresholds: evaluator) { warning in
                ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error").write("warning: \(warning)\n")
            }
            var configuration = RunConfiguration(shape: shape, runTime: runTime, stopTimeout: stopTimeout, monitor: monitor,
                                                 endpointWindows: csvFullHistory, arrival: open?.0)
            if findLimit != nil {
                configuration.stageVerdict = { [evaluator] stage, target in evaluator.stageFailures(stage, target: target) }
            }
            run = try LoadRun(
                plan: plan,
                engine: EngineOptions(
                    host: baseURL.host, port: baseURL.port, threads: threads ?? 0, maxUsers: capacity,
                    connectTimeout: connectTimeout, requestTimeout: requestTimeout, seed: seed, tls: tls,
                    pipelineDepth: pipeline ?? defaults.pipeline ?? 1, arrival: open?.0),
                configuration: configuration)
        } catch let error as CicadaError {
            throw SetupError(error.description)
        } catch let error as InputError {
            throw SetupError(error.message)
        }

        // A console that fails (a closed pipe, a full disk) is a warning: the run, its files and its exit
        // code stay. SIGPIPE is ignored (CicadaCommand.main), so a closed pipe fails the write instead.
        let errors = ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error")
        let console = ConsoleStream(fileDescriptor: STDOUT_FILENO, name: "standard output", warnings: errors)
        if tls?.verify == false {
            errors.write("warning: TLS certificate verification is OFF: any certificate is accepted\n")
        }
        raiseOpenFileLimit(users: users, warnings: errors)
        for threshold in skippedThresholds {
            errors.write("warning: the threshold '\(threshold.description)' is not judged: the selection leaves no request it applies to\n")
        }
        for threshold in stageless {
            errors.write("warning: the threshold '\(threshold.description)' is not judged: this run has no stage of that name\n")
        }
        for threshold in unwatched where !thresholds.contains(threshold) {
            errors.write("warning: the threshold '\(threshold.description)' is not judged: it needs a target to watch (--monitor-pid PID or --monitor-prometheus URL)\n")
        }
        let shares = distributeUsers(total: users, weights: rebased.userClasses.map(\.weight),
                                     fixedCounts: rebased.userClasses.map(\.fixedCount))
        for (index, userClass) in rebased.userClasses.enumerated() {
            if let warning = ScenarioSummary.dataWarning(userClass, users: shares[index]) { errors.write("warning: \(warning)\n") }
        }
        let reporter = ConsoleReporter(output: console, live: !onlySummary)
        // abortOnFail thresholds are judged at each report, between the run and the files that follow it
        // second by second, which hand every event on to the console.
        csvFiles?.next = reporter
        hdrLog?.next = csvFiles ?? reporter
        let feed = LiveFeed(next: hdrLog ?? csvFiles ?? reporter)
        let watcher = ThresholdWatcher(evaluator: evaluator, next: web ? feed : hdrLog ?? csvFiles ?? reporter) { _ = run.stop(reason: $0) }
        return PreparedRun(
            run: run, target: "\(baseURL)", control: control, feed: feed, observer: watcher, watcher: watcher, reporter: reporter,
            evaluator: evaluator, console: console, errors: errors, findLimit: findLimit, jsonFile: jsonFile,
            junitFile: junitFile, htmlFile: htmlFile, csvFiles: csvFiles, hdrLog: hdrLog, userCapacity: capacity,
            isOpenModel: open != nil, hasStages: !stages.isEmpty || findLimit != nil)
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

    private func urlScenario(_ target: String) throws -> Scenario {
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
                do { bodyBytes = try SettingBounds.readBody(path: path) } catch { throw SetupError("-d @\(path): \(error)") }
            } else {
                bodyBytes = Array(body.utf8)
            }
        }
        let scenario = Scenario.oneEndpoint(url: parsed, method: method ?? (body == nil ? "GET" : "POST"),
                                            headers: headerList, body: bodyBytes, wait: wait ?? .constant(0))
        do { try scenario.validate() } catch { throw SetupError("\(error)") }
        return scenario
    }

    /// The target URL, or with `base` the URL that request paths go under (`--host`, `host:`), which
    /// may not have a query.
    private func url(_ text: String?, what: String, base: Bool = false) throws -> TargetURL {
        guard let text else {
            throw SetupError("no host: give --host http://HOST:PORT or set `host:` in the scenario")
        }
        do {
            return try base ? TargetURL(base: text) : TargetURL(text)
        } catch {
            throw SetupError("\(what) '\(text)': \(error)")
        }
    }
}
