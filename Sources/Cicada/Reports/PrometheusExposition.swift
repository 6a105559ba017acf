import Foundation
import Histogram

/// A run's figures in Prometheus's text exposition format (version 0.0.4), for `--metrics-port`: rendered
/// at each scrape from the run's progress, so that a run that is not scraped pays nothing.
///
/// Why not swift-prometheus's registry, as the demo target uses: its histograms take observations one by
/// one, so every request would be recorded twice; the run already holds exact HDR histograms, from which
/// the cumulative bucket counts are read at scrape time. Label values are the scenario's own endpoint
/// names and methods, never raw URLs, so the series are bounded by the plan.
///
/// | metric | type | labels |
/// |---|---|---|
/// | `cicada_requests_total` | counter | `method`, `name` |
/// | `cicada_request_failures_total` | counter | `method`, `name` (cancelled requests are not failures) |
/// | `cicada_requests_cancelled_total` | counter | `method`, `name` |
/// | `cicada_response_time_seconds` | histogram | `method`, `name` (successful requests, from the send) |
/// | `cicada_intended_start_latency_seconds` | histogram | `method`, `name` (the same, from the intended start) |
/// | `cicada_users` | gauge | |
/// | `cicada_dropped_iterations_total` | counter | |
/// | `cicada_stage` | gauge, 1 | `stage` (the current one; absent without stages) |
/// | `cicada_arrival_rate` | gauge | (the open model's iterations per second) |
/// | `cicada_loop_lag_seconds` | gauge | (the longest event-loop lag over the last report interval) |
/// | `process_cpu_seconds_total`, `process_resident_memory_bytes` | counter, gauge | (the generator process, as the client libraries name them) |
public enum PrometheusExposition {
    /// The histograms' upper bounds, in seconds: a load test's range from a millisecond to ten seconds.
    public static let bucketBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The exposition of `progress` and of this process's CPU and memory now.
    public static func render(_ progress: RunProgress) -> String {
        var text = ""
        let statistics = progress.statistics
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func labels(_ endpoint: Endpoint) -> String {
            "method=\"\(escape(endpoint.method))\",name=\"\(escape(endpoint.name))\""
        }
        family("cicada_requests_total", "counter", "Requests ended (cancelled ones included), by endpoint.")
        for stats in statistics.perEndpoint { text += "cicada_requests_total{\(labels(stats.endpoint))} \(stats.requests)\n" }
        family("cicada_request_failures_total", "counter", "Requests that failed, by endpoint.")
        for stats in statistics.perEndpoint { text += "cicada_request_failures_total{\(labels(stats.endpoint))} \(stats.failures)\n" }
        family("cicada_requests_cancelled_total", "counter", "Requests cancelled at the stop, by endpoint.")
        for stats in statistics.perEndpoint { text += "cicada_requests_cancelled_total{\(labels(stats.endpoint))} \(stats.cancelled)\n" }
        family("cicada_response_time_seconds", "histogram", "Successful requests' response time, from the send.")
        for stats in statistics.perEndpoint { text += histogram("cicada_response_time_seconds", labels(stats.endpoint), stats.responseTime) }
        family("cicada_intended_start_latency_seconds", "histogram", "Successful requests' latency from their intended start.")
        for stats in statistics.perEndpoint {
            text += histogram("cicada_intended_start_latency_seconds", labels(stats.endpoint), stats.fromIntendedStart)
        }
        family("cicada_users", "gauge", "Users running.")
        text += "cicada_users \(progress.usersActive)\n"
        family("cicada_dropped_iterations_total", "counter", "The open model's iterations that found no user.")
        text += "cicada_dropped_iterations_total \(statistics.droppedIterations)\n"
        if let stage = progress.stage {
            family("cicada_stage", "gauge", "The current stage (1 on its series).")
            text += "cicada_stage{stage=\"\(escape(stage.name))\"} 1\n"
        }
        if let rate = progress.arrivalRate {
            family("cicada_arrival_rate", "gauge", "The open model's iterations per second.")
            text += "cicada_arrival_rate \(number(rate))\n"
        }
        if let lag = progress.loopLagMaxMilliseconds {
            family("cicada_loop_lag_seconds", "gauge", "The longest event-loop lag any worker reported over the last report interval.")
            text += "cicada_loop_lag_seconds \(number(lag / 1000))\n"
        }
        let usage = ProcessUsage.now()
        family("process_cpu_seconds_total", "counter", "The generator process's user and system CPU time.")
        text += "process_cpu_seconds_total \(number(usage.userSeconds + usage.systemSeconds))\n"
        family("process_resident_memory_bytes", "gauge", "The generator process's resident memory.")
        text += "process_resident_memory_bytes \(ProcessUsage.residentBytes())\n"
        return text
    }

    /// One histogram's series: cumulative buckets at ``bucketBounds`` from the HDR histogram (microseconds,
    /// so a bound counts every sample whose recorded value is at most it), `+Inf`, sum and count.
    static func histogram(_ name: String, _ labels: String, _ histogram: Histogram<UInt64>) -> String {
        var text = ""
        var cumulative: UInt64 = 0
        var bounds = bucketBounds.makeIterator()
        var bound = bounds.next()
        var counts = Array(repeating: UInt64(0), count: bucketBounds.count)
        for bucket in histogram.recordedValues() {
            // A value lands in the first bound at or above it; values past the last bound only in +Inf.
            let seconds = Double(histogram.highestEquivalentForValue(bucket.value)) / 1e6
            while let current = bound, seconds > current { bound = bounds.next() }
            guard bound != nil, let index = bucketBounds.firstIndex(of: bound!) else { continue }
            counts[index] += bucket.count
        }
        for (index, upper) in bucketBounds.enumerated() {
            cumulative += counts[index]
            text += "\(name)_bucket{\(labels),le=\"\(number(upper))\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(histogram.totalCount)\n"
        text += "\(name)_sum{\(labels)} \(number(histogram.mean * Double(histogram.totalCount) / 1e6))\n"
        text += "\(name)_count{\(labels)} \(histogram.totalCount)\n"
        return text
    }

    /// A label value with `\`, `"` and line feeds escaped, as the format asks.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
