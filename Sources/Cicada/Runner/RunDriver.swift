import CCicadaCore
import Foundation

/// What a run's control thread does: spawns users at the spawn rate, ends the run at the run time or
/// when a stop is asked for, drains samples every 100 ms and hands statistics on. It owns the engine and
/// the statistics; ``LoadRun`` keeps it on the thread that made the engine.
final class RunDriver {
    private let engine: LoadEngine
    private let configuration: RunConfiguration
    private var statistics: RunStatistics
    private var loopLag = LoopLagRecorder(start: 0)
    private var alive: [Int]
    /// Which class each new user gets (``ClassSequence``): the shares are exact at every user count.
    private var classes: ClassSequence

    init(engine: LoadEngine, configuration: RunConfiguration) {
        self.engine = engine
        self.configuration = configuration
        self.statistics = RunStatistics(endpoints: engine.plan.endpoints, failureNames: engine.plan.failureNames)
        self.alive = engine.plan.userClassNames.map { _ in 0 }
        self.classes = ClassSequence(weights: engine.plan.userClassWeights, fixedCounts: engine.plan.userClassFixedCounts)
    }

    /// Runs to the end and returns what happened.
    /// - Parameters:
    ///   - stopRequest: polled every tick; a reason once a stop has been asked for.
    ///   - publish: called with the progress at each report and each change of phase.
    func run(observer: (any RunObserver)?, stopRequest: () -> String?, publish: (RunProgress) -> Void) throws -> RunResult {
        let usageBefore = ProcessUsage.now()
        try engine.start()
        observer?.runStarted(target: engine.targetDescription, threads: engine.workerCount)
        let start = cc_clock_now_ns()
        statistics.markTime(start)
        loopLag = LoopLagRecorder(start: start)
        func progress(_ phase: RunProgress.Phase, usersActive: Int) -> RunProgress {
            RunProgress(phase: phase, elapsed: Double(cc_clock_now_ns() - start) / 1e9, usersActive: usersActive,
                        statistics: statistics)
        }
        publish(progress(.running, usersActive: 0))
        var nextReport = configuration.reportInterval
        var usersPeak = 0
        let tick: UInt32 = 100_000 // microseconds

        // Running: ramp up, hold, until the run time ends or a stop is asked for.
        var stopReason = "run time reached"
        while true {
            let elapsed = Double(cc_clock_now_ns() - start) / 1e9
            if let runTime = configuration.runTime, elapsed >= runTime { break }
            if let reason = stopRequest() {
                stopReason = reason
                break
            }
            try spawnTowardsTarget(elapsed: elapsed)
            usersPeak = max(usersPeak, alive.reduce(0, +))
            let counters = drainAndWatch()
            if elapsed >= nextReport {
                statistics.markTime(cc_clock_now_ns())
                let report = progress(.running, usersActive: Int(counters.users_active))
                // Other threads keep this copy, so the next sample copies the histograms (copy on write):
                // once per report interval, never per sample.
                publish(report)
                observer?.report(report)
                nextReport += configuration.reportInterval
            }
            usleep(tick)
        }

        // Stopping: no new request; let requests in flight finish until the stop timeout.
        observer?.stopping(reason: stopReason)
        engine.stop()
        publish(progress(.stopping, usersActive: Int(engine.counters().users_active)))
        let stopStart = cc_clock_now_ns()
        while drainAndWatch().users_active > 0 {
            if Double(cc_clock_now_ns() - stopStart) / 1e9 >= configuration.stopTimeout { break }
            usleep(20_000)
        }
        let end = cc_clock_now_ns()
        if engine.counters().users_active > 0 { engine.cancel() }
        engine.join()
        drainAndWatch()
        loopLag.finish()
        let after = engine.counters()
        let usageAfter = ProcessUsage.now()

        let generator = GeneratorUsage(
            threads: engine.workerCount,
            cpuUserSeconds: usageAfter.userSeconds - usageBefore.userSeconds,
            cpuSystemSeconds: usageAfter.systemSeconds - usageBefore.systemSeconds,
            peakRSSBytes: usageAfter.peakRSSBytes,
            loopLagP99Milliseconds: loopLag.p99Milliseconds,
            loopLagMaxMilliseconds: loopLag.maxMilliseconds,
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
        // The run only grows towards its target, so users are only ever added, in the sequence's order.
        while classes.counts.reduce(0, +) < target, classes.next() != nil {}
        let wanted = classes.counts
        for index in wanted.indices where wanted[index] > alive[index] {
            try engine.spawn(userClass: index, count: wanted[index] - alive[index])
            alive[index] = wanted[index]
        }
    }

    /// Drains the samples and records the loop lag; returns the counters read on the way.
    @discardableResult
    private func drainAndWatch() -> EngineCounters {
        engine.drain { statistics.record($0) }
        let counters = engine.counters()
        loopLag.read(lagNanoseconds: counters.loop_lag_max_ns, at: cc_clock_now_ns())
        return counters
    }
}
