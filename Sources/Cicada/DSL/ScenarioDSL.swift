import Foundation

// A result-builder DSL for scenarios in Swift. It builds the same ``Scenario`` value that a YAML file
// loads to, by the same rules (class headers before a request's own, a `json:` body's Content-Type after
// both, `${env.…}` resolved once, when the scenario is built), so a scenario written both ways compiles to
// the same plan.

/// Builds a scenario's user classes.
@resultBuilder
public enum UserClassListBuilder {
    public static func buildExpression(_ userClass: UserClass) -> [UserClass] { [userClass] }
    public static func buildBlock(_ parts: [UserClass]...) -> [UserClass] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [UserClass]?) -> [UserClass] { part ?? [] }
    public static func buildEither(first: [UserClass]) -> [UserClass] { first }
    public static func buildEither(second: [UserClass]) -> [UserClass] { second }
    public static func buildArray(_ parts: [[UserClass]]) -> [UserClass] { parts.flatMap { $0 } }
}

/// What a user class's block holds: its tasks, `OnStart` and `OnStop`.
public enum ClassPart: Sendable {
    case task(Task)
    case onStart(OnStart)
    case onStop(OnStop)
}

/// Builds a user class's parts.
@resultBuilder
public enum UserClassBuilder {
    public static func buildExpression(_ task: Task) -> [ClassPart] { [.task(task)] }
    public static func buildExpression(_ onStart: OnStart) -> [ClassPart] { [.onStart(onStart)] }
    public static func buildExpression(_ onStop: OnStop) -> [ClassPart] { [.onStop(onStop)] }
    public static func buildBlock(_ parts: [ClassPart]...) -> [ClassPart] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [ClassPart]?) -> [ClassPart] { part ?? [] }
    public static func buildEither(first: [ClassPart]) -> [ClassPart] { first }
    public static func buildEither(second: [ClassPart]) -> [ClassPart] { second }
    public static func buildArray(_ parts: [[ClassPart]]) -> [ClassPart] { parts.flatMap { $0 } }
}

/// What a task's block holds: requests and waits, in order.
public enum StepPart: Sendable {
    case request(Request)
    case wait(WaitTime)
}

/// Builds a task's steps.
@resultBuilder
public enum StepBuilder {
    public static func buildExpression(_ request: Request) -> [StepPart] { [.request(request)] }
    public static func buildExpression(_ wait: Wait) -> [StepPart] { [.wait(wait.time)] }
    public static func buildBlock(_ parts: [StepPart]...) -> [StepPart] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [StepPart]?) -> [StepPart] { part ?? [] }
    public static func buildEither(first: [StepPart]) -> [StepPart] { first }
    public static func buildEither(second: [StepPart]) -> [StepPart] { second }
    public static func buildArray(_ parts: [[StepPart]]) -> [StepPart] { parts.flatMap { $0 } }
}

extension Scenario {
    /// A scenario written in Swift, as a locustfile is in Python.
    ///
    /// ```swift
    /// let scenario = Scenario("samplemind", host: "http://127.0.0.1:8000") {
    ///     UserClass("AudioAnalysisUser", weight: 5, wait: .between(1, 5)) {
    ///         OnStart {
    ///             Request.post("/api/v1/auth/login", json: ["username": "user-${user.id}", "password": "demo"])
    ///                 .capture("token", json: "access_token")
    ///         }
    ///         Task("list_files", weight: 2) {
    ///             Request.get("/api/v1/files?page=1&limit=20").header("Authorization", "Bearer ${token}")
    ///         }
    ///     }
    /// }
    /// try scenario.validate()       // the loader's rules; then CompiledPlan(scenario:hostHeader:)
    /// ```
    ///
    /// `stages` are the file's `stages:`, as `[Stage("baseline", users: 100, spawnRate: 10, duration: 60)]`;
    /// `thresholds` its `thresholds:`.
    public init(_ name: String? = nil, host: String? = nil, run: RunDefaults = RunDefaults(), stages: [Stage] = [],
                tls: TLSSettings = TLSSettings(), thresholds: [Threshold] = [],
                @UserClassListBuilder _ classes: () -> [UserClass]) {
        self.init(name: name, host: host, userClasses: classes(), run: run, stages: stages, tls: tls, thresholds: thresholds)
    }
}

extension UserClass {
    /// A user class written in Swift: its tasks, `OnStart` and `OnStop` in the block.
    ///
    /// `headers` are sent with every request of the class, before the request's own; a request's header of
    /// the same name (in any case) replaces the class's, as in a YAML file.
    ///
    /// ```swift
    /// UserClass("APIUser", weight: 3, wait: .between(0.5, 2), headers: ["X-API-Key": "${env.API_KEY:-demo-api-key}"]) {
    ///     Task("api_analyze", weight: 5) { Request.post("/api/v1/audio/analyze", json: ["audio_url": "https://x/1.wav"]) }
    /// }
    /// ```
    public init(_ name: String, weight: Int = 1, fixedCount: Int? = nil, wait: WaitTime = .constant(0),
                headers: KeyValuePairs<String, String> = [:], tags: [String] = [], cookies: Bool = true,
                data: DataSource? = nil, @UserClassBuilder _ body: () -> [ClassPart]) {
        let classHeaders = headers.map { Header(name: $0.key, value: resolved($0.value).description) }
        var tasks: [UserTask] = []
        var onStart: UserTask?
        var onStop: UserTask?
        for part in body() {
            switch part {
            case .task(let task): tasks.append(task.userTask(classHeaders: classHeaders))
            case .onStart(let block): onStart = block.userTask(classHeaders: classHeaders)
            case .onStop(let block): onStop = block.userTask(classHeaders: classHeaders)
            }
        }
        self.init(name: name, weight: weight, fixedCount: fixedCount, wait: wait, onStart: onStart, onStop: onStop,
                  tasks: tasks, tags: tags, cookies: cookies, data: data)
    }
}

/// A task of a user class: requests (and waits) in order, picked by `weight`.
///
/// In a file that imports Cicada, `Task` is this type: Swift's concurrency task is `_Concurrency.Task`
/// there (or a task made in a file that does not import Cicada).
///
/// ```swift
/// Task("api_batch_process", weight: 2) {
///     Request.post("/api/v1/batch", json: ["audio_urls": ["https://x/1.wav"]]).capture("job_id", json: "job_id")
///     Request.get("/api/v1/jobs/${job_id}").repeating(until: .jsonEquals(path: "status", value: "done"), every: 1, max: 30)
/// }
/// ```
public struct Task: Sendable {
    public var name: String?
    public var weight: Int
    public var tags: [String]
    public var steps: [StepPart]

    /// A task; without a name it is named by its first request's endpoint, as in YAML.
    public init(_ name: String? = nil, weight: Int = 1, tags: [String] = [], @StepBuilder _ steps: () -> [StepPart]) {
        self.name = name
        self.weight = weight
        self.tags = tags
        self.steps = steps()
    }

    func userTask(classHeaders: [Header]) -> UserTask {
        let steps = self.steps.map { $0.step(classHeaders: classHeaders) }
        let first = steps.lazy.compactMap { if case .request(let r) = $0 { return r } else { return nil } }.first
        return UserTask(name: name ?? first?.endpointName ?? "task", weight: weight, steps: steps, tags: tags)
    }
}

/// Requests a user sends once when it starts (Locust's `on_start`): a log-in.
public struct OnStart: Sendable {
    public var name: String
    public var steps: [StepPart]

    public init(_ name: String = "on_start", @StepBuilder _ steps: () -> [StepPart]) {
        self.name = name
        self.steps = steps()
    }

    func userTask(classHeaders: [Header]) -> UserTask {
        UserTask(name: name, weight: 1, steps: steps.map { $0.step(classHeaders: classHeaders) })
    }
}

/// Requests a user sends once when it is retired or the run stops gracefully (Locust's `on_stop`).
public struct OnStop: Sendable {
    public var name: String
    public var steps: [StepPart]

    public init(_ name: String = "on_stop", @StepBuilder _ steps: () -> [StepPart]) {
        self.name = name
        self.steps = steps()
    }

    func userTask(classHeaders: [Header]) -> UserTask {
        UserTask(name: name, weight: 1, steps: steps.map { $0.step(classHeaders: classHeaders) })
    }
}

/// A wait between two steps of a task: `Wait(2)` or `Wait.between(1, 2)`, in seconds.
public struct Wait: Sendable {
    public var time: WaitTime
    public init(_ seconds: Double) { time = .constant(seconds) }
    public static func between(_ low: Double, _ high: Double) -> Wait {
        var wait = Wait(0)
        wait.time = .between(low, high)
        return wait
    }
}

extension StepPart {
    func step(classHeaders: [Header]) -> Step {
        switch self {
        case .wait(let time): return .wait(time)
        case .request(let request): return .request(request.template(classHeaders: classHeaders))
        }
    }
}

/// A JSON value for a `json:` body, written with Swift literals; mapping keys keep their order.
/// Strings are templates: `"${file_id}"` is filled per request, escaped for JSON.
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByNilLiteral {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements.map { (key: $0.0, value: $0.1) }) }
    public init(nilLiteral: ()) { self = .null }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: return false
        }
    }

    /// The value as a template of compact JSON, as the YAML loader renders a `json:` body.
    public var template: Template {
        var pieces: [Template.Piece] = []
        render(into: &pieces)
        return Template(pieces: pieces).normalized
    }

    private func render(into pieces: inout [Template.Piece]) {
        switch self {
        case .string(let s): pieces += jsonStringPieces(resolved(s))
        case .integer(let i): pieces.append(.text(String(i)))
        case .number(let d): pieces.append(.text(d.isFinite ? "\(d)" : "null"))
        case .bool(let b): pieces.append(.text(b ? "true" : "false"))
        case .null: pieces.append(.text("null"))
        case .array(let items):
            pieces.append(.text("["))
            for (index, item) in items.enumerated() {
                if index > 0 { pieces.append(.text(",")) }
                item.render(into: &pieces)
            }
            pieces.append(.text("]"))
        case .object(let entries):
            pieces.append(.text("{"))
            for (index, entry) in entries.enumerated() {
                if index > 0 { pieces.append(.text(",")) }
                var key = ""
                appendJSONString(entry.key, to: &key)
                pieces.append(.text(key + ":"))
                entry.value.render(into: &pieces)
            }
            pieces.append(.text("}"))
        }
    }
}

/// Text parsed as a template with `${env.…}` resolved now, as the loader does at load time; text that
/// does not parse stays static (``Scenario/validate()`` finds nothing wrong with it then, and sends it).
func resolved(_ text: String) -> Template {
    guard let template = try? Template(parsing: text) else { return Template(text: text) }
    return (try? template.resolvingEnvironment(ProcessInfo.processInfo.environment)) ?? template
}

/// A request in the Swift DSL: made with ``get(_:)``, ``post(_:json:)`` and their kin, then refined with
/// modifiers that each return a changed copy.
///
/// ```swift
/// Request.post("/api/v1/audio/analyze", json: ["file_id": "${random(file_ids)}", "analysis_type": "full"])
///     .header("Authorization", "Bearer ${token}")
///     .when(set: "file_ids")
///     .capture("analysis_ids", json: "analysis_id", append: true, max: 20)
///     .check(status: 200)
/// ```
public struct Request: Sendable {
    var request: RequestTemplate
    /// The request's own headers; the class's are put before them when the class is built.
    var ownHeaders: [Header] = []
    /// Added after the class's and the request's headers unless one of them sets a Content-Type.
    var contentType: String?

    init(method: String, path: String) {
        request = RequestTemplate(method: method, path: resolved(path).description)
    }

    public static func get(_ path: String) -> Request { Request(method: "GET", path: path) }
    public static func head(_ path: String) -> Request { Request(method: "HEAD", path: path) }
    public static func delete(_ path: String) -> Request { Request(method: "DELETE", path: path) }
    public static func post(_ path: String) -> Request { Request(method: "POST", path: path) }
    public static func put(_ path: String) -> Request { Request(method: "PUT", path: path) }
    public static func patch(_ path: String) -> Request { Request(method: "PATCH", path: path) }
    /// A request with any method token.
    public static func method(_ method: String, _ path: String) -> Request { Request(method: method, path: path) }

    /// POST with a JSON body (`Content-Type: application/json` unless a header sets one).
    public static func post(_ path: String, json: JSONValue) -> Request { post(path).json(json) }
    /// PUT with a JSON body.
    public static func put(_ path: String, json: JSONValue) -> Request { put(path).json(json) }
    /// PATCH with a JSON body.
    public static func patch(_ path: String, json: JSONValue) -> Request { patch(path).json(json) }
    /// POST with an `application/x-www-form-urlencoded` body.
    public static func post(_ path: String, form: KeyValuePairs<String, String>) -> Request { post(path).form(form) }
    /// POST with a `multipart/form-data` body.
    public static func post(_ path: String, multipart: [MultipartPart]) -> Request { post(path).multipart(multipart) }

    private func with(_ change: (inout Request) -> Void) -> Request {
        var copy = self
        change(&copy)
        return copy
    }

    /// The endpoint name statistics group this request under (`/files/:id`).
    public func named(_ name: String) -> Request { with { $0.request.name = name } }
    /// Adds a header; its value is a template.
    public func header(_ name: String, _ value: String) -> Request {
        with { $0.ownHeaders.append(Header(name: name, value: resolved(value).description)) }
    }
    /// The body as JSON.
    public func json(_ value: JSONValue) -> Request {
        with {
            $0.request.content = ScenarioReader.content(value.template)
            $0.contentType = "application/json"
        }
    }
    /// The body as `application/x-www-form-urlencoded` fields.
    public func form(_ fields: KeyValuePairs<String, String>) -> Request {
        with {
            var pieces: [Template.Piece] = []
            for (index, field) in fields.enumerated() {
                pieces += formFieldPieces(field.key, resolved(field.value), first: index == 0)
            }
            $0.request.content = ScenarioReader.content(Template(pieces: pieces).normalized)
            $0.contentType = "application/x-www-form-urlencoded"
        }
    }
    /// The body as text, a template.
    public func body(_ text: String) -> Request { with { $0.request.content = ScenarioReader.content(resolved(text)) } }
    /// The body as bytes, sent as they are.
    public func body(bytes: [UInt8]) -> Request { with { $0.request.content = .bytes(bytes) } }
    /// A `multipart/form-data` body.
    public func multipart(_ parts: [MultipartPart]) -> Request {
        with {
            $0.request.content = .multipart(parts.map { part in
                var part = part
                if case .value(let value) = part.content { part.content = .value(resolved(value).description) }
                return part
            })
            $0.contentType = nil
        }
    }
    /// Sends `Connection: close`.
    public func closingConnection() -> Request { with { $0.request.closeConnection = true } }

    /// Captures a value from the response.
    public func capture(_ capture: Capture) -> Request { with { $0.request.captures.append(capture) } }
    /// Captures the value at a JSON path (`access_token`, `data.items[0].id`).
    public func capture(_ variable: String, json path: String, append: Bool = false, max: Int? = nil,
                        optional: Bool = false, default value: String? = nil) -> Request {
        capture(Capture(variable, from: .json(path), optional: optional, default: value, append: append, max: max))
    }
    /// Captures a response header.
    public func capture(_ variable: String, header name: String, optional: Bool = false) -> Request {
        capture(Capture(variable, from: .header(name), optional: optional))
    }
    /// Captures a regex's first group over the start of the body.
    public func capture(_ variable: String, regex pattern: String, optional: Bool = false) -> Request {
        capture(Capture(variable, from: .regex(pattern), optional: optional))
    }
    /// Captures a cookie the response sets.
    public func capture(_ variable: String, cookie name: String, optional: Bool = false) -> Request {
        capture(Capture(variable, from: .cookie(name), optional: optional))
    }

    /// Adds a check.
    public func check(_ check: Check) -> Request { with { $0.request.checks.append(check) } }
    /// Checks the status: `.check(status: 201)`, `.check(status: 200, 201)`.
    public func check(status: Int...) -> Request { check(.status(status.map { StatusRange($0) })) }

    /// Sends the request only when the variable is set (YAML `if: ${name}`).
    public func when(set variable: String) -> Request { with { $0.request.condition = .ifSet(variable) } }
    /// Sends the request only when the variable is not set (YAML `unless: ${name}`).
    public func when(unset variable: String) -> Request { with { $0.request.condition = .unlessSet(variable) } }
    /// A failure of this request lets the task go on (YAML `on_failure: continue`).
    public func continuingOnFailure() -> Request { with { $0.request.continueOnFailure = true } }
    /// Sends the request again every `every` seconds, at most `max` times, until the checks hold.
    public func repeating(until checks: Check..., every: Double = 1, max: Int = 30) -> Request {
        with { $0.request.repeatUntil = Repeat(until: checks, every: every, max: max) }
    }

    /// Runs `hook` on the worker thread before each rendering of this request, to set the variables
    /// `sets` that its templates read (see ``RequestHook``): the only per-request Swift call, opt-in here.
    public func hook(_ hook: RequestHook) -> Request { with { $0.request.hook = hook } }
    /// Runs `body` before each rendering of this request to set the variables `sets`.
    public func hook(_ name: String, sets: [String], _ body: @escaping @Sendable (RequestHookCall) throws -> Void) -> Request {
        hook(RequestHook(name, sets: sets, body))
    }

    /// The request as the model holds it, with the class's headers put before its own and the body's
    /// Content-Type after both, as the YAML loader does.
    public func template(classHeaders: [Header] = []) -> RequestTemplate {
        var out = request
        out.headers = classHeaders.filter { header in
            !ownHeaders.contains(where: { $0.name.lowercased() == header.name.lowercased() })
        } + ownHeaders
        if let contentType, !out.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            out.headers.append(Header(name: "Content-Type", value: contentType))
        }
        return out
    }
}

extension MultipartPart {
    /// A form field; its value is a template.
    public static func field(_ name: String, _ value: String) -> MultipartPart {
        MultipartPart(name: name, content: .value(value))
    }
    /// A file read when the plan is compiled; without a filename, the path's last component.
    public static func file(_ name: String, path: String, filename: String? = nil, contentType: String? = nil) -> MultipartPart {
        MultipartPart(name: name, filename: filename ?? String(path.split(separator: "/").last ?? ""),
                      contentType: contentType, content: .file(path: path))
    }
    /// `size` generated bytes, made once per plan and shared by every request.
    public static func generated(_ name: String, size: Int, filename: String? = nil, contentType: String? = nil) -> MultipartPart {
        MultipartPart(name: name, filename: filename, contentType: contentType, content: .generated(size: size))
    }
}
