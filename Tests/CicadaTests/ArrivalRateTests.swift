import CicadaTestSupport
import Foundation
import XCTest

/// The open model through the built binary, against real servers: the rate holds against a fast nginx,
/// a slow server's missed iterations are counted as dropped (scheduled = started + dropped), a stalling
/// server shows in the latency from the scheduled start but not in the response time, rate stages ramp
/// and add up, and `dropped_iterations` thresholds judge it all.
final class ArrivalRateTests: FaultServerTestCase {
    private func arrival(_ run: CicadaRun) throws -> [String: Int] {
        let block = try XCTUnwrap(run.summary?["arrival"] as? [String: Any], "the JSON has an arrival block: \(run.stderr)")
        return block.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    private func latency(_ run: CicadaRun, _ key: String, _ figure: String) -> Double {
        ((run.totals[key] as? [String: Any])?[figure] as? NSNumber)?.doubleValue ?? -1
    }

    /// 1,000 iterations a second for 10 s against nginx: within 1 % of 10,000 requests, every one in nginx's
    /// log, none dropped.
    func testTheRateHoldsWithinOnePercentAgainstAFastServer() throws {
        XCTAssertTrue(NginxFixture.isAvailable, "nginx is needed: .ci/run and scripts/test install it")
        let nginx = NginxFixture(options: .init(keepaliveRequests: 100_000))
        try nginx.start()
        defer { nginx.stop() }
        let run = try CicadaBinary.run(["\(nginx.baseURL)/", "--arrival-rate", "1000", "--max-users", "50",
                                        "-t", "10s"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let requests = run.total("requests")
        XCTAssertEqual(Double(requests), 10_000, accuracy: 100, "within 1 % of the rate over 10 s")
        let figures = try arrival(run)
        XCTAssertEqual(figures["dropped"], 0)
        XCTAssertEqual(figures["scheduled"], figures["started"])
        XCTAssertEqual(figures["started"], requests, "each iteration is one request here")
        XCTAssertEqual(nginx.accessLogLines(atLeast: requests).count, requests)
        XCTAssertTrue(run.stdout.contains("Latency from the scheduled start"), run.stdout)
    }

    /// 200 iterations a second, but 4 users that each take 50 ms a request can start only about 80: the rest
    /// are dropped and counted, never delayed, and the counts add up exactly.
    func testIterationsThatFindNoUserAreDroppedAndCounted() throws {
        let run = try CicadaBinary.run(["\(server.baseURL)/slow/50", "--arrival-rate", "200", "--max-users", "4",
                                        "--pre-allocated-users", "2", "-t", "2s",
                                        "--threshold", "dropped_iterations: count == 0"], timeout: 60)
        XCTAssertEqual(run.exitCode, 3, "the dropped_iterations threshold fails: \(run.stdout)")
        let figures = try arrival(run)
        let (scheduled, started, dropped) = (figures["scheduled"]!, figures["started"]!, figures["dropped"]!)
        XCTAssertEqual(scheduled, started + dropped, "every due iteration started or was dropped")
        XCTAssertEqual(Double(scheduled), 400, accuracy: 8)
        XCTAssertGreaterThan(dropped, 150, "about 120 a second find no user")
        XCTAssertEqual(figures["users_added"], 2, "the workers added users up to --max-users")
        XCTAssertEqual(run.total("dropped"), dropped, "totals.dropped is the schedule's count")
        XCTAssertEqual(run.total("requests"), started)
        XCTAssertEqual(server.count(path: "/slow/50"), started, "the server saw each started iteration")
        let history = try XCTUnwrap(run.summary?["history"] as? [[String: Any]])
        XCTAssertEqual(history.reduce(0) { $0 + (($1["dropped"] as? NSNumber)?.intValue ?? 0) }, dropped,
                       "each dropped iteration is in one second of the history")
        XCTAssertTrue(run.stdout.contains("\(dropped) dropped"), run.stdout)
    }

    /// With --on-saturation queue, the same overload waits instead: nothing is dropped until the queue is
    /// full, and what waited counts its wait in the latency from the scheduled start.
    func testAQueueHoldsIterationsUntilItsLimitAndTheirWaitCounts() throws {
        let run = try CicadaBinary.run(["\(server.baseURL)/slow/50", "--arrival-rate", "100", "--max-users", "2",
                                        "--on-saturation", "queue", "--queue-limit", "30", "-t", "1s",
                                        "--threshold", "dropped_iterations: rate < 1000"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let figures = try arrival(run)
        XCTAssertEqual(figures["scheduled"], figures["started"]! + figures["dropped"]!)
        XCTAssertGreaterThan(figures["dropped"]!, 0, "past 30 waiting, the rest are dropped")
        XCTAssertGreaterThan(latency(run, "from_intended_start_ms", "p95"), 200, "the queue's wait counts")
        XCTAssertLessThan(latency(run, "response_time_ms", "p95"), 200, "the sends themselves are quick")
    }

    /// A server that stalls for 1 s every 5 s, driven at 100/s by one user whose iterations queue: the
    /// latency from the scheduled start shows the stall (p99 above 900 ms) while the response time from the
    /// actual send stays low, because the generator could not send during it (wrk2's coordinated omission).
    func testAStallShowsInTheLatencyFromTheScheduledStartNotInTheResponseTime() throws {
        let run = try CicadaBinary.run(["\(server.baseURL)/pause/5000/1000", "--arrival-rate", "100",
                                        "--max-users", "1", "--on-saturation", "queue", "-t", "11s"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertGreaterThan(latency(run, "from_intended_start_ms", "p99"), 900, run.stdout)
        XCTAssertLessThan(latency(run, "response_time_ms", "p99"), 100, run.stdout)
        XCTAssertGreaterThan(latency(run, "response_time_ms", "max"), 500, "the requests caught in a stall waited")
        // The table's last column is the p99 from the intended start, beside Locust's columns from the send.
        let aggregated = try XCTUnwrap(run.stdout.split(separator: "\n").last { $0.contains("Aggregated") })
        let intendedP99 = try XCTUnwrap(Double(aggregated.split(separator: "|").last!.trimmingCharacters(in: .whitespaces)))
        XCTAssertGreaterThan(intendedP99, 900, String(aggregated))
        // Nothing is dropped while the run goes on: the queue holds what the stall delays. A run that ends in a
        // stall drops what is still queued at its stop (at most a second's worth), and only then.
        let figures = try arrival(run)
        XCTAssertEqual(figures["scheduled"], figures["started"]! + figures["dropped"]!)
        XCTAssertLessThanOrEqual(figures["dropped"]!, 100, "at most a stall's worth, queued at the stop")
        let history = run.summary?["history"] as? [[String: Any]] ?? []
        let beforeTheStop = history.filter { (($0["elapsed_s"] as? NSNumber)?.doubleValue ?? 99) <= 10.5 }
        XCTAssertGreaterThan(beforeTheStop.count, 8)
        XCTAssertEqual(beforeTheStop.reduce(0) { $0 + (($1["dropped"] as? NSNumber)?.intValue ?? 0) }, 0, "\(history)")
    }

    /// Rate stages ramp from the previous stage's rate to their own, and their counts add up to the run's.
    func testRateStagesRampAndAddUpToTheTotals() throws {
        let run = try CicadaBinary.run(["\(server.baseURL)/ok", "--stages", "up:200/s/2s,hold:200/s/2s",
                                        "--max-users", "20",
                                        "--threshold", "dropped_iterations{stage:hold}: count == 0"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let stages = try XCTUnwrap(run.summary?["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.map { $0["name"] as? String }, ["up", "hold"])
        XCTAssertEqual(stages.map { ($0["arrival_rate"] as? NSNumber)?.doubleValue }, [200, 200])
        func requests(_ stage: [String: Any]) -> Int { ((stage["totals"] as? [String: Any])?["requests"] as? NSNumber)?.intValue ?? -1 }
        XCTAssertEqual(Double(requests(stages[0])), 200, accuracy: 25, "0 to 200/s over 2 s: about 200")
        XCTAssertEqual(Double(requests(stages[1])), 400, accuracy: 25, "200/s for 2 s")
        XCTAssertEqual(requests(stages[0]) + requests(stages[1]), run.total("requests"))
        XCTAssertTrue(run.stdout.contains("to 200 iterations/s"), run.stdout)
    }

    /// A scenario's `run:` keys give the open model; the command line's -u turns it back into users.
    func testAScenarioCarriesItsArrivalRate() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            run: {arrival_rate: 50, max_users: 3, pre_allocated_users: 1, on_saturation: queue, queue_limit: 10, run_time: 1s}
            users:
              - name: A
                tasks: [{path: /ok}]
            """)
        let open = try CicadaBinary.run([scenario, "--host", server.baseURL], timeout: 30)
        XCTAssertEqual(open.exitCode, 0, open.stderr)
        let figures = try arrival(open)
        XCTAssertEqual(figures["max_users"], 3)
        XCTAssertEqual(figures["pre_allocated_users"], 1)
        XCTAssertEqual(figures["queue_limit"], 10)
        XCTAssertEqual(Double(figures["started"]!), 50, accuracy: 3)
        let closed = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "1"], timeout: 30)
        XCTAssertEqual(closed.exitCode, 0, closed.stderr)
        XCTAssertNil(closed.summary?["arrival"], "-u runs users, as the command line says")
    }

    /// Classes share the iterations as they share users, and each class's figures are its own.
    func testClassesShareTheRateByWeightAndCountTheirOwnIterations() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - {name: Reader, weight: 3, tasks: [{path: /ok}]}
              - {name: Writer, weight: 1, tasks: [{path: /slow/200}]}
            """)
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "--arrival-rate", "80", "--max-users", "8",
                                        "-t", "2s"], timeout: 30)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let arrival = try XCTUnwrap(run.summary?["arrival"] as? [String: Any])
        let classes = try XCTUnwrap(arrival["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.map { $0["name"] as? String }, ["Reader", "Writer"])
        func figure(_ index: Int, _ key: String) -> Int { (classes[index][key] as? NSNumber)?.intValue ?? -1 }
        XCTAssertEqual(classes.map { ($0["rate"] as? NSNumber)?.doubleValue }, [60, 20], "3 to 1, as 6 and 2 of the 8 users")
        XCTAssertEqual(Double(figure(0, "scheduled")), 120, accuracy: 4)
        XCTAssertEqual(Double(figure(1, "scheduled")), 40, accuracy: 4)
        // The Writer's 2 users take 200 ms each: about 10 a second of its 20 find no user.
        XCTAssertGreaterThan(figure(1, "dropped"), 10)
        XCTAssertEqual(figure(0, "dropped"), 0, "the Reader's users are never all busy")
        XCTAssertEqual(figure(0, "dropped") + figure(1, "dropped"), (arrival["dropped"] as? NSNumber)?.intValue)
        XCTAssertTrue(run.stdout.contains("  Writer: \(figure(1, "scheduled")) scheduled"), run.stdout)
    }

    /// Settings that cannot make an open-model run are refused before any load, with what was expected.
    func testSettingsThatCannotRunAreRefusedBeforeAnyLoad() throws {
        let url = "\(server.baseURL)/ok"
        let cases: [([String], String)] = [
            ([url, "--arrival-rate", "0"], "expected an arrival rate above 0"),
            ([url, "--arrival-rate", "nan"], "expected an arrival rate"),
            ([url, "--arrival-rate", "2000000"], "expected an arrival rate"),
            ([url, "--arrival-rate", "10", "-u", "5"], "give it without -u/--users"),
            ([url, "--max-users", "5"], "give --arrival-rate or rate stages too"),
            ([url, "--arrival-rate", "10", "--queue-limit", "5"], "--queue-limit bounds the queue of --on-saturation queue"),
            ([url, "--arrival-rate", "10", "--on-saturation", "wait"], "expected drop or queue, got 'wait'"),
            ([url, "--arrival-rate", "10", "--max-users", "2", "--pre-allocated-users", "3"],
             "3 pre-allocated users is more than the 2 max users"),
            ([url, "--stages", "a:10/s/1s,b:5@1/1s"], "the stages mix user counts and arrival rates"),
            ([url, "--stages", "a:10/s/1s", "--arrival-rate", "5"], "give --arrival-rate or rate stages, not both"),
            ([url, "--arrival-rate", "10", "--queue-limit", "0", "--on-saturation", "queue"], "expected an integer number of iterations"),
        ]
        for (arguments, message) in cases {
            let run = try CicadaBinary.run(arguments, json: false, timeout: 30)
            XCTAssertEqual(run.exitCode, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        XCTAssertEqual(server.totalRequests, 0, "no load was sent")
    }
}
