/// What the generator itself cost, so that a reader can tell when it, not the target, was the limit.
public struct GeneratorUsage: Sendable, Codable {
    public var threads: Int
    /// The process's CPU time over the run: every thread of it, other runs in the same process included.
    public var cpuUserSeconds: Double
    public var cpuSystemSeconds: Double
    /// The process's peak resident memory so far, which an earlier run in the same process may have set.
    public var peakRSSBytes: UInt64
    public var loopLagP99Milliseconds: Double
    public var loopLagMaxMilliseconds: Double
    public var connectionsOpened: UInt64
    public var samplesDropped: UInt64
    public var usersPeak: Int

    /// CPU time as a share of one core over the run.
    public func cpuPercent(duration: Double) -> Double {
        duration > 0 ? (cpuUserSeconds + cpuSystemSeconds) / duration * 100 : 0
    }
}
