import CCicadaCore
import Foundation
import Histogram
import Synchronization

/// How a run unfolds over time.
public struct RunConfiguration: Sendable {
    /// Peak number of concurrent users.
    public var users: Int
    /// Users started per second while ramping up; 0 starts them all at once.
    public var spawnRate: Double
    /// How long the run lasts from its start (ramp-up included); nil runs until interrupted.
    public var runTime: Double?
    /// How long users may take to finish their request in flight after the run time ends, before
    /// those requests are cancelled.
    public var stopTimeout: Double
    /// How often live statistics are reported, in seconds.
    public var reportInterval: Double

    public init(users: Int, spawnRate: Double, runTime: Double?, stopTimeout: Double = 10, reportInterval: Double = 2) {
        self.users = users
        self.spawnRate = spawnRate
        self.runTime = runTime
        self.stopTimeout = stopTimeout
        self.reportInterval = reportInterval
    }
}

/// What the generator itself cost, so that a reader can tell when it, not the target, was the limit.
public struct GeneratorUsage: Sendable, Codable {
    public var threads: Int
    public var cpuUserSeconds: Double
    public var cpuSystemSeconds: Double
    public var peakRSSBytes: UInt64
    public var loopLagP99Milliseconds: Double
    public var loopLagMaxMilliseconds: Double
    public var connectionsOpened: UInt64
    public var samplesDropped: UInt64
    public var usersPeak: Int

    /// CPU time as a share of one core over the run.
    public func cpuPercent(duration: Double) -> Double {
        duration > 0 ? (cpuUserSeconds + cpuSystemSeconds) / duration * 100 : 0
    }
}

/// The outcome of a run.
public struct RunResult: Sendable {
    public var statistics: RunStatistics
    public var duration: Double
    public var target: String
    public var generator: GeneratorUsage
    /// Requests the core started; equal to the samples counted unless samples were dropped.
    public var requestsStarted: UInt64
}

/// Live progress, called on the control thread.
public protocol RunObserver: AnyObject {
    func runStarted(target: String, threads: Int)
    func report(statistics: RunStatistics, usersActive: Int, elapsed: Double)
    func stopping(reason: String)
}

/// Set from a signal handler to ask a run to stop as if its run time had ended.
public let stopRequested = Atomic<Bool>(false)

/// Drives a run: spawns users at the spawn rate, ends it at the run time, drains samples every
/// 100 ms and hands statistics to an observer. Runs on the calling thread.
public final class LoadRunner {
    let engine: LoadEngine
    let configuration: RunConfiguration
    weak var observer: RunObserver?
    private var statistics: RunStatistics
    private var loopLag = makeLatencyHistogram()
    private var alive: [Int]

    public init(engine: LoadEngine, configuration: RunConfiguration, observer: RunObserver?) {
        self.engine = engine
        self.configuration = configuration
        self.observer = observer
        self.statistics = RunStatistics(endpoints: engine.plan.endpoints)
        self.alive = engine.plan.userClassNames.map { _ in 0 }
    }

    /// Runs to the end and returns what happened.
    public func run() throws -> RunResult {
        let usageBefore = ProcessUsage.now()
        try engine.start()
        observer?.runStarted(target: engine.targetDescription, threads: engine.workerCount)
        let start = cc_clock_now_ns()
        statistics.markTime(start)
        var nextReport = configuration.reportInterval
        var usersPeak = 0
        let tick: UInt32 = 100_000 // microseconds

        // Running: ramp up, hold, until the run time ends or a stop is asked for.
        var stopReason = "run time reached"
        while true {
            let elapsed = Double(cc_clock_now_ns() - start) / 1e9
            if let runTime = configuration.runTime, elapsed >= runTime { break }
            if stopRequested.load(ordering: .relaxed) {
                stopReason = "interrupted"
                break
            }
            try spawnTowardsTarget(elapsed: elapsed)
            usersPeak = max(usersPeak, alive.reduce(0, +))
            let counters = drainAndWatch()
            if elapsed >= nextReport {
                reportNow(start: start, usersActive: Int(counters.users_active))
                nextReport += configuration.reportInterval
            }
            usleep(tick)
        }

        // Stopping: no new request; let requests in flight finish until the stop timeout.
        observer?.stopping(reason: stopReason)
        engine.stop()
        let stopStart = cc_clock_now_ns()
        while drainAndWatch().users_active > 0 {
            if Double(cc_clock_now_ns() - stopStart) / 1e9 >= configuration.stopTimeout { break }
            usleep(20_000)
        }
        let end = cc_clock_now_ns()
        if engine.counters().users_active > 0 { engine.cancel() }
        engine.join()
        drainAndWatch()
        let after = engine.counters()
        let usageAfter = ProcessUsage.now()

        let generator = GeneratorUsage(
            threads: engine.workerCount,
            cpuUserSeconds: usageAfter.userSeconds - usageBefore.userSeconds,
            cpuSystemSeconds: usageAfter.systemSeconds - usageBefore.systemSeconds,
            peakRSSBytes: usageAfter.peakRSSBytes,
            loopLagP99Milliseconds: Double(loopLag.totalCount > 0 ? loopLag.valueAtPercentile(99) : 0) / 1000,
            loopLagMaxMilliseconds: Double(loopLag.totalCount > 0 ? loopLag.max : 0) / 1000,
            connectionsOpened: after.connections_opened,
            samplesDropped: after.samples_dropped,
            usersPeak: usersPeak)
        return RunResult(statistics: statistics, duration: Double(end - start) / 1e9,
                         target: engine.targetDescription, generator: generator,
                         requestsStarted: after.requests_started)
    }

    private func spawnTowardsTarget(elapsed: Double) throws {
        let total = configuration.users
        let target: Int
        if configuration.spawnRate <= 0 {
            target = total
        } else {
            // One user at once, then the rest at the spawn rate.
            target = min(total, Int((configuration.spawnRate * elapsed).rounded(.down)) + 1)
        }
        let wanted = distributeUsers(total: target, weights: engine.plan.userClassWeights)
        for index in wanted.indices where wanted[index] != alive[index] {
            if wanted[index] > alive[index] {
                try engine.spawn(userClass: index, count: wanted[index] - alive[index])
            } else {
                try engine.retire(userClass: index, count: alive[index] - wanted[index])
            }
            alive[index] = wanted[index]
        }
    }

    /// Drains the samples and records the loop lag; returns the counters read on the way.
    @discardableResult
    private func drainAndWatch() -> EngineCounters {
        engine.drain { statistics.record($0) }
        let counters = engine.counters()
        if counters.loop_lag_max_ns > 0 { loopLag.record(max(1, counters.loop_lag_max_ns / 1000)) }
        return counters
    }

    private func reportNow(start: UInt64, usersActive: Int) {
        let now = cc_clock_now_ns()
        statistics.markTime(now)
        observer?.report(statistics: statistics, usersActive: usersActive, elapsed: Double(now - start) / 1e9)
    }
}

/// CPU time and peak memory of this process.
struct ProcessUsage {
    var userSeconds: Double
    var systemSeconds: Double
    var peakRSSBytes: UInt64

    static func now() -> ProcessUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return ProcessUsage(userSeconds: seconds(usage.ru_utime), systemSeconds: seconds(usage.ru_stime),
                            peakRSSBytes: UInt64(usage.ru_maxrss) * 1024)
    }
}
