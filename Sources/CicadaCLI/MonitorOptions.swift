import ArgumentParser
import Cicada

/// `--monitor-pid` and `--monitor-prometheus`: the target watched through the run, for the console, the
/// reports and the `target_cpu` and `target_rss` thresholds.
struct MonitorOptions: ParsableArguments {
    @Option(name: .customLong("monitor-pid"),
            help: ArgumentHelp("Watch this local process of the target (its CPU, memory, threads and open files, from /proc, once a second) for the report and the target_cpu and target_rss thresholds; repeatable (the thresholds judge their sum), up to \(SettingBounds.monitorPIDCount) sources in all.",
                               valueName: "pid"),
            transform: { try SettingBounds.monitorPID.parse($0) })
    var pids: [Int32] = []

    @Option(name: .customLong("monitor-prometheus"),
            help: ArgumentHelp("Watch the target through its Prometheus endpoint (an http:// URL such as http://127.0.0.1:8000/metrics), scraped once a second for process_cpu_seconds_total and process_resident_memory_bytes (and process_threads, process_open_fds when there): a remote target's CPU and memory, as --monitor-pid gives a local one's; repeatable.",
                               valueName: "url"),
            transform: { text in
                do { return try TargetURL(text) } catch { throw ValidationError("\(text): \(error)") }
            })
    var prometheus: [TargetURL] = []

    @Option(name: .customLong("monitor-series"),
            help: ArgumentHelp("With --monitor-prometheus: also record this series of each scrape (summed over its label sets) in the report and the JSON's monitor history, such as samplemind_requests_total; repeatable, up to \(MonitorOptions.maxSeries).",
                               valueName: "name"),
            transform: { name in
                guard let first = name.first, !first.isNumber,
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) else {
                    throw ValidationError("'\(name)': expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
                }
                return name
            })
    var series: [String] = []

    /// The most extra series a run records: each is a number per reading in every point of the history.
    static let maxSeries = 32

    /// The monitor for the run, checked now: a PID that cannot be read, an endpoint that does not answer
    /// with the process series, or a target threshold with nothing to watch, is a usage error before any load.
    /// - Parameter warn: where a source that stops being readable is reported, during the run.
    func monitor(thresholds: ThresholdEvaluator, warn: @escaping @Sendable (String) -> Void) throws -> TargetMonitor? {
        guard series.count <= Self.maxSeries else {
            throw SetupError("--monitor-series was given \(series.count) times; expected at most \(Self.maxSeries)")
        }
        if !series.isEmpty, prometheus.isEmpty {
            throw SetupError("--monitor-series names series of a scrape: give --monitor-prometheus URL too")
        }
        let sources = pids.map(TargetSource.process) + prometheus.map { TargetSource.prometheus($0, series: series) }
        guard sources.count <= SettingBounds.monitorPIDCount else {
            throw SetupError("--monitor-pid and --monitor-prometheus were given \(sources.count) times; expected at most \(SettingBounds.monitorPIDCount)")
        }
        if let https = prometheus.first(where: { $0.scheme != .http }) {
            throw SetupError("--monitor-prometheus \(https): only http:// endpoints can be scraped")
        }
        guard !sources.isEmpty else {
            if thresholds.judgesTarget {
                throw SetupError("target_cpu and target_rss thresholds judge a watched target; give --monitor-pid PID or --monitor-prometheus URL")
            }
            return nil
        }
        do { return try TargetMonitor(sources: sources, warn: warn) } catch let error as CicadaError {
            throw SetupError(error.description)
        }
    }
}
