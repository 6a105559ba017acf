@testable import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// The run's history: a point a second, bounded memory for runs of any length, and every request in
/// exactly one point.
final class RunHistoryTests: XCTestCase {
    private func point(_ second: Int, requests: UInt64, p99: Double) -> HistoryPoint {
        let latency = IntervalLatency(p50: p99 / 2, p95: p99 / 1.5, p99: p99, max: p99 * 2)
        return HistoryPoint(elapsedS: Double(second), intervalS: 1, stage: "s\(second)", users: second, requests: requests,
                            failures: requests / 10, responseTimeMs: latency, fromIntendedStartMs: latency,
                            generatorCpuPercent: Double(second % 100), loopLagMaxMs: Double(second % 7),
                            generatorRssBytes: UInt64(second))
    }

    func testALongRunIsCoarsenedIntoEvenlySpacedPointsThatKeepEveryCountAndTheWorstSecond() {
        var history = RunHistory(capacity: 100)
        var requests: UInt64 = 0
        for second in 1...10_000 {
            let count = UInt64(second % 13)
            requests += count
            history.append(point(second, requests: count, p99: second == 4_321 ? 900 : Double(second % 50)))
            XCTAssertLessThanOrEqual(history.points.count, 100, "after \(second) s")
        }
        let points = history.points
        XCTAssertEqual(history.intervalsPerPoint, 128, "10,000 s in at most 100 points: 128 s each")
        XCTAssertEqual(points.reduce(0) { $0 + $1.requests }, requests, "merging adds the counts up")
        XCTAssertEqual(points.reduce(0) { $0 + $1.intervalS }, 10_000, accuracy: 1e-6, "and the time")
        XCTAssertEqual(points.dropLast().map(\.intervalS), Array(repeating: 128, count: points.count - 1))
        XCTAssertEqual(points.last?.elapsedS, 10_000, "the last partial point is kept")
        XCTAssertEqual(points.last?.users, 10_000, "users and stage are the latest second's")
        XCTAssertEqual(points.last?.stage, "s10000")
        XCTAssertEqual(points.last?.generatorRssBytes, 10_000)
        XCTAssertEqual(points.map(\.responseTimeMs.p99).max(), 900, "a slow second is never averaged away")
        let holder = points.first { $0.elapsedS - $0.intervalS < 4_321 && 4_321 <= $0.elapsedS }
        XCTAssertEqual(holder?.responseTimeMs.p99, 900, "and it stays in the point that spans it")
    }

    func testAShortRunKeepsOnePointASecond() {
        var history = RunHistory()
        for second in 1...5 { history.append(point(second, requests: 10, p99: 1)) }
        XCTAssertEqual(history.points.map(\.elapsedS), [1, 2, 3, 4, 5])
        XCTAssertEqual(history.intervalsPerPoint, 1)
    }

    func testEveryRequestOfARunIsInExactlyOnePointOfItsHistory() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "4", "-t", "3s", "--wait", "0.005"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let history = try XCTUnwrap(run.summary?["history"] as? [[String: Any]])
        XCTAssertTrue((3...5).contains(history.count), "\(history.count) points for 3 s and the stop")
        let requests = history.reduce(0) { $0 + (($1["requests"] as? Int) ?? 0) }
        XCTAssertEqual(requests, run.totals["requests"] as? Int)
        XCTAssertEqual(requests, server.count(path: "/ok"))
        let elapsed = history.compactMap { $0["elapsed_s"] as? Double }
        XCTAssertEqual(elapsed, elapsed.sorted())
        XCTAssertEqual(history.first?["users"] as? Int, 4)
        let p99 = try XCTUnwrap((history.first?["response_time_ms"] as? [String: Any])?["p99"] as? Double)
        XCTAssertGreaterThan(p99, 0)
        XCTAssertEqual(run.summary?["history_interval_s"] as? Double, 1)
        XCTAssertGreaterThan(history.first?["generator_rss_bytes"] as? Int ?? 0, 1 << 20, "the generator's memory, read each second")
    }
}
