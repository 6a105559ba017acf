/// What a load shape asks for at one moment of a run: the user count to move towards, how fast, and the
/// stage the moment belongs to.
public struct LoadTarget: Sendable, Equatable {
    /// The user count to move towards (0 to ``SettingBounds/users``' upper end); the run adds users when it
    /// has fewer and retires them, newest first and each after its current request, when it has more.
    public var users: Int
    /// Users started or retired per second on the way to ``users``; 0 moves there at once.
    public var spawnRate: Double
    /// The stage's name, for per-stage statistics; `nil` when the shape has no stages. A change of name
    /// starts a new stage.
    public var stage: String?
    /// Seconds until the shape's answer changes, when the shape knows it (a stage's end): the run then
    /// ticks no later than that, so that a stage shorter than a tick is not skipped.
    public var stageRemaining: Double?
    /// The open model's iterations per second now (a run with an ``ArrivalModel``); `nil` for a run of
    /// users, whose ``users`` and ``spawnRate`` then apply. An open-model run ignores ``users``.
    public var arrivalRate: Double?
    /// The rate the current stage ramps towards (a rate stage's own), for its table; `nil`: ``arrivalRate``.
    public var arrivalRateTarget: Double?

    public init(users: Int, spawnRate: Double, stage: String? = nil, stageRemaining: Double? = nil) {
        self.users = users
        self.spawnRate = spawnRate
        self.stage = stage
        self.stageRemaining = stageRemaining
    }

    /// An open-model target: `arrivalRate` iterations per second.
    public init(arrivalRate: Double, stage: String? = nil, stageRemaining: Double? = nil) {
        self.init(users: 0, spawnRate: 0, stage: stage, stageRemaining: stageRemaining)
        self.arrivalRate = arrivalRate
    }
}

/// How a run's load changes over time, as Locust's `LoadTestShape.tick`: the run asks its shape at each
/// tick (every 100 ms, or at a stage's end when sooner) what to aim for, and ends when the shape answers
/// `nil` (or when the run time, if one is set, ends first).
///
/// ```swift
/// /// 10 users for 5 s, then 50 for 5 s, then the run ends.
/// struct StepUp: LoadShape {
///     func tick(elapsed: Double) -> LoadTarget? {
///         switch elapsed {
///         case ..<5: LoadTarget(users: 10, spawnRate: 10, stage: "warm")
///         case ..<10: LoadTarget(users: 50, spawnRate: 20, stage: "hot")
///         default: nil
///         }
///     }
/// }
/// let run = try LoadRun(plan: plan, engine: options, configuration: RunConfiguration(shape: StepUp(), runTime: nil))
/// ```
///
/// Stages come from the names the shape gives: a shape names its stages from its first tick on, or the run
/// has no per-stage statistics until its first named tick, whose stage then also holds what came before;
/// a tick without a name after named ones continues the current stage.
public protocol LoadShape: Sendable {
    /// The target at `elapsed` seconds since the run started, or `nil` to end the run gracefully (the stop
    /// timeout applies). Called on the run's control thread at each tick, with `elapsed` never decreasing.
    func tick(elapsed: Double) -> LoadTarget?
}

/// A constant load: ramp to `users` at `spawnRate` and hold them until the run time ends (the run's
/// ``RunConfiguration/runTime``) or a stop is asked for. The load of `--users`, `--spawn-rate` and
/// `--run-time`.
public struct ConstantShape: LoadShape {
    public let users: Int
    public let spawnRate: Double

    public init(users: Int, spawnRate: Double) {
        self.users = users
        self.spawnRate = spawnRate
    }

    /// Always the same target, with no stage.
    public func tick(elapsed: Double) -> LoadTarget? {
        LoadTarget(users: users, spawnRate: spawnRate)
    }
}

/// Stages one after another, each for its duration (``Stage``); the run ends after the last one. The load
/// of `stages:` and `--stages`.
public struct StagedShape: LoadShape {
    public let stages: [Stage]

    /// - Throws: ``InputError`` when the stages break ``Stage/checkList(_:)``.
    public init(_ stages: [Stage]) throws {
        try Stage.checkList(stages)
        self.stages = stages
    }

    /// The stages' durations added up: when the run ends unless its run time ends it earlier.
    public var totalDuration: Double { stages.reduce(0) { $0 + $1.duration } }

    /// The stage that `elapsed` falls in (a stage owns its start, not its end), or `nil` after the last. A
    /// rate stage's rate is on the straight line from the previous stage's rate (0 before the first) to its
    /// own.
    public func tick(elapsed: Double) -> LoadTarget? {
        var end = 0.0
        var previousRate = 0.0
        for stage in stages {
            end += stage.duration
            if elapsed < end {
                let remaining = end - elapsed
                if let rate = stage.arrivalRate {
                    let done = stage.duration > 0 ? 1 - remaining / stage.duration : 1
                    var target = LoadTarget(arrivalRate: previousRate + (rate - previousRate) * done, stage: stage.name,
                                            stageRemaining: remaining)
                    target.arrivalRateTarget = rate
                    return target
                }
                return LoadTarget(users: stage.users, spawnRate: stage.spawnRate, stage: stage.name,
                                  stageRemaining: remaining)
            }
            previousRate = stage.arrivalRate ?? 0
        }
        return nil
    }

    /// The highest arrival rate the stages reach (0 for stages of users).
    public var peakArrivalRate: Double { stages.compactMap(\.arrivalRate).max() ?? 0 }
}
