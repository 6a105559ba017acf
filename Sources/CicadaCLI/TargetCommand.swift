import ArgumentParser
import CicadaTarget
import Dispatch
import Foundation
import Logging

struct TargetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target",
        abstract: "Serve the SampleMind demo API, a target to load-test (docs/demo-target.md).",
        discussion: """
            Implements shared/samplemind-api.md: log-in with JWT tokens (any username with password 'demo', \
            or admin/admin), uploads, analyses, file listing and search, batch jobs for API-key clients, admin \
            routes, /health and Prometheus /metrics. Each route answers after a log-normal latency; \
            --error-rate and --capacity add failures on purpose. State is in memory, bounded by --store-limit \
            and --retention. Once listening it prints one line on standard output, \
            'cicada target listening on http://HOST:PORT', and runs until SIGINT or SIGTERM (exit 0).
            """)

    @Option(help: "The address to listen on (default: loopback only).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on, 0 to 65535; 0 lets the system choose (the line printed names it).")
    var port = 8000

    @Option(name: .customLong("token-ttl"), help: "Seconds a login token stays valid, 1 to 2592000 (30 days).")
    var tokenTTL = 3600

    @Option(name: .customLong("api-key"), help: "Accept this X-API-Key besides 'demo-api-key'; repeatable.")
    var apiKeys: [String] = []

    @Option(name: .customLong("job-seconds"), help: "Seconds a batch job takes from queued to done, 0 to 3600.")
    var jobSeconds = 3.0

    @Option(name: .customLong("latency-scale"), help: "Multiply every route's simulated latency by this, 0 to 100; 0 for none.")
    var latencyScale = 1.0

    @Option(name: .customLong("error-rate"), help: "Fraction of /api/v1 requests answered 500 on purpose, 0 to 1.")
    var errorRate = 0.0

    @Option(help: """
        Requests in flight past which requests queue: past N each waits 100 ms x (in flight - N) / N, past 2N \
        the answer is 503; 0 for no limit (0 to 1000000).
        """)
    var capacity = 0

    @Option(name: .customLong("store-limit"), help: "Entries each store (files, analyses, jobs, users) keeps at most, the oldest leaving first; 1 to 1000000.")
    var storeLimit = 50_000

    @Option(help: "Seconds an entry is kept at most, 1 to 604800 (a week).")
    var retention = 3600.0

    @Flag(name: .customLong("exit-with-parent"),
          help: "Stop (as on SIGTERM) when the process that started this one ends: cicada demo starts its target so, so that a demo killed outright leaves no server behind.")
    var exitWithParent = false

    @Option(name: .customLong("log-level"), help: "Log level on standard error: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "warning"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): expected 0 to 65535") }
        guard (1...2_592_000).contains(tokenTTL) else { throw ValidationError("--token-ttl \(tokenTTL): expected 1 to 2592000 seconds") }
        guard (0...3600).contains(jobSeconds) else { throw ValidationError("--job-seconds \(jobSeconds): expected 0 to 3600") }
        guard (0...100).contains(latencyScale) else { throw ValidationError("--latency-scale \(latencyScale): expected 0 to 100") }
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate \(errorRate): expected 0 to 1") }
        guard (0...1_000_000).contains(capacity) else { throw ValidationError("--capacity \(capacity): expected 0 to 1000000") }
        guard (1...1_000_000).contains(storeLimit) else { throw ValidationError("--store-limit \(storeLimit): expected 1 to 1000000") }
        guard (1...604_800).contains(retention) else { throw ValidationError("--retention \(retention): expected 1 to 604800 seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): expected trace, debug, info, notice, warning, error or critical")
        }
        if let key = apiKeys.first(where: { $0.isEmpty || $0.contains(where: { $0.isWhitespace || !$0.isASCII }) }) {
            throw ValidationError("--api-key '\(key)': expected a non-empty key of printable ASCII without spaces")
        }
        guard !host.isEmpty else { throw ValidationError("--host: expected an address such as 127.0.0.1") }
    }

    var targetConfiguration: TargetConfiguration {
        var configuration = TargetConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.tokenTTL = tokenTTL
        configuration.extraAPIKeys = apiKeys
        configuration.jobSeconds = jobSeconds
        configuration.latencyScale = latencyScale
        configuration.errorRate = errorRate
        configuration.capacity = capacity
        configuration.storeLimit = storeLimit
        configuration.retention = retention
        configuration.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return configuration
    }

    func run() throws {
        let configuration = targetConfiguration
        // An IPv6 address goes in brackets in a URL (RFC 3986 §3.2.2).
        let urlHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        #if os(Linux)
        // Block SIGINT and SIGTERM here, on the main thread, before any other thread exists: every thread
        // the server starts inherits the mask, so the signals stay pending for the process, where
        // ServiceLifecycle's watcher (a signalfd in libdispatch) reads them. Left to libdispatch's own
        // handler, which fixes each thread's mask only once a signal reaches it, a SIGTERM sometimes took
        // the default action and ended the process with 143 (2 runs in about 40 here).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        #endif
        if exitWithParent { watchParent() }
        let outcome = Outcome()
        // The root command is synchronous; the server runs in a task while this thread waits for it.
        Task {
            do {
                let target = await SampleMindTarget(configuration: configuration)
                try await target.run { port in
                    // One unbuffered write, so a parent reading the pipe sees the line at once.
                    FileHandle.standardOutput.write(Data("cicada target listening on http://\(urlHost):\(port)\n".utf8))
                }
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
        }
        if let error = outcome.wait() {
            throw SetupError("target: \(error)")
        }
    }
}

extension TargetCommand {
    /// Sends this process SIGTERM, its graceful stop, once its parent has ended (the process is then
    /// re-parented, so getppid(2) changes). Polled twice a second on a thread of its own: Linux's
    /// PR_SET_PDEATHSIG would do it at once but goes through prctl(2), which Swift cannot call (it is
    /// variadic), and half a second is soon enough for a server left behind.
    func watchParent() {
        let parent = getppid()
        let thread = Thread {
            while getppid() == parent { usleep(500_000) }
            kill(getpid(), SIGTERM)
        }
        thread.name = "cicada target parent watch"
        thread.start()
    }
}

/// How the server task ended, handed to the waiting main thread.
private final class Outcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var error: (any Error)?

    func finish(_ error: (any Error)?) {
        lock.withLock { self.error = error }
        done.signal()
    }

    func wait() -> (any Error)? {
        done.wait()
        return lock.withLock { error }
    }
}
