/// The capacity model of `--capacity N`, as a pure function of the number of requests in flight.
///
/// With k requests in flight counting the new one:
/// - k ≤ N: served at once;
/// - N < k ≤ 2N: served after a queueing delay of `queueDelayUnit` × (k − N) / N, which grows linearly with
///   the excess and reaches `queueDelayUnit` (100 ms) at 2N, as a queue in front of N workers would;
/// - k > 2N: refused with 503, as a full queue is.
///
/// N = 0 means no limit.
public struct CapacityGate: Sendable, Equatable {
    public let capacity: Int
    /// The delay a request waits when 2N are in flight.
    public static let queueDelayUnit = 0.100

    public init(capacity: Int) {
        precondition(capacity >= 0)
        self.capacity = capacity
    }

    public enum Decision: Sendable, Equatable {
        /// Serve, after this many seconds (0 when under capacity).
        case admit(delay: Double)
        case reject
    }

    public func decide(inFlight: Int) -> Decision {
        guard capacity > 0, inFlight > capacity else { return .admit(delay: 0) }
        guard inFlight <= 2 * capacity else { return .reject }
        return .admit(delay: Self.queueDelayUnit * Double(inFlight - capacity) / Double(capacity))
    }
}
