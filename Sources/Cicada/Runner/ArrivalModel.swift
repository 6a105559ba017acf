/// The open model (k6's `constant-arrival-rate` and `ramping-arrival-rate` executors): iterations (one
/// task of a user, picked by weight) start at a rate the load shape gives (``LoadTarget/arrivalRate``),
/// whatever the target's speed, instead of each user running its tasks in a loop. The core keeps the
/// schedule on its workers' timers and hands each iteration to an idle user; an iteration's first request
/// is intended for its due time, so a late start shows in the latency from the intended start.
///
/// Users: ``preAllocatedUsers`` start with the run (each runs its `on_start` then), and the workers add
/// more while an iteration finds none idle, up to ``maxUsers``. Classes share the iterations as they
/// share users (their weights and fixed counts at ``maxUsers`` users).
///
/// ```swift
/// // 200 iterations a second, with up to 100 users; what finds no user waits, as wrk2's requests do.
/// let arrival = ArrivalModel(preAllocatedUsers: 20, maxUsers: 100, saturation: .queue)
/// let configuration = RunConfiguration(shape: ConstantArrivalShape(rate: 200), runTime: 60, arrival: arrival)
/// ```
public struct ArrivalModel: Sendable, Equatable {
    /// What an iteration does when no user is idle and none may be added.
    public enum Saturation: String, Sendable, CaseIterable {
        /// It is dropped and counted (`dropped_iterations`), never delayed: k6's rule.
        case drop
        /// It waits for the next free user in a queue of at most ``ArrivalModel/queueLimit`` iterations,
        /// its latency counted from its due time: wrk2's rule. What overflows the queue is dropped.
        case queue

        /// The choices, for messages.
        public static let expected = "drop or queue"

        /// Reads `drop` or `queue`.
        /// - Throws: ``InputError`` naming the choices.
        public static func parse(_ text: String) throws -> Saturation {
            guard let value = Saturation(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw InputError("expected \(expected), got '\(text.escapedForMessage)'")
            }
            return value
        }
    }

    /// Users started with the run, before the first iteration is due.
    public var preAllocatedUsers: Int
    /// The most users alive at once, pre-allocated ones included.
    public var maxUsers: Int
    public var saturation: Saturation
    /// With ``Saturation/queue``: iterations that may wait for a user, all workers together.
    public var queueLimit: Int

    /// The default queue limit.
    public static let defaultQueueLimit = 100_000

    public init(preAllocatedUsers: Int, maxUsers: Int, saturation: Saturation = .drop, queueLimit: Int = defaultQueueLimit) {
        self.preAllocatedUsers = preAllocatedUsers
        self.maxUsers = maxUsers
        self.saturation = saturation
        self.queueLimit = queueLimit
    }

    /// The model a run gets when some of its numbers are not given, as k6 sizes its users: without
    /// `preAllocated`, enough users for a second's iterations at the highest rate (at most `maxUsers`);
    /// without `maxUsers`, as many as are pre-allocated.
    public static func sized(peakRate: Double, preAllocated: Int?, maxUsers: Int?, saturation: Saturation,
                             queueLimit: Int?) -> ArrivalModel {
        let perSecond = min(Double(SettingBounds.maxUsers.range.upperBound), max(1, peakRate.rounded(.up)))
        let pre = preAllocated ?? min(maxUsers ?? Int(perSecond), Int(perSecond))
        return ArrivalModel(preAllocatedUsers: pre, maxUsers: maxUsers ?? max(1, pre), saturation: saturation,
                            queueLimit: queueLimit ?? defaultQueueLimit)
    }

    /// Checks the numbers against their bounds and each other.
    /// - Throws: ``InputError`` naming the setting.
    public func validate() throws {
        _ = try located("pre-allocated users") { try SettingBounds.preAllocatedUsers.check(preAllocatedUsers) }
        _ = try located("max users") { try SettingBounds.maxUsers.check(maxUsers) }
        _ = try located("queue limit") { try SettingBounds.queueLimit.check(queueLimit) }
        guard preAllocatedUsers <= maxUsers else {
            throw InputError("\(preAllocatedUsers) pre-allocated users is more than the \(maxUsers) max users; "
                + "expected at most as many pre-allocated as max users")
        }
    }
}

/// A constant arrival rate, held until the run time ends (k6's `constant-arrival-rate`): the load of
/// `--arrival-rate` without stages.
public struct ConstantArrivalShape: LoadShape {
    public let rate: Double

    public init(rate: Double) {
        self.rate = rate
    }

    public func tick(elapsed: Double) -> LoadTarget? {
        LoadTarget(arrivalRate: rate)
    }
}
