import Foundation

/// The range of every number a run takes, with the one check of each. The command line, the scenario
/// file and ``Scenario/validate()`` all check through these, so they accept the same values and name the
/// same range when they refuse one; the engine and the plan check again before a value crosses into C.
///
/// | setting | range | why these ends |
/// |---|---|---|
/// | users | 1 to 1,000,000 | each user holds a socket; the core sums users in 32 bits |
/// | spawn rate | above 0, at most 1,000,000 users/s | 0 would start no one, or (as before) everyone at once |
/// | run time, timeout, connect timeout | 1 ms to 720 h (30 days) | libuv's timers count milliseconds, and the core reads a 0 timeout as none; 30 days is past any run yet far from the 584 years of a UInt64 of nanoseconds |
/// | stop timeout | 0 to 720 h | 0 cancels the requests in flight at once |
/// | a stage's users | 0 to 1,000,000 | 0 retires every user (a cool-down) |
/// | a stage's duration | 1 ms to 720 h | as the run time |
/// | stages | 1 to 100 | each stage keeps its own histograms, about 0.5 MiB per endpoint, so 100 stages of 10 endpoints hold 0.5 GiB |
/// | time factor | 0.001 to 1,000 | a 10-minute stage becomes 0.6 s or a week; past that a typo more likely than a plan |
/// | a wait, seconds | 0 to 720 h | |
/// | `constant_throughput` | 0.000001 to 1,000,000 tasks/s | a period from 1 µs to 11.6 days |
/// | pipeline | 1 to 64 | requests in flight per connection |
/// | arrival rate | above 0 (a stage: from 0) to 1,000,000 iterations/s | the core's schedule counts nanoseconds in a double; far past one machine |
/// | pre-allocated and max users (open model) | 0 (max: 1) to 1,000,000 | as users |
/// | queue limit | 1 to 10,000,000 iterations | 8 bytes each, held by the workers |
/// | threads | 1 to 255 | one event loop per thread |
/// | weight | 0 to 1,000,000 | weights are summed into 32-bit cumulative tables |
/// | seed | 0 to 2^64-1 | the core's seed is 64-bit |
/// | a request body | up to 64 MiB | the core's body length is 32-bit |
/// | all requests | up to 1 GiB | the plan holds each request rendered, at 32-bit offsets |
/// | a threshold's `p(N)` | 0 to 100 | a percentile |
/// | a threshold's time | 0 to 720 h, in ms | the longest timeout |
/// | a threshold's rate (`http_req_failed`, `checks`) | 0 to 1, or 0% to 100% | a share of requests |
/// | a threshold's count, requests/s, CPU % | 0 to 10^15 | exact in a Double, past any run |
/// | `delayAbortEval` | 0 to 720 h | the longest run |
/// | a watched PID (`--monitor-pid`) | 1 to 4,194,304 | Linux's largest `pid_max` |
/// | watched processes | up to 64 | one procfs reading each a second |
///
/// ```swift
/// let users = try SettingBounds.users.parse("500")        // 500
/// try SettingBounds.timeout.parse("0")                     // InputError: expected a timeout from 1ms to 720h (30 days), got '0'
/// ```
public enum SettingBounds {
    /// Concurrent users (`run.users`, `--users`).
    public static let users = SettingBound.integer("an integer number of users", 1...1_000_000)
    /// Users started per second (`run.spawn_rate`, `--spawn-rate`).
    public static let spawnRate = SettingBound.rate("a spawn rate", unit: "users per second", low: "0", excluded: true,
                                                    high: "1000000", example: "such as 10 or 0.5")
    /// How long a run lasts (`run.run_time`, `--run-time`).
    public static let runTime = SettingBound.duration("a run time", from: "1ms", to: "720h")
    /// The user count of one stage (`stages[].users`, `--stages`); 0 retires every user.
    public static let stageUsers = SettingBound.integer("an integer number of users", 0...1_000_000)
    /// How long one stage lasts (`stages[].duration`, `--stages`).
    public static let stageDuration = SettingBound.duration("a stage duration", from: "1ms", to: "720h")
    /// How many stages a run may have (a list, or the names a custom ``LoadShape`` gives).
    public static let stageCount = SettingBound.integer("a number of stages", 1...100)
    /// What `--time-factor` multiplies every stage duration and the run time by.
    public static let timeFactor = SettingBound.rate("a time factor", unit: "(each duration is multiplied by it)", low: "0.001",
                                                     high: "1000", example: "such as 0.01")
    /// How long one request may take (`run.timeout`, `--timeout`).
    public static let timeout = SettingBound.duration("a timeout", from: "1ms", to: "720h")
    /// How long a connect may take (`run.connect_timeout`, `--connect-timeout`).
    public static let connectTimeout = SettingBound.duration("a connect timeout", from: "1ms", to: "720h")
    /// How long requests in flight may take to finish at the end (`--stop-timeout`); 0 cancels them at once.
    public static let stopTimeout = SettingBound.duration("a stop timeout", from: "0", to: "720h")
    /// Each time in a wait (`constant(2)`, `between(1, 5)`, `constant_pacing(3)`).
    public static let wait = SettingBound.duration("a wait", from: "0", to: "720h")
    /// The rate of `constant_throughput`, tasks per second per user.
    public static let throughput = SettingBound.rate("a rate", unit: "tasks per second", low: "0.000001", high: "1000000",
                                                     example: "such as 0.5")
    /// Iterations started per second in the open model (`run.arrival_rate`, `--arrival-rate`).
    public static let arrivalRate = SettingBound.rate("an arrival rate", unit: "iterations per second", low: "0", excluded: true,
                                                      high: "1000000", example: "such as 200 or 0.5")
    /// A rate stage's iterations per second (`stages[].arrival_rate`, `--stages NAME:RATE/s/DURATION`); 0 pauses.
    public static let stageArrivalRate = SettingBound.rate("an arrival rate", unit: "iterations per second", low: "0",
                                                           high: "1000000", example: "such as 200 or 0")
    /// The most users the open model keeps (`run.max_users`, `--max-users`).
    public static let maxUsers = SettingBound.integer("an integer number of users", 1...1_000_000)
    /// The users the open model starts before the first iteration (`run.pre_allocated_users`, `--pre-allocated-users`).
    public static let preAllocatedUsers = SettingBound.integer("an integer number of users", 0...1_000_000)
    /// Iterations that may wait for a free user with `--on-saturation queue` (`run.queue_limit`, `--queue-limit`).
    public static let queueLimit = SettingBound.integer("an integer number of iterations", 1...10_000_000)
    /// Requests in flight per connection (`run.pipeline`, `--pipeline`).
    public static let pipeline = SettingBound.integer("a pipeline depth", 1...64, unit: "(requests in flight per connection)")
    /// Worker threads (`--threads`).
    public static let threads = SettingBound.integer("a number of worker threads", 1...255)
    /// The weight of a user class or a task.
    public static let weight = SettingBound.integer("an integer weight", 0...1_000_000)
    /// A class's `fixed_count`: exactly this many users of the class.
    public static let fixedCount = SettingBound.integer("an integer fixed_count of users", 0...1_000_000)
    /// The seed of the users' random choices (`--seed`): any 64-bit value.
    public static let seed = SettingBound<UInt64>.integer("a seed", 0...UInt64.max)
    /// A threshold's percentile, `p(N)`.
    public static let percentile = SettingBound.rate("a percentile", unit: "(p(N))", low: "0", high: "100",
                                                     example: "such as p(95) or p(99.9)")
    /// A threshold's time limit in milliseconds (`p(95) < 500ms`): up to the longest timeout.
    public static let thresholdTime = SettingBound.rate("a time", unit: "ms (720h)", low: "0", high: "2592000000",
                                                        example: "such as 500ms, 2s, 250us or 500 (milliseconds)")
    /// A threshold's share of requests (`rate < 0.001`, `rate < 0.1%`).
    public static let thresholdShare = SettingBound.rate("a rate", unit: "(a share of requests)", low: "0", high: "1",
                                                         example: "such as 0.001 or 0.1%")
    /// A threshold's count, requests per second or CPU percentage: exact in a Double.
    public static let thresholdAmount = SettingBound.rate("a number", unit: "", low: "0", high: "1000000000000000",
                                                          example: "such as 100")
    /// How long into a run an `abortOnFail` threshold is first judged (`delayAbortEval`).
    public static let abortDelay = SettingBound.duration("a delayAbortEval", from: "0", to: "720h")
    /// A process to watch (`--monitor-pid`).
    public static let monitorPID = SettingBound<Int32>.integer("a process id", 1...4_194_304)
    /// How many processes one run may watch.
    public static let monitorPIDCount = 64
    /// `--exit-code-on-error`: a process's exit status is one byte.
    public static let exitCode = SettingBound<Int32>.integer("an exit code", 0...255)
    /// The bytes of one request's body (`body`, `json`, `body_file`, `-d`).
    public static let bodyBytes = 64 << 20
    /// The bytes of all requests together: bodies, paths, methods and headers, each request counted once.
    public static let requestBytes = 1 << 30

    /// Checks the `run:` defaults, naming each by its key.
    public static func checkRun(_ run: RunDefaults) throws {
        func at(_ key: String, _ body: () throws -> Void) throws {
            do { try body() } catch let error as InputError { throw InputError("run.\(key): \(error.message)") }
        }
        if let users = run.users { try at("users") { _ = try Self.users.check(users) } }
        if let rate = run.spawnRate { try at("spawn_rate") { _ = try spawnRate.check(rate) } }
        if let seconds = run.runTime { try at("run_time") { _ = try runTime.check(seconds) } }
        if let seconds = run.timeout { try at("timeout") { _ = try timeout.check(seconds) } }
        if let seconds = run.connectTimeout { try at("connect_timeout") { _ = try connectTimeout.check(seconds) } }
        if let depth = run.pipeline { try at("pipeline") { _ = try pipeline.check(depth) } }
        if let rate = run.arrivalRate { try at("arrival_rate") { _ = try arrivalRate.check(rate) } }
        if let count = run.maxUsers { try at("max_users") { _ = try maxUsers.check(count) } }
        if let count = run.preAllocatedUsers { try at("pre_allocated_users") { _ = try preAllocatedUsers.check(count) } }
        if let limit = run.queueLimit { try at("queue_limit") { _ = try queueLimit.check(limit) } }
    }

    /// Checks each time and rate of a wait, and that `between`'s minimum is not above its maximum.
    ///
    /// - Parameter written: the wait as written, for the message; `wait.description` when `nil`.
    public static func checkWait(_ wait: WaitTime, written: String? = nil) throws {
        func fail(_ problem: String) -> InputError { invalidWait(written ?? wait.description, problem) }
        func seconds(_ value: Double) throws {
            guard Self.wait.contains(value) else {
                throw fail("'\(formatNumber(value)) s' is not \(Self.wait.expected)")
            }
        }
        switch wait {
        case .constant(let s), .constantPacing(let s):
            try seconds(s)
        case .between(let low, let high):
            try seconds(low)
            try seconds(high)
            guard low <= high else {
                throw fail("the minimum \(formatNumber(low)) is above the maximum \(formatNumber(high))")
            }
        case .constantThroughput(let rate):
            guard throughput.contains(rate) else { throw fail("'\(formatNumber(rate))' is not \(throughput.expected)") }
        }
    }

    /// The bytes a request adds to the plan besides its line ends: method, path, headers and body.
    static func planBytes(_ request: RequestTemplate) -> Int {
        request.headers.reduce(request.method.utf8.count + request.path.utf8.count + contentBytes(request.content)) {
            $0 + $1.name.utf8.count + $1.value.utf8.count
        }
    }

    /// The bytes a body adds to the plan: its bytes, its template's text, its parts' values and sizes (a
    /// file part counted by its size on disk).
    static func contentBytes(_ content: RequestBody) -> Int {
        switch content {
        case .bytes(let bytes): return bytes.count
        case .template(let template): return template.description.utf8.count
        case .multipart(let parts):
            return parts.reduce(0) { total, part in
                let size: Int
                switch part.content {
                case .value(let value): size = value.utf8.count
                case .generated(let bytes): size = bytes
                case .file(let path):
                    size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
                }
                return total + size + part.name.utf8.count + (part.filename?.utf8.count ?? 0) + 100
            }
        }
    }

    /// Checks one request's body size.
    static func checkBody(_ request: RequestTemplate) throws {
        let size = contentBytes(request.content)
        guard size <= bodyBytes else {
            throw InputError("the body is \(size) bytes; expected a body of at most 64 MiB (\(bodyBytes) bytes)")
        }
    }

    /// Adds `request` to the running count of the plan's bytes, or throws once the requests together
    /// pass ``requestBytes``.
    static func count(_ request: RequestTemplate, into total: inout Int) throws {
        total += planBytes(request)
        guard total <= requestBytes else {
            throw InputError("the requests add up to more than 1 GiB (\(requestBytes) bytes) of bodies and "
                + "headers; expected at most 1 GiB for all requests together, each counted once")
        }
    }

    /// Reads a body file, refusing one larger than ``bodyBytes`` without reading past it: a device such as
    /// `/dev/zero` is refused too, rather than read forever.
    ///
    /// - Throws: ``InputError`` saying why: `no such file`, `it is a directory`, `it is larger than 64 MiB`.
    public static func readBody(path: String) throws -> [UInt8] {
        try readFile(path, limit: bodyBytes, largest: "request body")
    }
}

/// A setting's range, how its text is read, and how a message names both.
///
/// ``parse(_:)`` is the command line's and the file's check of text as written; ``check(_:)`` is
/// ``Scenario/validate()``'s of a value set in code. Both throw ``InputError`` with ``expected``.
public struct SettingBound<Value: Comparable & Sendable>: Sendable {
    /// The setting, as "expected ..." names it: `an integer number of users`.
    public let what: String
    /// The values allowed, but for ``range``'s lower end when ``lowIsExcluded``.
    public let range: ClosedRange<Value>
    /// Whether the lower end itself is refused: a spawn rate must be above 0.
    public let lowIsExcluded: Bool
    /// The range as a message or a help text says it: `from 1ms to 720h (30 days)`.
    public let rangeText: String
    /// After the range in a message: an example, as in `, such as 10 or 0.5`.
    let example: String
    /// The value that `text` spells, or `nil` when it is not a number of this kind.
    let read: @Sendable (String) throws -> Value?
    let show: @Sendable (Value) -> String

    /// The setting and its range: `an integer number of users from 1 to 1000000`.
    public var expected: String { "\(what) \(rangeText)" }

    /// Whether `value` is allowed; NaN is not.
    public func contains(_ value: Value) -> Bool {
        range.contains(value) && !(lowIsExcluded && value == range.lowerBound)
    }

    /// Reads `text` as the command line or the file gives it and checks its range.
    /// - Throws: ``InputError`` with ``expected`` and the text, or the reader's own (``parseDuration(_:)``'s).
    public func parse(_ text: String) throws -> Value {
        guard let value = try read(text.trimmingCharacters(in: .whitespaces)), contains(value) else {
            throw InputError("expected \(expected)\(example), got '\(text.escapedForMessage)'")
        }
        return value
    }

    /// Returns `value` if it is allowed.
    /// - Throws: ``InputError`` with ``expected`` and the value.
    public func check(_ value: Value) throws -> Value {
        guard contains(value) else { throw InputError("expected \(expected), got '\(show(value))'") }
        return value
    }
}

extension SettingBound where Value: FixedWidthInteger {
    /// Integers in `range`, written in decimal.
    static func integer(_ what: String, _ range: ClosedRange<Value>, unit: String = "") -> Self {
        Self(what: what, range: range, lowIsExcluded: false,
             rangeText: "from \(range.lowerBound) to \(range.upperBound)" + (unit.isEmpty ? "" : " \(unit)"),
             example: "", read: { Value($0) }, show: { "\($0)" })
    }
}

extension SettingBound where Value == Double {
    /// Seconds written as durations (``parseDuration(_:)``: `90`, `250ms`, `1h30m`), from `low` to `high`,
    /// which are written so too and shown in the message as written.
    static func duration(_ what: String, from low: String, to high: String) -> Self {
        // The ends are literals in SettingBounds: a typo in one stops every test rather than pass unnoticed.
        let range = try! parseDuration(low)...parseDuration(high)
        let days = range.upperBound / 86_400
        return Self(what: what, range: range, lowIsExcluded: false,
                    rangeText: "from \(low) to \(high)" + (days >= 1 ? " (\(formatNumber(days)) days)" : ""),
                    example: "", read: { try parseDuration($0) }, show: formatNumber)
    }

    /// Rates written as plain decimals (`10`, `0.5`: no sign, exponent, `inf` or `nan`), from `low` to
    /// `high`, or above `low` when `excluded`.
    static func rate(_ what: String, unit: String, low: String, excluded: Bool = false, high: String,
                     example: String) -> Self {
        Self(what: what, range: Double(low)!...Double(high)!, lowIsExcluded: excluded,
             rangeText: (excluded ? "above \(low) and at most \(high)" : "from \(low) to \(high)") + (unit.isEmpty ? "" : " \(unit)"),
             example: ", \(example)", read: parseDecimal, show: formatNumber)
    }
}

/// Whole nanoseconds for the core, or `nil` for a time that is negative, not finite, or past UInt64.
/// The engine and the plan convert through this rather than `UInt64(_:)`, which traps.
func nanoseconds(_ seconds: Double) -> UInt64? {
    let ns = (seconds * 1e9).rounded()
    // 2^64 is exactly representable; anything from it up does not fit.
    guard ns >= 0, ns < 18_446_744_073_709_551_616.0 else { return nil }
    return UInt64(ns)
}

/// An engine option as the core's field, checked against its bound: the engine refuses a value that a
/// caller passed without the command line's checks, rather than clamp it or trap.
func engineValue(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws -> UInt32 {
    guard range.contains(value), let field = UInt32(exactly: value) else {
        throw CicadaError("\(name) \(value) is out of range \(range.lowerBound)-\(range.upperBound)")
    }
    return field
}

/// A timeout option as the core's nanoseconds, checked against its bound (never 0, which the core reads
/// as no timeout).
func engineNanoseconds(_ name: String, _ seconds: Double, _ bound: SettingBound<Double>) throws -> UInt64 {
    guard bound.contains(seconds), let ns = nanoseconds(seconds) else {
        throw CicadaError("\(name) \(formatNumber(seconds)) s is out of range: expected \(bound.expected)")
    }
    return ns
}
