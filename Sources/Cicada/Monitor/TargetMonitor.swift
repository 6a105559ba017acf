import Foundation
import Synchronization

/// What the watched target came to, for the thresholds, the console and the reports: each process's
/// series and, when several are watched, their sum (``combined``), which the thresholds judge.
public struct TargetReport: Sendable {
    public struct Process: Sendable {
        public var pid: Int32
        public var series: TargetSeries
        /// Set when the process could not be read at some point (it ended, or procfs refused).
        public var lost: Bool
    }

    public var processes: [Process]
    /// The watched processes added up at each reading: the target as a whole. With one process, its series.
    public var combined: TargetSeries
}

/// Watches local target processes (`--monitor-pid`) on a thread of its own, reading procfs once a second:
/// CPU, resident memory, threads and open files. It costs the run nothing per request. A process that
/// cannot be read is reported once through `warn` and left out from then on, never a crash.
///
/// ```swift
/// let monitor = try TargetMonitor(pids: [4242]) { print("warning: \($0)") }
/// monitor.start()                 // at the run's start
/// let now = monitor.report()      // any thread, any time
/// let final = monitor.stop()      // at the run's end
/// ```
public final class TargetMonitor: Sendable {
    public let pids: [Int32]
    private let interval: Double
    private let warn: @Sendable (String) -> Void
    private let state: Mutex<State>
    private let stopped = DispatchSemaphore(value: 0)

    private struct State {
        var processes: [TargetReport.Process]
        var combined = TargetSeries()
        var start: UInt64 = 0
        var running = false
    }

    /// Checks that each process exists now, so that a wrong PID is found before any load.
    /// - Parameters:
    ///   - interval: seconds between readings (1 by default; tests may shorten it).
    ///   - warn: called on the monitor's thread when a process stops being readable.
    /// - Throws: ``CicadaError`` naming a PID that cannot be read.
    public init(pids: [Int32], interval: Double = 1, warn: @escaping @Sendable (String) -> Void) throws {
        for pid in pids where ProcessSnapshot.read(pid: pid) == nil {
            throw CicadaError("--monitor-pid \(pid): no such process can be read (/proc/\(pid)/stat)")
        }
        self.pids = pids
        self.interval = interval
        self.warn = warn
        self.state = Mutex(State(processes: pids.map { TargetReport.Process(pid: $0, series: TargetSeries(), lost: false) }))
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
        let readings = pids.map { ProcessSnapshot.read(pid: $0) }
        let now = DispatchTime.now().uptimeNanoseconds
        var lostNow: [Int32] = []
        state.withLock { state in
            let elapsed = Double(now - state.start) / 1e9
            var sum = ProcessSnapshot(cpuSeconds: 0, residentBytes: 0, threads: 0, openFiles: 0)
            var any = false
            for index in state.processes.indices where !state.processes[index].lost {
                guard let snapshot = readings[index] else {
                    state.processes[index].lost = true
                    lostNow.append(state.processes[index].pid)
                    continue
                }
                state.processes[index].series.add(elapsed: elapsed, snapshot: snapshot)
                any = true
                sum.cpuSeconds += snapshot.cpuSeconds
                sum.residentBytes += snapshot.residentBytes
                sum.threads += snapshot.threads
                if let open = sum.openFiles, let more = snapshot.openFiles {
                    sum.openFiles = open + more
                } else {
                    sum.openFiles = nil
                }
            }
            if any { state.combined.add(elapsed: elapsed, snapshot: sum) }
        }
        for pid in lostNow {
            warn("the watched process \(pid) can no longer be read (it ended?): its figures stop here")
        }
    }
}
