import CCicadaCore
import Histogram

/// Gathers one interval of samples, all endpoints together, and closes it into a ``HistoryPoint``. Its two
/// histograms are emptied at each close, so that an interval's percentiles are its own; the whole run's
/// come from ``RunStatistics``, whose histograms hold every sample.
struct IntervalRecorder {
    private var responseTime = makeLatencyHistogram()
    private var fromIntendedStart = makeLatencyHistogram()
    private var requests: UInt64 = 0
    private var failures: UInt64 = 0
    /// The open interval's requests and failures by endpoint, for reports with a row per endpoint.
    private(set) var endpointRequests: [UInt64]
    private(set) var endpointFailures: [UInt64]
    private var opened: UInt64
    private var usageAtOpen = ProcessUsage.now()
    private var loopLagMaxNs: UInt64 = 0
    private var dropped: UInt64 = 0

    /// - Parameters:
    ///   - start: monotonic nanoseconds at which the first interval opens.
    ///   - endpoints: how many endpoints the plan has.
    init(start: UInt64, endpoints: Int) {
        opened = start
        endpointRequests = Array(repeating: 0, count: endpoints)
        endpointFailures = endpointRequests
    }

    /// Counts a batch of samples by the rules of ``RunStatistics/record(_:)``: latencies of successes only,
    /// cancelled requests counted but not as failures.
    mutating func record(_ samples: UnsafeBufferPointer<cc_sample_t>) {
        for sample in samples {
            requests += 1
            endpointRequests[Int(sample.endpoint)] += 1
            if sample.succeeded {
                responseTime.record(sample.responseMicroseconds)
                fromIntendedStart.record(sample.fromIntendedStartMicroseconds)
            } else if !sample.wasCancelled {
                failures += 1
                endpointFailures[Int(sample.endpoint)] += 1
            }
        }
    }

    /// Counts the open model's iterations dropped in the open interval.
    mutating func noteDropped(_ count: UInt64) {
        dropped += count
    }

    /// Keeps the longest loop lag the workers reported in the open interval.
    mutating func noteLoopLag(_ nanoseconds: UInt64) {
        loopLagMaxNs = max(loopLagMaxNs, nanoseconds)
    }

    /// Closes the open interval at `now` (monotonic nanoseconds; `start` is the run's), returns its point and
    /// opens the next. Read ``endpointRequests`` before: they are emptied with the rest.
    mutating func close(at now: UInt64, start: UInt64, users: Int, stage: String?) -> HistoryPoint {
        let usage = ProcessUsage.now()
        let seconds = Double(now &- opened) / 1e9
        let cpu = usage.userSeconds + usage.systemSeconds - usageAtOpen.userSeconds - usageAtOpen.systemSeconds
        let point = HistoryPoint(
            elapsedS: Double(now &- start) / 1e9, intervalS: seconds, stage: stage, users: users,
            requests: requests, failures: failures, responseTimeMs: Self.latency(responseTime),
            fromIntendedStartMs: Self.latency(fromIntendedStart),
            generatorCpuPercent: seconds > 0 ? cpu / seconds * 100 : 0, loopLagMaxMs: Double(loopLagMaxNs) / 1e6,
            generatorRssBytes: ProcessUsage.residentBytes(), dropped: dropped)
        dropped = 0
        responseTime.reset()
        fromIntendedStart.reset()
        requests = 0
        failures = 0
        for index in endpointRequests.indices {
            endpointRequests[index] = 0
            endpointFailures[index] = 0
        }
        loopLagMaxNs = 0
        opened = now
        usageAtOpen = usage
        return point
    }

    private static func latency(_ histogram: Histogram<UInt64>) -> IntervalLatency {
        guard histogram.totalCount > 0 else { return IntervalLatency(p50: 0, p95: 0, p99: 0, max: 0) }
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        return IntervalLatency(p50: ms(histogram.valueAtPercentile(50)), p95: ms(histogram.valueAtPercentile(95)),
                               p99: ms(histogram.valueAtPercentile(99)), max: ms(histogram.max))
    }
}
