import ArgumentParser
import Cicada

/// `--monitor-pid`: the local target processes watched through the run, for the console, the reports and
/// the `target_cpu` and `target_rss` thresholds.
struct MonitorOptions: ParsableArguments {
    @Option(name: .customLong("monitor-pid"),
            help: ArgumentHelp("Watch this local process of the target (its CPU, memory, threads and open files, from /proc, once a second) for the report and the target_cpu and target_rss thresholds; repeatable (the thresholds judge their sum), up to \(SettingBounds.monitorPIDCount).",
                               valueName: "pid"),
            transform: { try SettingBounds.monitorPID.parse($0) })
    var pids: [Int32] = []

    /// The monitor for the run, checked now: a PID that cannot be read, or a target threshold with nothing
    /// to watch, is a usage error before any load.
    /// - Parameter warn: where a process that stops being readable is reported, during the run.
    func monitor(thresholds: ThresholdEvaluator, warn: @escaping @Sendable (String) -> Void) throws -> TargetMonitor? {
        guard pids.count <= SettingBounds.monitorPIDCount else {
            throw SetupError("--monitor-pid was given \(pids.count) times; expected at most \(SettingBounds.monitorPIDCount)")
        }
        guard !pids.isEmpty else {
            if thresholds.judgesTarget {
                throw SetupError("target_cpu and target_rss thresholds judge a watched target; give --monitor-pid PID")
            }
            return nil
        }
        do { return try TargetMonitor(pids: pids, warn: warn) } catch let error as CicadaError {
            throw SetupError(error.description)
        }
    }
}
