import CCicadaCore
import Foundation
import Histogram

/// What one threshold came to: the value observed and whether the expression held.
public struct ThresholdOutcome: Sendable {
    public var rule: ThresholdRule
    /// The aggregation's value in the metric's unit (``ThresholdRule/limit``'s); `nil` when the metric had
    /// no samples (no successful request for a time, no request for a rate), which cannot be shown to hold.
    public var observed: Double?
    public var passed: Bool
    /// Set when this threshold failed while the run went on and, being `abortOnFail`, stopped it: the
    /// seconds into the run and the value observed then. The outcome is then failed, whatever the value at
    /// the end.
    public var aborted: (elapsed: Double, observed: Double)?

    /// The observed value with its unit, as the console and the JUnit file print it: `512.3 ms`, `0.05%`,
    /// `1234`, `88.2/s`, `12.5%`; `no samples` when there were none.
    public var observedText: String {
        guard let observed else { return "no samples" }
        return ThresholdOutcome.format(observed, of: rule)
    }

    static func format(_ value: Double, of rule: ThresholdRule) -> String {
        switch rule.metric {
        case .httpReqDuration: return "\(StatsTable.ms(value)) ms"
        case .httpReqFailed, .checks: return "\(formatShare(value * 100))%"
        case .httpReqs, .droppedIterations:
            return rule.aggregation == .count ? formatNumber(value) : String(format: "%.1f/s", value)
        case .generatorCPU, .targetCPU: return String(format: "%.1f%%", value)
        case .loopLag: return "\(StatsTable.ms(value)) ms"
        case .targetRSS:
            return rule.aggregation == .slope ? String(format: "%.2f MiB/min", value) : String(format: "%.1f MiB", value)
        }
    }

    /// A percentage with 3 significant digits, so that 0.05% and 99.95% keep what matters.
    private static func formatShare(_ percent: Double) -> String {
        if percent == 0 || percent == 100 { return formatNumber(percent) }
        return String(format: "%.3g", percent)
    }
}

/// The generator's own figures that `generator_cpu` and `loop_lag` judge; `nil` for one not measured (yet).
public struct GeneratorHealth: Sendable {
    /// CPU time over the run so far, percent of one core.
    public var cpuAveragePercent: Double
    /// The busiest second's CPU (``GeneratorPeaks``).
    public var cpuMaxPercent: Double?
    /// The loop lag's p99 over the run's windows (``LoopLagRecorder``): known when the run has ended.
    public var loopLagP99Milliseconds: Double?
    public var loopLagMaxMilliseconds: Double?

    public init(cpuAveragePercent: Double, cpuMaxPercent: Double? = nil, loopLagP99Milliseconds: Double? = nil,
                loopLagMaxMilliseconds: Double? = nil) {
        self.cpuAveragePercent = cpuAveragePercent
        self.cpuMaxPercent = cpuMaxPercent
        self.loopLagP99Milliseconds = loopLagP99Milliseconds
        self.loopLagMaxMilliseconds = loopLagMaxMilliseconds
    }

    /// A finished run's figures.
    public init(_ result: RunResult) {
        self.init(cpuAveragePercent: result.generator.cpuPercent(duration: result.duration),
                  cpuMaxPercent: result.history.peaks.cpuMaxPercent,
                  loopLagP99Milliseconds: result.generator.loopLagP99Milliseconds,
                  loopLagMaxMilliseconds: result.generator.loopLagMaxMilliseconds)
    }
}

/// Judges a run's thresholds from its statistics, on the control thread or after the run; never per
/// request. Aggregates merge the selected endpoints' histograms, never their percentiles.
public struct ThresholdEvaluator: Sendable {
    public let rules: [ThresholdRule]
    /// For each rule, the indices of the plan's endpoints that its tags select.
    private let selected: [[Int]]
    /// The endpoints with at least one request that carries a check, for `checks`.
    private let checkedEndpoints: Set<Int>

    /// Reads the thresholds and resolves their tags against the plan's endpoints.
    /// - Throws: ``InputError`` when a threshold does not parse or names an endpoint or method the plan
    ///   does not have.
    public init(thresholds: [Threshold], plan: CompiledPlan) throws {
        let rules = try thresholds.map { try $0.parsed() }
        self.rules = rules
        let endpoints = plan.endpoints
        for (rule, threshold) in zip(rules, thresholds) {
            try located("threshold '\(threshold.description.escapedForMessage)'") {
                try ThresholdRule.checkTags(rule.tags, endpoints: endpoints)
            }
        }
        selected = rules.map { rule in
            endpoints.indices.filter { index in
                rule.tags.allSatisfy { tag in
                    switch tag {
                    case .endpoint(let name): return endpoints[index].name == name
                    case .method(let method): return endpoints[index].method == method
                    case .stage: return true
                    }
                }
            }
        }
        checkedEndpoints = Set(plan.specification.requests.filter { !$0.checks.isEmpty }.map { Int($0.endpoint) })
    }

    /// Whether any threshold stops the run when it fails.
    public var aborts: Bool { rules.contains { $0.threshold.abortOnFail } }

    /// Whether a threshold judges the watched target, which then needs `--monitor-pid`.
    public var judgesTarget: Bool { rules.contains { $0.metric.isTargetFigure } }

    /// Judges rule `index` on `statistics`, `elapsed` seconds into the run.
    /// - Parameters:
    ///   - generator: the generator's own figures so far.
    ///   - target: the watched target's readings so far; `nil` leaves its thresholds without samples.
    public func outcome(_ index: Int, statistics: RunStatistics, elapsed: Double, generator: GeneratorHealth,
                        target: TargetSeries? = nil) -> ThresholdOutcome {
        let rule = rules[index]
        let observed = value(rule, endpoints: selected[index], statistics: statistics, elapsed: elapsed,
                             generator: generator, target: target)
        return ThresholdOutcome(rule: rule, observed: observed,
                                passed: observed.map { rule.comparison.holds($0, rule.limit) } ?? false)
    }

    /// Judges a stage as it ends, for a breaking-point search (``RunConfiguration/stageVerdict``): every
    /// rule but those narrowed to a named stage and the generator's own figures (measured over the whole
    /// run only), on the stage's statistics over its duration and `target`, the watched target's readings
    /// within it. Returns the rules that failed, each as `METRIC: EXPRESSION (observed VALUE)`.
    public func stageFailures(_ stage: StageResult, target: TargetSeries?) -> [String] {
        rules.indices.compactMap { index -> String? in
            let rule = rules[index]
            guard rule.stage == nil, !rule.metric.isGeneratorFigure else { return nil }
            let outcome = outcome(index, statistics: stage.statistics, elapsed: stage.duration,
                                  generator: GeneratorHealth(cpuAveragePercent: 0), target: target)
            return outcome.passed ? nil : "\(rule.threshold.description) (observed \(outcome.observedText))"
        }
    }

    /// Judges every rule on the whole run's statistics; a rule in `aborted` is failed.
    public func verdict(_ result: RunResult, aborted: [Int: (elapsed: Double, observed: Double)] = [:]) -> [ThresholdOutcome] {
        let generator = GeneratorHealth(result)
        return rules.indices.map { index in
            var outcome: ThresholdOutcome
            if let name = rules[index].stage {
                // A stage's own statistics over its measured duration, and the target's readings within it.
                if let stage = result.stages.first(where: { $0.name == name }) {
                    let window = result.targetReport.map { $0.combined.window(from: stage.started, to: stage.started + stage.duration) }
                    outcome = self.outcome(index, statistics: stage.statistics, elapsed: stage.duration,
                                           generator: generator, target: window)
                } else {
                    // The stage never ran (a run time cut the run short): no samples, which fails.
                    outcome = ThresholdOutcome(rule: rules[index], observed: nil, passed: false)
                }
            } else {
                outcome = self.outcome(index, statistics: result.statistics, elapsed: result.duration, generator: generator,
                                       target: result.targetReport?.combined)
            }
            if let abort = aborted[index] {
                outcome.aborted = abort
                outcome.passed = false
            }
            return outcome
        }
    }

    private func value(_ rule: ThresholdRule, endpoints: [Int], statistics: RunStatistics, elapsed: Double,
                       generator: GeneratorHealth, target: TargetSeries?) -> Double? {
        switch rule.metric {
        case .generatorCPU:
            return rule.aggregation == .max ? generator.cpuMaxPercent : generator.cpuAveragePercent
        case .loopLag:
            return rule.aggregation == .max ? generator.loopLagMaxMilliseconds : generator.loopLagP99Milliseconds
        case .targetCPU:
            guard let target else { return nil }
            return rule.aggregation == .max ? (target.readings >= 2 ? target.cpuMaxPercent : nil) : target.cpuAveragePercent
        case .targetRSS:
            guard let target, target.readings > 0 else { return nil }
            return rule.aggregation == .slope ? target.rssSlopeMiBPerMinute : Double(target.rssMaxBytes) / 1_048_576
        case .httpReqDuration:
            var total = EndpointStatistics(endpoint: Endpoint(method: "", name: "threshold"))
            for index in endpoints { total.merge(statistics.perEndpoint[index]) }
            let histogram = total.responseTime
            guard histogram.totalCount > 0 else { return nil }
            func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
            switch rule.aggregation {
            case .avg: return histogram.mean / 1000
            case .min: return ms(histogram.min)
            case .max: return ms(histogram.max)
            case .med: return ms(histogram.valueAtPercentile(50))
            case .percentile(let p): return ms(histogram.valueAtPercentile(p))
            case .rate, .count, .slope: return nil
            }
        case .httpReqFailed:
            let (failures, ended) = endpoints.reduce((UInt64(0), UInt64(0))) { sum, index in
                let stats = statistics.perEndpoint[index]
                return (sum.0 + stats.failures, sum.1 + stats.successes + stats.failures)
            }
            return ended == 0 ? nil : Double(failures) / Double(ended)
        case .httpReqs:
            let requests = endpoints.reduce(UInt64(0)) { $0 + statistics.perEndpoint[$1].requests }
            if rule.aggregation == .count { return Double(requests) }
            return elapsed > 0 ? Double(requests) / elapsed : nil
        case .droppedIterations:
            let dropped = Double(statistics.droppedIterations)
            if rule.aggregation == .count { return dropped }
            return elapsed > 0 ? dropped / elapsed : nil
        case .checks:
            let chosen = Set(endpoints).intersection(checkedEndpoints)
            var failed: UInt64 = 0
            for (key, count) in statistics.failureCounts
            where key.kind == Int(CC_FAIL_CHECK.rawValue) && chosen.contains(key.endpoint) {
                failed += count
            }
            let passed = chosen.reduce(UInt64(0)) { $0 + statistics.perEndpoint[$1].successes }
            return passed + failed == 0 ? nil : Double(passed) / Double(passed + failed)
        }
    }
}
