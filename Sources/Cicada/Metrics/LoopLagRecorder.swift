import CCicadaCore
import Histogram

/// The workers' event-loop lag over a run, from the core's `loop_lag_max_ns`: the largest lag of the
/// workers' 50 ms timer since the counter was last read (reading resets it).
///
/// Readings are gathered into windows of at least 100 ms, two timer periods, so that every window holds a
/// firing; each window's largest lag is one value of the histogram, zero included. A window without lag
/// is the usual case on an idle generator: leaving zeros out would leave only the laggy windows and move
/// the p99 up. A window cut short at the end may hold no firing, so its zero would mean "not measured"
/// and is left out.
///
/// ```swift
/// var lag = LoopLagRecorder(start: now)
/// lag.read(lagNanoseconds: counters.loop_lag_max_ns, at: now)   // each time the counters are read
/// lag.finish()
/// lag.p99Milliseconds
/// ```
public struct LoopLagRecorder: Sendable {
    /// One value per window, in microseconds.
    public private(set) var histogram = makeLatencyHistogram()
    private let window: UInt64
    private var windowStart: UInt64
    private var windowMax: UInt64 = 0

    /// - Parameters:
    ///   - start: when the counter was last reset (the engine's start), in monotonic nanoseconds.
    ///   - window: the shortest window, in nanoseconds: twice the core's lag timer period.
    public init(start: UInt64, window: UInt64 = 2 * UInt64(CC_ENGINE_LAG_PERIOD_MS) * 1_000_000) {
        self.window = window
        self.windowStart = start
    }

    /// Takes a reading of `loop_lag_max_ns`, made at `now`.
    public mutating func read(lagNanoseconds: UInt64, at now: UInt64) {
        windowMax = max(windowMax, lagNanoseconds)
        guard now &- windowStart >= window else { return }
        histogram.record(windowMax / 1000)
        windowStart = now
        windowMax = 0
    }

    /// Ends the last window: kept when it saw lag, since then it was measured.
    public mutating func finish() {
        if windowMax > 0 { histogram.record(windowMax / 1000) }
        windowMax = 0
    }

    public var p99Milliseconds: Double {
        Double(histogram.totalCount > 0 ? histogram.valueAtPercentile(99) : 0) / 1000
    }

    public var maxMilliseconds: Double {
        Double(histogram.totalCount > 0 ? histogram.max : 0) / 1000
    }
}
