import Foundation

/// Locust-style text tables: the live statistics, the final percentiles and the failures.
public enum StatsTable {
    /// The statistics table: one row per endpoint and an aggregated row. Times in milliseconds: Locust's
    /// columns from the actual send, then `int. p99`, the p99 of the latency from the intended start (a
    /// slow target or a late generator shows there when the response times hide it). `live` shows the
    /// current requests/s (over the last report interval); otherwise they are over `duration`.
    public static func render(_ statistics: RunStatistics, duration: Double, live: Bool) -> String {
        var lines: [String] = []
        let header = pad("Type", 7) + " " + pad("Name", 32) + " " + lpad("# reqs", 9) + " " + lpad("# fails", 16)
            + " |" + lpad("Avg", 8) + lpad("Min", 8) + lpad("Max", 9) + lpad("Med", 8) + lpad("p90", 8)
            + lpad("p95", 8) + lpad("p99", 8) + lpad("p99.9", 9) + " |" + lpad("size B", 8) + lpad("req/s", 10)
            + " |" + lpad("int. p99", 9)
        lines.append(header)
        lines.append(String(repeating: "-", count: header.count))
        func row(_ stats: EndpointStatistics, type: String, rps: Double) -> String {
            let latency = LatencySummary(stats.responseTime)
            let failRatio = stats.requests == 0 ? 0 : Double(stats.failures) / Double(stats.requests) * 100
            return pad(type, 7) + " " + pad(stats.endpoint.name, 32) + " " + lpad("\(stats.requests)", 9) + " "
                + lpad("\(stats.failures)(\(fixed(failRatio, 2))%)", 16) + " |"
                + lpad(ms(latency.avg), 8) + lpad(ms(latency.min), 8) + lpad(ms(latency.max), 9)
                + lpad(ms(latency.median), 8) + lpad(ms(latency.p90), 8) + lpad(ms(latency.p95), 8)
                + lpad(ms(latency.p99), 8) + lpad(ms(latency.p99_9), 9) + " |"
                + lpad(fixed(stats.averageSize, 0), 8) + lpad(fixed(rps, 2), 10)
                + " |" + lpad(ms(LatencySummary(stats.fromIntendedStart).p99), 9)
        }
        let total = statistics.aggregated
        // Live, the rates are the current ones (over the last report interval); at the end, over the run.
        func overall(_ requests: UInt64) -> Double { duration > 0 ? Double(requests) / duration : 0 }
        for (index, stats) in statistics.perEndpoint.enumerated() {
            let rps = live ? statistics.currentEndpointRPS[index] : overall(stats.requests)
            lines.append(row(stats, type: stats.endpoint.method, rps: rps))
        }
        lines.append(String(repeating: "-", count: header.count))
        let totalRPS = live ? statistics.currentRPS : overall(total.requests)
        lines.append(row(total, type: "", rps: totalRPS))
        return lines.joined(separator: "\n")
    }

    /// The failures table: endpoint, kind, detail and count, most frequent first.
    public static func renderFailures(_ statistics: RunStatistics) -> String {
        let rows = statistics.failureRows
        guard !rows.isEmpty else { return "" }
        var lines = ["Failures", pad("# occurrences", 14) + " " + pad("Type", 7) + " " + pad("Name", 32) + " Error"]
        lines.append(String(repeating: "-", count: 100))
        for row in rows {
            let endpoint = statistics.endpoints[row.endpoint]
            lines.append(lpad("\(row.count)", 14) + " " + pad(endpoint.method, 7) + " " + pad(endpoint.name, 32) + " " + row.message)
        }
        return lines.joined(separator: "\n")
    }

    static func ms(_ value: Double) -> String {
        value >= 100 ? fixed(value, 0) : value >= 10 ? fixed(value, 1) : fixed(value, 2)
    }

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func lpad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
