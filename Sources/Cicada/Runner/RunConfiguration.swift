/// How a run unfolds over time.
public struct RunConfiguration: Sendable {
    /// What the run aims for at each moment: the users, their spawn rate and the stage (``LoadShape``).
    public var shape: any LoadShape
    /// How long the run lasts from its start (ramp-up included); nil runs until the shape ends or
    /// ``LoadRun/stop(reason:)``. With stages, a run time shorter than the stages cuts the run short there.
    public var runTime: Double?
    /// How long users may take to finish their request in flight after the run ends (its run time, its
    /// shape's end or a stop), before those requests are cancelled.
    public var stopTimeout: Double
    /// How often live statistics are reported, in seconds.
    public var reportInterval: Double
    /// Watches the target's processes from the run's start to its end (`--monitor-pid`); its readings go
    /// into the progress, the result and the thresholds.
    public var monitor: TargetMonitor?
    /// Keep each endpoint's response times over the last ``EndpointWindows/seconds`` seconds, for reports
    /// that print them each second (Locust's `--csv-full-history`). Off, it costs nothing.
    public var endpointWindows = false
    /// The open model: iterations at the shape's ``LoadTarget/arrivalRate`` instead of users looping over
    /// their tasks; `nil` for a run of users.
    public var arrival: ArrivalModel?
    /// Judges each stage as it ends, on the control thread: given the stage (its statistics, its measured
    /// duration so far) and the watched target's readings within it, the thresholds it broke, in words. The
    /// first stage that broke one ends the run there, gracefully (a breaking-point search, ``LimitSearch``);
    /// the verdicts are in ``RunResult/stageVerdicts``. A stage cut short by the run time or a stop is not
    /// judged. `nil`: stages are not judged while the run goes on.
    public var stageVerdict: (@Sendable (StageResult, TargetSeries?) -> [String])?

    /// A run driven by `shape`, such as ``StagedShape`` or a custom ``LoadShape``.
    public init(shape: any LoadShape, runTime: Double?, stopTimeout: Double = 10, reportInterval: Double = 2,
                monitor: TargetMonitor? = nil, endpointWindows: Bool = false, arrival: ArrivalModel? = nil) {
        self.endpointWindows = endpointWindows
        self.arrival = arrival
        self.shape = shape
        self.runTime = runTime
        self.stopTimeout = stopTimeout
        self.reportInterval = reportInterval
        self.monitor = monitor
    }

    /// A constant load (``ConstantShape``): `users` reached at `spawnRate` users per second (0 starts them
    /// all at once) and held until `runTime`.
    public init(users: Int, spawnRate: Double, runTime: Double?, stopTimeout: Double = 10, reportInterval: Double = 2) {
        self.init(shape: ConstantShape(users: users, spawnRate: spawnRate), runTime: runTime,
                  stopTimeout: stopTimeout, reportInterval: reportInterval)
    }
}
