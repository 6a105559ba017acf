import Cicada
import Synchronization

/// The run's seconds as the web UI charts them: a ``RunObserver`` in the run's chain that keeps each
/// closed second's ``HistoryPoint`` and passes every event on to `next`. The run's control thread appends
/// (once a second, under a lock no worker takes); the web server's threads read the points after an
/// index, so each push carries only what is new.
///
/// It keeps at most ``capacity`` points, dropping the oldest: a page that asks for points dropped gets
/// from the oldest kept on, and ``Slice/first`` says where that is.
public final class LiveFeed: RunObserver, @unchecked Sendable {
    /// A day of seconds.
    public static let capacity = 86_400

    public struct Slice: Sendable {
        /// The index of `points.first` in the run's seconds; the next ask is `first + points.count`.
        public var first: Int
        public var points: [HistoryPoint]
    }

    private struct Kept {
        var points: [HistoryPoint] = []
        /// The index of `points[0]` in the run's seconds.
        var dropped = 0
        /// Over every second so far, kept as they come so that a reader need not walk the points.
        var health = Health()
    }

    /// The generator's figures over the run so far, from its seconds.
    public struct Health: Sendable {
        public var seconds = 0
        public var cpuPercentSum = 0.0
        public var cpuMaxPercent = 0.0
        public var loopLagMaxMilliseconds = 0.0

        public var cpuAveragePercent: Double { seconds == 0 ? 0 : cpuPercentSum / Double(seconds) }
    }

    // `next` is touched on the control thread only (RunObserver's rule); `kept` by any thread, locked.
    private let next: (any RunObserver)?
    private let kept = Mutex(Kept())

    public init(next: (any RunObserver)?) {
        self.next = next
    }

    /// The points from index `index` on (all of them for 0).
    public func points(from index: Int) -> Slice {
        kept.withLock { kept in
            let start = max(index, kept.dropped) - kept.dropped
            guard start < kept.points.count else { return Slice(first: kept.dropped + kept.points.count, points: []) }
            return Slice(first: kept.dropped + start, points: Array(kept.points[start...]))
        }
    }

    /// The generator's CPU and loop lag over every second so far.
    public var health: Health {
        kept.withLock { $0.health }
    }

    /// The last `count` points, newest last.
    public func last(_ count: Int) -> [HistoryPoint] {
        kept.withLock { Array($0.points.suffix(count)) }
    }

    public func runStarted(target: String, threads: Int) { next?.runStarted(target: target, threads: threads) }
    public func report(_ progress: RunProgress) { next?.report(progress) }
    public func stopping(reason: String) { next?.stopping(reason: reason) }

    public func intervalClosed(_ tick: HistoryTick) {
        kept.withLock { kept in
            kept.points.append(tick.point)
            kept.health.seconds += 1
            kept.health.cpuPercentSum += tick.point.generatorCpuPercent
            kept.health.cpuMaxPercent = max(kept.health.cpuMaxPercent, tick.point.generatorCpuPercent)
            kept.health.loopLagMaxMilliseconds = max(kept.health.loopLagMaxMilliseconds, tick.point.loopLagMaxMs)
            if kept.points.count > Self.capacity {
                let excess = kept.points.count - Self.capacity
                kept.points.removeFirst(excess)
                kept.dropped += excess
            }
        }
        next?.intervalClosed(tick)
    }
}
