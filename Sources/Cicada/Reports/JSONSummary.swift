import Foundation

/// The machine-readable summary written by `--json`. The schema is documented in docs/json-summary.md;
/// keys are snake_case and times are milliseconds unless the key says otherwise.
public struct JSONSummary: Codable, Sendable {
    public struct Totals: Codable, Sendable {
        public var requests: UInt64
        public var successes: UInt64
        public var failures: UInt64
        public var cancelled: UInt64
        public var durationS: Double
        public var rps: Double
        public var failureRatio: Double
        public var responseTimeMs: LatencySummary
        public var fromIntendedStartMs: LatencySummary
        public var tlsHandshakes: UInt64
        public var tlsResumed: UInt64
        /// The open model's dropped iterations (0 in a run of users).
        public var dropped: UInt64
    }

    public struct EndpointSummary: Codable, Sendable {
        public var method: String
        public var name: String
        public var requests: UInt64
        public var successes: UInt64
        public var failures: UInt64
        public var cancelled: UInt64
        public var rps: Double
        public var avgSizeBytes: Double
        public var responseTimeMs: LatencySummary
        public var fromIntendedStartMs: LatencySummary
        public var connectTimeMs: LatencySummary
        public var tlsHandshakeTimeMs: LatencySummary
        public var tlsHandshakes: UInt64
        public var tlsResumed: UInt64
        public var failuresByKind: [String: UInt64]
    }

    public struct FailureRow: Codable, Sendable {
        public var method: String
        public var name: String
        public var kind: String
        public var detail: String
        public var message: String
        public var count: UInt64
    }

    public struct Generator: Codable, Sendable {
        public var threads: Int
        public var usersPeak: Int
        public var cpuUserS: Double
        public var cpuSystemS: Double
        public var cpuPercent: Double
        public var peakRssBytes: UInt64
        public var loopLagP99Ms: Double
        public var loopLagMaxMs: Double
        public var connectionsOpened: UInt64
        public var samplesDropped: UInt64
        public var requestsStarted: UInt64
    }

    /// One stage of a staged run: its target, when it started, how long it lasted (measured) and the same
    /// blocks as the whole run's, over the requests that started in it.
    public struct StageSummary: Codable, Sendable {
        public var name: String
        public var users: Int
        public var spawnRate: Double
        /// A rate stage's iterations per second; `nil` (the key absent) for a stage of users.
        public var arrivalRate: Double?
        public var durationS: Double
        public var startedS: Double
        public var totals: Totals
        public var endpoints: [EndpointSummary]
    }

    /// One threshold's verdict (docs/json-summary.md).
    public struct ThresholdSummary: Codable, Sendable {
        public var metric: String
        public var expression: String
        /// In the metric's unit (``unit``); `nil` (JSON null) when the metric had no samples.
        public var observed: Double?
        public var unit: String
        public var passed: Bool
        public var aborted: Bool

        init(_ outcome: ThresholdOutcome) {
            metric = outcome.rule.threshold.metric
            expression = outcome.rule.threshold.expression
            observed = outcome.observed
            unit = outcome.rule.unit
            passed = outcome.passed
            aborted = outcome.aborted != nil
        }

        // `observed` is written as null rather than left out, so that every row has every key.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(metric, forKey: .metric)
            try container.encode(expression, forKey: .expression)
            try container.encode(observed, forKey: .observed)
            try container.encode(unit, forKey: .unit)
            try container.encode(passed, forKey: .passed)
            try container.encode(aborted, forKey: .aborted)
        }
    }

    public var cicadaVersion: String
    public var target: String
    public var totals: Totals
    public var endpoints: [EndpointSummary]
    public var failures: [FailureRow]
    public var generator: Generator
    /// The stages in the order they ran; `nil` (the key absent) when the run had no stages.
    public var stages: [StageSummary]?

    /// The thresholds' verdicts, in the order given; empty when the run had none.
    public var thresholds: [ThresholdSummary]

    /// A watched target's figures (docs/json-summary.md, `monitor`).
    public struct MonitorSummary: Codable, Sendable {
        public struct Figures: Codable, Sendable {
            /// The process id, or `nil` for a scraped endpoint and for the watched sources together.
            public var pid: Int32?
            /// The scraped endpoint (`--monitor-prometheus`), or `nil`.
            public var url: String?
            public var readings: Int
            public var lost: Bool
            public var cpuAvgPercent: Double?
            public var cpuMaxPercent: Double
            public var rssMaxBytes: UInt64
            public var rssSlopeMibPerMin: Double?
            /// Seconds each point of `history` spans (1, or more once a long run was coarsened).
            public var historyIntervalS: Double
            public var history: [TargetPoint]

            init(source: TargetSource?, series: TargetSeries, lost: Bool, interval: Double) {
                pid = source?.pid
                url = source?.url
                readings = series.readings
                self.lost = lost
                cpuAvgPercent = series.cpuAveragePercent
                cpuMaxPercent = series.cpuMaxPercent
                rssMaxBytes = series.rssMaxBytes
                rssSlopeMibPerMin = series.rssSlopeMiBPerMinute
                historyIntervalS = interval * Double(series.readingsPerPoint)
                history = series.points
            }
        }

        public var processes: [Figures]
        /// The processes added up at each reading: what the target_cpu and target_rss thresholds judge.
        public var combined: Figures
    }

    /// The watched target (`--monitor-pid`); `nil` (the key absent) when none was watched.
    public var monitor: MonitorSummary?
    /// The open model's schedule; `nil` (the key absent) in a run of users.
    public var arrival: ArrivalFigures?
    /// A breaking-point search's finding (`--find-limit`); `nil` (the key absent) otherwise.
    public var limit: LimitFinding?

    /// The run second by second (``RunHistory``): at most 3,600 points, each spanning `history_interval_s`.
    public var history: [HistoryPoint]
    public var historyIntervalS: Double

    /// - Parameter thresholds: the verdicts of the run's thresholds (``ThresholdEvaluator/verdict(_:aborted:)``).
    public init(result: RunResult, version: String, thresholds: [ThresholdOutcome] = []) {
        self.thresholds = thresholds.map(ThresholdSummary.init)
        let statistics = result.statistics
        // The whole run's, or since a reset of the statistics: the span their counts cover.
        let duration = result.statisticsDuration
        cicadaVersion = version
        target = result.target
        totals = Self.totalsBlock(statistics, duration: duration)
        endpoints = Self.endpointsBlock(statistics, duration: duration)
        failures = statistics.failureRows.map { row in
            let endpoint = statistics.endpoints[row.endpoint]
            return FailureRow(method: endpoint.method, name: endpoint.name, kind: failureKindKey(row.kind),
                              detail: row.detail, message: row.message, count: row.count)
        }
        let usage = result.generator
        generator = Generator(
            threads: usage.threads, usersPeak: usage.usersPeak, cpuUserS: usage.cpuUserSeconds,
            cpuSystemS: usage.cpuSystemSeconds, cpuPercent: usage.cpuPercent(duration: duration),
            peakRssBytes: usage.peakRSSBytes, loopLagP99Ms: usage.loopLagP99Milliseconds,
            loopLagMaxMs: usage.loopLagMaxMilliseconds, connectionsOpened: usage.connectionsOpened,
            samplesDropped: usage.samplesDropped, requestsStarted: result.requestsStarted)
        monitor = result.targetReport.map { report in
            MonitorSummary(processes: report.processes.map { MonitorSummary.Figures(source: $0.source, series: $0.series, lost: $0.lost, interval: 1) },
                           combined: MonitorSummary.Figures(source: nil, series: report.combined, lost: false, interval: 1))
        }
        arrival = result.arrival
        history = result.history.points
        historyIntervalS = Double(result.history.intervalsPerPoint)
        stages = result.stages.isEmpty ? nil : result.stages.map { stage in
            StageSummary(name: stage.name, users: stage.users, spawnRate: stage.spawnRate, arrivalRate: stage.arrivalRate,
                         durationS: stage.duration,
                         startedS: stage.started, totals: Self.totalsBlock(stage.statistics, duration: stage.duration),
                         endpoints: Self.endpointsBlock(stage.statistics, duration: stage.duration))
        }
    }

    /// The `totals` block of statistics over `duration` seconds: the whole run's, or a stage's.
    static func totalsBlock(_ statistics: RunStatistics, duration: Double) -> Totals {
        let total = statistics.aggregated
        return Totals(
            requests: total.requests, successes: total.successes, failures: total.failures,
            cancelled: total.cancelled, durationS: duration, rps: rate(total.requests, duration),
            failureRatio: total.requests == 0 ? 0 : Double(total.failures) / Double(total.requests),
            responseTimeMs: LatencySummary(total.responseTime),
            fromIntendedStartMs: LatencySummary(total.fromIntendedStart),
            tlsHandshakes: total.tlsHandshakes, tlsResumed: total.tlsResumed, dropped: statistics.droppedIterations)
    }

    /// The `endpoints` block of statistics over `duration` seconds: the whole run's, or a stage's.
    static func endpointsBlock(_ statistics: RunStatistics, duration: Double) -> [EndpointSummary] {
        var byKind: [Int: [String: UInt64]] = [:]
        for (key, count) in statistics.failureCounts {
            byKind[key.endpoint, default: [:]][failureKindKey(key.kind), default: 0] += count
        }
        return statistics.perEndpoint.enumerated().map { index, stats in
            EndpointSummary(
                method: stats.endpoint.method, name: stats.endpoint.name, requests: stats.requests,
                successes: stats.successes, failures: stats.failures, cancelled: stats.cancelled,
                rps: rate(stats.requests, duration), avgSizeBytes: stats.averageSize,
                responseTimeMs: LatencySummary(stats.responseTime),
                fromIntendedStartMs: LatencySummary(stats.fromIntendedStart),
                connectTimeMs: LatencySummary(stats.connectTime),
                tlsHandshakeTimeMs: LatencySummary(stats.tlsHandshakeTime), tlsHandshakes: stats.tlsHandshakes,
                tlsResumed: stats.tlsResumed, failuresByKind: byKind[index] ?? [:])
        }
    }

    private static func rate(_ count: UInt64, _ duration: Double) -> Double { duration > 0 ? Double(count) / duration : 0 }

    /// Encodes the summary as pretty-printed JSON with snake_case keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
