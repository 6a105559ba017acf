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
}
