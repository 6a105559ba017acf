/// The generator's busiest second and longest loop lag, kept from the run's one-second history points as
/// they close, before ``RunHistory`` coarsens a long run's points (which averages their CPU).
///
/// A point shorter than ``shortestCPUInterval`` (the part-second at the end, while the workers are joined)
/// does not count for the CPU peak: CPU time over a few milliseconds says little about a second of load.
public struct GeneratorPeaks: Sendable, Equatable {
    public static let shortestCPUInterval = 0.5

    /// The highest CPU of a one-second point, percent of one core; `nil` before a point long enough.
    public private(set) var cpuMaxPercent: Double?
    /// The longest event-loop lag any worker reported, in milliseconds; `nil` before the first point.
    public private(set) var loopLagMaxMilliseconds: Double?

    public init() {}

    public mutating func note(_ point: HistoryPoint) {
        if point.intervalS >= Self.shortestCPUInterval {
            cpuMaxPercent = max(cpuMaxPercent ?? 0, point.generatorCpuPercent)
        }
        loopLagMaxMilliseconds = max(loopLagMaxMilliseconds ?? 0, point.loopLagMaxMs)
    }
}
