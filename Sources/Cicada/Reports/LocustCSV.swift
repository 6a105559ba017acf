import Foundation

/// The rows of Locust's four CSV files (`--csv PREFIX`), with Locust 2.x's header lines, column order,
/// units (milliseconds) and number forms, so that tooling that reads Locust's files reads ours; the lines
/// end in CRLF, as Python's csv module writes them. docs/csv.md lists where a column's figure differs from
/// Locust's and why (response times of successful requests only; content size with headers).
public enum LocustCSV {
    /// Locust's `PERCENTILES_TO_REPORT`, as fractions of 100.
    public static let percentiles: [Double] = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100]
    static let percentileColumns = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]

    public static let statsColumns = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
                                      "Average Response Time", "Min Response Time", "Max Response Time",
                                      "Average Content Size", "Requests/s", "Failures/s"] + percentileColumns
    public static let historyColumns = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"]
        + percentileColumns
        + ["Total Request Count", "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
           "Total Min Response Time", "Total Max Response Time", "Total Average Content Size"]
    public static let failuresColumns = ["Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"]
    public static let exceptionsColumns = ["Count", "Message", "Traceback", "Nodes"]

    /// `_stats.csv`: a row per endpoint, sorted by name then method as Locust sorts, then `Aggregated`.
    public static func stats(_ statistics: RunStatistics, duration: Double) -> String {
        var text = line(statsColumns)
        for (_, entry) in rows(statistics) {
            let figures = Figures(entry)
            text += line([entry.endpoint.method, entry.endpoint.name] + figures.totals + [
                number(duration > 0 ? Double(entry.requests) / duration : 0),
                number(duration > 0 ? Double(entry.failures) / duration : 0),
            ] + (figures.percentiles ?? percentilesNA))
        }
        return text
    }

    /// `_failures.csv`: a row per failure, most frequent first.
    public static func failures(_ statistics: RunStatistics, startedAt: Date) -> String {
        var text = line(failuresColumns)
        for row in statistics.failureRows {
            let endpoint = statistics.endpoints[row.endpoint]
            text += line([endpoint.method, endpoint.name, row.message, String(row.count),
                          row.firstSeen.map { timestamp(startedAt.addingTimeInterval($0)) } ?? "",
                          row.lastSeen.map { timestamp(startedAt.addingTimeInterval($0)) } ?? ""])
        }
        return text
    }

    /// `_exceptions.csv`: Locust's header alone. Its rows are Python exceptions raised in user code; a
    /// Cicada scenario's errors are failures of their requests, in `_failures.csv`.
    public static func exceptions() -> String { line(exceptionsColumns) }

    /// The `_stats_history.csv` header.
    public static func historyHeader() -> String { line(historyColumns) }

    /// The `_stats_history.csv` rows for one second. As Locust writes them: with `fullHistory`, a row per
    /// endpoint and one for all of them, whose percentiles are over the last ten seconds
    /// (``EndpointWindows``); without, the `Aggregated` row alone, whose percentiles are the whole run's so far.
    /// The rates are over the second just ended; the `Total` columns over the run so far.
    public static func historyRows(_ tick: HistoryTick, fullHistory: Bool) -> String {
        let time = String(Int(tick.startedAt.timeIntervalSince1970 + tick.point.elapsedS))
        let users = String(tick.point.users)
        let seconds = tick.point.intervalS
        func rate(_ count: UInt64) -> String { String(format: "%2f", seconds > 0 ? Double(count) / seconds : 0) }
        var text = ""
        for (endpoint, entry) in rows(tick.statistics, endpoints: fullHistory) {
            let figures = Figures(entry)
            let requests = endpoint.map { tick.endpointRequests[$0] } ?? tick.point.requests
            let failures = endpoint.map { tick.endpointFailures[$0] } ?? tick.point.failures
            let percentiles: [String]?
            if fullHistory {
                percentiles = entry.requests == 0 ? nil
                    : tick.windows?.percentiles(endpoint: endpoint, Self.percentiles)?.map { integer($0) }
                        ?? percentilesZero
            } else {
                percentiles = figures.percentiles
            }
            text += line([time, users, entry.endpoint.method, entry.endpoint.name, rate(requests), rate(failures)]
                + (percentiles ?? percentilesNA) + figures.totals)
        }
        return text
    }

    /// The endpoints sorted as Locust sorts its entries (by name, then method) with their index, when
    /// `endpoints`, then the `Aggregated` entry (method empty) with none.
    private static func rows(_ statistics: RunStatistics, endpoints: Bool = true) -> [(Int?, EndpointStatistics)] {
        let sorted = endpoints ? statistics.perEndpoint.indices.sorted {
            let (a, b) = (statistics.perEndpoint[$0].endpoint, statistics.perEndpoint[$1].endpoint)
            return (a.name, a.method) < (b.name, b.method)
        } : []
        return sorted.map { (Optional($0), statistics.perEndpoint[$0]) } + [(nil, statistics.aggregated)]
    }

    /// The columns that `_stats.csv` and the history's `Total` columns share, and the percentiles.
    private struct Figures {
        /// Request Count, Failure Count, Median, Average, Min, Max, Average Content Size.
        var totals: [String]
        var percentiles: [String]?

        init(_ entry: EndpointStatistics) {
            let times = entry.responseTime
            let has = times.totalCount > 0
            func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
            totals = [String(entry.requests), String(entry.failures),
                      has ? LocustCSV.integer(ms(times.valueAtPercentile(50))) : "0",
                      LocustCSV.number(has ? times.mean / 1000 : 0),
                      LocustCSV.number(has ? ms(times.min) : 0), LocustCSV.number(has ? ms(times.max) : 0),
                      LocustCSV.number(entry.averageSize)]
            percentiles = has ? LocustCSV.percentiles.map { LocustCSV.integer(ms($0 >= 100 ? times.max : times.valueAtPercentile($0))) } : nil
        }
    }

    private static let percentilesNA = Array(repeating: "N/A", count: percentiles.count)
    private static let percentilesZero = Array(repeating: "0", count: percentiles.count)

    /// A float as Python's `repr` writes it (`12.5`, `0.0`): Swift's description is the same shortest form.
    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "0.0" }

    /// A percentile as Locust writes it: whole milliseconds.
    static func integer(_ milliseconds: Double) -> String { String(Int(milliseconds.rounded())) }

    /// A time as Locust's `format_utc_timestamp`: `2026-12-04T15:04:05Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// One CSV line as Python's csv module writes it (QUOTE_MINIMAL, CRLF).
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\r\n"
    }
}
