/// How many users a run should have at a tick, moving towards the shape's target at its spawn rate: the
/// first user of a move at once, then one more each 1/rate seconds, up or down. A pure value, driven by
/// ``RunDriver`` at each tick and by tests without an engine.
///
/// A move is anchored where it began (its time and count); the anchor holds while the target keeps its
/// direction, spawn rate and stage, so that a rate holds across ticks rather than restarting at each. It is
/// dropped once the count reaches the target. For a constant shape the anchor is the run's start with 0
/// users, so the count at `t` is `min(users, ⌊rate·t⌋ + 1)`: the ramp that runs had before shapes.
struct UserRamp {
    private var anchor: (elapsed: Double, count: Int)?
    private var move: Move?
    private var isFirstTick = true

    private struct Move: Equatable {
        var upwards: Bool
        var spawnRate: Double
        var stage: String?
    }

    /// The user count for `elapsed` seconds into the run, given the `current` count and the shape's target.
    mutating func count(elapsed: Double, current: Int, target: LoadTarget) -> Int {
        defer { isFirstTick = false }
        guard current != target.users, target.spawnRate > 0 else {
            anchor = nil
            move = nil
            return target.users
        }
        let wanted = Move(upwards: target.users > current, spawnRate: target.spawnRate, stage: target.stage)
        if wanted != move || anchor == nil {
            // The run's first move starts at the run's start, as the ramp always has; a later one here.
            anchor = (isFirstTick ? 0 : elapsed, current)
            move = wanted
        }
        let start = anchor ?? (elapsed, current)
        let distance = abs(target.users - start.count)
        let steps = min(Double(distance), (target.spawnRate * max(0, elapsed - start.elapsed)).rounded(.down) + 1)
        return start.count + (wanted.upwards ? Int(steps) : -Int(steps))
    }
}
