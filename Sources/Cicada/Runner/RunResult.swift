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
}
