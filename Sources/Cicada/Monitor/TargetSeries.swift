/// One interval of a watched target: its CPU over the interval and its memory at the interval's end.
public struct TargetPoint: Sendable, Equatable, Codable {
    /// Seconds from the run's start to the reading.
    public var elapsedS: Double
    /// CPU over the interval before the reading, percent of one core.
    public var cpuPercent: Double
    public var rssBytes: UInt64
    /// Absent when the source does not say (a scrape without `process_threads`).
    public var threads: Int?
    public var openFiles: Int?
    /// The other series a scrape was asked for (`--monitor-series`), by name; absent when none was.
    public var series: [String: Double]? = nil
}

/// A watched target's readings over a run, in bounded memory: once it holds ``capacity`` points it merges
/// each pair of neighbours into one (CPU averaged, as the two intervals are equally long; memory and counts
/// of the later one), so a run of hours keeps its whole span at a coarser grain instead of growing. With
/// one reading a second and 3,600 points, the first hour is kept whole and a day at 32 s a point.
public struct TargetSeries: Sendable {
    public static let capacity = 3_600
    public private(set) var points: [TargetPoint] = []
    /// How many readings each point holds now: 1, then 2, 4, ... after each merge.
    public private(set) var readingsPerPoint = 1
    /// Readings not yet folded into a point (when ``readingsPerPoint`` > 1).
    private var pending: [TargetPoint] = []
    /// The first and last CPU time read, for the exact average over the run.
    private var firstCPU: (elapsed: Double, seconds: Double)?
    private var lastCPU: (elapsed: Double, seconds: Double)?
    /// The highest memory and CPU seen, exact whatever the merging did.
    public private(set) var rssMaxBytes: UInt64 = 0
    public private(set) var cpuMaxPercent: Double = 0
    /// Running sums for the least-squares slope of memory over time, over every reading.
    private var slopeSums = (n: 0.0, t: 0.0, r: 0.0, tt: 0.0, tr: 0.0)

    public init() {}

    /// Adds a reading taken `elapsed` seconds into the run, with the process's total CPU seconds so far.
    /// The first reading only sets the CPU baseline; its memory counts.
    public mutating func add(elapsed: Double, snapshot: ProcessSnapshot) {
        var cpu = 0.0
        if let last = lastCPU, elapsed > last.elapsed {
            cpu = max(0, snapshot.cpuSeconds - last.seconds) / (elapsed - last.elapsed) * 100
        }
        if firstCPU == nil { firstCPU = (elapsed, snapshot.cpuSeconds) }
        lastCPU = (elapsed, snapshot.cpuSeconds)
        rssMaxBytes = max(rssMaxBytes, snapshot.residentBytes)
        cpuMaxPercent = max(cpuMaxPercent, cpu)
        let t = elapsed / 60, r = Double(snapshot.residentBytes) / 1_048_576
        slopeSums.n += 1
        slopeSums.t += t
        slopeSums.r += r
        slopeSums.tt += t * t
        slopeSums.tr += t * r
        append(TargetPoint(elapsedS: elapsed, cpuPercent: cpu, rssBytes: snapshot.residentBytes,
                           threads: snapshot.threads, openFiles: snapshot.openFiles,
                           series: snapshot.series.isEmpty ? nil : snapshot.series))
    }

    private mutating func append(_ point: TargetPoint) {
        pending.append(point)
        guard pending.count == readingsPerPoint else { return }
        points.append(Self.merged(pending))
        pending.removeAll(keepingCapacity: true)
        if points.count == Self.capacity {
            points = stride(from: 0, to: points.count, by: 2).map { Self.merged(Array(points[$0..<min($0 + 2, points.count)])) }
            readingsPerPoint *= 2
        }
    }

    private static func merged(_ group: [TargetPoint]) -> TargetPoint {
        var last = group[group.count - 1]
        last.cpuPercent = group.reduce(0) { $0 + $1.cpuPercent } / Double(group.count)
        return last
    }

    /// The series of the points read from `start` to `end` seconds (a stage), for `{stage:}` thresholds: its
    /// CPU is the points' (each over the interval before it, so the interval that ends at the window's
    /// first point is left out), its memory and slope those of the points, which after a coarsening hold
    /// the later reading of each merged pair.
    public func window(from start: Double, to end: Double) -> TargetSeries {
        var series = TargetSeries()
        var cpuSeconds = 0.0
        var previous: Double?
        for point in points where point.elapsedS >= start && point.elapsedS <= end {
            if let previous { cpuSeconds += point.cpuPercent / 100 * (point.elapsedS - previous) }
            series.add(elapsed: point.elapsedS, snapshot: ProcessSnapshot(
                cpuSeconds: cpuSeconds, residentBytes: point.rssBytes, threads: point.threads, openFiles: point.openFiles))
            previous = point.elapsedS
        }
        return series
    }

    /// The readings taken.
    public var readings: Int { Int(slopeSums.n) }

    /// CPU over the whole span read, percent of one core: CPU seconds used over seconds elapsed, exact
    /// (not an average of the intervals). `nil` before two readings.
    public var cpuAveragePercent: Double? {
        guard let first = firstCPU, let last = lastCPU, last.elapsed > first.elapsed else { return nil }
        return max(0, last.seconds - first.seconds) / (last.elapsed - first.elapsed) * 100
    }

    /// The least-squares slope of resident memory over time, MiB per minute: the leak figure. `nil` before
    /// two readings at different times.
    public var rssSlopeMiBPerMinute: Double? {
        let s = slopeSums
        let denominator = s.n * s.tt - s.t * s.t
        guard s.n >= 2, denominator > 1e-12 else { return nil }
        return (s.n * s.tr - s.t * s.r) / denominator
    }
}
