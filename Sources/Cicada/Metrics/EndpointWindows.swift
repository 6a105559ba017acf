import CCicadaCore
import Histogram

/// Each endpoint's response times over the last ``seconds`` seconds, and all endpoints' together: the
/// "current" percentiles that Locust prints each second with `--csv-full-history` (its
/// `CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW`). A ring of one-second histograms per endpoint, with two
/// significant digits as Locust keeps its response times, so that a window costs about 20 KiB a second
/// per endpoint; the run's own figures keep three digits in ``RunStatistics``.
public struct EndpointWindows: Sendable {
    /// Locust's window: ten seconds.
    public static let seconds = 10

    /// `slots[endpoint][second]`; the last row is every endpoint together.
    private var slots: [[Histogram<UInt64>]]
    private var current = 0

    init(endpoints: Int) {
        let empty = Self.makeHistogram()
        slots = Array(repeating: Array(repeating: empty, count: Self.seconds), count: endpoints + 1)
    }

    /// Counts the successful samples' response times in the current second.
    mutating func record(_ samples: UnsafeBufferPointer<cc_sample_t>) {
        let all = slots.count - 1
        for sample in samples where sample.succeeded {
            let microseconds = sample.responseMicroseconds
            slots[Int(sample.endpoint)][current].record(microseconds)
            slots[all][current].record(microseconds)
        }
    }

    /// Moves to the next second, forgetting the oldest.
    mutating func advance() {
        current = (current + 1) % Self.seconds
        for index in slots.indices { slots[index][current].reset() }
    }

    /// The response-time percentiles of the window for `endpoint` (an index into the plan's endpoints, or
    /// `nil` for all of them), in milliseconds, in the order of `percentiles` (0-100); `nil` when the window
    /// holds no successful request.
    public func percentiles(endpoint: Int?, _ percentiles: [Double]) -> [Double]? {
        var window = Self.makeHistogram()
        for slot in slots[endpoint ?? slots.count - 1] where slot.totalCount > 0 { window.add(slot) }
        guard window.totalCount > 0 else { return nil }
        return percentiles.map { Double($0 >= 100 ? window.max : window.valueAtPercentile($0)) / 1000 }
    }

    private static func makeHistogram() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000,
                                          numberOfSignificantValueDigits: .two)
        histogram.autoResize = true
        return histogram
    }
}
