import Foundation

/// Prints live statistics while a run goes on: the full table redrawn in place on a terminal, one
/// plain line per interval otherwise (logs, CI), so that files stay readable. An output that fails (a
/// closed pipe, a full disk) only stops the printing; see ``ConsoleStream``.
public final class ConsoleReporter: RunObserver {
    private let isTerminal: Bool
    private var linesDrawn = 0
    private let output: ConsoleStream
    /// Whether the statistics are printed while the run goes on; without, only the final report
    /// (`--only-summary`).
    private let live: Bool

    public init(output: ConsoleStream, live: Bool = true) {
        self.output = output
        self.isTerminal = output.isTerminal
        self.live = live
    }

    public func runStarted(target: String, threads: Int) {
        write("cicada \(cicadaVersion): load on \(target) with \(threads) worker thread\(threads == 1 ? "" : "s")\n")
    }

    public func report(_ progress: RunProgress) {
        guard live else { return }
        let statistics = progress.statistics
        let elapsed = progress.elapsed
        let usersActive = progress.usersActive
        let total = statistics.aggregated
        if isTerminal {
            let table = StatsTable.render(statistics, duration: elapsed, live: true)
            let stage = (progress.stage.map { "  " + Self.describe($0) } ?? "")
                + (progress.arrivalRate.map { String(format: "  rate %@/s, %llu dropped", formatNumber($0), statistics.droppedIterations) } ?? "")
            let text = String(format: "[%.0fs] users: %d", elapsed, usersActive) + stage + "\n" + table + "\n"
            if linesDrawn > 0 { write("\u{1B}[\(linesDrawn)A\u{1B}[J") }
            write(text)
            linesDrawn = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        } else {
            let latency = LatencySummary(total.responseTime)
            write(String(format: "[%6.1fs] users=%d requests=%llu failures=%llu req/s=%.1f median=%@ms p95=%@ms p99=%@ms",
                         elapsed, usersActive, total.requests, total.failures, statistics.currentRPS,
                         StatsTable.ms(latency.median), StatsTable.ms(latency.p95), StatsTable.ms(latency.p99))
                  + (progress.arrivalRate.map { String(format: " rate=%@/s dropped=%llu", formatNumber($0), statistics.droppedIterations) } ?? "")
                  + (progress.stage.map { " " + Self.describe($0) } ?? "") + "\n")
        }
    }

    /// The live words for a stage: `stage 2 normal: 500 users, 12.0s in, 288.0s left`.
    static func describe(_ stage: StageProgress) -> String {
        String(format: "stage %d %@: %d users, %.1fs in", stage.index + 1, stage.name, stage.users, stage.elapsed)
            + (stage.remaining.map { String(format: ", %.1fs left", $0) } ?? "")
    }

    public func stopping(reason: String) {
        linesDrawn = 0
        write("stopping: \(reason)\n")
    }

    /// The final report: the statistics table, the failures table, the totals and, when the run has
    /// thresholds, their PASS/FAIL table.
    public func finish(result: RunResult, thresholds: [ThresholdOutcome] = [], limit: LimitFinding? = nil) {
        let statistics = result.statistics
        let total = statistics.aggregated
        var text = ""
        for (index, stage) in result.stages.enumerated() {
            let load = stage.arrivalRate.map { "to \(formatNumber($0)) iterations/s, \(stage.statistics.droppedIterations) dropped" }
                ?? "\(stage.users) users at \(formatNumber(stage.spawnRate))/s"
            text += String(format: "\nStage %d %@: %@, from %.1fs for %.1fs\n", index + 1, stage.name, load,
                           stage.started, stage.duration)
            text += StatsTable.render(stage.statistics, duration: stage.duration, live: false) + "\n"
        }
        if !result.stages.isEmpty { text += "\nWhole run\n" }
        text += (result.stages.isEmpty ? "\n" : "") + StatsTable.render(statistics, duration: result.statisticsDuration, live: false) + "\n"
        let failures = StatsTable.renderFailures(statistics)
        if !failures.isEmpty { text += "\n" + failures + "\n" }
        let intended = LatencySummary(total.fromIntendedStart)
        text += String(format: "\nTotals: %llu requests in %.2fs (%.1f req/s): %llu succeeded, %llu failed, %llu cancelled\n",
                       total.requests, result.statisticsDuration,
                       result.statisticsDuration > 0 ? Double(total.requests) / result.statisticsDuration : 0,
                       total.successes, total.failures, total.cancelled)
        let figures = " median \(StatsTable.ms(intended.median)) ms, p99 \(StatsTable.ms(intended.p99)) ms, max \(StatsTable.ms(intended.max)) ms\n"
        if let arrival = result.arrival {
            // The schedule was fixed before the run: this is the coordinated-omission correction, short of
            // the iterations that never started.
            text += "Latency from the scheduled start (the arrival schedule is fixed in advance, so waiting for the target counts; dropped iterations are not in it):" + figures
            let share = arrival.scheduled == 0 ? 0 : Double(arrival.dropped) / Double(arrival.scheduled) * 100
            text += "Arrival: \(arrival.scheduled) iterations scheduled, \(arrival.started) started, \(arrival.dropped) dropped (\(String(format: "%.2f", share))%); "
                + "\(arrival.preAllocatedUsers) users pre-allocated, \(arrival.usersAdded) added (at most \(arrival.maxUsers)); on saturation: \(arrival.onSaturation)\n"
            if arrival.classes.count > 1 {
                for figures in arrival.classes {
                    text += "  \(figures.name): \(figures.scheduled) scheduled, \(figures.started) started, \(figures.dropped) dropped\n"
                }
            }
        } else {
            text += "Latency from the intended start (the generator's own lateness included; not a coordinated-omission correction):" + figures
        }
        if total.tlsHandshakes > 0 {
            let handshake = LatencySummary(total.tlsHandshakeTime)
            text += "TLS: \(total.tlsHandshakes) handshakes, \(total.tlsResumed) resumed; handshake median \(StatsTable.ms(handshake.median)) ms, p99 \(StatsTable.ms(handshake.p99)) ms\n"
        }
        let generator = result.generator
        text += String(format: "Generator: %.1f%% of one core, peak RSS %.1f MiB, event-loop lag p99 %.1f ms\n",
                       generator.cpuPercent(duration: result.duration), Double(generator.peakRSSBytes) / 1048576,
                       generator.loopLagP99Milliseconds)
        for line in result.targetReport?.consoleLines ?? [] { text += line + "\n" }
        for warning in generatorWarnings(result) { text += "warning: \(warning)\n" }
        if !thresholds.isEmpty { text += "\n" + ThresholdTable.render(thresholds) + "\n" }
        if let limit { text += "\n" + limit.sentence + "\n" }
        write(text)
    }

    private func write(_ text: String) {
        output.write(text)
    }
}
