import Foundation

extension TargetReport {
    /// The console's lines for the watched target: one per process and, when several are watched, their sum,
    /// which the thresholds judge.
    public var consoleLines: [String] {
        var lines = processes.map { process in
            "Target \(process.source.label): " + Self.describe(process.series) + (process.lost ? " (stopped being readable during the run)" : "")
        }
        if processes.count > 1 { lines.append("Target, the watched sources together: " + Self.describe(combined)) }
        return lines
    }

    static func describe(_ series: TargetSeries) -> String {
        guard series.readings > 0 else { return "no reading" }
        var parts: [String] = []
        if let average = series.cpuAveragePercent {
            parts.append(String(format: "CPU %.1f%% of one core on average, %.1f%% in the busiest second", average, series.cpuMaxPercent))
        }
        var memory = String(format: "RSS %.1f MiB at most", Double(series.rssMaxBytes) / 1_048_576)
        if let slope = series.rssSlopeMiBPerMinute { memory += String(format: ", slope %+.2f MiB/min", slope) }
        parts.append(memory)
        if let last = series.points.last {
            let counts = [last.threads.map { "\($0) threads" }, last.openFiles.map { "\($0) open files" }].compactMap { $0 }
            if !counts.isEmpty { parts.append(counts.joined(separator: ", ") + " at the end") }
            for (name, value) in (last.series ?? [:]).sorted(by: { $0.key < $1.key }) {
                parts.append("\(name) \(formatNumber(value)) at the end")
            }
        }
        return parts.joined(separator: "; ") + " (\(series.readings) readings)"
    }
}
