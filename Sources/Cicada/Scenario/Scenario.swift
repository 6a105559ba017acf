/// A load test described as Locust describes one: weighted classes of simulated users, each running
/// weighted tasks with a wait between them.
///
/// A `Scenario` is a plain value. It comes from a YAML file (``Scenario/load(path:)``), from one URL
/// (``Scenario/oneEndpoint(url:method:headers:body:wait:)``) or from code; ``validate()`` checks one built in
/// code by the same rules the YAML loader applies, so every path into a run rejects the same mistakes.
///
/// ```swift
/// let scenario = try Scenario.load(path: "examples/audio-api.yaml")
/// for userClass in scenario.userClasses {
///     print(userClass.name, userClass.weight, userClass.wait)
/// }
/// ```
public struct Scenario: Sendable, Equatable {
    /// A label for reports; `nil` when the file has no `name:`.
    public var name: String?
    /// The target, as a URL such as `http://127.0.0.1:8080`; `nil` when the command line must give it.
    /// Parse it with ``TargetURL/init(_:)``. A path in it is put before every request path, as Locust does.
    public var host: String?
    /// The kinds of simulated user. Each new user is one of these, chosen by ``UserClass/weight``.
    public var userClasses: [UserClass]
    /// Defaults for the command line's `--users`, `--spawn-rate`, `--run-time` and timeouts.
    public var run: RunDefaults
    /// TLS towards an `https` target (`tls:`); the command line's TLS options override it field by field.
    /// Unused when the target is `http`.
    public var tls: TLSSettings

    /// Creates a scenario. Call ``validate()`` before running one built in code.
    public init(name: String? = nil, host: String? = nil, userClasses: [UserClass], run: RunDefaults = RunDefaults(),
                tls: TLSSettings = TLSSettings()) {
        self.name = name
        self.host = host
        self.userClasses = userClasses
        self.run = run
        self.tls = tls
    }
}

/// Defaults that a scenario file gives for the run; the command line overrides each. `nil` means unset.
public struct RunDefaults: Sendable, Equatable {
    /// The number of concurrent users to reach (`users:`, at least 1).
    public var users: Int?
    /// Users started per second until ``users`` is reached (`spawn_rate:`, greater than 0).
    public var spawnRate: Double?
    /// How long the run lasts, in seconds (`run_time:`, greater than 0).
    public var runTime: Double?
    /// How long one request may take, in seconds, before it is counted as a timeout (`timeout:`).
    public var timeout: Double?
    /// How long a TCP (and TLS) connect may take, in seconds (`connect_timeout:`).
    public var connectTimeout: Double?
    /// Requests each user keeps in flight on its connection, HTTP/1.1 pipelining (`pipeline:`, 1-64).
    public var pipeline: Int?

    /// Creates run defaults; every value is optional.
    public init(users: Int? = nil, spawnRate: Double? = nil, runTime: Double? = nil,
                timeout: Double? = nil, connectTimeout: Double? = nil, pipeline: Int? = nil) {
        self.pipeline = pipeline
        self.users = users
        self.spawnRate = spawnRate
        self.runTime = runTime
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }
}

/// TLS towards an `https` target: the scenario file's `tls:` block, or the command line's TLS options.
///
/// `nil` means "not set", so that the command line can override a file field by field
/// (``overridden(by:)``) and the run falls back to the default. The defaults are the safe ones: verify the
/// server's chain against the system's CA store and its name against the target host, offer TLS 1.2 and
/// 1.3, and resume sessions when a user reconnects.
///
/// The YAML loader resolves the file paths against the scenario file's directory and checks that each file
/// can be read and holds PEM of the right kind. In code, paths are used as given (relative to the current
/// directory) and ``validate()`` applies the same checks.
///
/// ```swift
/// var tls = TLSSettings(caFile: "certs/ca.pem", minVersion: .tls1_3)
/// tls = tls.overridden(by: TLSSettings(verify: false))   // as `--insecure` on the command line
/// try tls.validate()
/// ```
public struct TLSSettings: Sendable, Equatable {
    /// Whether to verify the server's certificate chain and host name (`verify:`); `false` is the command
    /// line's `--insecure`. `nil`: not set, and the default is to verify.
    public var verify: Bool?
    /// A PEM file of CA certificates to trust besides the system's store (`ca_file:`, `--ca-file`).
    public var caFile: String?
    /// A PEM client certificate, for mutual TLS (`cert:`, `--cert`). It may hold the private key too.
    public var certFile: String?
    /// The PEM private key of ``certFile`` (`key:`, `--key`); `nil`: the key is in ``certFile``.
    public var keyFile: String?
    /// The lowest version to offer (`min_version:`, `--tls-min`); `nil`: 1.2.
    public var minVersion: TLSVersion?
    /// The highest version to offer (`max_version:`, `--tls-max`); `nil`: 1.3.
    public var maxVersion: TLSVersion?
    /// Whether a user that reconnects resumes its last session (`resume:`); `false` is `--no-tls-resume`,
    /// to measure full handshakes. `nil`: not set, and the default is to resume.
    public var resume: Bool?
    /// The name to send as SNI and to verify the certificate against (`server_name:`, `--tls-server-name`);
    /// `nil`: the target host. For a target given as an address whose certificate names a host.
    public var serverName: String?

    /// Creates TLS settings; every value is optional, and `nil` means the default.
    public init(verify: Bool? = nil, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                minVersion: TLSVersion? = nil, maxVersion: TLSVersion? = nil, resume: Bool? = nil,
                serverName: String? = nil) {
        self.verify = verify
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.resume = resume
        self.serverName = serverName
    }

    /// These settings with every field that `overrides` sets replacing this one's: the command line's
    /// options over the scenario file's.
    ///
    /// The certificate and its key go together: a ``certFile`` in `overrides` brings its ``keyFile``, even
    /// a `nil` one (the key is then in that certificate file), so a key from the file is never paired with a
    /// certificate from the command line. A ``keyFile`` alone replaces only the key.
    public func overridden(by overrides: TLSSettings) -> TLSSettings {
        var merged = self
        if let verify = overrides.verify { merged.verify = verify }
        if let caFile = overrides.caFile { merged.caFile = caFile }
        if let certFile = overrides.certFile {
            merged.certFile = certFile
            merged.keyFile = overrides.keyFile
        } else if let keyFile = overrides.keyFile {
            merged.keyFile = keyFile
        }
        if let minVersion = overrides.minVersion { merged.minVersion = minVersion }
        if let maxVersion = overrides.maxVersion { merged.maxVersion = maxVersion }
        if let resume = overrides.resume { merged.resume = resume }
        if let serverName = overrides.serverName { merged.serverName = serverName }
        return merged
    }

    /// Checks the settings by the rules the YAML loader applies to a `tls:` block: the version range, a key
    /// only with a certificate, the server name's form, and that each file can be read and holds PEM of
    /// the right kind (certificates, a private key that is not encrypted). The files are read to check.
    ///
    /// - Throws: ``InputError`` naming the setting by its `tls:` key, the value and the expected form.
    public func validate() throws {
        if let minVersion, let maxVersion { try ScenarioRules.checkTLSVersions(min: minVersion, max: maxVersion) }
        if keyFile != nil, certFile == nil { throw InputError(ScenarioRules.keyWithoutCertificate) }
        if let serverName { try ScenarioRules.checkServerName(serverName) }
        if let caFile { try ScenarioRules.checkPEMFile(caFile, key: "ca_file", holds: .caCertificates) }
        if let certFile {
            try ScenarioRules.checkPEMFile(certFile, key: "cert", holds: keyFile == nil ? .certificateAndKey : .certificate)
        }
        if let keyFile { try ScenarioRules.checkPEMFile(keyFile, key: "key", holds: .privateKey) }
    }
}

/// A TLS protocol version that Cicada offers. TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered.
public enum TLSVersion: String, Sendable, Equatable, Comparable {
    /// TLS 1.2 (RFC 5246).
    case tls1_2 = "1.2"
    /// TLS 1.3 (RFC 8446).
    case tls1_3 = "1.3"

    /// Orders versions oldest first, so that `min_version` ≤ `max_version` can be checked.
    public static func < (a: TLSVersion, b: TLSVersion) -> Bool {
        a == .tls1_2 && b == .tls1_3
    }
}

/// One kind of simulated user, like a Locust `User` class.
///
/// A run with three classes of weight 5, 3 and 1 makes 5/9 of its users the first kind, 3/9 the second
/// and 1/9 the third. A user first runs ``onStart`` once, if there is one, then loops forever: pick a task
/// by ``UserTask/weight``, run its requests in order, wait as ``wait`` says.
public struct UserClass: Sendable, Equatable {
    /// The class name, unique in its scenario; reports group users by it.
    public var name: String
    /// The relative share of users of this class; 0 means none are started. Default 1.
    public var weight: Int
    /// The wait after each task. Default `.constant(0)`.
    public var wait: WaitTime
    /// Requests a user makes once, when it starts (a log-in), before its first task.
    public var onStart: UserTask?
    /// The tasks a user chooses among; at least one has a weight above 0.
    public var tasks: [UserTask]

    /// Creates a user class.
    public init(name: String, weight: Int = 1, wait: WaitTime = .constant(0), onStart: UserTask? = nil, tasks: [UserTask]) {
        self.name = name
        self.weight = weight
        self.wait = wait
        self.onStart = onStart
        self.tasks = tasks
    }
}

/// A unit of work a user repeats: one request or several in order (a page and its assets, a flow).
/// Locust calls it a task; the Swift name avoids shadowing Swift's concurrency `Task`.
public struct UserTask: Sendable, Equatable {
    /// The task name. In YAML it defaults to the endpoint name of the task's first request.
    public var name: String
    /// The relative chance that a user picks this task; 0 means never. Default 1.
    public var weight: Int
    /// The requests, sent one after the other on the user's connection; at least one.
    public var requests: [RequestTemplate]

    /// Creates a task.
    public init(name: String, weight: Int = 1, requests: [RequestTemplate]) {
        self.name = name
        self.weight = weight
        self.requests = requests
    }
}

/// One HTTP/1.1 request, as the user will send it.
///
/// ``headers`` never holds `Content-Length`, `Transfer-Encoding` or `Connection` (the loader and
/// ``Scenario/validate()`` refuse them): the request writer frames the body and manages the connection,
/// and sends `Connection: close` when ``closeConnection`` is set. It also sends `Host` from the target
/// unless ``headers`` has one, which is how a scenario addresses a virtual host.
public struct RequestTemplate: Sendable, Equatable {
    /// The endpoint name that statistics group this request under; `nil` means ``endpointName``'s default,
    /// the path without its query. Set it to group `/files/1` and `/files/2` as `/files/:id`.
    public var name: String?
    /// The method token, such as `GET` (RFC 9110 §9; case-sensitive).
    public var method: String
    /// The request target in origin form, path and query (RFC 9112 §3.2.1): starts with `/`.
    public var path: String
    /// Header fields in the order they are sent.
    public var headers: [Header]
    /// The body bytes; empty for none.
    public var body: [UInt8]
    /// Whether to send `Connection: close` and open a new connection for the user's next request.
    public var closeConnection: Bool

    /// Creates a request.
    public init(name: String? = nil, method: String = "GET", path: String, headers: [Header] = [],
                body: [UInt8] = [], closeConnection: Bool = false) {
        self.name = name
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// The name statistics use: ``name`` if set, else ``path`` without its query.
    public var endpointName: String {
        if let name { return name }
        if let question = path.firstIndex(of: "?") { return String(path[..<question]) }
        return path
    }
}

/// One header field, a name and a value, sent as `name: value`.
public struct Header: Sendable, Equatable {
    /// The field name, a token (RFC 9110 §5.1); compared without regard to case.
    public var name: String
    /// The field value, with no CR, LF or NUL (RFC 9110 §5.5).
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// How long a user waits after each task, as Locust's `wait_time` functions.
public enum WaitTime: Sendable, Equatable {
    /// Wait this many seconds after every task (Locust's `constant`).
    case constant(Double)
    /// Wait a uniformly random time between the two bounds, in seconds (Locust's `between`).
    case between(Double, Double)
    /// Start a task every this many seconds: the wait is that period less the time the task took, and
    /// zero when the task took longer (Locust's `constant_pacing`).
    case constantPacing(Double)
    /// Run this many tasks per second at most: `constantPacing(1 / rate)` (Locust's `constant_throughput`).
    case constantThroughput(Double)
}

extension WaitTime: CustomStringConvertible {
    /// The YAML spelling, such as `between(1, 5)`, which ``parseWait(_:)`` reads back.
    public var description: String {
        switch self {
        case .constant(let s): return "constant(\(formatNumber(s)))"
        case .between(let a, let b): return "between(\(formatNumber(a)), \(formatNumber(b)))"
        case .constantPacing(let s): return "constant_pacing(\(formatNumber(s)))"
        case .constantThroughput(let r): return "constant_throughput(\(formatNumber(r)))"
        }
    }
}

extension Scenario {
    /// The scenario of `cicada run URL`: one user class, `User`, with one task that sends one request.
    ///
    /// The task and the endpoint are named by the URL's path without its query. ``host`` is the URL's
    /// origin, so the request target is the URL's own path. Call ``validate()`` on the result to check the
    /// method and the headers that came from the command line.
    public static func oneEndpoint(url: TargetURL, method: String, headers: [Header], body: [UInt8],
                                   wait: WaitTime) -> Scenario {
        let request = RequestTemplate(method: method, path: url.path, headers: headers, body: body)
        let task = UserTask(name: request.endpointName, weight: 1, requests: [request])
        let user = UserClass(name: "User", weight: 1, wait: wait, onStart: nil, tasks: [task])
        return Scenario(name: nil, host: url.origin, userClasses: [user], run: RunDefaults())
    }

    /// Checks a scenario built in code by the rules that ``parse(yaml:file:)`` applies to a file.
    ///
    /// ``tls`` is checked by ``TLSSettings/validate()``, which reads its files: a caller that merges the
    /// command line's TLS options into ``tls`` gets the file checks for them too.
    ///
    /// - Throws: ``InputError`` whose message says where (`tls`, user class, task, request) and what was
    ///   expected.
    public func validate() throws {
        if let host { _ = try TargetURL(base: host) }
        try SettingBounds.checkRun(run)
        try located("tls") { try tls.validate() }
        guard !userClasses.isEmpty else {
            throw InputError("expected at least one user class")
        }
        // Sizes first: the checks below read every header, and a scenario over the bound may hold gigabytes.
        var planBytes = 0
        func checkSizes(_ task: UserTask, at location: String) throws {
            try located(location) {
                for request in task.requests {
                    try SettingBounds.checkBody(request)
                    try SettingBounds.count(request, into: &planBytes)
                }
            }
        }
        for userClass in userClasses {
            if let onStart = userClass.onStart { try checkSizes(onStart, at: "user class '\(userClass.name)', on_start") }
            for task in userClass.tasks { try checkSizes(task, at: "user class '\(userClass.name)', task '\(task.name)'") }
        }
        var seen = Set<String>()
        for userClass in userClasses {
            let at = "user class '\(userClass.name)'"
            try ScenarioRules.checkLabel(userClass.name, what: "user class name")
            guard seen.insert(userClass.name).inserted else {
                throw InputError("\(at): another user class has this name; expected unique names")
            }
            try located(at) {
                _ = try SettingBounds.weight.check(userClass.weight)
                try SettingBounds.checkWait(userClass.wait)
            }
            if let onStart = userClass.onStart {
                try located("\(at), on_start") { try ScenarioRules.checkTask(onStart) }
            }
            guard !userClass.tasks.isEmpty else { throw InputError("\(at): expected at least one task") }
            for task in userClass.tasks {
                try located("\(at), task '\(task.name)'") {
                    _ = try SettingBounds.weight.check(task.weight)
                    try ScenarioRules.checkTask(task)
                }
            }
            guard userClass.tasks.contains(where: { $0.weight > 0 }) else {
                throw InputError("\(at): all task weights are 0; expected at least one task with weight ≥ 1")
            }
        }
        guard userClasses.contains(where: { $0.weight > 0 }) else {
            throw InputError("all user class weights are 0; expected at least one user class with weight ≥ 1")
        }
    }
}

/// Runs `body`, putting `location` in front of the message of an ``InputError`` it throws.
private func located(_ location: String, _ body: () throws -> Void) throws {
    do { try body() } catch let error as InputError { throw InputError("\(location): \(error.message)") }
}
