import Foundation

/// The outcome of a run.
public struct RunResult: Sendable {
    public var statistics: RunStatistics
    public var duration: Double
    public var target: String
    public var generator: GeneratorUsage
    /// Requests the core started; equal to the samples counted unless samples were dropped.
    public var requestsStarted: UInt64
    /// Each stage's own statistics, in the order they ran; empty when the run's shape has no stages. Their
    /// counts add up exactly to ``statistics``' (see ``StageResult``).
    public var stages: [StageResult] = []
    /// The watched target's readings (``RunConfiguration/monitor``), `nil` when none was watched.
    public var targetReport: TargetReport? = nil
    /// The run second by second, in bounded memory (``RunHistory``).
    public var history = RunHistory()
    /// The wall-clock time at which the run started, for reports that give dates (Locust's CSV files).
    public var startedAt = Date()
    /// The open model's schedule, `nil` for a run of users.
    public var arrival: ArrivalFigures? = nil
    /// The stages judged as they ended (``RunConfiguration/stageVerdict``), in order; empty when none was.
    public var stageVerdicts: [StageVerdict] = []
    /// Seconds from the run's start to its ``statistics``' start: 0 unless the statistics were reset
    /// (``LoadRun/resetStatistics()``), whose table then counts from the reset.
    public var statisticsSince: Double = 0

    /// The seconds ``statistics`` cover: the whole run's, or since the last reset. The rates of the final
    /// tables divide by it.
    public var statisticsDuration: Double { max(0, duration - statisticsSince) }
}

/// What the open model's schedule did over a run (``ArrivalModel``), all classes together. Once the run
/// has ended, `scheduled == started + dropped`: iterations still queued at the stop count as dropped.
public struct ArrivalFigures: Sendable, Equatable, Codable {
    /// The model the run had.
    public var preAllocatedUsers: Int
    public var maxUsers: Int
    public var onSaturation: String
    public var queueLimit: Int
    /// Iterations that came due.
    public var scheduled: UInt64
    /// Iterations handed to a user.
    public var started: UInt64
    /// Iterations that found no user (nor room in the queue), or were still queued at the stop.
    public var dropped: UInt64
    /// Users the workers added for iterations, beyond the pre-allocated ones.
    public var usersAdded: UInt64
    /// The same figures for each user class (its share of the rate and of the users).
    public var classes: [ClassFigures]

    /// One class's part of the schedule.
    public struct ClassFigures: Sendable, Equatable, Codable {
        public var name: String
        /// The class's share of the rate, iterations per second at the end of the run.
        public var rate: Double
        public var maxUsers: Int
        public var scheduled: UInt64
        public var started: UInt64
        public var dropped: UInt64
    }
}
