/// A batch job's state as a function of its age, so that no timer runs per job: queued for the first
/// fifth of `--job-seconds`, running for the rest with progress rising linearly from 0 to 99, then done
/// with progress 100. With `--job-seconds 0` a job is done at once.
enum JobTimeline {
    enum Status: String, Codable, Sendable {
        case queued, running, done
    }

    static let queuedFraction = 0.2

    static func state(elapsed: Double, duration: Double) -> (status: Status, progress: Int) {
        guard duration > 0, elapsed < duration else { return (.done, 100) }
        let queued = duration * queuedFraction
        guard elapsed >= queued else { return (.queued, 0) }
        let fraction = (elapsed - queued) / (duration - queued)
        return (.running, min(99, Int(fraction * 100)))
    }
}
