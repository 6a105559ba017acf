import CCicadaCore
import Foundation

extension PlanSpecification {
    /// The core's `cc_plan_spec_t`, with every array and string in `arena`, which must outlive the call
    /// that reads it (`cc_plan_compile` copies what it keeps). `hooks[i]` is request i's hook binding,
    /// which the core keeps a pointer to and which must outlive every engine of the plan.
    func cSpec(in arena: CStringArena, hooks: [RequestHookBinding?] = []) -> cc_plan_spec_t {
        func template(_ pieces: [Piece]?) -> UnsafePointer<cc_template_spec_t>? {
            guard let pieces else { return nil }
            let cPieces = pieces.map { piece -> cc_piece_spec_t in
                var c = cc_piece_spec_t()
                c.kind = piece.kind
                c.encoding = piece.encoding
                c.variable = piece.variable
                c.min = piece.min
                c.max = piece.max
                if piece.kind == UInt8(CC_PIECE_TEXT.rawValue) {
                    c.text = arena.bytes(piece.text).map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                    c.text_length = UInt32(piece.text.count)
                }
                if !piece.choices.isEmpty {
                    c.choices = arena.array(piece.choices.map { Optional(arena.copy($0)) })
                    c.choice_count = UInt32(piece.choices.count)
                }
                return c
            }
            return arena.value(cc_template_spec_t(pieces: arena.array(cPieces), piece_count: UInt32(pieces.count)))
        }
        func wait(_ wait: WaitTime) -> cc_wait_spec_t {
            (try? CompiledPlan.waitSpec(wait)) ?? cc_wait_spec_t()
        }
        let cRequests = requests.enumerated().map { index, request -> cc_request_spec_t in
            var c = cc_request_spec_t()
            if index < hooks.count, let binding = hooks[index] {
                c.hook = RequestHookBinding.callback
                c.hook_context = Unmanaged.passUnretained(binding).toOpaque()
            }
            c.method = arena.copy(request.method)
            c.target = arena.copy(request.target)
            c.target_template = template(request.targetTemplate)
            let headers = request.headers.map { header in
                cc_header_spec_t(name: arena.copy(header.name), value: arena.copy(header.value),
                                 value_template: template(header.template))
            }
            c.headers = arena.array(headers)
            c.header_count = UInt32(headers.count)
            c.body = arena.bytes(request.body)
            c.body_length = UInt32(request.body.count)
            c.body_template = template(request.bodyTemplate)
            c.endpoint = request.endpoint
            c.close_connection = request.closeConnection ? 1 : 0
            let captures = request.captures.map { capture in
                var k = cc_capture_spec_t()
                k.source = capture.source
                k.optional = capture.optional ? 1 : 0
                k.variable = capture.variable
                k.expression = capture.expression.map(arena.copy)
                k.default_value = capture.defaultValue.map(arena.copy)
                return k
            }
            c.captures = arena.array(captures)
            c.capture_count = UInt32(captures.count)
            let checks = request.checks.map { check in
                var k = cc_check_spec_t()
                k.kind = check.kind
                k.until = check.until ? 1 : 0
                k.expression = check.expression.map(arena.copy)
                if let value = check.value {
                    // NUL-terminated as well as counted, for a reader that takes either.
                    k.value = arena.bytes(value + [0]).map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                    k.value_length = UInt32(value.count)
                }
                let statuses = check.statuses.map { cc_status_range_t(low: UInt16($0.low), high: UInt16($0.high)) }
                k.statuses = arena.array(statuses)
                k.status_count = UInt32(statuses.count)
                k.max_duration_ns = check.maxDurationNanoseconds
                return k
            }
            c.checks = arena.array(checks)
            c.check_count = UInt32(checks.count)
            return c
        }
        let cTasks = tasks.map {
            cc_task_spec_t(first_request: $0.firstRequest, request_count: $0.requestCount, weight: $0.weight,
                           first_step: $0.firstStep, step_count: $0.stepCount)
        }
        let cSteps = steps.map { step -> cc_step_spec_t in
            var c = cc_step_spec_t()
            c.kind = step.kind
            c.when = step.when
            c.continue_on_failure = step.continueOnFailure ? 1 : 0
            c.request = step.request
            c.when_variable = step.whenVariable
            if let w = step.wait { c.wait = wait(w) }
            c.repeat_max = step.repeatMax
            c.repeat_every_ns = step.repeatEveryNanoseconds
            return c
        }
        let cClasses = classes.map { userClass -> cc_user_class_spec_t in
            var c = cc_user_class_spec_t()
            c.first_task = userClass.firstTask
            c.task_count = userClass.taskCount
            c.on_start_task = userClass.onStartTask
            c.on_stop_task = userClass.onStopTask
            c.wait = wait(userClass.wait)
            c.data_table = userClass.dataTable
            c.data_mode = userClass.dataMode
            c.data_recycle = userClass.dataRecycle ? 1 : 0
            c.cookies = userClass.cookies ? 1 : 0
            return c
        }
        let cVariables = variables.map { cc_variable_spec_t(name: arena.copy($0.name), list_max: $0.listMax) }
        let cTables = dataTables.map { table in
            cc_data_table_spec_t(cells: arena.array(table.rows.flatMap { $0 }.map { Optional(arena.copy($0)) }),
                                 row_count: UInt32(table.rows.count), column_count: UInt32(table.columns.count))
        }
        var spec = cc_plan_spec_t()
        spec.host_header = arena.copy(hostHeader)
        spec.requests = arena.array(cRequests)
        spec.request_count = UInt32(cRequests.count)
        spec.tasks = arena.array(cTasks)
        spec.task_count = UInt32(cTasks.count)
        spec.classes = arena.array(cClasses)
        spec.class_count = UInt32(cClasses.count)
        spec.steps = arena.array(cSteps)
        spec.step_count = UInt32(cSteps.count)
        spec.variables = arena.array(cVariables)
        spec.variable_count = UInt32(cVariables.count)
        spec.data_tables = arena.array(cTables)
        spec.data_table_count = UInt32(cTables.count)
        return spec
    }
}

/// The words for the failures that name a part of the plan by index: a `check` failure's detail is the
/// check's index, a `capture` failure's the capture's, a `template` failure's the variable's.
public struct FailureNames: Sendable, Equatable {
    public var checks: [String]
    public var captures: [String]
    public var variables: [String]
    public var dataFiles: [String]
    /// The status checks, whose evidence is the sample's status when the core copied none.
    public var statusChecks: Set<Int>

    public init(checks: [String] = [], captures: [String] = [], variables: [String] = [], dataFiles: [String] = [],
                statusChecks: Set<Int> = []) {
        self.statusChecks = statusChecks
        self.checks = checks
        self.captures = captures
        self.variables = variables
        self.dataFiles = dataFiles
    }
}
