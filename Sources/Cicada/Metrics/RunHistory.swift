/// Percentiles of one interval's latencies, in milliseconds; all 0 when the interval had no successful
/// request (its ``HistoryPoint/requests`` minus failures tells).
public struct IntervalLatency: Codable, Sendable, Equatable {
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    public init(p50: Double, p95: Double, p99: Double, max: Double) {
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
    }

    /// The larger of each figure: what a coarsened point keeps, so that merging never hides a slow second.
    func larger(_ other: IntervalLatency) -> IntervalLatency {
        IntervalLatency(p50: Swift.max(p50, other.p50), p95: Swift.max(p95, other.p95),
                        p99: Swift.max(p99, other.p99), max: Swift.max(max, other.max))
    }
}

/// One interval of a run's history: what happened between `elapsedS - intervalS` and `elapsedS`.
public struct HistoryPoint: Codable, Sendable, Equatable {
    /// Seconds from the run's start to the interval's end.
    public let elapsedS: Double
    /// Seconds the interval spans: 1, or a multiple once a long run was coarsened (``RunHistory``).
    public let intervalS: Double
    /// The stage running at the interval's end; `nil` (the key absent) when the run has no stages.
    public let stage: String?
    /// Users active at the interval's end.
    public let users: Int
    /// Requests that ended in the interval (cancelled ones included), and the failures among them.
    public let requests: UInt64
    public let failures: UInt64
    /// Successful requests' response times, from the actual send.
    public let responseTimeMs: IntervalLatency
    /// The same requests from their intended start (docs/json-summary.md says what that is and is not).
    public let fromIntendedStartMs: IntervalLatency
    /// The generator process's CPU time over the interval, as a share of one core.
    public let generatorCpuPercent: Double
    /// The longest event-loop lag any worker reported in the interval.
    public let loopLagMaxMs: Double
    /// The generator process's resident memory at the interval's end.
    public let generatorRssBytes: UInt64
    /// The open model's iterations dropped in the interval (0 in a run of users).
    public let dropped: UInt64

    /// `requests` and `failures` over `intervalS`, written beside them so that a reader need not divide.
    public let rps: Double
    public let failuresPerS: Double

    public init(elapsedS: Double, intervalS: Double, stage: String?, users: Int, requests: UInt64, failures: UInt64,
                responseTimeMs: IntervalLatency, fromIntendedStartMs: IntervalLatency, generatorCpuPercent: Double,
                loopLagMaxMs: Double, generatorRssBytes: UInt64, dropped: UInt64 = 0) {
        self.generatorRssBytes = generatorRssBytes
        self.dropped = dropped
        self.elapsedS = elapsedS
        self.intervalS = intervalS
        self.stage = stage
        self.users = users
        self.requests = requests
        self.failures = failures
        self.responseTimeMs = responseTimeMs
        self.fromIntendedStartMs = fromIntendedStartMs
        self.generatorCpuPercent = generatorCpuPercent
        self.loopLagMaxMs = loopLagMaxMs
        rps = intervalS > 0 ? Double(requests) / intervalS : 0
        failuresPerS = intervalS > 0 ? Double(failures) / intervalS : 0
    }

    /// This point and the one after it as one. Counts and times add up; CPU is averaged over the time;
    /// percentiles and lag keep the larger of the two (an interval's percentile cannot be rebuilt from two
    /// without their histograms, and the larger one is the figure that does not flatter); users, stage and
    /// memory are the later point's, as of the merged interval's end.
    func merged(with later: HistoryPoint) -> HistoryPoint {
        let span = intervalS + later.intervalS
        return HistoryPoint(
            elapsedS: later.elapsedS, intervalS: span, stage: later.stage, users: later.users,
            requests: requests + later.requests, failures: failures + later.failures,
            responseTimeMs: responseTimeMs.larger(later.responseTimeMs),
            fromIntendedStartMs: fromIntendedStartMs.larger(later.fromIntendedStartMs),
            generatorCpuPercent: span > 0 ? (generatorCpuPercent * intervalS + later.generatorCpuPercent * later.intervalS) / span : 0,
            loopLagMaxMs: Swift.max(loopLagMaxMs, later.loopLagMaxMs), generatorRssBytes: later.generatorRssBytes,
            dropped: dropped + later.dropped)
    }
}

/// A run's history, one point per second, in bounded memory: past ``capacity`` points, each two
/// neighbours are merged into one (``HistoryPoint/merged(with:)``) and later seconds are gathered in twos
/// before they are kept, then fours, and so on, so that a run of any length keeps at most ``capacity``
/// evenly spaced points and the last partial point is never lost.
public struct RunHistory: Sendable, Equatable {
    /// An hour of seconds; a day-long run keeps points of 32 s.
    public static let capacity = 3_600

    private let capacity: Int
    private var kept: [HistoryPoint] = []
    /// Seconds (intervals) that each kept point gathers.
    public private(set) var intervalsPerPoint = 1
    /// The intervals gathered towards the next point, and how many.
    private var pending: HistoryPoint?
    private var pendingCount = 0
    /// The busiest second and the longest lag, from the points as they came, before any merging.
    public private(set) var peaks = GeneratorPeaks()

    public init(capacity: Int = RunHistory.capacity) {
        precondition(capacity >= 2, "a history keeps at least two points")
        self.capacity = capacity
    }

    /// The points, oldest first, the one still gathering included.
    public var points: [HistoryPoint] { pending.map { kept + [$0] } ?? kept }

    /// Adds the next interval.
    public mutating func append(_ point: HistoryPoint) {
        peaks.note(point)
        pending = pending.map { $0.merged(with: point) } ?? point
        pendingCount += 1
        guard pendingCount == intervalsPerPoint, let full = pending else { return }
        kept.append(full)
        pending = nil
        pendingCount = 0
        if kept.count >= capacity {
            kept = stride(from: 0, to: kept.count - 1, by: 2).map { kept[$0].merged(with: kept[$0 + 1]) }
                + (kept.count % 2 == 1 ? [kept[kept.count - 1]] : [])
            intervalsPerPoint *= 2
        }
    }
}
