/// Everything the target remembers, each kind in a store bounded in entries and age
/// (`TargetConfiguration.storeLimit`, `.retention`).
public final class TargetState: Sendable {
    let clock: MonotonicClock
    let files: FileCatalog
    let analyses: SharedStore<AnalysisRecord>
    let jobs: SharedStore<JobRecord>
    let users: SharedStore<UserRecord>
    public let storeLimit: Int

    init(configuration: TargetConfiguration, clock: MonotonicClock = MonotonicClock()) {
        self.clock = clock
        let limit = configuration.storeLimit
        let age = configuration.retention
        storeLimit = limit
        files = FileCatalog(limit: limit, maxAge: age, clock: clock)
        analyses = SharedStore(limit: limit, maxAge: age, clock: clock)
        jobs = SharedStore(limit: limit, maxAge: age, clock: clock)
        users = SharedStore(limit: limit, maxAge: age, clock: clock)
    }

    /// How many entries each store holds now.
    public struct Counts: Sendable, Equatable, Codable {
        public var users: Int
        public var files: Int
        public var analyses: Int
        public var jobs: Int
    }

    public var counts: Counts {
        Counts(users: users.count, files: files.count, analyses: analyses.count, jobs: jobs.count)
    }

    /// Records that `user` logged in and returns the role their token carries: admin for `admin`, the role
    /// an admin gave them if one did, user otherwise.
    func recordLogin(_ username: String) -> Role {
        let record = users.upsert(username) { existing in
            existing ?? UserRecord(username: username, role: username == LoginRules.adminUsername ? .admin : .user)
        }
        return username == LoginRules.adminUsername ? .admin : record.role
    }
}
