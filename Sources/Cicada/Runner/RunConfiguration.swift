/// How a run unfolds over time.
public struct RunConfiguration: Sendable {
    /// Peak number of concurrent users.
    public var users: Int
    /// Users started per second while ramping up; 0 starts them all at once.
    public var spawnRate: Double
    /// How long the run lasts from its start (ramp-up included); nil runs until ``LoadRun/stop(reason:)``.
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
