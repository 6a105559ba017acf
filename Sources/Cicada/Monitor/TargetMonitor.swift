import Foundation
import Synchronization

/// What the watched target came to, for the thresholds, the console and the reports: each process's
/// series and, when several are watched, their sum (``combined``), which the thresholds judge.
public struct TargetReport: Sendable {
    public struct Process: Sendable {
        public var source: TargetSource
        public var series: TargetSeries
        /// Set when the process could not be read at some point (it ended, or procfs refused). A scrape that
        /// fails only skips its reading: the endpoint may answer again.
        public var lost: Bool
        /// The process's id, when it is watched by PID.
        public var pid: Int32? { source.pid }
    }

    public var processes: [Process]
    /// The watched processes added up at each reading: the target as a whole. With one process, its series.
    public var combined: TargetSeries
}

/// What the monitor reads once a second: a local process by its PID (procfs), or a target's Prometheus
/// endpoint (its standard `process_*` series, as the official client libraries export them).
public enum TargetSource: Sendable, Equatable {
    case process(Int32)
    /// An endpoint, and the other series to record from it besides the process's (`--monitor-series`).
    case prometheus(TargetURL, series: [String] = [])

    /// The series a scrape needs: CPU seconds (a counter) and resident memory; threads and open files when
    /// the target exports them.
    static let cpuSeries = "process_cpu_seconds_total", memorySeries = "process_resident_memory_bytes"
    static let threadSeries = "process_threads", fileSeries = "process_open_fds"

    public var pid: Int32? {
        if case .process(let pid) = self { return pid }
        return nil
    }

    public var url: String? {
        if case .prometheus(let url, _) = self { return url.description }
        return nil
    }

    /// How the console names it: `pid 4242`, or the URL.
    public var label: String { pid.map { "pid \($0)" } ?? url ?? "" }

    /// One reading, or why there is none.
    func read() -> Result<ProcessSnapshot, MetricsScrape.Failure> {
        switch self {
        case .process(let pid):
            guard let snapshot = ProcessSnapshot.read(pid: pid) else {
                return .failure(MetricsScrape.Failure(description: "no such process can be read (/proc/\(pid)/stat)"))
            }
            return .success(snapshot)
        case .prometheus(let url, let extra):
            do {
                let text = try MetricsScrape.fetch(url)
                let sums = PrometheusText.sums(of: Set([Self.cpuSeries, Self.memorySeries, Self.threadSeries, Self.fileSeries] + extra),
                                               in: text)
                guard let cpu = sums[Self.cpuSeries], let memory = sums[Self.memorySeries], memory >= 0, cpu >= 0 else {
                    return .failure(MetricsScrape.Failure(description: "the scrape has no \(Self.cpuSeries) and \(Self.memorySeries)"))
                }
                // A series asked for but not in this scrape is absent from this reading, not 0.
                return .success(ProcessSnapshot(cpuSeconds: cpu, residentBytes: UInt64(min(memory, 1e18)),
                                                threads: sums[Self.threadSeries].map { Int(min($0, 1e9)) },
                                                openFiles: sums[Self.fileSeries].map { Int(min($0, 1e9)) },
                                                series: sums.filter { extra.contains($0.key) }))
            } catch let failure as MetricsScrape.Failure {
                return .failure(failure)
            } catch {
                return .failure(MetricsScrape.Failure(description: "\(error)"))
            }
        }
    }
}

/// Watches the target (`--monitor-pid`, `--monitor-prometheus`) on a thread of its own, once a second:
/// CPU, resident memory, threads and open files, from procfs or from a scrape. It costs the run nothing per
/// request. A process that cannot be read is reported once through `warn` and left out from then on; a
/// scrape that fails skips its reading, with a warning the first time; never a crash.
///
/// ```swift
/// let monitor = try TargetMonitor(pids: [4242]) { print("warning: \($0)") }
/// monitor.start()                 // at the run's start
/// let now = monitor.report()      // any thread, any time
/// let final = monitor.stop()      // at the run's end
/// ```
public final class TargetMonitor: Sendable {
    public let sources: [TargetSource]
    private let interval: Double
    private let warn: @Sendable (String) -> Void
    private let state: Mutex<State>
    private let stopped = DispatchSemaphore(value: 0)

    private struct State {
        var processes: [TargetReport.Process]
        var combined = TargetSeries()
        var start: UInt64 = 0
        var running = false
        var scrapeWarned: Set<Int> = []
    }

    /// Reads each source once now, so that a wrong PID or an endpoint that does not answer is found before
    /// any load.
    /// - Parameters:
    ///   - interval: seconds between readings (1 by default; tests may shorten it).
    ///   - warn: called on the monitor's thread when a source stops being readable.
    /// - Throws: ``CicadaError`` naming the source that cannot be read and why.
    public init(sources: [TargetSource], interval: Double = 1, warn: @escaping @Sendable (String) -> Void) throws {
        for source in sources {
            if case .failure(let failure) = source.read() {
                switch source {
                case .process(let pid): throw CicadaError("--monitor-pid \(pid): \(failure)")
                case .prometheus(let url, _): throw CicadaError("--monitor-prometheus \(url): \(failure)")
                }
            }
        }
        self.sources = sources
        self.interval = interval
        self.warn = warn
        self.state = Mutex(State(processes: sources.map { TargetReport.Process(source: $0, series: TargetSeries(), lost: false) }))
    }

    /// Watches local processes by PID.
    public convenience init(pids: [Int32], interval: Double = 1, warn: @escaping @Sendable (String) -> Void) throws {
        try self.init(sources: pids.map(TargetSource.process), interval: interval, warn: warn)
    }

    /// Takes the first reading now (the start of the CPU baseline) and then one per interval until ``stop()``.
    /// Any thread; once.
    public func start() {
        state.withLock { state in
            state.start = DispatchTime.now().uptimeNanoseconds
            state.running = true
        }
        sample()
        let thread = Thread { [self] in
            while true {
                if stopped.wait(timeout: .now() + interval) == .success { return }
                sample()
            }
        }
        thread.name = "cicada target monitor"
        thread.start()
    }

    /// Takes a last reading, ends the thread and returns the whole report. Any thread but the monitor's.
    @discardableResult
    public func stop() -> TargetReport {
        let wasRunning = state.withLock { state in
            defer { state.running = false }
            return state.running
        }
        if wasRunning {
            stopped.signal()
            sample()
        }
        return report()
    }

    /// The readings so far. Any thread.
    public func report() -> TargetReport {
        state.withLock { TargetReport(processes: $0.processes, combined: $0.combined) }
    }

    private func sample() {
        let readings = sources.map { $0.read() }
        let now = DispatchTime.now().uptimeNanoseconds
        var warnings: [String] = []
        state.withLock { state in
            let elapsed = Double(now - state.start) / 1e9
            var sum = ProcessSnapshot(cpuSeconds: 0, residentBytes: 0, threads: 0, openFiles: 0)
            var any = false
            var missed = false
            for index in state.processes.indices where !state.processes[index].lost {
                let snapshot: ProcessSnapshot
                switch readings[index] {
                case .success(let reading):
                    snapshot = reading
                case .failure(let failure):
                    missed = true
                    if let pid = state.processes[index].pid {
                        state.processes[index].lost = true
                        warnings.append("the watched process \(pid) can no longer be read (it ended?): its figures stop here")
                    } else if state.scrapeWarned.insert(index).inserted {
                        warnings.append("the scrape of \(state.processes[index].source.label) failed (\(failure)): its readings are skipped until it answers")
                    }
                    continue
                }
                state.processes[index].series.add(elapsed: elapsed, snapshot: snapshot)
                any = true
                sum.cpuSeconds += snapshot.cpuSeconds
                sum.residentBytes += snapshot.residentBytes
                sum.threads = sum.threads.flatMap { total in snapshot.threads.map { total + $0 } }
                sum.openFiles = sum.openFiles.flatMap { total in snapshot.openFiles.map { total + $0 } }
                sum.series.merge(snapshot.series, uniquingKeysWith: +)
            }
            // A sum that lacks a source that is still watched would look like a drop in CPU and memory: the
            // combined series takes only readings where every source answered.
            if any, !missed { state.combined.add(elapsed: elapsed, snapshot: sum) }
        }
        for warning in warnings { warn(warning) }
    }
}
