/// Entries by key, at most `limit` of them and none older than `maxAge` seconds: when either bound is
/// passed, the oldest entries leave first. A plain value with no lock and no clock (the time is passed
/// in), so tests drive it directly; `SharedStore` and `FileCatalog` put it behind a lock.
///
/// Each key is queued once, when it is first inserted; updating an entry keeps its place and its age.
/// Every operation first drops what has expired, so an expired entry is never answered and memory stays
/// within `limit` entries at all times.
struct BoundedStore<Value> {
    let limit: Int
    let maxAge: Double
    private var entries: [String: (value: Value, created: Double)] = [:]
    private var order = FIFOQueue<String>()

    init(limit: Int, maxAge: Double) {
        precondition(limit > 0 && maxAge > 0)
        self.limit = limit
        self.maxAge = maxAge
    }

    var count: Int { entries.count }

    /// Drops the entries older than `maxAge`, oldest first, calling `evicted` for each.
    mutating func expire(now: Double, evicted: (Value) -> Void = { _ in }) {
        while let key = order.first, let entry = entries[key], now - entry.created > maxAge {
            order.pop()
            entries.removeValue(forKey: key)
            evicted(entry.value)
        }
    }

    /// Inserts `value` under `key`, or replaces the value already there (keeping its age). Makes room by
    /// dropping the oldest entries, calling `evicted` for each one dropped.
    mutating func insert(_ value: Value, for key: String, now: Double, evicted: (Value) -> Void = { _ in }) {
        expire(now: now, evicted: evicted)
        if entries[key] != nil {
            entries[key]!.value = value
            return
        }
        while entries.count >= limit, let oldest = order.pop() {
            if let entry = entries.removeValue(forKey: oldest) { evicted(entry.value) }
        }
        entries[key] = (value, now)
        order.push(key)
    }

    mutating func value(for key: String, now: Double) -> Value? {
        expire(now: now)
        return entries[key]?.value
    }

    /// Up to `limit` values, newest first.
    mutating func newest(_ limit: Int, now: Double) -> [Value] {
        expire(now: now)
        var values: [Value] = []
        values.reserveCapacity(min(limit, entries.count))
        for key in order.newestFirst.prefix(limit) {
            if let entry = entries[key] { values.append(entry.value) }
        }
        return values
    }
}

extension BoundedStore: Sendable where Value: Sendable {}
