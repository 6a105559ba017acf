import Cicada
import Foundation

/// `GET /stats/requests` in Locust's own shape, so that a script or dashboard written against Locust's web
/// API reads Cicada's run unchanged: one entry per endpoint and the total named `Aggregated`, times in
/// milliseconds, the current rates over the last report interval, and Locust's state words.
struct LocustStats: Encodable {
    struct Entry: Encodable {
        var method: String?
        var name: String
        var safe_name: String
        var num_requests: UInt64
        var num_failures: UInt64
        var avg_response_time: Double
        var min_response_time: Double
        var max_response_time: Double
        var current_rps: Double
        var current_fail_per_sec: Double
        var median_response_time: Double
        var ninetieth_response_time: Double
        var ninety_ninth_response_time: Double
        var avg_content_length: Double

        enum CodingKeys: String, CodingKey {
            case method, name, safe_name, num_requests, num_failures, avg_response_time, min_response_time,
                 max_response_time, current_rps, current_fail_per_sec, median_response_time, ninetieth_response_time,
                 ninety_ninth_response_time, avg_content_length
        }

        // Locust writes the Aggregated row's method as null, not leaving the key out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(method, forKey: .method)
            try container.encode(name, forKey: .name)
            try container.encode(safe_name, forKey: .safe_name)
            try container.encode(num_requests, forKey: .num_requests)
            try container.encode(num_failures, forKey: .num_failures)
            try container.encode(avg_response_time, forKey: .avg_response_time)
            try container.encode(min_response_time, forKey: .min_response_time)
            try container.encode(max_response_time, forKey: .max_response_time)
            try container.encode(current_rps, forKey: .current_rps)
            try container.encode(current_fail_per_sec, forKey: .current_fail_per_sec)
            try container.encode(median_response_time, forKey: .median_response_time)
            try container.encode(ninetieth_response_time, forKey: .ninetieth_response_time)
            try container.encode(ninety_ninth_response_time, forKey: .ninety_ninth_response_time)
            try container.encode(avg_content_length, forKey: .avg_content_length)
        }
    }

    struct ErrorEntry: Encodable {
        var method: String
        var name: String
        var error: String
        var occurrences: UInt64
    }

    var stats: [Entry]
    var errors: [ErrorEntry]
    var total_rps: Double
    var total_fail_per_sec: Double
    var fail_ratio: Double
    var current_response_time_percentile_1: Double?
    var current_response_time_percentile_2: Double?
    var state: String
    var user_count: Int

    enum CodingKeys: String, CodingKey {
        case stats, errors, total_rps, total_fail_per_sec, fail_ratio, current_response_time_percentile_1,
             current_response_time_percentile_2, state, user_count
    }

    // The chart percentiles are null, as Locust's, until a second has closed.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stats, forKey: .stats)
        try container.encode(errors, forKey: .errors)
        try container.encode(total_rps, forKey: .total_rps)
        try container.encode(total_fail_per_sec, forKey: .total_fail_per_sec)
        try container.encode(fail_ratio, forKey: .fail_ratio)
        try container.encode(current_response_time_percentile_1, forKey: .current_response_time_percentile_1)
        try container.encode(current_response_time_percentile_2, forKey: .current_response_time_percentile_2)
        try container.encode(state, forKey: .state)
        try container.encode(user_count, forKey: .user_count)
    }

    init(_ snapshot: WebSession.Snapshot) {
        guard let started = snapshot.run else {
            stats = []
            errors = []
            total_rps = 0
            total_fail_per_sec = 0
            fail_ratio = 0
            state = "ready"
            user_count = 0
            return
        }
        let progress = started.run.progress
        let statistics = progress.statistics
        let live = progress.phase != .finished
        func entry(_ stats: EndpointStatistics, method: String?, name: String, rps: Double, failuresPerSecond: Double) -> Entry {
            let latency = LatencySummary(stats.responseTime)
            return Entry(method: method, name: name, safe_name: htmlEscaped(name), num_requests: stats.requests,
                         num_failures: stats.failures, avg_response_time: latency.avg, min_response_time: latency.min,
                         max_response_time: latency.max, current_rps: rps, current_fail_per_sec: failuresPerSecond,
                         median_response_time: latency.median, ninetieth_response_time: latency.p90,
                         ninety_ninth_response_time: latency.p99, avg_content_length: stats.averageSize)
        }
        let failureRatio = { (stats: EndpointStatistics) in stats.requests == 0 ? 0 : Double(stats.failures) / Double(stats.requests) }
        // Sorted by name, then method, as Locust sorts its entries.
        stats = statistics.perEndpoint.enumerated().map { index, stats in
            let rps = live ? statistics.currentEndpointRPS[index] : 0
            return entry(stats, method: stats.endpoint.method, name: stats.endpoint.name, rps: rps,
                         failuresPerSecond: rps * failureRatio(stats))
        }.sorted { ($0.name, $0.method ?? "") < ($1.name, $1.method ?? "") }
        let total = statistics.aggregated
        total_rps = live ? statistics.currentRPS : 0
        total_fail_per_sec = live ? statistics.currentFailuresPerSecond : 0
        stats.append(entry(total, method: nil, name: "Aggregated", rps: total_rps, failuresPerSecond: total_fail_per_sec))
        errors = statistics.failureRows.prefix(500).map { row in
            let endpoint = statistics.endpoints[row.endpoint]
            return ErrorEntry(method: endpoint.method, name: endpoint.name, error: htmlEscaped(row.message), occurrences: row.count)
        }
        fail_ratio = failureRatio(total)
        // Locust's chart percentiles, 50th and 95th, over the last seconds.
        let recent = started.feed.last(1).first
        current_response_time_percentile_1 = recent?.responseTimeMs.p50
        current_response_time_percentile_2 = recent?.responseTimeMs.p95
        switch progress.phase {
        case .ready: state = "ready"
        case .running: state = "running"
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
