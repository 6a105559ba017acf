/// Judges the `abortOnFail` thresholds at each report interval while a run goes on, and stops the run
/// gracefully (as its run time would, through `stop`) when one fails after its `delayAbortEval`. It
/// passes every event on to `next`, the console, so it sits between the run and its reporter.
///
/// It runs on the run's control thread, from the statistics the run reports (whole-run so far), never
/// per request. A threshold with no samples yet is not judged.
///
/// ```swift
/// let watcher = ThresholdWatcher(evaluator: evaluator, next: reporter) { run.stop(reason: $0) }
/// let result = try run.run(observer: watcher)
/// let outcomes = evaluator.verdict(result, aborted: watcher.aborted)
/// ```
public final class ThresholdWatcher: RunObserver {
    private let evaluator: ThresholdEvaluator
    private let next: (any RunObserver)?
    private let stop: (String) -> Void
    private var usageAtStart = ProcessUsage.now()
    /// The busiest second and longest lag so far, for the `max` of `generator_cpu` and `loop_lag`.
    private var peaks = GeneratorPeaks()
    /// The thresholds that stopped the run, by index in the evaluator's rules: when, and the value then.
    public private(set) var aborted: [Int: (elapsed: Double, observed: Double)] = [:]

    /// - Parameter stop: asks the run to stop, with the reason (``LoadRun/stop(reason:)``).
    public init(evaluator: ThresholdEvaluator, next: (any RunObserver)?, stop: @escaping (String) -> Void) {
        self.evaluator = evaluator
        self.next = next
        self.stop = stop
    }

    public func runStarted(target: String, threads: Int) {
        usageAtStart = ProcessUsage.now()
        next?.runStarted(target: target, threads: threads)
    }

    public func report(_ progress: RunProgress) {
        next?.report(progress)
        guard aborted.isEmpty, progress.phase == .running else { return }
        let usage = ProcessUsage.now()
        let cpu = progress.elapsed > 0
            ? (usage.userSeconds + usage.systemSeconds - usageAtStart.userSeconds - usageAtStart.systemSeconds)
                / progress.elapsed * 100 : 0
        for (index, rule) in evaluator.rules.enumerated()
        where rule.threshold.abortOnFail && progress.elapsed >= rule.threshold.delayAbortEval {
            let outcome = evaluator.outcome(index, statistics: progress.statistics, elapsed: progress.elapsed,
                                            generator: GeneratorHealth(cpuAveragePercent: cpu, cpuMaxPercent: peaks.cpuMaxPercent,
                                                                       loopLagMaxMilliseconds: peaks.loopLagMaxMilliseconds),
                                            target: progress.target?.combined)
            guard let observed = outcome.observed, !outcome.passed else { continue }
            aborted[index] = (progress.elapsed, observed)
            stop("threshold '\(rule.threshold.description)' failed (observed \(outcome.observedText)) and aborts the run")
            return
        }
    }

    public func stopping(reason: String) {
        next?.stopping(reason: reason)
    }

    public func intervalClosed(_ tick: HistoryTick) {
        peaks.note(tick.point)
        next?.intervalClosed(tick)
    }
}
