import ArgumentParser
import Cicada

/// The web UI's options, spelled as Locust's: where it listens, who may use it, and whether the run starts
/// without the form.
struct WebOptions: ParsableArguments {
    @Option(name: .customLong("web-host"),
            help: ArgumentHelp("The address the web UI listens on (default 127.0.0.1); any other than loopback needs --web-auth or --web-insecure.",
                               valueName: "address"))
    var host: String?

    @Option(name: .customLong("web-port"), parsing: .unconditional,
            help: ArgumentHelp("The web UI's port (default 8089, Locust's; 0: a free port, printed at the start).", valueName: "port"),
            transform: parsePort)
    var port: Int?

    @Option(name: .customLong("web-auth"),
            help: ArgumentHelp("Ask for this user and password (HTTP basic authentication) on the web UI, its API and /metrics.",
                               valueName: "user:password"))
    var auth: String?

    @Flag(name: .customLong("web-insecure"),
          help: "Serve the web UI on a non-loopback --web-host without --web-auth: anyone who reaches the address can start load.")
    var insecure = false

    @Flag(help: "Start the run at once with the scenario's and the command line's values, as if the form were sent (Locust's --autostart).")
    var autostart = false

    @Option(parsing: .unconditional,
            help: ArgumentHelp("With --autostart: quit this many seconds after the run ended and its reports were written, \(SettingBounds.stopTimeout.rangeText) (Locust's --autoquit); without it the UI stays until Ctrl-C.",
                               valueName: "seconds"),
            transform: { try SettingBounds.stopTimeout.parse($0) })
    var autoquit: Double?

    /// Users a run started from the web UI can be scaled up to: its engine is prepared for this many (their
    /// slots cost address space, not memory, until used).
    static let userCapacity = 100_000
    static let defaultHost = "127.0.0.1"
    static let defaultPort = 8089

    private var isGiven: Bool { host != nil || port != nil || auth != nil || insecure || autostart || autoquit != nil }

    /// The address to bind, without the brackets of an IPv6 literal (`[::1]` binds `::1`).
    var bindHost: String {
        guard let host else { return Self.defaultHost }
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// Whether the run serves the web UI: a scenario file without `--headless` does; a URL run (the wrk
    /// mode) and `--headless` do not. Checks the options against each other.
    /// - Throws: ``SetupError`` for web options given to a headless run, a non-loopback address without
    ///   `--web-auth` or `--web-insecure`, a malformed `--web-auth`, `--autoquit` without `--autostart`.
    func servesUI(headless: Bool, target: String?) throws -> Bool {
        let isURL = target?.contains("://") ?? false
        guard !headless, !isURL else {
            if isGiven {
                throw SetupError(headless
                    ? "--web-host, --web-port, --web-auth, --web-insecure, --autostart and --autoquit are for the web UI; give them without --headless"
                    : "a URL run is headless (the wrk mode); the web UI runs a scenario file")
            }
            return false
        }
        if autoquit != nil, !autostart {
            throw SetupError("--autoquit quits after the run that --autostart started; give --autostart too")
        }
        if let auth {
            guard let colon = auth.firstIndex(of: ":"), colon != auth.startIndex, auth.index(after: colon) != auth.endIndex else {
                throw SetupError("--web-auth: expected user:password, both not empty")
            }
        }
        if !Self.isLoopback(bindHost), auth == nil, !insecure {
            throw SetupError("--web-host \(bindHost) is not a loopback address: anyone who reaches it could start load; give --web-auth user:password, or --web-insecure to serve it without")
        }
        return true
    }

    /// `127.x.y.z` (four numbers), `::1` or `localhost`: never a name that merely starts with `127.`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "::1" || host == "[::1]" || host == "localhost" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
