import NIOConcurrencyHelpers

/// How many requests are being served, for the capacity model, the in-flight gauge and the dashboard.
final class InFlightRequests: Sendable {
    private let count = NIOLockedValueBox(0)

    /// Counts one more request and returns the count, this one included.
    func enter() -> Int {
        count.withLockedValue { count in
            count += 1
            return count
        }
    }

    func leave() {
        count.withLockedValue { $0 -= 1 }
    }

    var current: Int { count.withLockedValue { $0 } }
}
