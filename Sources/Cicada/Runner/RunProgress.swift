/// Where a run is, as ``LoadRun/progress`` shows it to any thread and ``RunObserver/report(_:)`` to the
/// control thread.
public struct RunProgress: Sendable {
    public enum Phase: Sendable, Equatable {
        /// Prepared (the host resolved, the workers made), not started.
        case ready
        /// Users are spawned towards the target and send requests.
        case running
        /// No new request starts; requests in flight have the stop timeout to finish.
        case stopping
        /// Every worker has ended; the result is ready.
        case finished
    }

    public var phase: Phase
    /// Seconds since the run started.
    public var elapsed: Double
    /// Users spawned and not yet stopped.
    public var usersActive: Int
    /// The statistics as of `elapsed`. Their current rates are over the last report interval.
    public var statistics: RunStatistics
    /// The current stage, when the run's shape has stages.
    public var stage: StageProgress? = nil
    /// The watched target's readings so far, when one is watched.
    public var target: TargetReport? = nil
    /// The open model's current iterations per second; `nil` in a run of users.
    public var arrivalRate: Double? = nil
    /// The stages so far, the current one last, each with its statistics as of `elapsed` (the current
    /// one's ``StageResult/duration`` is its time so far only once the run has ended).
    public var stages: [StageResult] = []
    /// The longest event-loop lag any worker reported over the last report interval, in milliseconds;
    /// `nil` in a progress made before the run started.
    public var loopLagMaxMilliseconds: Double? = nil
    /// Seconds from the run's start to ``statistics``' start: 0 unless they were reset.
    public var statisticsSince: Double = 0

    public init(phase: Phase, elapsed: Double, usersActive: Int, statistics: RunStatistics, stage: StageProgress? = nil,
                target: TargetReport? = nil, arrivalRate: Double? = nil, stages: [StageResult] = []) {
        self.phase = phase
        self.elapsed = elapsed
        self.usersActive = usersActive
        self.statistics = statistics
        self.stage = stage
        self.target = target
        self.arrivalRate = arrivalRate
        self.stages = stages
    }
}
