import CCicadaCore
import CicadaTestSupport
import Foundation
import XCTest

/// The open model through the core's C API, against the fault server: the schedule's counters add up
/// (scheduled = started + dropped once joined), a user's on_start runs once before its first iteration,
/// an iteration's first request is intended for its due time, the queue hands its oldest due time to the
/// next free user, and the calls that make no sense in the open model are refused.
final class ArrivalEngineTests: XCTestCase {
    private var server: FaultServer!
    typealias F = DynamicPlanFixture

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
    }

    override func tearDown() {
        server.stop()
    }

    /// One class: on_start is request 0 (/status/200), the task request 1 (`path`).
    private func plan(path: String) throws -> OpaquePointer {
        var fixture = F()
        fixture.host = "127.0.0.1:\(server.port)"
        fixture.requests = [F.Request(target: [.text("/status/200")], endpoint: 0), F.Request(target: [.text(path)], endpoint: 1)]
        fixture.steps = [F.Step(request: 0), F.Step(request: 1)]
        fixture.tasks = [(0, 1, 1), (1, 1, 1)]
        fixture.classes = [F.Class(firstTask: 1, taskCount: 1, onStart: 0)]
        let compiled = fixture.compile()
        return try XCTUnwrap(compiled.plan, compiled.message)
    }

    private func engine(_ plan: OpaquePointer, open: Bool, maxUsers: UInt32, saturation: cc_saturation_t = CC_SATURATION_DROP,
                        queue: UInt32 = 0) throws -> OpaquePointer {
        var options = cc_engine_options_t()
        options.port = UInt16(server.port)
        options.threads = 2
        options.max_users = maxUsers
        options.request_timeout_ns = 5_000_000_000
        options.open_model = open ? 1 : 0
        options.saturation = UInt8(saturation.rawValue)
        options.queue_limit = queue
        var engine: OpaquePointer?
        var error = [CChar](repeating: 0, count: 256)
        let rc = "127.0.0.1".withCString { host in
            options.host = host
            return cc_engine_create(plan, &options, &engine, &error, error.count)
        }
        return try XCTUnwrap(engine, "\(rc): \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }

    /// Runs for `seconds`, stops, joins and returns every sample.
    private func drainUntilDone(_ handle: OpaquePointer, seconds: Double) -> [cc_sample_t] {
        var samples: [cc_sample_t] = []
        var buffer = [cc_sample_t](repeating: cc_sample_t(), count: 4096)
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            samples += buffer[0..<cc_engine_drain(handle, &buffer, buffer.count)]
            usleep(20_000)
        }
        XCTAssertEqual(cc_engine_stop(handle), 0)
        var counters = cc_engine_counters_t()
        XCTAssertTrue(waitUntil(10) {
            samples += buffer[0..<cc_engine_drain(handle, &buffer, buffer.count)]
            cc_engine_counters(handle, &counters)
            return counters.users_active == 0
        })
        XCTAssertEqual(cc_engine_join(handle), 0)
        samples += buffer[0..<cc_engine_drain(handle, &buffer, buffer.count)]
        XCTAssertEqual(counters.events_ignored, 0)
        return samples
    }

    func testIterationsFollowTheRateAndEachStartsAtItsDueTime() throws {
        let plan = try plan(path: "/ok")
        defer { cc_plan_free(plan) }
        let handle = try engine(plan, open: true, maxUsers: 4)
        defer { cc_engine_destroy(handle) }
        XCTAssertEqual(cc_engine_start(handle), 0)
        XCTAssertEqual(cc_engine_spawn(handle, 0, 2), 0)
        XCTAssertEqual(cc_engine_set_arrival(handle, 0, 200, 4), 0)
        let samples = drainUntilDone(handle, seconds: 1)
        var counters = cc_arrival_counters_t()
        cc_engine_arrival_counters(handle, 0, &counters)
        XCTAssertEqual(counters.scheduled, counters.started + counters.dropped, "every due iteration started or was dropped")
        XCTAssertEqual(counters.queued, 0)
        XCTAssertEqual(Double(counters.scheduled), 200, accuracy: 10, "200 a second for a second")
        let iterations = samples.filter { $0.endpoint == 1 }
        let onStarts = samples.filter { $0.endpoint == 0 }
        XCTAssertEqual(UInt64(iterations.count), counters.started, "each started iteration is one request")
        XCTAssertEqual(UInt64(onStarts.count), 2 + counters.users_added, "on_start once per user, before its iterations")
        // Due times are evenly spaced across the workers: 5 ms apart in the merged schedule.
        let due = iterations.map(\.intended_ns).sorted()
        let gaps = zip(due.dropFirst(), due).map { Double($0 - $1) / 1e6 }
        let median = gaps.sorted()[gaps.count / 2]
        XCTAssertEqual(median, 5, accuracy: 1, "the median gap between due times, in ms")
        // And each starts on time: the timer takes what is due within the next millisecond.
        let lateness = iterations.map { Double($0.start_ns - $0.intended_ns) / 1e6 }.sorted()
        XCTAssertLessThan(lateness[lateness.count / 2], 1, "the median lateness of a start, in ms")
    }

    func testTheQueueHandsItsOldestDueTimeToTheNextFreeUser() throws {
        let plan = try plan(path: "/slow/100")
        defer { cc_plan_free(plan) }
        let handle = try engine(plan, open: true, maxUsers: 1, saturation: CC_SATURATION_QUEUE, queue: 4)
        defer { cc_engine_destroy(handle) }
        XCTAssertEqual(cc_engine_start(handle), 0)
        XCTAssertEqual(cc_engine_spawn(handle, 0, 1), 0)
        XCTAssertEqual(cc_engine_set_arrival(handle, 0, 50, 1), 0)
        let samples = drainUntilDone(handle, seconds: 1)
        var counters = cc_arrival_counters_t()
        cc_engine_arrival_counters(handle, UInt32.max, &counters)
        XCTAssertEqual(counters.scheduled, counters.started + counters.dropped)
        XCTAssertEqual(counters.queued, 0, "what was still queued at the stop counts as dropped")
        XCTAssertGreaterThan(counters.dropped, 10, "one user at 100 ms takes 10 a second of 50; the queue holds 4")
        let iterations = samples.filter { $0.endpoint == 1 && $0.failure == 0 }
        // A queued iteration waited: its latency from its due time is well past its own 100 ms.
        let waited = iterations.filter { Double($0.end_ns - $0.intended_ns) / 1e6 > 250 }
        XCTAssertFalse(waited.isEmpty, "queued iterations count their wait")
        XCTAssertEqual(zip(iterations.dropFirst(), iterations).filter { $0.intended_ns < $1.intended_ns }.count, 0,
                       "one user takes the queue oldest first")
    }

    func testCallsThatMakeNoSenseInTheirModelAreRefused() throws {
        let plan = try plan(path: "/ok")
        defer { cc_plan_free(plan) }
        let open = try engine(plan, open: true, maxUsers: 4)
        defer { cc_engine_destroy(open) }
        XCTAssertEqual(cc_engine_set_arrival(open, 0, 10, 4), CC_ESTATE.rawValue, "before the start")
        XCTAssertEqual(cc_engine_start(open), 0)
        XCTAssertEqual(cc_engine_set_arrival(open, 0, .nan, 4), CC_EINVAL.rawValue)
        XCTAssertEqual(cc_engine_set_arrival(open, 0, -1, 4), CC_EINVAL.rawValue)
        XCTAssertEqual(cc_engine_set_arrival(open, 0, CC_ENGINE_MAX_ARRIVAL_RATE * 2, 4), CC_EINVAL.rawValue)
        XCTAssertEqual(cc_engine_set_arrival(open, 0, 10, 5), CC_EINVAL.rawValue, "more users than the engine holds")
        XCTAssertEqual(cc_engine_set_arrival(open, 1, 10, 4), CC_EINVAL.rawValue, "no such class")
        XCTAssertEqual(cc_engine_retire(open, 0, 1), CC_ESTATE.rawValue, "open-model users stay until the stop")
        let closed = try engine(plan, open: false, maxUsers: 4)
        defer { cc_engine_destroy(closed) }
        XCTAssertEqual(cc_engine_start(closed), 0)
        XCTAssertEqual(cc_engine_set_arrival(closed, 0, 10, 4), CC_ESTATE.rawValue, "no schedule without the open model")
        var counters = cc_arrival_counters_t()
        cc_engine_arrival_counters(closed, UInt32.max, &counters)
        XCTAssertEqual(counters.scheduled, 0)
        var options = cc_engine_options_t()
        options.port = 80
        options.max_users = 1
        options.open_model = 1
        options.saturation = 7
        var engine: OpaquePointer?
        let rc = "127.0.0.1".withCString { host in
            options.host = host
            return cc_engine_create(plan, &options, &engine, nil, 0)
        }
        XCTAssertEqual(rc, CC_EINVAL.rawValue, "an unknown saturation rule")
        XCTAssertNil(engine)
    }
}
