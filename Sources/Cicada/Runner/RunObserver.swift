import Foundation

/// Live progress of a run, called on its control thread (the thread that runs ``LoadRun/run(observer:)``),
/// so an observer needs no lock of its own. Another thread reads ``LoadRun/progress`` instead.
public protocol RunObserver: AnyObject {
    func runStarted(target: String, threads: Int)
    /// Every report interval while the run goes on.
    func report(_ progress: RunProgress)
    func stopping(reason: String)
    /// Every second of the run, the stop included, and once more at its end for the last part-second.
    func intervalClosed(_ tick: HistoryTick)
}

extension RunObserver {
    public func intervalClosed(_ tick: HistoryTick) {}
}

/// A second of the run as it closes: its ``HistoryPoint`` and the statistics so far. Handed over on the
/// control thread; an observer that keeps ``statistics`` makes the next sample copy the histograms, so it
/// should take what it needs and let go.
public struct HistoryTick {
    public var point: HistoryPoint
    /// The wall-clock time of the run's start (``RunResult/startedAt``): `point.elapsedS` counts from it.
    public var startedAt: Date
    /// The interval's requests and failures by endpoint, in the order of the plan's endpoints.
    public var endpointRequests: [UInt64]
    public var endpointFailures: [UInt64]
    public var statistics: RunStatistics
    /// The per-endpoint sliding windows when ``RunConfiguration/endpointWindows`` asked for them.
    public var windows: EndpointWindows?
}
