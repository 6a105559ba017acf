import CCicadaCore

/// One stage of a run as it ran: its target, when it started, how long it lasted and its own statistics.
public struct StageResult: Sendable {
    /// The stage's name, as the load shape gave it.
    public let name: String
    /// The user count the stage moved towards (the last the shape gave within the stage); 0 for a rate
    /// stage.
    public internal(set) var users: Int
    /// A rate stage's arrival rate, iterations per second: the rate it ramps to (the last the shape gave
    /// within the stage); `nil` for a stage of users.
    public internal(set) var arrivalRate: Double? = nil
    /// The stage's spawn rate, users per second (the last the shape gave within the stage).
    public internal(set) var spawnRate: Double
    /// Seconds from the run's start to the stage's start.
    public let started: Double
    /// Seconds the stage lasted, measured: to the next stage's start, or for the last stage to the run's end
    /// (its stop timeout included), so that the stages' durations add up to the run's.
    public internal(set) var duration: Double
    /// The requests started in this stage (see ``StageLedger``), counted as the whole run's are.
    public internal(set) var statistics: RunStatistics
}

/// Where a stage stands while the run goes on, for the live console.
public struct StageProgress: Sendable, Equatable {
    public var name: String
    /// The stage's position in the run, from 0.
    public var index: Int
    /// The user count the stage moves towards.
    public var users: Int
    /// Seconds since the stage started.
    public var elapsed: Double
    /// Seconds until the stage ends, when the shape knows it.
    public var remaining: Double?
}

/// The per-stage statistics of a run, on its control thread. Each sample counts in exactly one stage:
/// the one in which the request started (its `start_ns` at or after the stage's start and before the next
/// one's), so that the stages' counts add up exactly to the whole run's; a request in flight when a stage
/// ends counts in the stage it started in. The whole run's statistics count each sample too, so its
/// histograms hold every sample of the stages: merged, never averaged.
struct StageLedger {
    private(set) var stages: [StageResult] = []
    /// Each stage's start, monotonic nanoseconds, in the order of ``stages``.
    private var starts: [UInt64] = []
    private let runStart: UInt64

    init(runStart: UInt64) {
        self.runStart = runStart
    }

    var current: StageResult? { stages.last }

    /// Starts a stage at `now`. The first stage starts at the run's start and takes `soFar`, the whole run's
    /// statistics up to now: a shape that names its first stage late has its earlier requests counted there.
    mutating func begin(_ target: LoadTarget, name: String, at now: UInt64, soFar: RunStatistics) {
        let start = stages.isEmpty ? runStart : now
        if !stages.isEmpty { stages[stages.count - 1].duration = seconds(now - starts[starts.count - 1]) }
        let statistics = stages.isEmpty ? soFar : RunStatistics(endpoints: soFar.endpoints, failureNames: soFar.failureNames)
        stages.append(StageResult(name: name, users: target.users, arrivalRate: target.arrivalRateTarget ?? target.arrivalRate, spawnRate: target.spawnRate,
                                  started: seconds(start - runStart), duration: 0, statistics: statistics))
        starts.append(start)
    }

    /// Keeps the current stage's target up to date (a custom shape may change it within a stage).
    mutating func update(_ target: LoadTarget) {
        guard !stages.isEmpty else { return }
        stages[stages.count - 1].users = target.users
        stages[stages.count - 1].spawnRate = target.spawnRate
        stages[stages.count - 1].arrivalRate = target.arrivalRateTarget ?? target.arrivalRate
    }

    /// Counts a batch of samples, each in the stage it started in. Samples drain soon after they end, so
    /// the search walks back from the newest stage and stops after a step or two.
    mutating func record(_ samples: UnsafeBufferPointer<cc_sample_t>) {
        guard !stages.isEmpty else { return }
        for sample in samples {
            var index = starts.count - 1
            while index > 0, sample.start_ns < starts[index] { index -= 1 }
            stages[index].statistics.record(sample)
        }
    }

    /// Counts dropped iterations in the current stage: the core reports them as a count between two drains,
    /// so one dropped just before a stage's end may count in the next; each counts in exactly one stage.
    mutating func recordDropped(_ count: UInt64) {
        guard !stages.isEmpty else { return }
        stages[stages.count - 1].statistics.recordDropped(count)
    }

    /// The current stage as it stands at `now`, its duration measured to then.
    func current(at now: UInt64) -> StageResult? {
        guard var stage = stages.last else { return nil }
        stage.duration = seconds(now - starts[starts.count - 1])
        return stage
    }

    /// Ends the last stage at `now`, the run's end.
    mutating func finish(at now: UInt64) {
        guard !stages.isEmpty else { return }
        stages[stages.count - 1].duration = seconds(now - starts[starts.count - 1])
    }

    /// The current stage's progress at `now`.
    func progress(at now: UInt64, remaining: Double?) -> StageProgress? {
        guard let stage = stages.last else { return nil }
        return StageProgress(name: stage.name, index: stages.count - 1, users: stage.users,
                             elapsed: seconds(now - starts[starts.count - 1]), remaining: remaining)
    }

    private func seconds(_ ns: UInt64) -> Double { Double(ns) / 1e9 }
}
