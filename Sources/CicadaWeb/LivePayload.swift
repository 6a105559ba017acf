import Cicada
import Foundation

/// What the page and `GET /api/stats` show of a run: its phase, the per-endpoint and per-stage tables,
/// the failures, the thresholds' verdicts so far and the generator's warnings, from the run's progress
/// (updated each report interval) and its last seconds. Built on a web server thread; the run's control
/// thread is not involved.
struct LivePayload: Encodable {
    struct Row: Encodable {
        var method: String
        var name: String
        var requests: UInt64
        var failures: UInt64
        var rps: Double
        var avgSizeBytes: Double
        var responseTimeMs: LatencySummary
        var fromIntendedStartMs: LatencySummary
    }

    struct StageRow: Encodable {
        var name: String
        var users: Int
        var spawnRate: Double
        var arrivalRate: Double?
        var startedS: Double
        var totals: Row
    }

    struct Failure: Encodable {
        var method: String
        var name: String
        var message: String
        var count: UInt64
    }

    struct Verdict: Encodable {
        var metric: String
        var expression: String
        /// `nil` while the metric has no samples, or for a threshold judged on a stage's end.
        var observed: Double?
        var unit: String
        /// `nil`: not judged yet.
        var passed: Bool?
    }

    struct StageNow: Encodable {
        var name: String
        var index: Int
        var remainingS: Double?
    }

    struct TargetNow: Encodable {
        var cpuPercent: Double
        var rssBytes: UInt64
        var elapsedS: Double
    }

    var run: Int
    /// `ready` (no run yet), `running`, `stopping`, `finished`.
    var phase: String
    var reportsReady: Bool
    var message: String?
    var target: String?
    var elapsedS: Double
    var users: Int
    var userCapacity: Int?
    var openModel: Bool
    var hasStages: Bool
    var arrivalRate: Double?
    var dropped: UInt64
    var stage: StageNow?
    var totals: Row?
    var endpoints: [Row]
    var stages: [StageRow]
    var failures: [Failure]
    var thresholds: [Verdict]
    var warnings: [String]
    var targetProcess: TargetNow?

    /// The payload of the session's current (or last) run, as of `snapshot`.
    init(_ snapshot: WebSession.Snapshot) {
        run = snapshot.number
        reportsReady = snapshot.reports != nil && snapshot.finished
        message = snapshot.message
        guard let started = snapshot.run else {
            phase = "ready"
            elapsedS = 0
            users = 0
            openModel = false
            hasStages = false
            dropped = 0
            endpoints = []
            stages = []
            failures = []
            thresholds = []
            warnings = []
            return
        }
        let progress = started.run.progress
        switch progress.phase {
        case .ready, .running: phase = snapshot.finished ? "finished" : "running"
        case .stopping: phase = "stopping"
        // The run has ended, its files may still be being written: finished once they are.
        case .finished: phase = snapshot.finished ? "finished" : "stopping"
        }
        target = started.target
        elapsedS = progress.elapsed
        users = progress.usersActive
        userCapacity = started.userCapacity
        openModel = started.isOpenModel
        hasStages = started.hasStages
        arrivalRate = progress.arrivalRate
        let statistics = progress.statistics
        dropped = statistics.droppedIterations
        stage = progress.stage.map { StageNow(name: $0.name, index: $0.index, remainingS: $0.remaining) }
        let live = progress.phase != .finished
        func row(_ stats: EndpointStatistics, rps: Double) -> Row {
            Row(method: stats.endpoint.method, name: stats.endpoint.name, requests: stats.requests, failures: stats.failures,
                rps: rps, avgSizeBytes: stats.averageSize, responseTimeMs: LatencySummary(stats.responseTime),
                fromIntendedStartMs: LatencySummary(stats.fromIntendedStart))
        }
        func overall(_ requests: UInt64, _ duration: Double) -> Double { duration > 0 ? Double(requests) / duration : 0 }
        // Over the whole run, or since a reset of the statistics.
        let covered = progress.elapsed - progress.statisticsSince
        endpoints = statistics.perEndpoint.enumerated().map { index, stats in
            row(stats, rps: live ? statistics.currentEndpointRPS[index] : overall(stats.requests, covered))
        }
        totals = row(statistics.aggregated, rps: live ? statistics.currentRPS : overall(statistics.aggregated.requests, covered))
        stages = progress.stages.enumerated().map { index, stage in
            // The current stage's duration is known once it ends; until then it runs to now.
            let ended = index < progress.stages.count - 1 || !live
            let duration = ended ? stage.duration : max(0, progress.elapsed - stage.started)
            return StageRow(name: stage.name, users: stage.users, spawnRate: stage.spawnRate, arrivalRate: stage.arrivalRate,
                            startedS: stage.started,
                            totals: row(stage.statistics.aggregated, rps: overall(stage.statistics.aggregated.requests, duration)))
        }
        failures = statistics.failureRows.prefix(200).map { failure in
            let endpoint = statistics.endpoints[failure.endpoint]
            return Failure(method: endpoint.method, name: endpoint.name, message: failure.message, count: failure.count)
        }
        let seconds = started.feed.health
        let health = GeneratorHealth(cpuAveragePercent: seconds.cpuAveragePercent,
                                     cpuMaxPercent: seconds.seconds == 0 ? nil : seconds.cpuMaxPercent,
                                     loopLagMaxMilliseconds: seconds.seconds == 0 ? nil : seconds.loopLagMaxMilliseconds)
        // Each threshold on what it covers so far: the whole run (since a reset), or its stage once that has
        // begun (over the stage's time so far, and the target's readings within it), as the final verdict
        // judges them. Not judged while what it covers has no request.
        thresholds = started.evaluator.rules.indices.map { index in
            let rule = started.evaluator.rules[index]
            var judged: (statistics: RunStatistics, elapsed: Double, target: TargetSeries?)?
            if let name = rule.stage {
                if let position = progress.stages.firstIndex(where: { $0.name == name }) {
                    let stage = progress.stages[position]
                    let ended = position < progress.stages.count - 1 || !live
                    let duration = ended ? stage.duration : max(0, progress.elapsed - stage.started)
                    judged = (stage.statistics, duration,
                              progress.target.map { $0.combined.window(from: stage.started, to: stage.started + duration) })
                }
            } else {
                judged = (statistics, covered, progress.target?.combined)
            }
            guard let judged, judged.statistics.aggregated.requests > 0 else {
                return Verdict(metric: rule.threshold.metric, expression: rule.threshold.expression, observed: nil, unit: rule.unit, passed: nil)
            }
            let outcome = started.evaluator.outcome(index, statistics: judged.statistics, elapsed: judged.elapsed, generator: health,
                                                    target: judged.target)
            return Verdict(metric: rule.threshold.metric, expression: rule.threshold.expression, observed: outcome.observed,
                           unit: rule.unit, passed: outcome.observed == nil ? nil : outcome.passed)
        }
        warnings = Self.generatorWarnings(recent: started.feed.last(5), threads: started.workerThreads)
        if let point = progress.target?.combined.points.last {
            targetProcess = TargetNow(cpuPercent: point.cpuPercent, rssBytes: point.rssBytes, elapsedS: point.elapsedS)
        }
    }

    /// The live form of the console's generator-bound warnings: over the last few seconds, the CPU above
    /// ``generatorCPULimitShare`` of the cores the workers can use, or an event-loop lag above
    /// ``generatorLoopLagLimitMilliseconds``.
    static func generatorWarnings(recent: [HistoryPoint], threads: Int) -> [String] {
        guard !recent.isEmpty else { return [] }
        var warnings: [String] = []
        let cores = max(1, min(threads, ProcessInfo.processInfo.activeProcessorCount))
        let cpu = recent.map(\.generatorCpuPercent).reduce(0, +) / Double(recent.count)
        if cpu > Double(cores) * 100 * generatorCPULimitShare {
            warnings.append(String(format: "the generator used %.0f%% CPU over the last %d s, above %.0f%% of its %d core%@: the figures may be limited by the generator itself",
                                   cpu, recent.count, generatorCPULimitShare * 100, cores, cores == 1 ? "" : "s"))
        }
        if let lag = recent.map(\.loopLagMaxMs).max(), lag > generatorLoopLagLimitMilliseconds {
            warnings.append(String(format: "event-loop lag reached %.1f ms in the last %d s (above %.0f ms): latencies include the generator's own delay",
                                   lag, recent.count, generatorLoopLagLimitMilliseconds))
        }
        return warnings
    }
}
