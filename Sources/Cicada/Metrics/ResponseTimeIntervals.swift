import Histogram

/// Each endpoint's response times of the last interval, cut from the run's whole-run histograms
/// (``RunStatistics``) as the difference between two readings, so that a per-second histogram costs the
/// per-request path nothing: the work is done once a second, over the histograms' recorded buckets. Both
/// readings count the samples drained so far, so the intervals hold exactly the samples of the history's
/// seconds and add up to the whole run's histograms, bucket for bucket.
struct ResponseTimeIntervals {
    /// Each endpoint's histogram at the last reading.
    private var previous: [Histogram<UInt64>] = []

    /// The response times counted since the last call (since the start for the first), by endpoint in the
    /// plan's order, and all endpoints merged.
    mutating func next(_ statistics: RunStatistics) -> (endpoints: [Histogram<UInt64>], all: Histogram<UInt64>) {
        var all = makeLatencyHistogram()
        var endpoints: [Histogram<UInt64>] = []
        for (index, endpoint) in statistics.perEndpoint.enumerated() {
            let current = endpoint.responseTime
            var interval = makeLatencyHistogram()
            if index < previous.count {
                let before = previous[index]
                for bucket in current.recordedValues() {
                    // A bucket above the last reading's maximum was empty then (and may lie past its array).
                    let earlier = bucket.value <= before.max ? before.countForValue(bucket.value) : 0
                    if bucket.count > earlier { interval.record(bucket.value, count: bucket.count - earlier) }
                }
            } else {
                interval = current
            }
            all.add(interval)
            endpoints.append(interval)
        }
        previous = statistics.perEndpoint.map(\.responseTime)
        return (endpoints, all)
    }
}
