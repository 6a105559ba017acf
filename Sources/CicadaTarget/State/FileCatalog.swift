import NIOConcurrencyHelpers

/// The uploaded files: a `BoundedStore` by id, plus each owner's ids in upload order for listing and
/// search, kept in step with the store under one lock.
///
/// The store drops files oldest first, and an owner's files were uploaded in the same order, so the
/// file dropped is always at the head of its owner's queue: keeping the index costs O(1) per eviction.
final class FileCatalog: Sendable {
    private struct Contents: Sendable {
        var files: BoundedStore<FileRecord>
        var byOwner: [String: FIFOQueue<String>] = [:]

        mutating func forget(_ file: FileRecord) {
            guard var ids = byOwner[file.owner] else { return }
            if ids.first == file.id {
                ids.pop()
            } else {
                ids.remove { $0 == file.id }
            }
            byOwner[file.owner] = ids.isEmpty ? nil : ids
        }

        mutating func expire(now: Double) {
            var dropped: [FileRecord] = []
            files.expire(now: now) { dropped.append($0) }
            for file in dropped { forget(file) }
        }
    }

    private let contents: NIOLockedValueBox<Contents>
    private let clock: MonotonicClock

    init(limit: Int, maxAge: Double, clock: MonotonicClock) {
        self.contents = NIOLockedValueBox(Contents(files: BoundedStore(limit: limit, maxAge: maxAge)))
        self.clock = clock
    }

    func add(_ file: FileRecord) {
        let now = clock.now
        contents.withLockedValue { contents in
            var dropped: [FileRecord] = []
            contents.files.insert(file, for: file.id, now: now) { dropped.append($0) }
            for old in dropped { contents.forget(old) }
            contents.byOwner[file.owner, default: FIFOQueue()].push(file.id)
        }
    }

    /// The file `id` if `owner` uploaded it: a file of someone else is, to this caller, no file.
    func file(_ id: String, ownedBy owner: String) -> FileRecord? {
        let now = clock.now
        return contents.withLockedValue { contents in
            // Expired first through `Contents`, so that the owner index forgets what the store drops.
            contents.expire(now: now)
            return contents.files.value(for: id, now: now).flatMap { $0.owner == owner ? $0 : nil }
        }
    }

    /// One page of `owner`'s files, newest first, and how many they have.
    func page(ownedBy owner: String, page: Int, limit: Int) -> (items: [FileRecord], total: Int) {
        let now = clock.now
        return contents.withLockedValue { contents in
            contents.expire(now: now)
            guard let ids = contents.byOwner[owner] else { return ([], 0) }
            let skip = (page - 1).multipliedReportingOverflow(by: limit)
            guard !skip.overflow, skip.partialValue < ids.count else { return ([], ids.count) }
            let items = ids.newestFirst.dropFirst(skip.partialValue).prefix(limit).compactMap {
                contents.files.value(for: $0, now: now)
            }
            return (items, ids.count)
        }
    }

    /// Up to `limit` of `owner`'s files that `matches` accepts, newest first, and how many match in all.
    func search(ownedBy owner: String, limit: Int, _ matches: (FileRecord) -> Bool) -> (items: [FileRecord], total: Int) {
        let now = clock.now
        return contents.withLockedValue { contents in
            contents.expire(now: now)
            guard let ids = contents.byOwner[owner] else { return ([], 0) }
            var items: [FileRecord] = []
            var total = 0
            for id in ids.newestFirst {
                guard let file = contents.files.value(for: id, now: now), matches(file) else { continue }
                total += 1
                if items.count < limit { items.append(file) }
            }
            return (items, total)
        }
    }

    var count: Int {
        let now = clock.now
        return contents.withLockedValue { contents in
            contents.expire(now: now)
            return contents.files.count
        }
    }

    /// How many owners have files; at most `count`, which is what bounds the index.
    var ownerCount: Int {
        contents.withLockedValue { $0.byOwner.count }
    }
}
