import CCicadaCore
import Cicada
import XCTest

/// The statistics fed with samples made by hand, as the core would send them: no engine, no socket.
final class RunStatisticsTests: XCTestCase {
    private let endpoints = [Endpoint(method: "GET", name: "/a"), Endpoint(method: "POST", name: "/b")]

    /// A sample of `endpoint` that ended at `end` nanoseconds after taking 1 ms.
    private func sample(endpoint: UInt32, failure: cc_failure_t = CC_FAIL_NONE, status: UInt16 = 200, detail: Int32 = 0,
                        end: UInt64 = 10_000_000) -> cc_sample_t {
        var sample = cc_sample_t()
        sample.endpoint = endpoint
        sample.failure = UInt8(failure.rawValue)
        sample.status = status
        sample.detail = detail
        sample.intended_ns = end - 1_000_000
        sample.start_ns = end - 1_000_000
        sample.first_byte_ns = failure == CC_FAIL_NONE || status != 0 ? end : 0
        sample.end_ns = end
        return sample
    }

    func testFailuresAreCountedByNumbersAndPutIntoWordsForTheReport() {
        var statistics = RunStatistics(endpoints: endpoints)
        for _ in 0..<3 { statistics.record(sample(endpoint: 0, failure: CC_FAIL_HTTP_5XX, status: 503)) }
        for _ in 0..<2 { statistics.record(sample(endpoint: 1, failure: CC_FAIL_CONNECT_REFUSED, status: 0, detail: -ECONNREFUSED)) }
        statistics.record(sample(endpoint: 1, failure: CC_FAIL_CANCELLED, status: 0, detail: 99))
        XCTAssertEqual(statistics.failureCounts, [
            FailureKey(endpoint: 0, kind: Int(CC_FAIL_HTTP_5XX.rawValue), detail: 503): 3,
            FailureKey(endpoint: 1, kind: Int(CC_FAIL_CONNECT_REFUSED.rawValue), detail: -ECONNREFUSED): 2,
            FailureKey(endpoint: 1, kind: Int(CC_FAIL_CANCELLED.rawValue), detail: 0): 1,
        ])
        XCTAssertEqual(statistics.failureRows.map(\.message),
                       ["HTTP 5xx: HTTP 503", "connection refused: ECONNREFUSED", "cancelled at stop: in flight at stop"])
        XCTAssertEqual(statistics.failureRows.map(\.count), [3, 2, 1])
        XCTAssertEqual(statistics.aggregated.failures, 5)
        XCTAssertEqual(statistics.aggregated.cancelled, 1)
    }

    func testDetailsThatReadTheSameShareARow() {
        // A connect failure with a detail that is no system error has no words; both land in one row.
        var statistics = RunStatistics(endpoints: endpoints)
        statistics.record(sample(endpoint: 0, failure: CC_FAIL_CONNECT, status: 0, detail: 0))
        statistics.record(sample(endpoint: 0, failure: CC_FAIL_CONNECT, status: 0, detail: 7))
        XCTAssertEqual(statistics.failureCounts.count, 2)
        XCTAssertEqual(statistics.failureRows, [FailureTableRow(endpoint: 0, kind: Int(CC_FAIL_CONNECT.rawValue), detail: "", count: 2)])
    }

    func testTheLiveTableShowsEachEndpointsCurrentRate() {
        var statistics = RunStatistics(endpoints: endpoints)
        statistics.markTime(1_000_000_000)
        for _ in 0..<10 { statistics.record(sample(endpoint: 0, end: 2_000_000_000)) }
        for _ in 0..<30 { statistics.record(sample(endpoint: 1, end: 2_000_000_000)) }
        statistics.markTime(3_000_000_000)
        // 40 requests in a window of 2 s; the next window has none yet, and the current rates stay.
        statistics.record(sample(endpoint: 0, end: 3_500_000_000))
        XCTAssertEqual(statistics.currentEndpointRPS, [5, 15])
        XCTAssertEqual(statistics.currentRPS, 20)
        // The req/s column ends the third part of a row ("size B  req/s"); the p99 from the intended start follows.
        func rps(_ row: Substring) -> String { row.split(separator: "|")[2].split(separator: " ").last.map(String.init) ?? "" }
        let rows = StatsTable.render(statistics, duration: 3, live: true).split(separator: "\n")
        XCTAssertTrue(rows[2].hasPrefix("GET") && rps(rows[2]) == "5.00", String(rows[2]))
        XCTAssertTrue(rows[3].hasPrefix("POST") && rps(rows[3]) == "15.00", String(rows[3]))
        XCTAssertEqual(rps(rows[5]), "20.00", String(rows[5]))

        // At the end, the rates are over the whole run: 11 and 30 requests in 4 s.
        let final = StatsTable.render(statistics, duration: 4, live: false).split(separator: "\n")
        XCTAssertEqual(rps(final[2]), "2.75", String(final[2]))
        XCTAssertEqual(rps(final[3]), "7.50", String(final[3]))
    }
}
