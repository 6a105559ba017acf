import Hummingbird

/// The admin routes: dashboard, users (list, create) and health. `AccessMiddleware` has already made sure
/// the caller's token has the admin role.
struct AdminRoutes {
    let state: TargetState
    let metrics: TargetMetrics
    let inFlight: InFlightRequests

    /// `GET /api/v1/admin/users` lists at most this many users, newest first, with the total beside.
    static let userListLimit = 1000

    struct Dashboard: Encodable {
        var users: Int
        var files: Int
        var analyses: Int
        var jobs: Int
        var requestsTotal: Int
        var requestsInFlight: Int
        var contractMistakesTotal: Int
        var injectedErrorsTotal: Int
        var uptimeSeconds: Double
        var storeLimit: Int

        enum CodingKeys: String, CodingKey {
            case users, files, analyses, jobs, requestsTotal = "requests_total", requestsInFlight = "requests_in_flight"
            case contractMistakesTotal = "contract_mistakes_total", injectedErrorsTotal = "injected_errors_total"
            case uptimeSeconds = "uptime_seconds", storeLimit = "store_limit"
        }
    }

    struct UserAnswer: Codable {
        var username: String
        var role: Role
    }

    struct UserList: Encodable {
        var items: [UserAnswer]
        var total: Int
    }

    /// The body of `POST /api/v1/admin/users`; the role is read as a string so that a wrong one is named.
    struct NewUser: Decodable {
        var username: String
        var role: String
    }

    struct Health: Encodable {
        var status = "ok"
        var uptimeSeconds: Double
        var requestsInFlight: Int
        var stores: TargetState.Counts
        var storeLimit: Int

        enum CodingKeys: String, CodingKey {
            case status, uptimeSeconds = "uptime_seconds", requestsInFlight = "requests_in_flight", stores, storeLimit = "store_limit"
        }
    }

    func register(on router: Router<TargetRequestContext>) {
        router.on(RouterPath(Endpoint.dashboard.path), method: Endpoint.dashboard.method) { _, _ in
            let counts = state.counts
            let totals = metrics.totals
            return try jsonAnswer(Dashboard(
                users: counts.users, files: counts.files, analyses: counts.analyses, jobs: counts.jobs,
                requestsTotal: totals.requests, requestsInFlight: inFlight.current,
                contractMistakesTotal: totals.contractMistakes, injectedErrorsTotal: totals.injectedErrors,
                uptimeSeconds: uptime, storeLimit: state.storeLimit))
        }
        router.on(RouterPath(Endpoint.listUsers.path), method: Endpoint.listUsers.method) { _, _ in
            let users = state.users.newest(Self.userListLimit).map { UserAnswer(username: $0.username, role: $0.role) }
            return try jsonAnswer(UserList(items: users, total: state.users.count))
        }
        router.on(RouterPath(Endpoint.createUser.path), method: Endpoint.createUser.method) { request, context in
            let form = try await request.decodeJSON(as: NewUser.self, context: context)
            guard LoginRules.isValidUsername(form.username) else {
                throw APIError.unprocessable("username must be 1 to 64 of A-Z a-z 0-9 _ . @ -")
            }
            guard let role = Role(rawValue: form.role) else { throw APIError.unprocessable("role must be \"user\" or \"admin\"") }
            guard form.username != LoginRules.adminUsername || role == .admin else {
                throw APIError.unprocessable("the admin user keeps the admin role")
            }
            state.users.insert(UserRecord(username: form.username, role: role), for: form.username)
            return try jsonAnswer(UserAnswer(username: form.username, role: role), status: .created)
        }
        router.on(RouterPath(Endpoint.adminHealth.path), method: Endpoint.adminHealth.method) { _, _ in
            try jsonAnswer(Health(uptimeSeconds: uptime, requestsInFlight: inFlight.current, stores: state.counts,
                                  storeLimit: state.storeLimit))
        }
    }

    private var uptime: Double { (state.clock.now * 1000).rounded() / 1000 }
}
