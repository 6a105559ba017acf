import Cicada
import Foundation

/// `GET /stats/requests` in Locust's own shape, so that a script or dashboard written against Locust's web
/// API reads Cicada's run unchanged: one entry per endpoint, sorted by name and method as Locust sorts
/// them, then the total named `Aggregated`; times in milliseconds; Locust's state words. It carries the keys
/// of Locust 2.x (`current_response_time_percentiles`, `response_time_percentile_0.95`, `total_rps` over
/// the run) and those of its older releases (`current_response_time_percentile_1`, `ninetieth_response_time`,
/// `safe_name`), so that clients of either read it.
struct LocustStats: Encodable {
    struct Entry: Encodable {
        var method: String
        var name: String
        var safe_name: String
        var num_requests: UInt64
        var num_failures: UInt64
        var avg_response_time: Double
        var min_response_time: Double
        var max_response_time: Double
        var median_response_time: Double
        var ninetieth_response_time: Double
        var ninety_ninth_response_time: Double
        var p95: Double
        var p99: Double
        var current_rps: Double
        var current_fail_per_sec: Double
        var total_rps: Double
        var total_fail_per_sec: Double
        var avg_content_length: Double

        enum CodingKeys: String, CodingKey {
            case method, name, safe_name, num_requests, num_failures, avg_response_time, min_response_time,
                 max_response_time, median_response_time, ninetieth_response_time, ninety_ninth_response_time,
                 current_rps, current_fail_per_sec, total_rps, total_fail_per_sec, avg_content_length
            case p95 = "response_time_percentile_0.95"
            case p99 = "response_time_percentile_0.99"
        }
    }

    struct ErrorEntry: Encodable {
        var method: String
        var name: String
        var error: String
        var occurrences: UInt64
    }

    var stats: [Entry] = []
    var errors: [ErrorEntry] = []
    /// Over the last report interval.
    var current_rps = 0.0
    var current_fail_per_sec = 0.0
    /// Over the run (since a reset of its statistics).
    var total_rps = 0.0
    var total_fail_per_sec = 0.0
    var fail_ratio = 0.0
    /// The p50 and p95 of the last second of history; `nil` (JSON null) until a second has closed.
    var p50Now: Double?
    var p95Now: Double?
    var state = "ready"
    var user_count = 0

    enum CodingKeys: String, CodingKey {
        case stats, errors, current_rps, current_fail_per_sec, total_rps, total_fail_per_sec, fail_ratio, state, user_count
        case current_response_time_percentiles, current_response_time_percentile_1, current_response_time_percentile_2
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stats, forKey: .stats)
        try container.encode(errors, forKey: .errors)
        try container.encode(current_rps, forKey: .current_rps)
        try container.encode(current_fail_per_sec, forKey: .current_fail_per_sec)
        try container.encode(total_rps, forKey: .total_rps)
        try container.encode(total_fail_per_sec, forKey: .total_fail_per_sec)
        try container.encode(fail_ratio, forKey: .fail_ratio)
        try container.encode(state, forKey: .state)
        try container.encode(user_count, forKey: .user_count)
        // Locust 2.x: a mapping; older releases: two keys, null until a second has closed.
        try container.encode(["response_time_percentile_0.5": p50Now, "response_time_percentile_0.95": p95Now],
                             forKey: .current_response_time_percentiles)
        try container.encode(p50Now, forKey: .current_response_time_percentile_1)
        try container.encode(p95Now, forKey: .current_response_time_percentile_2)
    }

    init(_ snapshot: WebSession.Snapshot) {
        guard let started = snapshot.run else { return }
        let progress = started.run.progress
        let statistics = progress.statistics
        let live = progress.phase != .finished
        let covered = progress.elapsed - progress.statisticsSince
        func overall(_ count: UInt64) -> Double { covered > 0 ? Double(count) / covered : 0 }
        func entry(_ stats: EndpointStatistics, method: String, name: String, rps: Double, failuresPerSecond: Double) -> Entry {
            let latency = LatencySummary(stats.responseTime)
            return Entry(method: method, name: name, safe_name: htmlEscaped(name), num_requests: stats.requests,
                         num_failures: stats.failures, avg_response_time: latency.avg, min_response_time: latency.min,
                         max_response_time: latency.max, median_response_time: latency.median,
                         ninetieth_response_time: latency.p90, ninety_ninth_response_time: latency.p99, p95: latency.p95,
                         p99: latency.p99, current_rps: rps, current_fail_per_sec: failuresPerSecond,
                         total_rps: overall(stats.requests), total_fail_per_sec: overall(stats.failures),
                         avg_content_length: stats.averageSize)
        }
        let failureRatio = { (stats: EndpointStatistics) in stats.requests == 0 ? 0 : Double(stats.failures) / Double(stats.requests) }
        stats = statistics.perEndpoint.enumerated().map { index, stats in
            let rps = live ? statistics.currentEndpointRPS[index] : 0
            return entry(stats, method: stats.endpoint.method, name: stats.endpoint.name, rps: rps,
                         failuresPerSecond: rps * failureRatio(stats))
        }.sorted { ($0.name, $0.method) < ($1.name, $1.method) }
        let total = statistics.aggregated
        current_rps = live ? statistics.currentRPS : 0
        current_fail_per_sec = live ? statistics.currentFailuresPerSecond : 0
        total_rps = overall(total.requests)
        total_fail_per_sec = overall(total.failures)
        // Locust 2.x writes the total's method as "".
        stats.append(entry(total, method: "", name: "Aggregated", rps: current_rps, failuresPerSecond: current_fail_per_sec))
        errors = statistics.failureRows.prefix(500).map { row in
            let endpoint = statistics.endpoints[row.endpoint]
            return ErrorEntry(method: endpoint.method, name: endpoint.name, error: htmlEscaped(row.message), occurrences: row.count)
        }
        fail_ratio = failureRatio(total)
        let recent = started.feed.last(1).first
        p50Now = recent?.responseTimeMs.p50
        p95Now = recent?.responseTimeMs.p95
        switch progress.phase {
        case .ready, .running: state = "running"
        case .stopping: state = "stopping"
        case .finished: state = "stopped"
        }
        user_count = progress.usersActive
    }
}

/// `text` with `&`, `<` and `>` escaped, as Locust's `safe_name` and errors are.
func htmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
