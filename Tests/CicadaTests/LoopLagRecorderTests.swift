import Cicada
import XCTest

/// Loop-lag readings as the runner takes them, fed by hand.
final class LoopLagRecorderTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testWindowsWithoutLagCountTowardsThePercentiles() {
        // 99 windows without lag and one of 10 ms: the p99 is 0, the max 10 ms. With the zeros left
        // out, the p99 would be 10 ms.
        var lag = LoopLagRecorder(start: 0)
        for window in 1...100 { lag.read(lagNanoseconds: window == 50 ? 10 * ms : 0, at: UInt64(window) * 100 * ms) }
        lag.finish()
        XCTAssertEqual(lag.histogram.totalCount, 100)
        XCTAssertEqual(lag.p99Milliseconds, 0)
        XCTAssertEqual(lag.maxMilliseconds, 10, accuracy: 0.01)
    }

    func testReadingsCloserThanAWindowAreOneValue() {
        // Readings every 20 ms, as in the stop phase: five make one window, whose value is their largest.
        var lag = LoopLagRecorder(start: 0)
        for (step, reading) in [0, 3 * ms, 0, 1 * ms, 0].enumerated() {
            lag.read(lagNanoseconds: reading, at: UInt64(step + 1) * 20 * ms)
        }
        XCTAssertEqual(lag.histogram.totalCount, 1)
        XCTAssertEqual(lag.maxMilliseconds, 3, accuracy: 0.01)
    }

    func testAShortLastWindowCountsOnlyWhenItSawLag() {
        var quiet = LoopLagRecorder(start: 0)
        quiet.read(lagNanoseconds: 0, at: 100 * ms)
        quiet.read(lagNanoseconds: 0, at: 120 * ms)
        quiet.finish()
        XCTAssertEqual(quiet.histogram.totalCount, 1, "a 20 ms window may hold no firing: its zero is not a measurement")

        var late = LoopLagRecorder(start: 0)
        late.read(lagNanoseconds: 0, at: 100 * ms)
        late.read(lagNanoseconds: 7 * ms, at: 120 * ms)
        late.finish()
        XCTAssertEqual(late.histogram.totalCount, 2)
        XCTAssertEqual(late.maxMilliseconds, 7, accuracy: 0.01)
    }
}
