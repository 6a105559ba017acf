import ArgumentParser
import Cicada
import CicadaWeb
import Dispatch
import Foundation
import Synchronization

extension RunCommand {
    /// `cicada run SCENARIO` without `--headless`: serves the web UI until Ctrl-C (or `--autoquit`), each
    /// run started from the page (or `--autostart`) prepared and reported as a headless run with the same
    /// values would be. Exits with the last run's exit code.
    func runWithWebUI() throws {
        if metricsPort != nil {
            throw SetupError("--metrics-port is for headless runs: the web UI serves /metrics on its own port")
        }
        let chartLibrary: String
        do { chartLibrary = try HTMLReport.loadChartLibrary() } catch {
            throw SetupError("the web UI draws its charts with Chart.js: \(error) (apt-get install libjs-chart.js), or give --headless")
        }
        let launcher = CommandLauncher(command: self, defaults: try formDefaults(), chartLibrary: chartLibrary)
        let session = WebSession(launcher: launcher)
        let host = webOptions.bindHost
        let server: WebServer
        do {
            server = try WebServer.start(session: session, host: host, port: webOptions.port ?? WebOptions.defaultPort,
                                         credentials: webOptions.auth, loopbackOnly: WebOptions.isLoopback(host),
                                         chartLibrary: chartLibrary)
        } catch let error as CicadaError {
            throw SetupError(error.description)
        }
        defer { server.stop() }
        let errors = ConsoleStream(fileDescriptor: STDERR_FILENO, name: "standard error")
        let console = ConsoleStream(fileDescriptor: STDOUT_FILENO, name: "standard output", warnings: errors)
        console.write("web UI: \(server.url)\n")
        if !WebOptions.isLoopback(host) {
            errors.write(webOptions.auth == nil
                ? "warning: the web UI listens on \(host) without a password (--web-insecure): anyone who reaches it can start load\n"
                : "warning: the web UI listens on \(host), behind --web-auth (HTTP basic: the password crosses the network in the clear)\n")
        }

        let quit = DispatchSemaphore(value: 0)
        let interrupts = Mutex(0)
        // The first Ctrl-C stops the run (its reports are still written) and quits; a second exits at once.
        let handler = InterruptHandler {
            let count = interrupts.withLock { count in
                count += 1
                return count
            }
            if count > 1 { Foundation.exit(130) }
            quit.signal()
        }
        if webOptions.autostart {
            do {
                try session.start(StartFields())
            } catch let error as WebError {
                throw SetupError(error.message)
            }
            if let autoquit = webOptions.autoquit {
                let waiter = Thread {
                    while !session.waitForFinish(timeout: 3600) {}
                    Thread.sleep(forTimeInterval: autoquit)
                    quit.signal()
                }
                waiter.start()
            }
        }
        withExtendedLifetime(handler) {
            quit.wait()
            // No run starts from now on; one going on (or being prepared) stops and writes its reports.
            if session.close() { console.write("stopping the run; its reports are being written\n") }
            if !session.waitForFinish(timeout: (stopTimeout ?? 10) + 60) {
                errors.write("cicada: error: the run's reports were not written within --stop-timeout plus 60 s\n")
            }
        }
        // The last run's exit code, as headless; a run that failed to run (the engine refused it) is 2.
        let last = session.snapshot
        if let code = last.reports?.exitCode, code != 0 { throw ExitCode(code) }
        if last.reports == nil, last.message != nil { throw ExitCode(RunExitCode.usage) }
    }

    /// The start form's values: the scenario's, with the command line's over them.
    func formDefaults() throws -> FormDefaults {
        guard let path = locustfile ?? target else {
            throw SetupError("no scenario: give one, as `cicada run FILE` or `cicada run -f FILE`")
        }
        let scenario: Scenario
        do { scenario = try Scenario.load(path: path) } catch let error as ScenarioError {
            throw SetupError(error.description)
        } catch let error as CicadaError {
            throw SetupError(error.description)
        }
        let run = scenario.run
        // With -f, the positional word is the first class (as in run()).
        let chosen = (locustfile != nil ? [target].compactMap { $0 } : []) + selection.userClasses
        let stagesGiven = stages ?? (users == nil && spawnRate == nil && arrivalOptions.arrivalRate == nil ? scenario.stages : [])
        return FormDefaults(
            scenario: path, users: users ?? run.users, spawnRate: spawnRate ?? run.spawnRate, host: host ?? scenario.host,
            // With stages, the file's run_time belongs to its constant load (as on the command line): only -t
            // would cut the stages short.
            runTime: (stagesGiven.isEmpty ? runTime ?? run.runTime : runTime).map { "\(formatNumber($0))s" },
            stages: stagesGiven.isEmpty ? nil : stagesGiven.map(\.written).joined(separator: ","),
            arrivalRate: arrivalOptions.arrivalRate ?? run.arrivalRate, userClasses: scenario.userClasses.map(\.name),
            selectedUserClasses: chosen.isEmpty ? scenario.userClasses.map(\.name) : chosen)
    }

    /// This command with the form's fields over its options, each read as the command line reads it.
    /// - Throws: ``WebError`` 400 naming the field, with the command line's message.
    func applying(_ fields: StartFields) throws -> RunCommand {
        var command = self
        func read<Value>(_ bound: SettingBound<Value>, _ text: String, field: String, option: String) throws -> Value {
            do { return try bound.parse(text) } catch let error as InputError {
                throw WebError.badInput("\(option): \(error.message)", field: field)
            }
        }
        if let stages = fields.stages {
            if fields.users != nil || fields.spawnRate != nil {
                throw WebError.badInput("--stages gives each stage its users and spawn rate; give it without -u/--users and -r/--spawn-rate", field: "stages")
            }
            do { command.stages = try Stage.parseList(stages) } catch let error as InputError {
                throw WebError.badInput("--stages: \(error.message)", field: "stages")
            }
            command.users = nil
            command.spawnRate = nil
            command.arrivalOptions.arrivalRate = nil
        }
        if let users = fields.users {
            command.users = try read(SettingBounds.users, users, field: "users", option: "--users")
            command.stages = fields.stages == nil ? nil : command.stages
        }
        if let spawnRate = fields.spawnRate {
            command.spawnRate = try read(SettingBounds.spawnRate, spawnRate, field: "spawn_rate", option: "--spawn-rate")
        }
        if let rate = fields.arrivalRate {
            if fields.users != nil || fields.spawnRate != nil {
                throw WebError.badInput("--arrival-rate starts iterations, not users: give it without -u/--users and -r/--spawn-rate", field: "arrival_rate")
            }
            command.arrivalOptions.arrivalRate = try read(SettingBounds.arrivalRate, rate, field: "arrival_rate", option: "--arrival-rate")
            if fields.stages == nil { command.stages = nil }
            command.users = nil
            command.spawnRate = nil
        }
        if let host = fields.host {
            do { _ = try TargetURL(base: host) } catch {
                throw WebError.badInput("host '\(host)': \(error)", field: "host")
            }
            command.host = host
        }
        if let runTime = fields.runTime {
            command.runTime = try read(SettingBounds.runTime, runTime, field: "run_time", option: "--run-time")
        }
        if let classes = fields.userClasses {
            guard !classes.isEmpty else { throw WebError.badInput("choose at least one user class", field: "user_classes") }
            // With -f, the positional word was a class; the form's list replaces the command line's.
            if command.locustfile != nil { command.target = nil }
            command.selection.userClasses = classes
        }
        return command
    }
}
