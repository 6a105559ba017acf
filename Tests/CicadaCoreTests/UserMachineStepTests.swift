import CCicadaCore
import XCTest

/// The user machine's steps: waits inside a task, repeats until a condition holds, conditions on
/// variables, continuing after a failure, on_stop and stopping at once. Driven by events, no sockets.
final class UserMachineStepTests: XCTestCase {
    typealias F = DynamicPlanFixture
    private let ms: UInt64 = 1_000_000

    /// Requests 0-4. Task 0 (weight 1): step 0 request 0 if variable 0 is set; step 1 wait 3 ms; step 2
    /// request 1, repeated up to 3 times 5 ms apart; step 3 request 2, continuing on failure; step 4
    /// request 3. Task 1 (on_stop): request 4. Waits of 7 ms between tasks.
    private func makePlan(onStop: Bool = true) throws -> OpaquePointer {
        var f = F()
        f.requests = (0..<5).map { F.Request(target: [.text("/r\($0)")], endpoint: UInt32($0)) }
        f.steps = [
            F.Step(request: 0, when: CC_WHEN_SET, whenVariable: 0),
            F.Step(kind: CC_STEP_WAIT, wait: cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 3 * ms, max_ns: 0)),
            F.Step(request: 1, repeatMax: 3, repeatEveryNs: 5 * ms),
            F.Step(request: 2, continueOnFailure: true),
            F.Step(request: 3),
            F.Step(request: 4),
        ]
        f.tasks = [(0, 5, 1), (5, 1, 0)]
        f.classes = [.init(onStop: onStop ? 1 : -1, wait: cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 7 * ms, max_ns: 0))]
        f.variables = [("v", 0)]
        let result = f.compile()
        return try XCTUnwrap(result.plan, result.message)
    }

    private var variableSet = false

    private func handle(_ m: inout cc_user_machine_t, _ plan: OpaquePointer, _ kind: cc_user_event_kind_t,
                        at now: UInt64, failed: Bool = false, untilMet: Bool = true, now immediate: Bool = false) -> cc_user_action_t {
        var event = cc_user_event_t()
        event.kind = kind
        event.now_ns = now
        event.failed = failed ? 1 : 0
        event.until_met = untilMet ? 1 : 0
        event.now = immediate ? 1 : 0
        let set = variableSet
        var action = cc_user_action_t()
        withUnsafePointer(to: set) { pointer in
            event.variables = UnsafeRawPointer(pointer)
            event.variable_is_set = { variables, _ in variables!.load(as: Bool.self) ? 1 : 0 }
            cc_user_machine_handle(&m, plan, &event, &action)
        }
        return action
    }

    /// A user started and past the wait step: its first poll (request 1) is in flight.
    private func polling(_ plan: OpaquePointer) -> cc_user_machine_t {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        _ = handle(&m, plan, CC_EVENT_START, at: 0)
        _ = handle(&m, plan, CC_EVENT_TIMER, at: 3 * ms)
        return m
    }

    func testStepsRunInOrderWithWaitsRepeatsAndConditions() throws {
        let plan = try makePlan()
        defer { cc_plan_free(plan) }
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        var a = handle(&m, plan, CC_EVENT_START, at: 0)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT, "step 0 is skipped while v is unset; step 1 waits")
        XCTAssertEqual(a.wait_ns, 3 * ms)
        XCTAssertEqual(m.iteration, 0)
        a = handle(&m, plan, CC_EVENT_TIMER, at: 3 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(a.request, 1)
        XCTAssertEqual(m.intended_ns, 3 * ms, "a request after a wait step is intended at the wait's end")
        XCTAssertEqual(cc_user_machine_last_attempt(&m, plan), 0)
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 4 * ms, untilMet: false)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT, "not done yet: poll again")
        XCTAssertEqual(a.wait_ns, 5 * ms)
        a = handle(&m, plan, CC_EVENT_TIMER, at: 9 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(a.request, 1)
        XCTAssertEqual(m.attempt, 1)
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 10 * ms, untilMet: false)
        a = handle(&m, plan, CC_EVENT_TIMER, at: 15 * ms)
        XCTAssertEqual(a.request, 1)
        XCTAssertEqual(cc_user_machine_last_attempt(&m, plan), 1, "the third of three attempts")
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 16 * ms, untilMet: true)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(a.request, 2)
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 17 * ms, failed: true)
        XCTAssertEqual(a.kind, CC_ACTION_SEND, "step 3 continues on failure")
        XCTAssertEqual(a.request, 3)
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 18 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT, "the task is over: the class's wait")
        XCTAssertEqual(a.wait_ns, 7 * ms)
        variableSet = true
        a = handle(&m, plan, CC_EVENT_TIMER, at: 25 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_SEND, "v is set now: step 0 runs")
        XCTAssertEqual(a.request, 0)
        XCTAssertEqual(m.iteration, 1, "the second task")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testAFailedStepEndsTheTaskAndAFailedRepeatDoesNotPollAgain() throws {
        let plan = try makePlan()
        defer { cc_plan_free(plan) }
        var m = polling(plan)
        let a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 4 * ms, failed: true, untilMet: false)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT)
        XCTAssertEqual(a.wait_ns, 7 * ms, "a failure ends the task: the class's wait, not the repeat's")
    }

    func testARetiredUserRunsOnStopOnceThenStops() throws {
        let plan = try makePlan()
        defer { cc_plan_free(plan) }
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        _ = handle(&m, plan, CC_EVENT_START, at: 0)
        var a = handle(&m, plan, CC_EVENT_RETIRE, at: 1 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_SEND, "retired while waiting: on_stop starts at once")
        XCTAssertEqual(a.request, 4)
        XCTAssertEqual(m.phase, UInt8(CC_PHASE_ON_STOP.rawValue))
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 2 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_STOP)
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testARetireInFlightRunsOnStopAfterTheRequest() throws {
        let plan = try makePlan()
        defer { cc_plan_free(plan) }
        var m = polling(plan)
        var a = handle(&m, plan, CC_EVENT_RETIRE, at: 3 * ms)
        XCTAssertEqual(a.kind, CC_ACTION_NONE, "the request in flight finishes first")
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 4 * ms, untilMet: false)
        XCTAssertEqual(a.kind, CC_ACTION_SEND, "then on_stop, not another poll")
        XCTAssertEqual(a.request, 4)
    }

    func testStoppingAtOnceSkipsOnStop() throws {
        let plan = try makePlan()
        defer { cc_plan_free(plan) }
        var m = polling(plan)
        _ = handle(&m, plan, CC_EVENT_RETIRE, at: 3 * ms)
        var a = handle(&m, plan, CC_EVENT_RETIRE, at: 3 * ms, now: true)
        XCTAssertEqual(a.kind, CC_ACTION_NONE, "a graceful retire may become an immediate one")
        a = handle(&m, plan, CC_EVENT_REQUEST_DONE, at: 4 * ms, failed: true)
        XCTAssertEqual(a.kind, CC_ACTION_STOP)
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testWithoutOnStopARetiredUserStops() throws {
        let plan = try makePlan(onStop: false)
        defer { cc_plan_free(plan) }
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        _ = handle(&m, plan, CC_EVENT_START, at: 0)
        XCTAssertEqual(handle(&m, plan, CC_EVENT_RETIRE, at: 1 * ms).kind, CC_ACTION_STOP)
    }
}
