import Foundation

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
    /// The load's stages, run one after another (`stages:`); empty for the constant load of ``run``. When
    /// there are stages, ``run``'s users, spawn rate and run time are not used.
    public var stages: [Stage]
    /// TLS towards an `https` target (`tls:`); the command line's TLS options override it field by field.
    /// Unused when the target is `http`.
    public var tls: TLSSettings
    /// The run's pass/fail criteria (`thresholds:`), in k6's spelling; the command line's `--threshold`
    /// adds to them.
    public var thresholds: [Threshold]

    /// Creates a scenario. Call ``validate()`` before running one built in code.
    public init(name: String? = nil, host: String? = nil, userClasses: [UserClass], run: RunDefaults = RunDefaults(),
                stages: [Stage] = [], tls: TLSSettings = TLSSettings(), thresholds: [Threshold] = []) {
        self.name = name
        self.host = host
        self.userClasses = userClasses
        self.run = run
        self.stages = stages
        self.tls = tls
        self.thresholds = thresholds
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
    /// The open model: iterations started per second, whatever the target's speed (`arrival_rate:`);
    /// ``ArrivalModel`` says how.
    public var arrivalRate: Double?
    /// The open model: the most users alive at once (`max_users:`).
    public var maxUsers: Int?
    /// The open model: users started before the first iteration (`pre_allocated_users:`).
    public var preAllocatedUsers: Int?
    /// The open model: what an iteration that finds no free user does (`on_saturation:`).
    public var onSaturation: ArrivalModel.Saturation?
    /// The open model, with ``ArrivalModel/Saturation/queue``: iterations that may wait (`queue_limit:`).
    public var queueLimit: Int?

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
/// and 1/9 the third (``ClassSequence`` says exactly which user gets which). A user first runs
/// ``onStart`` once, if there is one, then loops: pick a task by ``UserTask/weight``, run its steps in
/// order, wait as ``wait`` says; ``onStop`` runs once when the user is retired or the run stops.
public struct UserClass: Sendable, Equatable {
    /// The class name, unique in its scenario; reports group users by it.
    public var name: String
    /// The relative share of users of this class; 0 means none are started. Default 1.
    public var weight: Int
    /// Exactly this many users of the class whatever the total (Locust's `fixed_count`), started before the
    /// weighted classes'; `nil`: the class's share is its ``weight``'s.
    public var fixedCount: Int?
    /// The wait after each task. Default `.constant(0)`.
    public var wait: WaitTime
    /// Requests a user makes once, when it starts (a log-in), before its first task.
    public var onStart: UserTask?
    /// Requests a user makes once, when it is retired or the run stops gracefully (a log-out).
    public var onStop: UserTask?
    /// The tasks a user chooses among; at least one has a weight above 0.
    public var tasks: [UserTask]
    /// Tags of the class, which its tasks have too, for `--tags` and `--exclude-tags`.
    public var tags: [String]
    /// Whether each user keeps a cookie jar (`Set-Cookie` honoured, `Cookie` sent). Default true.
    public var cookies: Bool
    /// Rows that the class's users take one each, their columns read as `${row.NAME}`.
    public var data: DataSource?

    /// Creates a user class.
    public init(name: String, weight: Int = 1, fixedCount: Int? = nil, wait: WaitTime = .constant(0),
                onStart: UserTask? = nil, onStop: UserTask? = nil, tasks: [UserTask], tags: [String] = [],
                cookies: Bool = true, data: DataSource? = nil) {
        self.name = name
        self.weight = weight
        self.fixedCount = fixedCount
        self.wait = wait
        self.onStart = onStart
        self.onStop = onStop
        self.tasks = tasks
        self.tags = tags
        self.cookies = cookies
        self.data = data
    }
}

/// A unit of work a user repeats: requests in order (a page and its assets, a flow), with waits between
/// them if asked. Locust calls it a task; the Swift name avoids shadowing Swift's concurrency `Task`.
public struct UserTask: Sendable, Equatable {
    /// The task name. In YAML it defaults to the endpoint name of the task's first request.
    public var name: String
    /// The relative chance that a user picks this task; 0 means never. Default 1.
    public var weight: Int
    /// The steps, in order: requests sent one after the other on the user's connection, and waits.
    public var steps: [Step]
    /// Tags for `--tags` and `--exclude-tags`, besides the class's.
    public var tags: [String]

    /// Creates a task of steps.
    public init(name: String, weight: Int = 1, steps: [Step], tags: [String] = []) {
        self.name = name
        self.weight = weight
        self.steps = steps
        self.tags = tags
    }

    /// Creates a task of requests, each sent once in order.
    public init(name: String, weight: Int = 1, requests: [RequestTemplate], tags: [String] = []) {
        self.init(name: name, weight: weight, steps: requests.map(Step.request), tags: tags)
    }

    /// The request steps, in order. Setting it replaces them one for one (the count must stay).
    public var requests: [RequestTemplate] {
        get { steps.compactMap { if case .request(let request) = $0 { return request } else { return nil } } }
        set {
            var next = newValue.makeIterator()
            for index in steps.indices {
                if case .request = steps[index], let request = next.next() { steps[index] = .request(request) }
            }
        }
    }
}

/// One step of a task.
public enum Step: Sendable, Equatable {
    /// Send a request (with its condition, repeat and failure rule).
    case request(RequestTemplate)
    /// Wait: `wait: 2s` or `wait: between(1, 2)` (constant or between only).
    case wait(WaitTime)
}

/// When a step runs: always, or only when a variable is set (`if: ${file_id}`) or unset (`unless:`).
public enum StepCondition: Sendable, Equatable {
    /// Only when the variable is set (a list: not empty).
    case ifSet(String)
    /// Only when the variable is not set.
    case unlessSet(String)

    /// The variable the condition reads.
    public var variable: String {
        switch self {
        case .ifSet(let name), .unlessSet(let name): return name
        }
    }

    /// As the YAML writes it: `if: ${file_id}`.
    public var description: String {
        switch self {
        case .ifSet(let name): return "if ${\(name)}"
        case .unlessSet(let name): return "unless ${\(name)}"
        }
    }
}

/// A request sent again and again until its ``until`` checks hold: polling a job until it is done.
public struct Repeat: Sendable, Equatable {
    /// The checks that end the repeat, all of them.
    public var until: [Check]
    /// Seconds between attempts.
    public var every: Double
    /// The most attempts; the last one's request fails as a `check` when the checks still do not hold.
    public var max: Int

    /// The most attempts a repeat may have.
    public static let largestMax = 100_000

    /// Creates a repeat.
    public init(until: [Check], every: Double = 1, max: Int = 30) {
        self.until = until
        self.every = every
        self.max = max
    }
}

/// One HTTP/1.1 request, as the user will send it.
///
/// ``headers`` never holds `Content-Length`, `Transfer-Encoding` or `Connection` (the loader and
/// ``Scenario/validate()`` refuse them): the request writer frames the body and manages the connection,
/// and sends `Connection: close` when ``closeConnection`` is set. It also sends `Host` from the target
/// unless ``headers`` has one, which is how a scenario addresses a virtual host.
///
/// ``path`` and header values are ``Template`` text: `/files/${file_id}` is rendered per request.
public struct RequestTemplate: Sendable, Equatable {
    /// The endpoint name that statistics group this request under; `nil` means ``endpointName``'s default,
    /// the path without its query. Set it to group `/files/1` and `/files/2` as `/files/:id`.
    public var name: String?
    /// The method token, such as `GET` (RFC 9110 §9; case-sensitive).
    public var method: String
    /// The request target in origin form, path and query (RFC 9112 §3.2.1): starts with `/`. A template.
    public var path: String
    /// Header fields in the order they are sent; their values are templates.
    public var headers: [Header]
    /// The body.
    public var content: RequestBody
    /// Whether to send `Connection: close` and open a new connection for the user's next request.
    public var closeConnection: Bool
    /// Values taken from the response into variables.
    public var captures: [Capture]
    /// Judgements of the response; a failed one fails the request as a `check`.
    public var checks: [Check]
    /// When the request is sent; `nil`: always.
    public var condition: StepCondition?
    /// Whether a failure of this request lets the task go on (`on_failure: continue`); by default it ends
    /// the task.
    public var continueOnFailure: Bool
    /// Send it until its checks hold (`repeat: {until: ..., every: 1s, max: 30}`).
    public var repeatUntil: Repeat?
    /// Swift code run before each rendering to set variables (scenarios in Swift only); `nil`: none.
    public var hook: RequestHook?

    /// Creates a request.
    public init(name: String? = nil, method: String = "GET", path: String, headers: [Header] = [],
                body: [UInt8] = [], content: RequestBody? = nil, closeConnection: Bool = false,
                captures: [Capture] = [], checks: [Check] = [], condition: StepCondition? = nil,
                continueOnFailure: Bool = false, repeatUntil: Repeat? = nil, hook: RequestHook? = nil) {
        self.name = name
        self.method = method
        self.path = path
        self.headers = headers
        self.content = content ?? .bytes(body)
        self.closeConnection = closeConnection
        self.captures = captures
        self.checks = checks
        self.condition = condition
        self.continueOnFailure = continueOnFailure
        self.repeatUntil = repeatUntil
        self.hook = hook
    }

    /// The body's bytes when it is static bytes or a static template; empty for a body rendered per
    /// request or a multipart one. Setting it makes the body those bytes.
    public var body: [UInt8] {
        get {
            switch content {
            case .bytes(let bytes): return bytes
            case .template(let template): return template.isStatic ? Array(template.staticText.utf8) : []
            case .multipart: return []
            }
        }
        set { content = .bytes(newValue) }
    }

    /// The name statistics use: ``name`` if set, else ``path`` without its query.
    public var endpointName: String {
        if let name { return name }
        if let question = path.firstIndex(of: "?") { return String(path[..<question]) }
        return path
    }
}

/// A request's body.
public enum RequestBody: Sendable, Equatable {
    /// Bytes sent as they are (`body_file:`, a static `body:` or `json:`).
    case bytes([UInt8])
    /// Text with slots, rendered per request (`body:`, `json:` or `form:` with a `${...}`); the request's
    /// Content-Length is computed from what is rendered.
    case template(Template)
    /// `multipart/form-data` (RFC 7578): the plan fixes one boundary and adds the Content-Type header.
    case multipart([MultipartPart])
}

/// One part of a `multipart/form-data` body (RFC 7578 §4.2).
public struct MultipartPart: Sendable, Equatable {
    /// The form field's name.
    public var name: String
    /// The file name, for a file part.
    public var filename: String?
    /// The part's Content-Type, such as `audio/wav`.
    public var contentType: String?
    /// What the part holds.
    public var content: Content

    /// What a part holds.
    public enum Content: Sendable, Equatable {
        /// A field's value, a template (`{name: genre, value: "${random.choice(rock, jazz)}"}`).
        case value(String)
        /// A file's bytes, read when the plan is compiled (`file: loop.wav`, relative to the scenario).
        case file(path: String)
        /// Generated bytes of this size (`size: 256KiB`), made once per plan and shared by every request.
        case generated(size: Int)
    }

    /// Creates a part.
    public init(name: String, filename: String? = nil, contentType: String? = nil, content: Content) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.content = content
    }

    /// The largest generated part.
    public static let largestGenerated = SettingBounds.bodyBytes
}

/// A data file that a class's users take rows from (`data:`), its columns read as `${row.NAME}`.
public struct DataSource: Sendable, Equatable {
    /// Which row a user takes.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// User i of the class takes row i; a user beyond the last row fails its start unless ``recycle``.
        case perUser = "per_user"
        /// User i takes row i modulo the row count.
        case roundRobin = "round_robin"
        /// Each user takes a random row.
        case random
    }

    /// The file's path, as resolved (relative to the scenario file in YAML).
    public var file: String
    /// The rows, read from the file when the scenario loads.
    public var table: DataTable
    /// Which row a user takes.
    public var mode: Mode
    /// With ``Mode/perUser``: users beyond the last row start again at the first.
    public var recycle: Bool

    /// Creates a data source from a table already read.
    public init(file: String, table: DataTable, mode: Mode = .perUser, recycle: Bool = false) {
        self.file = file
        self.table = table
        self.mode = mode
        self.recycle = recycle
    }

    /// Reads a CSV file (``DataTable/init(csvFile:header:)``) as a data source.
    public init(csvFile path: String, header: Bool = true, mode: Mode = .perUser, recycle: Bool = false) throws {
        self.init(file: path, table: try DataTable(csvFile: path, header: header), mode: mode, recycle: recycle)
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
        if !stages.isEmpty { try located("stages") { try Stage.checkList(stages) } }
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
            for (place, task) in userClass.placedTasks { try checkSizes(task, at: "user class '\(userClass.name)', \(place)") }
        }
        var seen = Set<String>()
        var lists: [String: (isList: Bool, max: Int, className: String)] = [:]
        for userClass in userClasses {
            let at = "user class '\(userClass.name)'"
            try ScenarioRules.checkLabel(userClass.name, what: "user class name")
            guard seen.insert(userClass.name).inserted else {
                throw InputError("\(at): another user class has this name; expected unique names")
            }
            try located(at) {
                _ = try SettingBounds.weight.check(userClass.weight)
                if let fixedCount = userClass.fixedCount { _ = try SettingBounds.fixedCount.check(fixedCount) }
                try SettingBounds.checkWait(userClass.wait)
                try ScenarioRules.checkTags(userClass.tags)
                if let data = userClass.data {
                    guard !data.table.rows.isEmpty, !data.table.columns.isEmpty,
                          data.table.rows.allSatisfy({ $0.count == data.table.columns.count }) else {
                        throw InputError("the data table of '\(data.file)' has no rows, or rows of another length than its columns")
                    }
                }
            }
            if let onStart = userClass.onStart {
                try located("\(at), on_start") { try ScenarioRules.checkTask(onStart) }
            }
            if let onStop = userClass.onStop {
                try located("\(at), on_stop") { try ScenarioRules.checkTask(onStop) }
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
            // Variables: every use is set by a capture of the class, a data column or a built-in.
            let variables = try located(at) { try ClassVariables(userClass) }
            for (place, task) in userClass.placedTasks {
                for request in task.requests {
                    try located("\(at), \(place)") {
                        for (part, template) in try request.templates() {
                            for (slot, _) in template.slots {
                                do { try variables.check(slot) } catch let error as InputError {
                                    throw InputError("\(part): \(error.message)")
                                }
                                if case .environment(let name, let fallback) = slot,
                                   ProcessInfo.processInfo.environment[name] == nil, fallback == nil {
                                    throw InputError("\(part): the environment variable '\(name)' is not set and has no default; "
                                        + "set it, or give a default as in ${env.\(name):-value}")
                                }
                            }
                        }
                        if let condition = request.condition { try variables.checkCondition(condition) }
                    }
                }
            }
            for (name, kind) in variables.captured {
                if let other = lists[name], other.isList != kind.isList || other.max != kind.max {
                    throw InputError("\(at): variable '\(name)' is \(kind.isList ? "a list of \(kind.max)" : "one value") but in "
                        + "user class '\(other.className)' \(other.isList ? "a list of \(other.max)" : "one value"); "
                        + "expected one kind for a variable name in the whole scenario")
                }
                lists[name] = (kind.isList, kind.max, userClass.name)
            }
        }
        guard userClasses.contains(where: { $0.weight > 0 || ($0.fixedCount ?? 0) > 0 }) else {
            throw InputError("all user class weights are 0; expected at least one user class with weight ≥ 1")
        }
        try checkThresholds()
    }
}

/// Runs `body`, putting `location` in front of the message of an ``InputError`` it throws.
func located<T>(_ location: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as InputError { throw InputError("\(location): \(error.message)") }
}
