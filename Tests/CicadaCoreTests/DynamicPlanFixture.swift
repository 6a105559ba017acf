import CCicadaCore
import Foundation

/// Builds a cc_plan_t with templates, variables, captures, checks and steps for the core's tests. The
/// C memory the spec points to lives as long as the fixture's `Memory`, which is freed after compiling.
struct DynamicPlanFixture {
    enum Piece {
        case text(String)
        case variable(UInt32, cc_encoding_t = CC_ENCODE_NONE)
        case listRandom(UInt32)
        case userID, userIndex, iteration, uuid, timeUnix, timeUnixMS
        case randomInt(Int64, Int64)
        case choice([String])
        case data(UInt32, cc_encoding_t = CC_ENCODE_NONE)
    }

    enum Capture {
        case json(variable: UInt32, path: String, optional: Bool = false, defaultValue: String? = nil)
        case header(variable: UInt32, name: String)
        case regex(variable: UInt32, pattern: String)
        case status(variable: UInt32)
        case cookie(variable: UInt32, name: String)
    }

    enum Check {
        case status([(UInt16, UInt16)], until: Bool = false)
        case bodyContains(String)
        case jsonEquals(path: String, value: String, until: Bool = false)
        case jsonExists(path: String)
        case jsonMatches(path: String, regex: String)
        case headerEquals(name: String, value: String)
        case maxDuration(UInt64)
    }

    struct Request {
        var method = "GET"
        var target: [Piece] = [.text("/")]
        var headers: [(String, [Piece])] = []
        var body: [Piece]? = nil
        var endpoint: UInt32 = 0
        var captures: [Capture] = []
        var checks: [Check] = []
    }

    struct Step {
        var kind = CC_STEP_REQUEST
        var request: UInt32 = 0
        var when = CC_WHEN_ALWAYS
        var whenVariable: UInt32 = 0
        var continueOnFailure = false
        var wait = cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 0, max_ns: 0)
        var repeatMax: UInt32 = 0
        var repeatEveryNs: UInt64 = 0
    }

    struct Class {
        var firstTask: UInt32 = 0
        var taskCount: UInt32 = 1
        var onStart: Int32 = -1
        var onStop: Int32 = -1
        var wait = cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 0, max_ns: 0)
        var cookies = false
        var dataTable: Int32 = -1
        var dataMode = CC_DATA_PER_USER
        var recycle = false
    }

    var host = "example.test:8080"
    var requests: [Request] = []
    var steps: [Step] = []
    /// (first step, step count, weight)
    var tasks: [(UInt32, UInt32, UInt32)] = []
    var classes: [Class] = []
    /// (name, list_max)
    var variables: [(String, UInt32)] = []
    var variableBytes: UInt32 = 0
    var cookieBytes: UInt32 = 0
    /// Rows of cells, one table per element.
    var dataTables: [[[String]]] = []
    /// Request hooks by request index.
    var hooks: [Int: cc_request_hook_cb] = [:]

    /// Keeps C memory alive until the fixture is done with it.
    final class Memory {
        var blocks: [UnsafeMutableRawPointer] = []
        func cString(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            blocks.append(p)
            return UnsafePointer(p)
        }
        func array<T>(_ items: [T]) -> UnsafePointer<T>? {
            guard !items.isEmpty else { return nil }
            let raw = malloc(MemoryLayout<T>.stride * items.count)!
            blocks.append(raw)
            let typed = raw.bindMemory(to: T.self, capacity: items.count)
            for (i, item) in items.enumerated() { (typed + i).initialize(to: item) }
            return UnsafePointer(typed)
        }
        func one<T>(_ item: T) -> UnsafePointer<T> { array([item])! }
        deinit { blocks.forEach { free($0) } }
    }

    private func template(_ pieces: [Piece], _ m: Memory) -> UnsafePointer<cc_template_spec_t> {
        let specs = pieces.map { piece -> cc_piece_spec_t in
            var spec = cc_piece_spec_t()
            switch piece {
            case .text(let s):
                spec.kind = UInt8(CC_PIECE_TEXT.rawValue)
                spec.text = m.cString(s)
                spec.text_length = UInt32(s.utf8.count)
            case .variable(let v, let encoding):
                spec.kind = UInt8(CC_PIECE_VARIABLE.rawValue)
                spec.variable = v
                spec.encoding = UInt8(encoding.rawValue)
            case .listRandom(let v):
                spec.kind = UInt8(CC_PIECE_LIST_RANDOM.rawValue)
                spec.variable = v
            case .userID: spec.kind = UInt8(CC_PIECE_USER_ID.rawValue)
            case .userIndex: spec.kind = UInt8(CC_PIECE_USER_INDEX.rawValue)
            case .iteration: spec.kind = UInt8(CC_PIECE_ITERATION.rawValue)
            case .uuid: spec.kind = UInt8(CC_PIECE_UUID.rawValue)
            case .timeUnix: spec.kind = UInt8(CC_PIECE_TIME_UNIX.rawValue)
            case .timeUnixMS: spec.kind = UInt8(CC_PIECE_TIME_UNIX_MS.rawValue)
            case .randomInt(let a, let b):
                spec.kind = UInt8(CC_PIECE_RANDOM_INT.rawValue)
                spec.min = a
                spec.max = b
            case .choice(let choices):
                spec.kind = UInt8(CC_PIECE_RANDOM_CHOICE.rawValue)
                spec.choices = m.array(choices.map { Optional(m.cString($0)) })
                spec.choice_count = UInt32(choices.count)
            case .data(let column, let encoding):
                spec.kind = UInt8(CC_PIECE_DATA.rawValue)
                spec.variable = column
                spec.encoding = UInt8(encoding.rawValue)
            }
            return spec
        }
        return m.one(cc_template_spec_t(pieces: m.array(specs), piece_count: UInt32(specs.count)))
    }

    private func isStatic(_ pieces: [Piece]) -> String? {
        var text = ""
        for piece in pieces {
            guard case .text(let s) = piece else { return nil }
            text += s
        }
        return text
    }

    /// Compiles the plan; returns it or the core's error code and message.
    func compile() -> (plan: OpaquePointer?, code: Int32, message: String) {
        let m = Memory()
        let requestSpecs = requests.enumerated().map { index, request -> cc_request_spec_t in
            var spec = cc_request_spec_t()
            spec.hook = hooks[index]
            spec.method = m.cString(request.method)
            if let target = isStatic(request.target) {
                spec.target = m.cString(target)
            } else {
                spec.target_template = template(request.target, m)
            }
            let headers = request.headers.map { header -> cc_header_spec_t in
                if let value = isStatic(header.1) {
                    return cc_header_spec_t(name: m.cString(header.0), value: m.cString(value), value_template: nil)
                }
                return cc_header_spec_t(name: m.cString(header.0), value: nil, value_template: template(header.1, m))
            }
            spec.headers = m.array(headers)
            spec.header_count = UInt32(headers.count)
            if let body = request.body {
                if let text = isStatic(body) {
                    let bytes = Array(text.utf8)
                    spec.body = m.array(bytes)
                    spec.body_length = UInt32(bytes.count)
                } else {
                    spec.body_template = template(body, m)
                }
            }
            spec.endpoint = request.endpoint
            let captures = request.captures.map { capture -> cc_capture_spec_t in
                var c = cc_capture_spec_t()
                switch capture {
                case .json(let v, let path, let optional, let defaultValue):
                    c.source = UInt8(CC_CAPTURE_JSON.rawValue)
                    c.variable = v
                    c.expression = m.cString(path)
                    c.optional = optional ? 1 : 0
                    c.default_value = defaultValue.map { m.cString($0) }
                case .header(let v, let name):
                    c.source = UInt8(CC_CAPTURE_HEADER.rawValue)
                    c.variable = v
                    c.expression = m.cString(name)
                case .regex(let v, let pattern):
                    c.source = UInt8(CC_CAPTURE_REGEX.rawValue)
                    c.variable = v
                    c.expression = m.cString(pattern)
                case .status(let v):
                    c.source = UInt8(CC_CAPTURE_STATUS.rawValue)
                    c.variable = v
                case .cookie(let v, let name):
                    c.source = UInt8(CC_CAPTURE_COOKIE.rawValue)
                    c.variable = v
                    c.expression = m.cString(name)
                }
                return c
            }
            spec.captures = m.array(captures)
            spec.capture_count = UInt32(captures.count)
            let checks = request.checks.map { check -> cc_check_spec_t in
                var c = cc_check_spec_t()
                func value(_ s: String) {
                    c.value = m.cString(s)
                    c.value_length = UInt32(s.utf8.count)
                }
                switch check {
                case .status(let ranges, let until):
                    c.kind = UInt8(CC_CHECK_STATUS.rawValue)
                    c.statuses = m.array(ranges.map { cc_status_range_t(low: $0.0, high: $0.1) })
                    c.status_count = UInt32(ranges.count)
                    c.until = until ? 1 : 0
                case .bodyContains(let s):
                    c.kind = UInt8(CC_CHECK_BODY_CONTAINS.rawValue)
                    value(s)
                case .jsonEquals(let path, let s, let until):
                    c.kind = UInt8(CC_CHECK_JSON_EQUALS.rawValue)
                    c.expression = m.cString(path)
                    c.until = until ? 1 : 0
                    value(s)
                case .jsonExists(let path):
                    c.kind = UInt8(CC_CHECK_JSON_EXISTS.rawValue)
                    c.expression = m.cString(path)
                case .jsonMatches(let path, let regex):
                    c.kind = UInt8(CC_CHECK_JSON_MATCHES.rawValue)
                    c.expression = m.cString(path)
                    value(regex)
                case .headerEquals(let name, let s):
                    c.kind = UInt8(CC_CHECK_HEADER_EQUALS.rawValue)
                    c.expression = m.cString(name)
                    value(s)
                case .maxDuration(let ns):
                    c.kind = UInt8(CC_CHECK_MAX_DURATION.rawValue)
                    c.max_duration_ns = ns
                }
                return c
            }
            spec.checks = m.array(checks)
            spec.check_count = UInt32(checks.count)
            return spec
        }
        let stepSpecs = steps.map { step -> cc_step_spec_t in
            var spec = cc_step_spec_t()
            spec.kind = UInt8(step.kind.rawValue)
            spec.request = step.request
            spec.when = UInt8(step.when.rawValue)
            spec.when_variable = step.whenVariable
            spec.continue_on_failure = step.continueOnFailure ? 1 : 0
            spec.wait = step.wait
            spec.repeat_max = step.repeatMax
            spec.repeat_every_ns = step.repeatEveryNs
            return spec
        }
        let taskSpecs = tasks.map { task -> cc_task_spec_t in
            var spec = cc_task_spec_t()
            spec.first_step = task.0
            spec.step_count = task.1
            spec.weight = task.2
            return spec
        }
        let classSpecs = classes.map { c -> cc_user_class_spec_t in
            var spec = cc_user_class_spec_t()
            spec.first_task = c.firstTask
            spec.task_count = c.taskCount
            spec.on_start_task = c.onStart
            spec.on_stop_task = c.onStop
            spec.wait = c.wait
            spec.cookies = c.cookies ? 1 : 0
            spec.data_table = c.dataTable
            spec.data_mode = UInt8(c.dataMode.rawValue)
            spec.data_recycle = c.recycle ? 1 : 0
            return spec
        }
        let variableSpecs = variables.map { cc_variable_spec_t(name: m.cString($0.0), list_max: $0.1) }
        let tableSpecs = dataTables.map { rows -> cc_data_table_spec_t in
            let cells = rows.flatMap { $0 }.map { Optional(m.cString($0)) }
            return cc_data_table_spec_t(cells: m.array(cells), row_count: UInt32(rows.count),
                                        column_count: UInt32(rows.first?.count ?? 0))
        }
        var spec = cc_plan_spec_t()
        spec.host_header = m.cString(host)
        spec.requests = m.array(requestSpecs)
        spec.request_count = UInt32(requestSpecs.count)
        spec.steps = m.array(stepSpecs)
        spec.step_count = UInt32(stepSpecs.count)
        spec.tasks = m.array(taskSpecs)
        spec.task_count = UInt32(taskSpecs.count)
        spec.classes = m.array(classSpecs)
        spec.class_count = UInt32(classSpecs.count)
        spec.variables = m.array(variableSpecs)
        spec.variable_count = UInt32(variableSpecs.count)
        spec.variable_bytes = variableBytes
        spec.cookie_bytes = cookieBytes
        spec.data_tables = m.array(tableSpecs)
        spec.data_table_count = UInt32(tableSpecs.count)
        var plan: OpaquePointer?
        var error = [CChar](repeating: 0, count: 512)
        let code = cc_plan_compile(&spec, &plan, &error, error.count)
        let message = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (plan, code, message)
    }

    /// Renders request `index` with the given variable values; returns the text or the reason.
    static func render(_ plan: OpaquePointer, _ index: UInt32, values: [String?] = [], userID: UInt64 = 1,
                       userIndex: UInt64 = 0, iteration: UInt64 = 0, seed: UInt64 = 7, dataTable: Int32 = -1,
                       row: UInt32 = 0, capacity: Int = 1 << 20) -> (text: String?, variable: UInt32, reason: String) {
        let m = Memory()
        let pointers = values.map { $0.map { m.cString($0) } }
        let lengths = values.map { UInt32($0?.utf8.count ?? 0) }
        var input = cc_render_input_t()
        input.values = m.array(pointers)
        input.value_lengths = m.array(lengths)
        input.user_id = userID
        input.user_index = userIndex
        input.iteration = iteration
        input.seed = seed
        input.data_table = dataTable
        input.data_row = row
        var buffer = [UInt8](repeating: 0, count: capacity)
        var variable: UInt32 = 0
        var reason = [CChar](repeating: 0, count: 128)
        let n = cc_plan_render(plan, index, &input, &buffer, buffer.count, &variable, &reason, reason.count)
        let words = reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard n >= 0 else { return (nil, variable, n == -1 ? "does not fit" : words) }
        return (String(decoding: buffer[0..<n], as: UTF8.self), variable, words)
    }
}
