import CCicadaCore
import Foundation

/// What a run's control thread does: asks the load shape at each tick for its target, spawns and retires
/// users towards it at its spawn rate, ends the run when the shape ends, at the run time or when a stop is
/// asked for, drains samples every 100 ms and hands statistics on. It owns the engine and the statistics;
/// ``LoadRun`` keeps it on the thread that made the engine.
final class RunDriver {
    private let engine: LoadEngine
    private let configuration: RunConfiguration
    private var statistics: RunStatistics
    private var stages: StageLedger
    private var loopLag = LoopLagRecorder(start: 0)
    private var interval = IntervalRecorder(start: 0, endpoints: 0)
    private var history = RunHistory()
    /// The per-endpoint sliding windows, only when ``RunConfiguration/endpointWindows`` asks for them.
    private var windows: EndpointWindows?
    private var alive: [Int]
    /// Which class each user belongs to (``ClassSequence``, walked back to retire): the shares are exact
    /// at every user count.
    private var roster: UserRoster
    private var ramp = UserRamp()
    /// The open model: each class's share of the iterations and its most users, from the shares of users at
    /// ``ArrivalModel/maxUsers``; the rate last given to the core; the dropped iterations counted so far.
    private var arrivalShares: [(share: Double, maxUsers: Int)] = []
    private var arrivalRate: Double?
    private var droppedSoFar: UInt64 = 0
    private var stageVerdicts: [StageVerdict] = []
    /// The longest event-loop lag read since the last report, for the progress.
    private var lagSinceReportNs: UInt64 = 0

    init(engine: LoadEngine, configuration: RunConfiguration) {
        self.engine = engine
        self.configuration = configuration
        self.statistics = RunStatistics(endpoints: engine.plan.endpoints, failureNames: engine.plan.failureNames)
        self.stages = StageLedger(runStart: 0)
        self.alive = engine.plan.userClassNames.map { _ in 0 }
        self.roster = UserRoster(weights: engine.plan.userClassWeights, fixedCounts: engine.plan.userClassFixedCounts)
    }

    /// Runs to the end and returns what happened.
    /// - Parameters:
    ///   - stopRequest: polled every tick; a reason once a stop has been asked for.
    ///   - resetRequest: polled every tick; true once each time the statistics should start again.
    ///   - publish: called with the progress at each report and each change of phase.
    func run(observer: (any RunObserver)?, stopRequest: () -> String?, resetRequest: () -> Bool = { false },
             publish: (RunProgress) -> Void) throws -> RunResult {
        let usageBefore = ProcessUsage.now()
        try engine.start()
        observer?.runStarted(target: engine.targetDescription, threads: engine.workerCount)
        let start = cc_clock_now_ns()
        let startedAt = Date()
        configuration.monitor?.start()
        statistics.markTime(start)
        stages = StageLedger(runStart: start)
        loopLag = LoopLagRecorder(start: start)
        interval = IntervalRecorder(start: start, endpoints: engine.plan.endpoints.count)
        windows = configuration.endpointWindows ? EndpointWindows(endpoints: engine.plan.endpoints.count) : nil
        var nextInterval = 1.0
        /// Closes the open second of history at `now` and hands it to the observer.
        func closeInterval(at now: UInt64, users: Int) {
            let (requests, failures) = (interval.endpointRequests, interval.endpointFailures)
            let point = interval.close(at: now, start: start, users: users, stage: stages.current?.name)
            history.append(point)
            observer?.intervalClosed(HistoryTick(point: point, startedAt: startedAt, endpointRequests: requests,
                                                 endpointFailures: failures, statistics: statistics, windows: windows))
            windows?.advance()
        }
        /// Closes the second when it is due: the running and the stopping loops both keep the history.
        func closeIntervalIfDue(users: Int) {
            let now = cc_clock_now_ns()
            guard Double(now - start) / 1e9 >= nextInterval else { return }
            closeInterval(at: now, users: users)
            nextInterval += 1
        }
        var stageRemaining: Double?
        func progress(_ phase: RunProgress.Phase, usersActive: Int) -> RunProgress {
            let now = cc_clock_now_ns()
            var progress = RunProgress(phase: phase, elapsed: Double(now - start) / 1e9, usersActive: usersActive,
                               statistics: statistics, stage: stages.progress(at: now, remaining: stageRemaining),
                               target: configuration.monitor?.report(), arrivalRate: arrivalRate,
                               stages: stages.stages)
            progress.loopLagMaxMilliseconds = Double(lagSinceReportNs) / 1e6
            progress.statisticsSince = Double(statistics.origin - start) / 1e9
            lagSinceReportNs = 0
            return progress
        }
        publish(progress(.running, usersActive: 0))
        if let arrival = configuration.arrival { try preAllocate(arrival) }
        var nextReport = configuration.reportInterval
        var usersPeak = 0
        let tick = 0.1 // seconds

        // Running: follow the shape until it ends, the run time ends or a stop is asked for.
        var stopReason = "run time reached"
        while true {
            let now = cc_clock_now_ns()
            let elapsed = Double(now - start) / 1e9
            if let runTime = configuration.runTime, elapsed >= runTime { break }
            if let reason = stopRequest() {
                stopReason = reason
                break
            }
            if resetRequest() {
                // Locust's reset: the whole run's table starts again; the history and the stages keep theirs.
                drainAndWatch()
                statistics = RunStatistics(endpoints: engine.plan.endpoints, failureNames: engine.plan.failureNames)
                statistics.markTime(cc_clock_now_ns())
            }
            guard let target = configuration.shape.tick(elapsed: elapsed) else {
                stopReason = stages.current.map { "the last stage (\($0.name)) ended" } ?? "the load shape ended"
                if let reason = judgeStage(at: now) { stopReason = reason }
                break
            }
            try check(target)
            if let name = target.stage, name != stages.current?.name {
                if let reason = judgeStage(at: now) {
                    stopReason = reason
                    break
                }
                guard stages.stages.count < SettingBounds.stageCount.range.upperBound else {
                    // Each stage holds its own histograms: a shape naming a stage per tick would grow without end.
                    stopReason = "the load shape named more than \(SettingBounds.stageCount.range.upperBound) stages"
                    break
                }
                // Samples drained before this point started before it, so the ledger's rule holds.
                stages.begin(target, name: name, at: now, soFar: statistics)
            } else {
                stages.update(target)
            }
            stageRemaining = target.stageRemaining
            if configuration.arrival != nil {
                try steerArrival(target)
            } else {
                try moveTowards(target, elapsed: elapsed)
            }
            let counters = drainAndWatch()
            usersPeak = max(usersPeak, alive.reduce(0, +), Int(counters.users_active))
            closeIntervalIfDue(users: Int(counters.users_active))
            if elapsed >= nextReport {
                statistics.markTime(cc_clock_now_ns())
                let report = progress(.running, usersActive: Int(counters.users_active))
                // Other threads keep this copy, so the next sample copies the histograms (copy on write):
                // once per report interval, never per sample.
                publish(report)
                observer?.report(report)
                nextReport += configuration.reportInterval
            }
            // Wake for a stage's end when it comes before the next tick, so that no stage is skipped.
            let pause = min(tick, max(0.001, target.stageRemaining ?? tick))
            usleep(UInt32(pause * 1e6))
        }

        // Stopping: no new request; let requests in flight finish until the stop timeout.
        observer?.stopping(reason: stopReason)
        engine.stop()
        publish(progress(.stopping, usersActive: Int(engine.counters().users_active)))
        let stopStart = cc_clock_now_ns()
        while true {
            let counters = drainAndWatch()
            guard counters.users_active > 0 else { break }
            if Double(cc_clock_now_ns() - stopStart) / 1e9 >= configuration.stopTimeout { break }
            closeIntervalIfDue(users: Int(counters.users_active))
            usleep(20_000)
        }
        let end = cc_clock_now_ns()
        let targetReport = configuration.monitor?.stop()
        if engine.counters().users_active > 0 { engine.cancel() }
        engine.join()
        let last = drainAndWatch()
        // The last, shorter interval holds the stop: its requests belong in the history too.
        closeInterval(at: end, users: Int(last.users_active))
        stages.finish(at: end)
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
        var result = RunResult(statistics: statistics, duration: Double(end - start) / 1e9,
                               target: engine.targetDescription, generator: generator,
                               requestsStarted: after.requests_started, stages: stages.stages, targetReport: targetReport,
                               history: history, startedAt: startedAt, arrival: arrivalFigures(), stageVerdicts: stageVerdicts)
        result.statisticsSince = Double(statistics.origin - start) / 1e9
        return result
    }

    /// Judges the stage that ends at `now` (``RunConfiguration/stageVerdict``); returns why the run ends
    /// there when it broke a threshold.
    private func judgeStage(at now: UInt64) -> String? {
        guard let judge = configuration.stageVerdict, stages.current != nil else { return nil }
        drainAndWatch() // the samples of its last moments
        guard let stage = stages.current(at: now) else { return nil }
        let window = configuration.monitor?.report().combined.window(from: stage.started, to: stage.started + stage.duration)
        let failures = judge(stage, window)
        stageVerdicts.append(StageVerdict(stage: stage.name, failures: failures))
        return failures.isEmpty ? nil : "the stage \(stage.name) broke a threshold (\(failures.joined(separator: "; ")))"
    }

    /// The open model: starts the pre-allocated users (each runs its on_start, then idles until an
    /// iteration comes) and works out each class's share of the iterations.
    private func preAllocate(_ arrival: ArrivalModel) throws {
        let weights = engine.plan.userClassWeights, fixed = engine.plan.userClassFixedCounts
        let most = distributeUsers(total: arrival.maxUsers, weights: weights, fixedCounts: fixed)
        arrivalShares = most.map { (share: Double($0) / Double(arrival.maxUsers), maxUsers: $0) }
        roster.setTotal(arrival.preAllocatedUsers)
        for (index, count) in roster.counts.enumerated() where count > 0 {
            try engine.spawn(userClass: index, count: count)
            alive[index] = count
        }
    }

    /// The open model: gives the core the shape's rate, split among the classes, when it changed.
    private func steerArrival(_ target: LoadTarget) throws {
        let rate = target.arrivalRate ?? 0
        guard rate != arrivalRate else { return }
        for (index, share) in arrivalShares.enumerated() {
            try engine.setArrival(userClass: index, perSecond: rate * share.share, maxUsers: share.maxUsers)
        }
        arrivalRate = rate
    }

    /// What the schedule did, once the engine is joined; `nil` for a run of users.
    private func arrivalFigures() -> ArrivalFigures? {
        guard let arrival = configuration.arrival else { return nil }
        let counters = engine.arrivalCounters()
        let classes = engine.plan.userClassNames.enumerated().map { index, name in
            let own = engine.arrivalCounters(userClass: index)
            let share = index < arrivalShares.count ? arrivalShares[index] : (share: 0, maxUsers: 0)
            return ArrivalFigures.ClassFigures(name: name, rate: (arrivalRate ?? 0) * share.share, maxUsers: share.maxUsers,
                                               scheduled: own.scheduled, started: own.started, dropped: own.dropped)
        }
        return ArrivalFigures(preAllocatedUsers: arrival.preAllocatedUsers, maxUsers: arrival.maxUsers,
                              onSaturation: arrival.saturation.rawValue, queueLimit: arrival.queueLimit,
                              scheduled: counters.scheduled, started: counters.started, dropped: counters.dropped,
                              usersAdded: counters.users_added, classes: classes)
    }

    /// Refuses a target that no run could follow: the shape is code, so its numbers are checked here.
    private func check(_ target: LoadTarget) throws {
        if configuration.arrival != nil {
            let rate = target.arrivalRate ?? 0
            guard SettingBounds.stageArrivalRate.contains(rate) else {
                throw CicadaError("the load shape asked for an arrival rate of \(formatNumber(rate)); expected \(SettingBounds.stageArrivalRate.expected)")
            }
            return
        }
        guard SettingBounds.stageUsers.contains(target.users) else {
            throw CicadaError("the load shape asked for \(target.users) users; expected \(SettingBounds.stageUsers.expected)")
        }
        guard target.spawnRate == 0 || SettingBounds.spawnRate.contains(target.spawnRate) else {
            throw CicadaError("the load shape asked for a spawn rate of \(formatNumber(target.spawnRate)); "
                + "expected 0 (at once) or \(SettingBounds.spawnRate.expected)")
        }
    }

    /// Spawns or retires users so that each class has its share of the ramp's count. Retired users stop
    /// after their current request (the core's rule), the newest of their class first.
    private func moveTowards(_ target: LoadTarget, elapsed: Double) throws {
        roster.setTotal(ramp.count(elapsed: elapsed, current: roster.total, target: target))
        let wanted = roster.counts
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
        engine.drain { samples in
            statistics.record(samples)
            stages.record(samples)
            interval.record(samples)
            windows?.record(samples)
        }
        if configuration.arrival != nil {
            // Dropped iterations are counts, not samples: each drain adds what the core counted since.
            let dropped = engine.arrivalCounters().dropped
            if dropped > droppedSoFar {
                statistics.recordDropped(dropped - droppedSoFar)
                stages.recordDropped(dropped - droppedSoFar)
                interval.noteDropped(dropped - droppedSoFar)
                droppedSoFar = dropped
            }
        }
        let counters = engine.counters()
        loopLag.read(lagNanoseconds: counters.loop_lag_max_ns, at: cc_clock_now_ns())
        interval.noteLoopLag(counters.loop_lag_max_ns)
        lagSinceReportNs = max(lagSinceReportNs, counters.loop_lag_max_ns)
        return counters
    }
}
