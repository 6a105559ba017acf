import NIOConcurrencyHelpers

/// A `BoundedStore` behind a lock, shared by the request handlers. Every call holds the lock for one
/// dictionary operation plus the (amortised O(1)) expiry, never across an await.
final class SharedStore<Value: Sendable>: Sendable {
    private let store: NIOLockedValueBox<BoundedStore<Value>>
    private let clock: MonotonicClock

    init(limit: Int, maxAge: Double, clock: MonotonicClock) {
        self.store = NIOLockedValueBox(BoundedStore(limit: limit, maxAge: maxAge))
        self.clock = clock
    }

    func insert(_ value: Value, for key: String) {
        let now = clock.now
        store.withLockedValue { $0.insert(value, for: key, now: now) }
    }

    /// Inserts what `make` returns from the current value (nil when there is none), in one locked step.
    func upsert(_ key: String, _ make: (Value?) -> Value) -> Value {
        let now = clock.now
        return store.withLockedValue { store in
            let value = make(store.value(for: key, now: now))
            store.insert(value, for: key, now: now)
            return value
        }
    }

    func value(for key: String) -> Value? {
        let now = clock.now
        return store.withLockedValue { $0.value(for: key, now: now) }
    }

    func newest(_ limit: Int) -> [Value] {
        let now = clock.now
        return store.withLockedValue { $0.newest(limit, now: now) }
    }

    var count: Int {
        let now = clock.now
        return store.withLockedValue { store in
            store.expire(now: now)
            return store.count
        }
    }
}
