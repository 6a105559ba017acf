import Foundation
import Glibc

/// A real nginx on 127.0.0.1, started in a temporary directory of its own, for loopback integration tests.
///
/// Everything nginx writes (configuration, pid file, logs, temporary files) lives in ``directory``, which is
/// removed when the fixture is released or the test process exits. nginx runs in the foreground (`daemon off`)
/// as a child of the test process with a master and ``Options/workerProcesses`` workers; as root (how CI runs)
/// the workers run as root too, since they must read files in a directory only root can enter.
///
/// Locations, all on ``baseURL``:
///
/// | path | response |
/// |---|---|
/// | `/` and any path not below | `200`, body ``rootBody`` (100 bytes), for any method. |
/// | `/close` | As `/`, with `Connection: close`; nginx closes after it (`keepalive_timeout 0`). |
/// | `/status/NNN` | Status NNN with body `status NNN\n` (none for 204), for NNN in ``statusCodes``. |
/// | `/large` | ``largeBodyLength`` bytes from a file; `GET` and `HEAD` only (the static handler answers 405 to others). |
/// | `/nginx_status` | nginx's `stub_status` counters. |
///
/// Request bodies are read and discarded (`client_max_body_size 0`, so no size is refused), and the connection
/// stays usable. Each request is logged to ``accessLogPath`` as one line, unbuffered, in the format
/// `$request_method $request_uri $status $connection $connection_requests $request_length $body_bytes_sent`;
/// ``accessLogLines()`` parses it.
///
/// With ``Options/tls`` nginx serves the same locations over HTTPS on the same port (``baseURL`` becomes
/// `https://`), and the log format gains `$ssl_session_reused $ssl_protocol`. The start-up probe then goes to a
/// second, plain-HTTP listener that serves nothing else.
///
/// ```swift
/// try XCTSkipUnless(NginxFixture.isAvailable)
/// let nginx = NginxFixture(options: .init(keepaliveRequests: 100))
/// try nginx.start()
/// defer { nginx.stop() }
/// // ... run Cicada against nginx.baseURL for 1000 requests ...
/// let lines = nginx.accessLogLines(atLeast: 1000)
/// XCTAssertEqual(lines.count, 1000)
/// XCTAssertEqual(Set(lines.map(\.connection)).count, 10)   // 100 requests per connection
/// ```
///
/// Over HTTPS, with certificates made for the test:
///
/// ```swift
/// let certificates = try TestCertificates()
/// let nginx = NginxFixture(options: .init(keepaliveRequests: 1, tls: .init(certificates: certificates)))
/// try nginx.start()
/// // ... run Cicada against nginx.baseURL with --ca-file certificates.caCertificatePath ...
/// let resumed = nginx.accessLogLines(atLeast: 100).filter { $0.sslSessionReused == true }
/// ```
public final class NginxFixture: @unchecked Sendable {
    /// How to configure nginx.
    public struct Options: Sendable {
        /// `keepalive_requests`: requests served on one connection before nginx closes it.
        public var keepaliveRequests: Int
        /// `keepalive_timeout`, in seconds: how long an idle keep-alive connection stays open.
        public var keepaliveTimeoutSeconds: Int
        /// `worker_processes`.
        public var workerProcesses: Int
        /// `worker_connections`; nil chooses 20000, or less when the open-file limit is lower.
        public var workerConnections: Int?
        /// Extra directives for the `http` block, each a complete line such as `"gzip on;"`.
        public var extraHTTPDirectives: [String]
        /// Extra directives for the `server` block, such as `"location = /x { return 302 /; }"`.
        public var extraServerDirectives: [String]
        /// How long ``NginxFixture/start()`` waits for nginx to answer, in seconds.
        public var startTimeout: TimeInterval
        /// How long ``NginxFixture/stop()`` waits after `SIGQUIT` before it kills nginx, in seconds.
        public var stopTimeout: TimeInterval
        /// HTTPS instead of HTTP on ``NginxFixture/port``; nil (the default) serves plain HTTP.
        public var tls: TLS?

        /// Options with nginx's behaviour made suitable for load tests: 10000 requests per connection, one worker.
        public init(
            keepaliveRequests: Int = 10_000,
            keepaliveTimeoutSeconds: Int = 75,
            workerProcesses: Int = 1,
            workerConnections: Int? = nil,
            extraHTTPDirectives: [String] = [],
            extraServerDirectives: [String] = [],
            startTimeout: TimeInterval = 10,
            stopTimeout: TimeInterval = 10,
            tls: TLS? = nil
        ) {
            self.keepaliveRequests = keepaliveRequests
            self.keepaliveTimeoutSeconds = keepaliveTimeoutSeconds
            self.workerProcesses = workerProcesses
            self.workerConnections = workerConnections
            self.extraHTTPDirectives = extraHTTPDirectives
            self.extraServerDirectives = extraServerDirectives
            self.startTimeout = startTimeout
            self.stopTimeout = stopTimeout
            self.tls = tls
        }
    }

    /// How nginx serves HTTPS: `listen ... ssl` and the `ssl_` directives of its `server` block.
    ///
    /// With TLS the access log gains two fields, `$ssl_session_reused $ssl_protocol`
    /// (``AccessLogLine/sslSessionReused``, ``AccessLogLine/sslProtocol``).
    public struct TLS: Sendable, Equatable {
        /// `ssl_certificate`: the server certificate (PEM), optionally followed by intermediates.
        public var certificatePath: String
        /// `ssl_certificate_key`: the certificate's private key (PEM, unencrypted).
        public var keyPath: String
        /// When set, `ssl_client_certificate` with this CA file and `ssl_verify_client on`: a request on a
        /// connection without a client certificate the CA signed gets `400` (nginx's 496 "No required SSL
        /// certificate was sent", or 495 for a certificate it cannot verify), after a complete handshake.
        public var verifyClientCA: String?
        /// `ssl_protocols`, such as `["TLSv1.3"]`.
        public var protocols: [String]
        /// `ssl_session_tickets`: resumption with tickets (RFC 5077; TLS 1.3's PSK tickets, RFC 8446 §4.6.1).
        public var sessionTickets: Bool
        /// `ssl_session_cache shared:SSL:1m` when true, `ssl_session_cache off` when false: resumption by session
        /// id (TLS 1.2), and in TLS 1.3 stateful tickets when ``sessionTickets`` is off.
        public var sessionCache: Bool

        /// TLS 1.2 and 1.3 with resumption both by tickets and by the session cache, like a typical server.
        public init(
            certificatePath: String,
            keyPath: String,
            verifyClientCA: String? = nil,
            protocols: [String] = ["TLSv1.2", "TLSv1.3"],
            sessionTickets: Bool = true,
            sessionCache: Bool = true
        ) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.verifyClientCA = verifyClientCA
            self.protocols = protocols
            self.sessionTickets = sessionTickets
            self.sessionCache = sessionCache
        }

        /// TLS with the server certificate of `certificates`; with `verifyingClients`, mutual TLS against its CA.
        public init(
            certificates: TestCertificates,
            verifyingClients: Bool = false,
            protocols: [String] = ["TLSv1.2", "TLSv1.3"],
            sessionTickets: Bool = true,
            sessionCache: Bool = true
        ) {
            self.init(
                certificatePath: certificates.serverCertificatePath,
                keyPath: certificates.serverKeyPath,
                verifyClientCA: verifyingClients ? certificates.caCertificatePath : nil,
                protocols: protocols,
                sessionTickets: sessionTickets,
                sessionCache: sessionCache
            )
        }
    }

    /// One parsed line of the access log: one request as nginx saw it.
    public struct AccessLogLine: Sendable, Equatable {
        /// `$request_method`, such as `GET`; `-` when nginx could not read a request line.
        public var method: String
        /// `$request_uri`: the request target as sent, with its query.
        public var uri: String
        /// `$status`: the status nginx sent.
        public var status: Int
        /// `$connection`: the connection's serial number. Equal numbers mean the same TCP connection, so
        /// `Set(lines.map(\.connection)).count` is the number of connections the requests used.
        public var connection: Int
        /// `$connection_requests`: 1 for the first request on its connection, 2 for the second, and so on.
        public var connectionRequests: Int
        /// `$request_length`: bytes of request line and header fields, plus the body only where nginx reads it.
        /// The fixture's `return` locations discard request bodies, and nginx 1.22 does not count discarded bytes,
        /// so here it is the length of the request head.
        public var requestLength: Int
        /// `$body_bytes_sent`: bytes of response body sent. nginx counts an interim `100 Continue` (25 bytes),
        /// sent when a request carried `Expect: 100-continue`, as body bytes.
        public var bodyBytesSent: Int
        /// `$ssl_session_reused` with TLS: true for `r` (the handshake resumed a session), false for `.` (a full
        /// handshake). nil on a plain-HTTP fixture, and for a plain-HTTP request to the TLS port (logged `-`).
        public var sslSessionReused: Bool?
        /// `$ssl_protocol` with TLS, such as `TLSv1.3`. nil on a plain-HTTP fixture, and for a plain-HTTP request
        /// to the TLS port (logged `-`).
        public var sslProtocol: String?

        /// Creates a line; tests build expected values with it.
        public init(
            method: String, uri: String, status: Int, connection: Int, connectionRequests: Int,
            requestLength: Int, bodyBytesSent: Int, sslSessionReused: Bool? = nil, sslProtocol: String? = nil
        ) {
            self.method = method
            self.uri = uri
            self.status = status
            self.connection = connection
            self.connectionRequests = connectionRequests
            self.requestLength = requestLength
            self.bodyBytesSent = bodyBytesSent
            self.sslSessionReused = sslSessionReused
            self.sslProtocol = sslProtocol
        }

        /// Parses one line of the fixture's log format, plain or TLS, or returns nil if it is not one.
        ///
        /// The URI is taken as everything between the method and the five numbers at the end, so a URI with a
        /// space in it (which nginx logs as is) still parses. A plain line ends with `$body_bytes_sent`, a number;
        /// a TLS line ends with `$ssl_session_reused $ssl_protocol`, of which the first is `r`, `.` or `-`, and
        /// neither can be mistaken for the other.
        public init?(parsing line: Substring) {
            var fields = line.split(separator: " ", omittingEmptySubsequences: false)
            var sslSessionReused: Bool?
            var sslProtocol: String?
            if let last = fields.last, Int(last) == nil {
                guard fields.count >= 9 else { return nil }
                switch fields[fields.count - 2] {
                case "r": sslSessionReused = true
                case ".": sslSessionReused = false
                case "-": sslSessionReused = nil
                default: return nil
                }
                sslProtocol = last == "-" ? nil : String(last)
                fields.removeLast(2)
            }
            guard fields.count >= 7 else { return nil }
            let numbers = fields.suffix(5).compactMap { Int($0) }
            guard numbers.count == 5 else { return nil }
            self.init(
                method: String(fields[0]),
                uri: fields[1..<(fields.count - 5)].joined(separator: " "),
                status: numbers[0],
                connection: numbers[1],
                connectionRequests: numbers[2],
                requestLength: numbers[3],
                bodyBytesSent: numbers[4],
                sslSessionReused: sslSessionReused,
                sslProtocol: sslProtocol
            )
        }
    }

    /// The body of `/` and `/close`: exactly 100 bytes, beginning with `ok`.
    public static let rootBody: String = {
        var body = "ok"
        while body.utf8.count < 100 { body += " cicada" }
        return String(body.prefix(100))
    }()

    /// The statuses that `/status/NNN` serves.
    public static let statusCodes = [200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503]

    /// The length of `/large`'s body: 1 MiB.
    public static let largeBodyLength = 1 << 20

    /// Where the nginx binary is: `$CICADA_NGINX` if set, else Debian's `/usr/sbin/nginx`.
    public static var binaryPath: String {
        ProcessInfo.processInfo.environment["CICADA_NGINX"] ?? "/usr/sbin/nginx"
    }

    /// Whether nginx is installed at ``binaryPath``. Tests that need it call `XCTSkipUnless(NginxFixture.isAvailable)`.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: binaryPath)
    }

    /// The options nginx runs with.
    public let options: Options
    /// The temporary directory that holds nginx's configuration, logs and temporary files.
    public let directory: String
    /// The access log, one line per request.
    public var accessLogPath: String { directory + "/access.log" }
    /// nginx's error log (level `notice`).
    public var errorLogPath: String { directory + "/error.log" }
    private var configurationPath: String { directory + "/nginx.conf" }
    private var standardErrorPath: String { directory + "/stderr.log" }

    private let lock = NSLock()
    private var masterPID: pid_t = 0
    private var listeningPort = 0
    /// Answered by `/__cicada_ready`, so start-up knows it reached this nginx and not whatever took the port.
    private let readinessToken = "ready-\(UInt64.random(in: 0...UInt64.max))"

    /// Creates the fixture and its temporary directory; nginx starts with ``start()``.
    public init(options: Options = Options()) {
        self.options = options
        var template = Array((NSTemporaryDirectory() + "/cicada-nginx-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) } != nil
        let path = created
            ? template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            : NSTemporaryDirectory() + "/cicada-nginx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        directory = (path as NSString).standardizingPath
        RunningNginx.shared.add(directory: directory)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
        RunningNginx.shared.remove(directory: directory)
    }

    /// The port nginx listens on, on 127.0.0.1: the port of the last successful ``start()``, 0 before one.
    public var port: Int {
        lock.withLock { listeningPort }
    }

    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` with ``Options/tls``, without a trailing slash.
    public var baseURL: String {
        (options.tls == nil ? "http" : "https") + "://127.0.0.1:\(port)"
    }

    /// Whether nginx is running (started and not yet stopped).
    public var isRunning: Bool {
        lock.withLock { masterPID > 0 }
    }

    /// The process id of nginx's master process, a child of the test process; 0 when not running.
    public var masterProcessID: pid_t {
        lock.withLock { masterPID }
    }

    /// Writes the configuration, starts nginx on a free port and waits until it answers a request.
    ///
    /// The port is found by binding port 0 and closing it; if another process takes it before nginx binds it,
    /// start-up tries again with a new port, up to five times. The access log starts empty, and the start-up probe
    /// is not logged, so tests see only their own requests. Calling it while running does nothing.
    /// - Throws: ``TestServerError/nginxNotInstalled(path:)``, or ``TestServerError/nginxDidNotStart(reason:log:)``
    ///   with nginx's error log when it exited or did not answer within ``Options/startTimeout``.
    public func start() throws {
        try lock.withLock {
            guard masterPID == 0 else { return }
            guard Self.isAvailable else { throw TestServerError.nginxNotInstalled(path: Self.binaryPath) }
            try prepareDirectory()
            var lastFailure = TestServerError.nginxDidNotStart(reason: "no attempt", log: "")
            for _ in 0..<5 {
                let port = try LoopbackSocket.unusedPort()
                // With TLS the probe cannot speak plain HTTP to `port`, so it goes to a plain listener of its own.
                var readinessPort = port
                while options.tls != nil && readinessPort == port { readinessPort = try LoopbackSocket.unusedPort() }
                try configuration(port: port, readinessPort: readinessPort)
                    .write(toFile: configurationPath, atomically: true, encoding: .utf8)
                try truncate(errorLogPath)
                try truncate(standardErrorPath)
                try truncate(accessLogPath)
                let pid = try spawn()
                switch waitUntilReady(pid: pid, port: readinessPort) {
                case .ready:
                    masterPID = pid
                    RunningNginx.shared.add(pid: pid, directory: directory)
                    listeningPort = port
                    return
                case let .exited(status):
                    let log = collectedLog()
                    lastFailure = .nginxDidNotStart(reason: "nginx \(Self.describeExit(status))", log: log)
                    // Debian's nginx logs `bind() to 127.0.0.1:N failed (98: Address already in use)`.
                    if log.contains("Address already in use") { continue }
                    throw lastFailure
                case .timedOut:
                    Self.terminate(pid: pid, gracefulTimeout: 1)
                    throw TestServerError.nginxDidNotStart(
                        reason: "no answer on 127.0.0.1:\(port) within \(options.startTimeout) s", log: collectedLog()
                    )
                }
            }
            throw lastFailure
        }
    }

    /// Stops nginx gracefully and waits for it to exit.
    ///
    /// Sends `SIGQUIT` (finish the requests in progress, close idle connections), waits up to
    /// ``Options/stopTimeout``, then `SIGTERM`, then `SIGKILL` to the master and its workers. nginx's own
    /// `worker_shutdown_timeout` (2 s) closes connections that a client keeps busy, so the graceful path
    /// normally suffices. The directory and its logs stay until the fixture is released or the process exits.
    public func stop() {
        lock.withLock {
            guard masterPID > 0 else { return }
            Self.terminate(pid: masterPID, gracefulTimeout: options.stopTimeout)
            RunningNginx.shared.remove(pid: masterPID)
            masterPID = 0
        }
    }

    /// Every request logged since start-up or the last ``resetAccessLog()``, in the order nginx finished them.
    ///
    /// nginx writes the line after it has handed the response to the kernel, so a client that has just read a
    /// response may look a few microseconds too early; use ``accessLogLines(atLeast:timeout:)`` after a run.
    public func accessLogLines() -> [AccessLogLine] {
        guard let data = FileManager.default.contents(atPath: accessLogPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap(AccessLogLine.init(parsing:))
    }

    /// The access log's lines once there are at least `count` of them, or whatever there is after `timeout`
    /// seconds.
    public func accessLogLines(atLeast count: Int, timeout: TimeInterval = 5) -> [AccessLogLine] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let lines = accessLogLines()
            if lines.count >= count || Date() >= deadline { return lines }
            usleep(5_000)
        }
    }

    /// nginx's count of open client connections (`stub_status`'s "Active connections"), the one that asks
    /// included; nil when nginx does not answer. Plain HTTP only. The request is logged as `/nginx_status`.
    public func activeConnections() -> Int? {
        let request = "GET /nginx_status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        guard let bytes = LoopbackSocket.exchange(port: port, request: request, timeout: 2) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = text.range(of: "Active connections: ") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Empties the access log. nginx appends (`O_APPEND`), so its next line starts at the beginning.
    public func resetAccessLog() {
        try? truncate(accessLogPath)
    }

    /// nginx's error log and anything it printed to standard error.
    public func errorLog() -> String {
        collectedLog()
    }

    // MARK: - Configuration

    /// The whole `nginx.conf` for `port`; with TLS, `readinessPort` is a second, plain-HTTP listener that
    /// answers only the start-up probe.
    ///
    /// Without TLS the text is exactly what it was before TLS existed: the TLS parts are added only when
    /// ``Options/tls`` is set.
    func configuration(port: Int, readinessPort: Int) -> String {
        let nofile = Self.openFileLimit()
        let connections = options.workerConnections ?? max(64, min(20_000, nofile - 64))
        // Workers inherit the master's user; an unprivileged master cannot switch users, and nginx warns if asked.
        let user = geteuid() == 0 ? "user root;\n" : ""
        return """
        # Written by CicadaTestSupport.NginxFixture; everything lives in \(directory).
        daemon off;
        master_process on;
        \(user)worker_processes \(options.workerProcesses);
        worker_rlimit_nofile \(nofile);
        worker_shutdown_timeout 2s;
        pid \(directory)/nginx.pid;
        lock_file \(directory)/nginx.lock;
        error_log \(errorLogPath) notice;

        events {
            worker_connections \(connections);
        }

        http {
            log_format cicada '$request_method $request_uri $status $connection $connection_requests $request_length $body_bytes_sent\(options.tls == nil ? "" : " $ssl_session_reused $ssl_protocol")';
            access_log \(accessLogPath) cicada;
            client_body_temp_path \(directory)/temp/client_body;
            proxy_temp_path \(directory)/temp/proxy;
            fastcgi_temp_path \(directory)/temp/fastcgi;
            uwsgi_temp_path \(directory)/temp/uwsgi;
            scgi_temp_path \(directory)/temp/scgi;
            default_type text/plain;
            server_tokens off;
            sendfile on;
            keepalive_requests \(options.keepaliveRequests);
            keepalive_timeout \(options.keepaliveTimeoutSeconds)s;
            client_max_body_size 0;
        \(options.extraHTTPDirectives.map { "    " + $0 + "\n" }.joined())
        \(serverBlock(port: port))\(readinessServerBlock(port: readinessPort))
        }

        """
    }

    private func listenDirective(port: Int) -> String {
        // A backlog above nginx's default of 511, so a test opening thousands of connections at once does not
        // wait for SYN retries.
        "listen 127.0.0.1:\(port)\(options.tls == nil ? "" : " ssl") backlog=4096;"
    }

    /// The `ssl_` lines of the `server` block, each ending in a newline; empty without TLS.
    private func tlsDirectives() -> String {
        guard let tls = options.tls else { return "" }
        var lines = [
            "ssl_certificate \"\(tls.certificatePath)\";",
            "ssl_certificate_key \"\(tls.keyPath)\";",
            "ssl_protocols \(tls.protocols.joined(separator: " "));",
            "ssl_session_tickets \(tls.sessionTickets ? "on" : "off");",
            // `off`, not nginx's default `none`: `none` still hands out session ids that can never resume.
            "ssl_session_cache \(tls.sessionCache ? "shared:SSL:1m" : "off");",
        ]
        if let ca = tls.verifyClientCA {
            lines += ["ssl_client_certificate \"\(ca)\";", "ssl_verify_client on;"]
        }
        return lines.map { "        " + $0 + "\n" }.joined()
    }

    /// With TLS, a plain-HTTP `server` on `port` for the start-up probe alone; empty without TLS.
    ///
    /// nginx opens every listening socket in the master before a worker accepts on any, so an answer here means
    /// the TLS port is bound by the same nginx.
    private func readinessServerBlock(port: Int) -> String {
        guard options.tls != nil else { return "" }
        return """


            server {
                listen 127.0.0.1:\(port);
                access_log off;
                location = /__cicada_ready { return 200 "\(readinessToken)"; }
                location / { return 404; }
            }
        """
    }

    private func serverBlock(port: Int) -> String {
        let statusLocations = Self.statusCodes.map { code in
            code == 204
                ? "        location = /status/204 { return 204; }"
                : "        location = /status/\(code) { return \(code) \"status \(code)\\n\"; }"
        }
        return """
            server {
                \(listenDirective(port: port))
                server_name localhost;
        \(tlsDirectives())        # `return` answers every method; the static file handler would refuse POST with 405.
                location / { return 200 "\(Self.rootBody)"; }
                location = /close { keepalive_timeout 0; return 200 "\(Self.rootBody)"; }
                location = /large { alias \(directory)/html/large.bin; default_type application/octet-stream; }
                location = /nginx_status { stub_status; }
                location = /__cicada_ready { access_log off; return 200 "\(readinessToken)"; }
        \(statusLocations.joined(separator: "\n"))
        \(options.extraServerDirectives.map { "        " + $0 + "\n" }.joined())    }
        """
    }

    /// The open-file limit to give workers: the hard limit, which `setrlimit` may raise the soft one to without
    /// privilege. Root may not go higher either in a container without CAP_SYS_RESOURCE.
    private static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_max, 1 << 20))
    }

    private func prepareDirectory() throws {
        let manager = FileManager.default
        for sub in ["temp", "html"] {
            try manager.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let largePath = directory + "/html/large.bin"
        if !manager.fileExists(atPath: largePath) {
            let pattern = Array("0123456789abcdef".utf8)
            let bytes = (0..<Self.largeBodyLength).map { pattern[$0 % pattern.count] }
            guard manager.createFile(atPath: largePath, contents: Data(bytes)) else {
                throw TestServerError.systemCall("create \(largePath)", errno: errno)
            }
        }
    }

    private func truncate(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestServerError.systemCall("open \(path)", errno: errno) }
        close(fd)
    }

    private func collectedLog() -> String {
        let read = { (path: String) in
            (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }
        let standardError = read(standardErrorPath)
        return read(errorLogPath) + (standardError.isEmpty ? "" : "--- standard error ---\n" + standardError)
    }

    // MARK: - Process

    /// Starts nginx with `posix_spawn`, standard output and error into `stderr.log`, no inherited descriptors.
    private func spawn() throws -> pid_t {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, standardErrorPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        // Without this nginx would inherit every descriptor of the test process that lacks close-on-exec
        // (sockets of the client under test included) and keep those connections open for its whole life.
        if let closeFrom = Self.addCloseFrom {
            _ = closeFrom(&fileActions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The spawning thread may block or ignore signals (SIGPIPE, say); nginx must start with none of that.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = [Self.binaryPath, "-p", directory + "/", "-c", configurationPath, "-e", errorLogPath]
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var argv = arguments.map { strdup($0) } + [nil]
        var envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, Self.binaryPath, &fileActions, &attributes, &argv, &envp)
        guard result == 0 else { throw TestServerError.systemCall("posix_spawn \(Self.binaryPath)", errno: result) }
        return pid
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), looked up at run time because Swift's Glibc
    /// module does not define `_GNU_SOURCE`.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    private enum Readiness {
        case ready
        case exited(status: Int32)
        case timedOut
    }

    private func waitUntilReady(pid: pid_t, port: Int) -> Readiness {
        let deadline = Date().addingTimeInterval(options.startTimeout)
        let probe = "GET /__cicada_ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        while Date() < deadline {
            if let status = Self.reap(pid) { return .exited(status: status) }
            if let response = LoopbackSocket.exchange(port: port, request: probe, timeout: 1),
               String(decoding: response, as: UTF8.self).hasSuffix(readinessToken) {
                return .ready
            }
            usleep(20_000)
        }
        return .timedOut
    }

    /// Stops `pid`: SIGQUIT, then SIGTERM, then SIGKILL to it and its workers, reaping it in the end.
    static func terminate(pid: pid_t, gracefulTimeout: TimeInterval) {
        kill(pid, SIGQUIT)
        if Self.waitForExit(pid, timeout: gracefulTimeout) { return }
        kill(pid, SIGTERM)
        if Self.waitForExit(pid, timeout: 2) { return }
        // Killing the master alone would leave the workers running, re-parented to init, still holding the port.
        // Workers go first so that the master, still alive, reaps them (init here may not reap promptly).
        let workers = Self.children(of: pid)
        for worker in workers { kill(worker, SIGKILL) }
        let deadline = Date().addingTimeInterval(1)
        while !Self.children(of: pid).isEmpty && Date() < deadline { usleep(10_000) }
        kill(pid, SIGKILL)
        _ = Self.waitForExit(pid, timeout: 5)
    }

    /// The exit status if `pid` has exited (reaping it), nil if it still runs.
    private static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return status }
        // ECHILD: someone else reaped it (a SIGCHLD handler in the test process); it is gone either way.
        if result < 0 && errno == ECHILD { return -1 }
        return nil
    }

    /// "exited with status 1" or "was killed by signal 9", from a `waitpid` status (the `WIFEXITED` macros are
    /// not imported into Swift).
    private static func describeExit(_ status: Int32) -> String {
        if status < 0 { return "exited (reaped elsewhere)" }
        let signal = status & 0x7F
        return signal == 0 ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(signal)"
    }

    private static func waitForExit(_ pid: pid_t, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if reap(pid) != nil { return true }
            usleep(10_000)
        } while Date() < deadline
        return reap(pid) != nil
    }

    /// The processes whose parent is `pid`, read from `/proc/*/stat`.
    private static func children(of pid: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name: state, then ppid (proc(5)); the name itself may contain spaces.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }
}

/// The fixtures' directories and running nginx masters, cleaned up by an `atexit` handler.
///
/// XCTest on Linux keeps every test case instance until the process ends, and a fixture kept in a static property
/// is never deinitialised either; XCTest then leaves by `exit`. Without this, such a fixture's nginx would outlive
/// the test process and its directory would stay in /tmp. A crash skips `atexit` handlers: then nginx stays until
/// killed.
final class RunningNginx: @unchecked Sendable {
    static let shared = RunningNginx()

    private let lock = NSLock()
    private var directories: Set<String> = []
    private var masters: [pid_t: String] = [:]
    private var exitHandlerInstalled = false

    func add(directory: String) {
        lock.withLock {
            directories.insert(directory)
            if !exitHandlerInstalled {
                exitHandlerInstalled = true
                atexit { RunningNginx.shared.cleanUp() }
            }
        }
    }

    func remove(directory: String) {
        lock.withLock { _ = directories.remove(directory) }
    }

    func add(pid: pid_t, directory: String) {
        lock.withLock { masters[pid] = directory }
    }

    func remove(pid: pid_t) {
        lock.withLock { _ = masters.removeValue(forKey: pid) }
    }

    private func cleanUp() {
        let (running, remaining) = lock.withLock {
            defer {
                masters = [:]
                directories = []
            }
            return (masters, directories)
        }
        for pid in running.keys {
            NginxFixture.terminate(pid: pid, gracefulTimeout: 1)
        }
        for directory in remaining {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
