import Histogram

/// Response-time figures in milliseconds, read from an HDR histogram of microseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var min: Double
    public var avg: Double
    public var median: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var p99_9: Double
    public var max: Double

    public init(_ histogram: Histogram<UInt64>) {
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        guard histogram.totalCount > 0 else {
            self.init(min: 0, avg: 0, median: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0)
            return
        }
        self.init(min: ms(histogram.min), avg: histogram.mean / 1000,
                  median: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
                  p95: ms(histogram.valueAtPercentile(95)), p99: ms(histogram.valueAtPercentile(99)),
                  p99_9: ms(histogram.valueAtPercentile(99.9)), max: ms(histogram.max))
    }

    public init(min: Double, avg: Double, median: Double, p90: Double, p95: Double, p99: Double, p99_9: Double,
                max: Double) {
        self.min = min
        self.avg = avg
        self.median = median
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
        self.p99_9 = p99_9
        self.max = max
    }
}

/// A new histogram for response times in microseconds, 3 significant digits, growing past an hour
/// if it must.
func makeLatencyHistogram() -> Histogram<UInt64> {
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000,
                                      numberOfSignificantValueDigits: .three)
    histogram.autoResize = true
    return histogram
}
