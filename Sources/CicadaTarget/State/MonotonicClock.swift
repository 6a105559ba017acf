/// Seconds since the target started, from the monotonic clock: what ages, expiry and job progress are
/// measured in, so that a step of the wall clock cannot age or revive an entry.
struct MonotonicClock: Sendable {
    private let start = ContinuousClock.now

    var now: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
