import CCicadaCore
import Foundation

/// A scenario compiled into the core's plan contract (`cc_plan_spec_t` in `cicada_core.h`), as Swift
/// values: every request with its template pieces, captures and checks at plan-wide indices, the tasks,
/// steps, classes, variables and data tables. ``CompiledPlan`` hands it to `cc_plan_compile`;
/// ``canonicalDescription`` lists all of it, so that two ways of writing a scenario can be shown to
/// compile to the same plan.
///
/// A request without a slot keeps its target, header values and body static and its template pointers
/// `NULL`, so that a wrk-like run costs what it cost before templates existed.
public struct PlanSpecification: Sendable, Equatable {
    /// The Host header value.
    public var hostHeader: String
    public var requests: [RequestSpec] = []
    public var tasks: [TaskSpec] = []
    public var classes: [ClassSpec] = []
    /// Empty when no task needs steps (a wait, a condition, a repeat or `on_failure: continue`): every task
    /// is then its requests in order, as before steps existed.
    public var steps: [StepSpec] = []
    public var variables: [VariableSpec] = []
    public var dataTables: [DataTable] = []
    /// The endpoints, indexed as requests and samples name them.
    public var endpoints: [Endpoint] = []
    /// Each capture's failure in words, indexed as the core reports a `capture` failure's detail.
    public var captureDescriptions: [String] = []
    /// Each check in words, indexed as the core reports a `check` failure's detail.
    public var checkDescriptions: [String] = []
    /// Each data table's file.
    public var dataFiles: [String] = []
    /// The multipart boundary of the plan, when a request has a multipart body.
    public var multipartBoundary: String?

    /// One piece of a template: text or a slot (`cc_piece_spec_t`): `kind` a `cc_piece_kind_t`,
    /// `encoding` a `cc_encoding_t`, `variable` a variable's index (or a data column's).
    public struct Piece: Sendable, Equatable {
        public var kind: UInt8
        public var encoding: UInt8 = 0
        public var variable: UInt32 = 0
        public var min: Int64 = 0
        public var max: Int64 = 0
        public var text: [UInt8] = []
        public var choices: [String] = []
    }

    /// A header line (`cc_header_spec_t`).
    public struct HeaderSpec: Sendable, Equatable {
        public var name: String
        /// The value, or the template's description when ``template`` is set.
        public var value: String
        public var template: [Piece]?
    }

    /// A capture (`cc_capture_spec_t`): `source` a `cc_capture_source_t`, `variable` the variable's index.
    public struct CaptureSpec: Sendable, Equatable {
        public var source: UInt8
        public var optional: Bool
        public var variable: UInt32
        public var expression: String?
        public var defaultValue: String?
    }

    /// A check (`cc_check_spec_t`): `kind` a `cc_check_kind_t`; `until` marks a repeat's condition.
    public struct CheckSpec: Sendable, Equatable {
        public var kind: UInt8
        public var until: Bool
        public var expression: String?
        public var value: [UInt8]?
        public var statuses: [StatusRange] = []
        public var maxDurationNanoseconds: UInt64 = 0
    }

    /// A request (`cc_request_spec_t`); its captures and checks start at plan-wide indices
    /// ``firstCapture`` and ``firstCheck``, which failures report.
    public struct RequestSpec: Sendable, Equatable {
        public var method: String
        /// The target, or (with ``targetTemplate``) the template's description, for a core that renders
        /// only static bytes.
        public var target: String
        public var targetTemplate: [Piece]?
        public var headers: [HeaderSpec]
        /// The body, or (with ``bodyTemplate``) empty.
        public var body: [UInt8]
        public var bodyTemplate: [Piece]?
        public var endpoint: UInt32
        public var closeConnection: Bool
        public var firstCapture: Int
        public var captures: [CaptureSpec]
        public var firstCheck: Int
        public var checks: [CheckSpec]
        /// The Swift code run before each rendering, which makes the request templated; `nil`: none.
        public var hook: RequestHook? = nil
    }

    /// A task (`cc_task_spec_t`): a range of requests, and of steps when the plan has steps.
    public struct TaskSpec: Sendable, Equatable {
        public var name: String
        public var firstRequest: UInt32
        public var requestCount: UInt32
        public var weight: UInt32
        public var firstStep: UInt32
        public var stepCount: UInt32
    }

    /// A step (`cc_step_spec_t`): `kind` a `cc_step_kind_t`, `when` a `cc_step_when_t`.
    public struct StepSpec: Sendable, Equatable {
        public var kind: UInt8
        public var when: UInt8
        public var continueOnFailure: Bool
        public var request: UInt32
        public var whenVariable: UInt32
        public var wait: WaitTime?
        public var repeatMax: UInt32
        public var repeatEveryNanoseconds: UInt64
    }

    /// A user class (`cc_user_class_spec_t`), with the weight and fixed count the runner reads.
    public struct ClassSpec: Sendable, Equatable {
        public var name: String
        public var weight: Int
        public var fixedCount: Int?
        public var firstTask: UInt32
        public var taskCount: UInt32
        public var onStartTask: Int32
        public var onStopTask: Int32
        public var wait: WaitTime
        public var dataTable: Int32
        public var dataMode: UInt8
        public var dataRecycle: Bool
        public var cookies: Bool
    }

    /// A variable (`cc_variable_spec_t`): `listMax` 0 for one value, N for a list of the newest N.
    public struct VariableSpec: Sendable, Equatable {
        public var name: String
        public var listMax: UInt32
    }

    /// Compiles `scenario` for a target whose Host header is `hostHeader`. `${env.…}` slots left in a
    /// scenario built in code are resolved from `environment`.
    ///
    /// - Throws: ``InputError`` naming the class, task and part at fault.
    public init(scenario: Scenario, hostHeader: String,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.hostHeader = hostHeader
        var builder = PlanBuilder(environment: environment)
        try builder.build(scenario, into: &self)
    }

    /// Every part of the plan, one item a line, in a fixed order: requests with their pieces, captures
    /// and checks, tasks, steps, classes, variables and data tables. Two plans that send the same bytes
    /// and read the same responses the same way have the same description.
    public var canonicalDescription: String {
        var lines = ["host \(hostHeader)"]
        func pieces(_ list: [Piece]) -> String {
            list.map { piece in
                let encoding = ["", "|url", "|json"][Int(piece.encoding) % 3]
                switch UInt32(piece.kind) {
                case CC_PIECE_TEXT.rawValue: return "text(\(quotedBytes(piece.text)))"
                case CC_PIECE_VARIABLE.rawValue: return "var(\(piece.variable)\(encoding))"
                case CC_PIECE_LIST_RANDOM.rawValue: return "list_random(\(piece.variable)\(encoding))"
                case CC_PIECE_USER_ID.rawValue: return "user_id\(encoding)"
                case CC_PIECE_USER_INDEX.rawValue: return "user_index\(encoding)"
                case CC_PIECE_ITERATION.rawValue: return "iteration\(encoding)"
                case CC_PIECE_RANDOM_INT.rawValue: return "random_int(\(piece.min),\(piece.max)\(encoding))"
                case CC_PIECE_RANDOM_CHOICE.rawValue: return "random_choice(\(piece.choices.map(quoted).joined(separator: ","))\(encoding))"
                case CC_PIECE_UUID.rawValue: return "uuid\(encoding)"
                case CC_PIECE_TIME_UNIX.rawValue: return "time_unix\(encoding)"
                case CC_PIECE_TIME_UNIX_MS.rawValue: return "time_unix_ms\(encoding)"
                case CC_PIECE_DATA.rawValue: return "data(\(piece.variable)\(encoding))"
                default: return "kind\(piece.kind)"
                }
            }.joined(separator: " ")
        }
        for (index, endpoint) in endpoints.enumerated() { lines.append("endpoint \(index) \(endpoint.method) \(endpoint.name)") }
        for (index, request) in requests.enumerated() {
            lines.append("request \(index) \(request.method) endpoint=\(request.endpoint) close=\(request.closeConnection)")
            lines.append("  target " + (request.targetTemplate.map(pieces) ?? quoted(request.target)))
            for header in request.headers {
                lines.append("  header \(header.name): " + (header.template.map(pieces) ?? quoted(header.value)))
            }
            lines.append("  body " + (request.bodyTemplate.map(pieces) ?? "\(request.body.count) bytes fnv1a=\(fnv1a(request.body))"))
            if let hook = request.hook { lines.append("  hook \(quoted(hook.name)) sets=\(hook.sets.joined(separator: ","))") }
            for (offset, capture) in request.captures.enumerated() {
                lines.append("  capture \(request.firstCapture + offset) source=\(capture.source) var=\(capture.variable) "
                    + "expression=\(capture.expression.map(quoted) ?? "-") optional=\(capture.optional) "
                    + "default=\(capture.defaultValue.map(quoted) ?? "-")")
            }
            for (offset, check) in request.checks.enumerated() {
                lines.append("  check \(request.firstCheck + offset) kind=\(check.kind) until=\(check.until) "
                    + "expression=\(check.expression.map(quoted) ?? "-") value=\(check.value.map(quotedBytes) ?? "-") "
                    + "statuses=\(check.statuses.map { "\($0.low)-\($0.high)" }.joined(separator: ",")) "
                    + "max_duration_ns=\(check.maxDurationNanoseconds)")
            }
        }
        for (index, task) in tasks.enumerated() {
            lines.append("task \(index) \(quoted(task.name)) requests=\(task.firstRequest)+\(task.requestCount) "
                + "weight=\(task.weight) steps=\(task.firstStep)+\(task.stepCount)")
        }
        for (index, step) in steps.enumerated() {
            lines.append("step \(index) kind=\(step.kind) when=\(step.when)/\(step.whenVariable) "
                + "continue=\(step.continueOnFailure) request=\(step.request) wait=\(step.wait.map(\.description) ?? "-") "
                + "repeat=\(step.repeatMax)x\(step.repeatEveryNanoseconds)ns")
        }
        for (index, userClass) in classes.enumerated() {
            lines.append("class \(index) \(quoted(userClass.name)) weight=\(userClass.weight) "
                + "fixed_count=\(userClass.fixedCount.map(String.init) ?? "-") tasks=\(userClass.firstTask)+\(userClass.taskCount) "
                + "on_start=\(userClass.onStartTask) on_stop=\(userClass.onStopTask) wait=\(userClass.wait) "
                + "data=\(userClass.dataTable)/\(userClass.dataMode)/\(userClass.dataRecycle) cookies=\(userClass.cookies)")
        }
        for (index, variable) in variables.enumerated() {
            lines.append("variable \(index) \(variable.name) list_max=\(variable.listMax)")
        }
        for (index, table) in dataTables.enumerated() {
            lines.append("data \(index) columns=\(table.columns.map(quoted).joined(separator: ",")) rows=\(table.rows.count) "
                + "fnv1a=\(fnv1a(Array(table.rows.flatMap { $0 + ["\u{0}"] }.joined(separator: "\u{1}").utf8)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Bytes as a quoted string with escapes, for the canonical description; long runs are summarised.
private func quotedBytes(_ bytes: [UInt8]) -> String {
    if bytes.count > 512 { return "\(bytes.count) bytes fnv1a=\(fnv1a(bytes))" }
    var out = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
        default: out += String(format: "\\x%02x", byte)
        }
    }
    return out + "\""
}

/// FNV-1a, 64-bit: a short stable fingerprint of a body in a description.
func fnv1a(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return String(hash, radix: 16)
}

/// Builds a ``PlanSpecification``: indices for endpoints, variables, captures and checks as the
/// scenario's parts are met, in class order (tasks, then on_start, then on_stop).
private struct PlanBuilder {
    let environment: [String: String]
    var endpointIndex: [Endpoint: UInt32] = [:]
    var variableIndex: [String: Int] = [:]
    var generated: [String: [UInt8]] = [:]
    var planBytes = 0

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func build(_ scenario: Scenario, into plan: inout PlanSpecification) throws {
        // Variables first, so that every request sees the whole table.
        for userClass in scenario.userClasses {
            let variables = try located("user class '\(userClass.name)'") { try ClassVariables(userClass) }
            for (name, kind) in variables.captured.sorted(by: { $0.key < $1.key }) {
                if let index = variableIndex[name] {
                    let listMax = UInt32(kind.isList ? kind.max : 0)
                    guard plan.variables[index].listMax == listMax else {
                        throw InputError("variable '\(name)' is a list in one user class and not in another (or of "
                            + "another length); expected one kind for a variable name in the whole scenario")
                    }
                    continue
                }
                variableIndex[name] = plan.variables.count
                plan.variables.append(.init(name: name, listMax: UInt32(kind.isList ? kind.max : 0)))
            }
        }
        let usesSteps = scenario.userClasses.contains { userClass in
            userClass.placedTasks.contains { _, task in
                task.steps.contains { step in
                    switch step {
                    case .wait: return true
                    case .request(let r): return r.condition != nil || r.continueOnFailure || r.repeatUntil != nil
                    }
                }
            }
        }
        if scenario.userClasses.contains(where: { $0.allRequests.contains { if case .multipart = $0.content { true } else { false } } }) {
            plan.multipartBoundary = try boundary(for: scenario)
        }
        for userClass in scenario.userClasses {
            let at = "user class '\(userClass.name)'"
            var spec = PlanSpecification.ClassSpec(
                name: userClass.name, weight: userClass.weight, fixedCount: userClass.fixedCount,
                firstTask: UInt32(plan.tasks.count), taskCount: UInt32(userClass.tasks.count), onStartTask: -1,
                onStopTask: -1, wait: userClass.wait, dataTable: -1, dataMode: 0, dataRecycle: userClass.data?.recycle ?? false,
                cookies: userClass.cookies)
            try located(at) {
                _ = try SettingBounds.weight.check(userClass.weight)
                try SettingBounds.checkWait(userClass.wait)
            }
            if let data = userClass.data {
                spec.dataTable = Int32(plan.dataTables.count)
                switch data.mode {
                case .perUser: spec.dataMode = UInt8(CC_DATA_PER_USER.rawValue)
                case .roundRobin: spec.dataMode = UInt8(CC_DATA_ROUND_ROBIN.rawValue)
                case .random: spec.dataMode = UInt8(CC_DATA_RANDOM.rawValue)
                }
                plan.dataTables.append(data.table)
                plan.dataFiles.append(data.file)
            }
            for task in userClass.tasks {
                try located("\(at): task '\(task.name)'") {
                    try add(task, weight: task.weight, userClass: userClass, usesSteps: usesSteps, into: &plan)
                }
            }
            if let onStart = userClass.onStart {
                spec.onStartTask = Int32(plan.tasks.count)
                try located("\(at): on_start") { try add(onStart, weight: 0, userClass: userClass, usesSteps: usesSteps, into: &plan) }
            }
            if let onStop = userClass.onStop {
                spec.onStopTask = Int32(plan.tasks.count)
                try located("\(at): on_stop") { try add(onStop, weight: 0, userClass: userClass, usesSteps: usesSteps, into: &plan) }
            }
            plan.classes.append(spec)
        }
    }

    /// One boundary for the plan (RFC 2046 §5.1.1: at most 70 characters, not in any part), the same for
    /// every run of the same scenario.
    func boundary(for scenario: Scenario) throws -> String {
        var contents: [[UInt8]] = []
        for request in scenario.userClasses.flatMap(\.allRequests) {
            guard case .multipart(let parts) = request.content else { continue }
            for part in parts {
                switch part.content {
                case .value(let value): contents.append(Array(value.utf8))
                case .file(let path): contents.append(try readPart(path, name: part.name))
                case .generated: break // generated bytes never hold '-'
                }
            }
        }
        for attempt in 0..<1000 {
            let candidate = "cicada-boundary-" + fnv1a(Array("cicada \(attempt)".utf8))
            let needle = Array(candidate.utf8)
            if !contents.contains(where: { $0.contains(subsequence: needle) }) { return candidate }
        }
        throw InputError("no multipart boundary could be found that is in none of the parts")
    }

    func readPart(_ path: String, name: String) throws -> [UInt8] {
        do { return try readFile(path, limit: SettingBounds.bodyBytes, largest: "request body") } catch let error as InputError {
            throw InputError("cannot read the file of multipart part '\(name)' '\(path)': \(error.message)")
        }
    }

    mutating func add(_ task: UserTask, weight: Int, userClass: UserClass, usesSteps: Bool,
                      into plan: inout PlanSpecification) throws {
        _ = try SettingBounds.weight.check(weight)
        var spec = PlanSpecification.TaskSpec(name: task.name, firstRequest: UInt32(plan.requests.count),
                                              requestCount: UInt32(task.requests.count), weight: UInt32(weight),
                                              firstStep: 0, stepCount: 0)
        guard !task.requests.isEmpty else { throw InputError("expected at least one request") }
        if usesSteps {
            spec.firstStep = UInt32(plan.steps.count)
            spec.stepCount = UInt32(task.steps.count)
        }
        for step in task.steps {
            switch step {
            case .wait(let wait):
                try ScenarioRules.checkWaitStep(wait)
                plan.steps.append(.init(kind: UInt8(CC_STEP_WAIT.rawValue), when: 0, continueOnFailure: false, request: 0,
                                        whenVariable: 0, wait: wait, repeatMax: 0, repeatEveryNanoseconds: 0))
            case .request(let request):
                let index = UInt32(plan.requests.count)
                try add(request, userClass: userClass, into: &plan)
                guard usesSteps else { continue }
                var step = PlanSpecification.StepSpec(kind: UInt8(CC_STEP_REQUEST.rawValue), when: 0,
                                                      continueOnFailure: request.continueOnFailure, request: index,
                                                      whenVariable: 0, wait: nil, repeatMax: 0, repeatEveryNanoseconds: 0)
                if let condition = request.condition {
                    guard let variable = variableIndex[condition.variable] else {
                        throw InputError("\(condition.description): no capture sets '\(condition.variable)'")
                    }
                    step.whenVariable = UInt32(variable)
                    if case .ifSet = condition { step.when = UInt8(CC_WHEN_SET.rawValue) } else { step.when = UInt8(CC_WHEN_UNSET.rawValue) }
                }
                if let repeatUntil = request.repeatUntil {
                    try ScenarioRules.checkRepeat(repeatUntil)
                    step.repeatMax = UInt32(repeatUntil.max)
                    step.repeatEveryNanoseconds = nanoseconds(repeatUntil.every) ?? 0
                }
                plan.steps.append(step)
            }
        }
        plan.tasks.append(spec)
    }

    mutating func add(_ request: RequestTemplate, userClass: UserClass, into plan: inout PlanSpecification) throws {
        try SettingBounds.checkBody(request)
        try SettingBounds.count(request, into: &planBytes)
        let endpoint = Endpoint(method: request.method, name: request.endpointName)
        let endpointNumber: UInt32
        if let known = endpointIndex[endpoint] {
            endpointNumber = known
        } else {
            endpointNumber = UInt32(plan.endpoints.count)
            endpointIndex[endpoint] = endpointNumber
            plan.endpoints.append(endpoint)
        }
        func parse(_ text: String, _ part: String) throws -> Template {
            do { return try Template(parsing: text).resolvingEnvironment(environment) } catch let error as InputError {
                throw InputError("\(part): \(error.message)")
            }
        }
        let target = try parse(request.path, "path")
        var spec = PlanSpecification.RequestSpec(
            method: request.method, target: target.isStatic ? target.staticText : staticFallback(target),
            targetTemplate: try pieces(target, userClass: userClass), headers: [], body: [], bodyTemplate: nil,
            endpoint: endpointNumber, closeConnection: request.closeConnection,
            firstCapture: plan.captureDescriptions.count, captures: [], firstCheck: plan.checkDescriptions.count, checks: [],
            hook: request.hook)
        for header in request.headers {
            let value = try parse(header.value, "header '\(header.name)'")
            spec.headers.append(.init(name: header.name, value: value.isStatic ? value.staticText : value.description,
                                      template: try pieces(value, userClass: userClass)))
        }
        switch request.content {
        case .bytes(let bytes):
            spec.body = bytes
        case .template(let template):
            let resolved = try template.resolvingEnvironment(environment)
            if resolved.isStatic {
                spec.body = Array(resolved.staticText.utf8)
            } else {
                spec.bodyTemplate = try pieces(resolved, userClass: userClass)
            }
        case .multipart(let parts):
            guard let boundary = plan.multipartBoundary else { throw InputError("no multipart boundary") }
            spec.headers.append(.init(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)", template: nil))
            var list: [PlanSpecification.Piece] = []
            func text(_ bytes: [UInt8]) {
                if let last = list.last, last.kind == UInt8(CC_PIECE_TEXT.rawValue) {
                    list[list.count - 1].text += bytes
                } else {
                    list.append(.init(kind: UInt8(CC_PIECE_TEXT.rawValue), text: bytes))
                }
            }
            for part in parts {
                var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(dispositionEscaped(part.name))\""
                if let filename = part.filename { head += "; filename=\"\(dispositionEscaped(filename))\"" }
                head += "\r\n"
                if let contentType = part.contentType { head += "Content-Type: \(contentType)\r\n" }
                text(Array((head + "\r\n").utf8))
                switch part.content {
                case .value(let value):
                    let field = try parse(value, "multipart part '\(part.name)'")
                    if let fieldPieces = try pieces(field, userClass: userClass) {
                        for piece in fieldPieces {
                            if piece.kind == UInt8(CC_PIECE_TEXT.rawValue) { text(piece.text) } else { list.append(piece) }
                        }
                    } else {
                        text(Array(field.staticText.utf8))
                    }
                case .file(let path):
                    text(try readPart(path, name: part.name))
                case .generated(let size):
                    text(generatedBytes(size: size, contentType: part.contentType ?? "", filename: part.filename ?? ""))
                }
                text(Array("\r\n".utf8))
            }
            text(Array("--\(boundary)--\r\n".utf8))
            if list.count == 1 {
                spec.body = list[0].text
            } else {
                spec.bodyTemplate = list
            }
        }
        for capture in request.captures {
            try capture.validate()
            guard let variable = variableIndex[capture.variable] else { throw InputError("capture '\(capture.variable)': no variable") }
            var c = PlanSpecification.CaptureSpec(source: 0, optional: capture.optional, variable: UInt32(variable),
                                                  expression: nil, defaultValue: capture.defaultValue)
            switch capture.source {
            case .json(let path): c.source = UInt8(CC_CAPTURE_JSON.rawValue); c.expression = path
            case .header(let name): c.source = UInt8(CC_CAPTURE_HEADER.rawValue); c.expression = name
            case .regex(let pattern): c.source = UInt8(CC_CAPTURE_REGEX.rawValue); c.expression = pattern
            case .status: c.source = UInt8(CC_CAPTURE_STATUS.rawValue)
            case .cookie(let name): c.source = UInt8(CC_CAPTURE_COOKIE.rawValue); c.expression = name
            }
            spec.captures.append(c)
            plan.captureDescriptions.append(capture.failureDescription)
        }
        for check in request.checks {
            try check.validate()
            spec.checks.append(checkSpec(check, until: false))
            plan.checkDescriptions.append(check.description)
        }
        if let repeatUntil = request.repeatUntil {
            for check in repeatUntil.until {
                try check.validate()
                spec.checks.append(checkSpec(check, until: true))
                plan.checkDescriptions.append("repeat until \(check.summary) still not true after \(repeatUntil.max) "
                    + "attempt\(repeatUntil.max == 1 ? "" : "s")")
            }
        }
        plan.requests.append(spec)
    }

    func checkSpec(_ check: Check, until: Bool) -> PlanSpecification.CheckSpec {
        var c = PlanSpecification.CheckSpec(kind: 0, until: until, expression: nil, value: nil)
        switch check {
        case .status(let ranges): c.kind = UInt8(CC_CHECK_STATUS.rawValue); c.statuses = ranges
        case .bodyContains(let text): c.kind = UInt8(CC_CHECK_BODY_CONTAINS.rawValue); c.value = Array(text.utf8)
        case .jsonEquals(let path, let value):
            c.kind = UInt8(CC_CHECK_JSON_EQUALS.rawValue); c.expression = path; c.value = Array(value.utf8)
        case .jsonExists(let path): c.kind = UInt8(CC_CHECK_JSON_EXISTS.rawValue); c.expression = path
        case .jsonMatches(let path, let pattern):
            c.kind = UInt8(CC_CHECK_JSON_MATCHES.rawValue); c.expression = path; c.value = Array(pattern.utf8)
        case .headerEquals(let name, let value):
            c.kind = UInt8(CC_CHECK_HEADER_EQUALS.rawValue); c.expression = name; c.value = Array(value.utf8)
        case .maxDuration(let seconds):
            c.kind = UInt8(CC_CHECK_MAX_DURATION.rawValue); c.maxDurationNanoseconds = nanoseconds(seconds) ?? 0
        }
        return c
    }

    /// The pieces of a template with slots, or `nil` for a static one.
    func pieces(_ template: Template, userClass: UserClass) throws -> [PlanSpecification.Piece]? {
        guard !template.isStatic else { return nil }
        return try template.normalized.pieces.map { piece in
            switch piece {
            case .text(let text): return .init(kind: UInt8(CC_PIECE_TEXT.rawValue), text: Array(text.utf8))
            case .slot(let slot, let filter):
                var p = PlanSpecification.Piece(kind: 0)
                switch filter {
                case .none: p.encoding = UInt8(CC_ENCODE_NONE.rawValue)
                case .url: p.encoding = UInt8(CC_ENCODE_URL.rawValue)
                case .json: p.encoding = UInt8(CC_ENCODE_JSON.rawValue)
                case .jsonValue: p.encoding = UInt8(CC_ENCODE_JSON_VALUE.rawValue)
                }
                func variable(_ name: String) throws -> UInt32 {
                    guard let index = variableIndex[name] else {
                        throw InputError("\(Template.describe(slot)): no capture of user class '\(userClass.name)' sets '\(name)'")
                    }
                    return UInt32(index)
                }
                switch slot {
                case .variable(let name), .last(let name):
                    p.kind = UInt8(CC_PIECE_VARIABLE.rawValue); p.variable = try variable(name)
                case .randomItem(let name):
                    p.kind = UInt8(CC_PIECE_LIST_RANDOM.rawValue); p.variable = try variable(name)
                case .userID: p.kind = UInt8(CC_PIECE_USER_ID.rawValue)
                case .userIndex: p.kind = UInt8(CC_PIECE_USER_INDEX.rawValue)
                case .iteration: p.kind = UInt8(CC_PIECE_ITERATION.rawValue)
                case .randomInt(let low, let high):
                    p.kind = UInt8(CC_PIECE_RANDOM_INT.rawValue); p.min = low; p.max = high
                case .randomChoice(let items):
                    p.kind = UInt8(CC_PIECE_RANDOM_CHOICE.rawValue); p.choices = items
                case .uuid: p.kind = UInt8(CC_PIECE_UUID.rawValue)
                case .timeUnix: p.kind = UInt8(CC_PIECE_TIME_UNIX.rawValue)
                case .timeUnixMilliseconds: p.kind = UInt8(CC_PIECE_TIME_UNIX_MS.rawValue)
                case .row(let column):
                    guard let columns = userClass.data?.table.columns, let index = columns.firstIndex(of: column) else {
                        throw InputError("${row.\(column)}: user class '\(userClass.name)' has no data column '\(column)'")
                    }
                    p.kind = UInt8(CC_PIECE_DATA.rawValue); p.variable = UInt32(index)
                case .environment:
                    throw InputError("\(Template.describe(slot)) was not resolved") // resolvingEnvironment ran first
                }
                return p
            }
        }
    }

    /// Bytes for a `size:` part, made once per plan for each size and kind. An audio/wav (or `.wav`)
    /// part starts with a 44-byte RIFF/WAVE header (PCM, 16-bit mono, 44.1 kHz) whose lengths match, so
    /// that a server that reads the header sees a well-formed file; the rest is a fixed pseudo-random
    /// pattern of letters and digits, which cannot hold the boundary's '-'.
    mutating func generatedBytes(size: Int, contentType: String, filename: String) -> [UInt8] {
        let wav = contentType.lowercased().contains("wav") || filename.lowercased().hasSuffix(".wav")
        let key = "\(size) \(wav)"
        if let known = generated[key] { return known }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        if wav, size >= 44 {
            func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> ($0 * 8)) & 0xFF) } }
            func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> ($0 * 8)) & 0xFF) } }
            bytes += Array("RIFF".utf8) + le32(size - 8) + Array("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(1)
                + le32(44_100) + le32(88_200) + le16(2) + le16(16) + Array("data".utf8) + le32(size - 44)
        }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        while bytes.count < size {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes.append(alphabet[Int(state % UInt64(alphabet.count))])
        }
        generated[key] = bytes
        return bytes
    }
}

/// A form-data name or filename inside quotes: `"` and CR LF percent-encoded, as HTML's form encoding
/// does (RFC 7578 §4.2 defers to it).
private func dispositionEscaped(_ s: String) -> String {
    s.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
}

/// A templated target as static text, for a core that renders only static bytes: the template's
/// description with what a target cannot hold percent-encoded.
private func staticFallback(_ template: Template) -> String {
    var out = ""
    for byte in template.description.utf8 {
        if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "#") {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        while index <= count - needle.count {
            if self[index] == first, self[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
