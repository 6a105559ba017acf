import CCicadaCore
import XCTest

/// The user state machine, driven by events without sockets or timers.
final class UserMachineTests: XCTestCase {
    private var plan: OpaquePointer!
    private let second: UInt64 = 1_000_000_000

    /// Class 0: on_start = task 2 (a log-in of two steps: requests 3 and 4); tasks 0 (weight 3, request 0)
    /// and 1 (weight 1, two steps: requests 1 and 2); wait between(1 s, 5 s).
    /// Class 1: task 3 (request 5), constant pacing of 2 s.
    override func setUpWithError() throws {
        var fixture = PlanFixture()
        fixture.requests = (0..<6).map { PlanFixture.Request(target: "/r\($0)", endpoint: UInt32($0)) }
        fixture.tasks = [(0, 1, 3), (1, 2, 1), (3, 2, 0), (5, 1, 1)]
        fixture.classes = [
            .init(firstTask: 0, taskCount: 2, onStart: 2,
                  wait: cc_wait_spec_t(kind: CC_WAIT_BETWEEN, min_ns: second, max_ns: 5 * second)),
            .init(firstTask: 3, taskCount: 1, wait: cc_wait_spec_t(kind: CC_WAIT_PACING, min_ns: 2 * second, max_ns: 0)),
        ]
        let result = fixture.compile()
        plan = try XCTUnwrap(result.plan, result.message)
    }

    override func tearDown() {
        cc_plan_free(plan)
    }

    private func handle(_ machine: inout cc_user_machine_t, _ kind: cc_user_event_kind_t, at now: UInt64,
                        failed: Bool = false, open: Bool = false, intended: UInt64 = 0) -> cc_user_action_t {
        var event = cc_user_event_t()
        event.kind = kind
        event.now_ns = now
        event.failed = failed ? 1 : 0
        event.open = open ? 1 : 0
        event.intended_ns = intended
        var action = cc_user_action_t()
        cc_user_machine_handle(&machine, plan, &event, &action)
        return action
    }

    /// A class-0 user past its two-step on_start, waiting for its first task; returns the wait.
    private func pastOnStart(_ m: inout cc_user_machine_t, seed: UInt64) -> cc_user_action_t {
        cc_user_machine_init(&m, 0, seed)
        _ = handle(&m, CC_EVENT_START, at: 0)
        _ = handle(&m, CC_EVENT_REQUEST_DONE, at: 0)
        return handle(&m, CC_EVENT_REQUEST_DONE, at: 0)
    }

    func testStartRunsOnStartStepsThenWaits() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        var a = handle(&m, CC_EVENT_START, at: 100)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(a.request, 3, "on_start's first request comes first")
        XCTAssertEqual(m.intended_ns, 100)
        XCTAssertEqual(m.state, UInt8(CC_USER_IN_FLIGHT.rawValue))
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: 150)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(a.request, 4, "then its second step, at once")
        XCTAssertEqual(m.intended_ns, 150, "a step is intended for the end of the previous one")
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: 200)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT)
        XCTAssertGreaterThanOrEqual(a.wait_ns, second)
        XCTAssertLessThanOrEqual(a.wait_ns, 5 * second)
        XCTAssertEqual(m.intended_ns, 200 + a.wait_ns, "the next request is intended for the end of the wait")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testTimerStartsATaskWithTheIntendedTime() {
        var m = cc_user_machine_t()
        let wait = pastOnStart(&m, seed: 7)
        let intended = wait.wait_ns
        let a = handle(&m, CC_EVENT_TIMER, at: intended + 3_000_000)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertTrue(a.request == 0 || a.request == 1)
        XCTAssertEqual(m.intended_ns, intended, "a late timer does not move the intended start")
    }

    func testMultiStepTaskSendsStepsInOrderAndAFailureEndsIt() {
        var m = cc_user_machine_t()
        var a = pastOnStart(&m, seed: 3)
        var now: UInt64 = 0
        // Find a seed-independent way into task 1: loop timers until it is picked.
        var picked = false
        for _ in 0..<200 {
            now += a.wait_ns
            a = handle(&m, CC_EVENT_TIMER, at: now)
            if a.request == 1 { picked = true; break }
            a = handle(&m, CC_EVENT_REQUEST_DONE, at: now)
        }
        XCTAssertTrue(picked, "task 1 (weight 1 of 4) is picked within 200 tries")
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: now + 10)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(a.request, 2, "the second step follows at once")
        XCTAssertEqual(m.intended_ns, now + 10)
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: now + 20, failed: true)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT, "the task ends; the user waits")
        a = handle(&m, CC_EVENT_TIMER, at: now + 20 + a.wait_ns)
        XCTAssertEqual(a.kind, CC_ACTION_SEND, "the next task starts after the wait")
        XCTAssertTrue(a.request == 0 || a.request == 1, "with a task's first request, got \(a.request)")
    }

    func testAFailedFirstStepSkipsTheRestOfTheTask() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 11)
        var a = handle(&m, CC_EVENT_START, at: 0)
        XCTAssertEqual(a.request, 3, "on_start's first step")
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: 5, failed: true)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT, "a failed log-in does not send its second step (request 4)")
        XCTAssertEqual(m.state, UInt8(CC_USER_WAITING.rawValue))
        a = handle(&m, CC_EVENT_TIMER, at: 5 + a.wait_ns)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertNotEqual(a.request, 4, "nor later: the next task is one of the class's tasks")
        XCTAssertTrue(a.request == 0 || a.request == 1)
    }

    func testTaskWeightsAreRespected() {
        var counts = [UInt32: Int]()
        var m = cc_user_machine_t()
        var a = pastOnStart(&m, seed: 42)
        var now: UInt64 = 0
        for _ in 0..<8000 {
            now += a.wait_ns
            a = handle(&m, CC_EVENT_TIMER, at: now)
            counts[a.request, default: 0] += 1
            if a.request == 1 { _ = handle(&m, CC_EVENT_REQUEST_DONE, at: now) }
            a = handle(&m, CC_EVENT_REQUEST_DONE, at: now)
        }
        let share = Double(counts[0] ?? 0) / 8000
        XCTAssertEqual(share, 0.75, accuracy: 0.03, "weights 3:1 give task 0 three quarters of the picks")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testEqualSeedsMakeEqualChoices() {
        func choices(seed: UInt64) -> [UInt64] {
            var m = cc_user_machine_t()
            var a = pastOnStart(&m, seed: seed)
            var out: [UInt64] = []
            for _ in 0..<20 {
                out.append(a.wait_ns)
                a = handle(&m, CC_EVENT_TIMER, at: 0)
                out.append(UInt64(a.request))
                a = handle(&m, CC_EVENT_REQUEST_DONE, at: 0, failed: true)
            }
            XCTAssertEqual(m.ignored_events, 0)
            return out
        }
        XCTAssertEqual(choices(seed: 9), choices(seed: 9))
        XCTAssertNotEqual(choices(seed: 9), choices(seed: 10))
    }

    func testPacingSubtractsTheTaskDuration() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 1, 1)
        var a = handle(&m, CC_EVENT_START, at: 0)
        XCTAssertEqual(a.request, 5)
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: 500_000_000)
        XCTAssertEqual(a.kind, CC_ACTION_WAIT)
        XCTAssertEqual(a.wait_ns, 1_500_000_000, "2 s pacing minus a 0.5 s task")
        a = handle(&m, CC_EVENT_TIMER, at: 2 * second)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertEqual(m.task_start_ns, 2 * second, "the task starts on its schedule")
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: 5 * second)
        XCTAssertEqual(a.kind, CC_ACTION_SEND, "a task longer than the pacing is followed at once")
        XCTAssertEqual(m.intended_ns, 5 * second, "and the schedule restarts from then, as Locust's does")
    }

    func testRetireWhileWaitingStopsNowAndWhileInFlightStopsAfter() {
        var waiting = cc_user_machine_t()
        _ = pastOnStart(&waiting, seed: 1)
        var a = handle(&waiting, CC_EVENT_RETIRE, at: 1)
        XCTAssertEqual(a.kind, CC_ACTION_STOP)
        XCTAssertEqual(waiting.state, UInt8(CC_USER_STOPPED.rawValue))

        var busy = cc_user_machine_t()
        cc_user_machine_init(&busy, 0, 1)
        _ = handle(&busy, CC_EVENT_START, at: 0)
        a = handle(&busy, CC_EVENT_RETIRE, at: 1)
        XCTAssertEqual(a.kind, CC_ACTION_NONE, "the request in flight finishes first")
        XCTAssertEqual(busy.state, UInt8(CC_USER_IN_FLIGHT.rawValue))
        a = handle(&busy, CC_EVENT_REQUEST_DONE, at: 2)
        XCTAssertEqual(a.kind, CC_ACTION_STOP, "and no further step starts")
        XCTAssertEqual(busy.ignored_events, 0)
    }

    func testRetireBeforeStartStopsAtStart() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        XCTAssertEqual(handle(&m, CC_EVENT_RETIRE, at: 0).kind, CC_ACTION_STOP)
        XCTAssertEqual(m.state, UInt8(CC_USER_STOPPED.rawValue))
        XCTAssertEqual(handle(&m, CC_EVENT_START, at: 1).kind, CC_ACTION_NONE)
        XCTAssertEqual(m.ignored_events, 1, "a start after the stop is out of place")
    }

    func testEventsOutOfPlaceAreIgnoredAndCounted() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 1)
        XCTAssertEqual(handle(&m, CC_EVENT_TIMER, at: 0).kind, CC_ACTION_NONE)
        XCTAssertEqual(handle(&m, CC_EVENT_REQUEST_DONE, at: 0).kind, CC_ACTION_NONE)
        XCTAssertEqual(m.state, UInt8(CC_USER_NEW.rawValue))
        XCTAssertEqual(m.ignored_events, 2)
        _ = handle(&m, CC_EVENT_START, at: 0)
        XCTAssertEqual(handle(&m, CC_EVENT_TIMER, at: 1).kind, CC_ACTION_NONE, "no timer is armed in flight")
        XCTAssertEqual(handle(&m, CC_EVENT_START, at: 1).kind, CC_ACTION_NONE)
        XCTAssertEqual(m.ignored_events, 4)
        XCTAssertEqual(m.state, UInt8(CC_USER_IN_FLIGHT.rawValue), "ignored events change nothing")
        XCTAssertEqual(m.step, 0)
    }

    // The open model: iterations handed over by the schedule instead of a loop with wait times.

    func testOpenModelUserRunsOnStartThenIdlesAndEachIterationKeepsItsDueTime() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 0, 5)
        XCTAssertEqual(handle(&m, CC_EVENT_START, at: 10, open: true).request, 3, "on_start runs once, at the spawn")
        _ = handle(&m, CC_EVENT_REQUEST_DONE, at: 20)
        var a = handle(&m, CC_EVENT_REQUEST_DONE, at: 30)
        XCTAssertEqual(a.kind, CC_ACTION_IDLE, "after on_start the user waits for an iteration, not its wait time")
        XCTAssertEqual(m.state, UInt8(CC_USER_IDLE.rawValue))
        a = handle(&m, CC_EVENT_ITERATION, at: 5 * second, intended: 4 * second)
        XCTAssertEqual(a.kind, CC_ACTION_SEND)
        XCTAssertTrue(a.request == 0 || a.request == 1)
        XCTAssertEqual(m.intended_ns, 4 * second, "the iteration's due time, not its hand-over, is the intended start")
        XCTAssertEqual(m.iteration, 0)
        // Run the task to its end: one request, or two steps.
        a = handle(&m, CC_EVENT_REQUEST_DONE, at: 5 * second + 1)
        if a.kind == CC_ACTION_SEND { a = handle(&m, CC_EVENT_REQUEST_DONE, at: 5 * second + 2) }
        XCTAssertEqual(a.kind, CC_ACTION_IDLE, "no wait between iterations: the schedule paces them")
        _ = handle(&m, CC_EVENT_ITERATION, at: 6 * second, intended: 6 * second)
        XCTAssertEqual(m.iteration, 1, "${iteration} counts the iterations")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testOpenModelUserWithoutOnStartIdlesAtOnceAndAFailedTaskEndsTheIteration() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 1, 5)
        XCTAssertEqual(handle(&m, CC_EVENT_START, at: 0, open: true).kind, CC_ACTION_IDLE)
        XCTAssertEqual(handle(&m, CC_EVENT_ITERATION, at: 1, intended: 1).request, 5)
        XCTAssertEqual(handle(&m, CC_EVENT_REQUEST_DONE, at: 2, failed: true).kind, CC_ACTION_IDLE)
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testOpenModelRetireWhileIdleStopsAndAnIterationOutOfPlaceIsIgnored() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 1, 5)
        _ = handle(&m, CC_EVENT_START, at: 0, open: true)
        XCTAssertEqual(handle(&m, CC_EVENT_ITERATION, at: 1, intended: 1).kind, CC_ACTION_SEND)
        XCTAssertEqual(handle(&m, CC_EVENT_ITERATION, at: 2, intended: 2).kind, CC_ACTION_NONE, "one iteration at a time")
        XCTAssertEqual(m.ignored_events, 1)
        XCTAssertEqual(handle(&m, CC_EVENT_REQUEST_DONE, at: 3).kind, CC_ACTION_IDLE)
        XCTAssertEqual(handle(&m, CC_EVENT_RETIRE, at: 4).kind, CC_ACTION_STOP, "an idle user stops at once (no on_stop)")
        XCTAssertEqual(handle(&m, CC_EVENT_ITERATION, at: 5, intended: 5).kind, CC_ACTION_NONE)
        XCTAssertEqual(m.ignored_events, 2)
    }

    func testAUserOfTheClosedModelNeverIdles() {
        var m = cc_user_machine_t()
        cc_user_machine_init(&m, 1, 5)
        XCTAssertEqual(handle(&m, CC_EVENT_START, at: 0).kind, CC_ACTION_SEND)
        XCTAssertEqual(handle(&m, CC_EVENT_REQUEST_DONE, at: 1).kind, CC_ACTION_WAIT, "pacing, as before")
        XCTAssertEqual(handle(&m, CC_EVENT_ITERATION, at: 2, intended: 2).kind, CC_ACTION_NONE)
        XCTAssertEqual(m.ignored_events, 1)
    }
}
