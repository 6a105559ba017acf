import Hummingbird

/// Who may call an endpoint (docs/demo-target.md, "Auth").
public enum Access: Sendable {
    case anyone
    /// A valid user (or admin) token.
    case user
    /// A valid token whose role is admin; a user's token is 403.
    case admin
    /// A valid `X-API-Key`.
    case apiKey
    /// Either of the two: `POST /api/v1/audio/analyze`.
    case userOrAPIKey
}

/// The routes of the SampleMind contract (`shared/samplemind-api.md`), plus `/metrics`.
///
/// This table is the one place that says, per route, its method and path, who may call it, and whether it
/// takes part in the error and capacity models; the router, the middleware and the metrics all read it.
/// The path is written in the contract's form (`{analysis_id}`), which Hummingbird also parses, and is the
/// `route` label of every metric.
public enum Endpoint: String, CaseIterable, Sendable {
    case login, me, upload, analyze, result, listFiles, searchFiles, batch, job
    case dashboard, listUsers, createUser, adminHealth, health, metrics

    public var method: HTTPRequest.Method {
        switch self {
        case .login, .upload, .analyze, .batch, .createUser: .post
        default: .get
        }
    }

    public var path: String {
        switch self {
        case .login: "/api/v1/auth/login"
        case .me: "/api/v1/auth/me"
        case .upload: "/api/v1/audio/upload"
        case .analyze: "/api/v1/audio/analyze"
        case .result: "/api/v1/audio/results/{analysis_id}"
        case .listFiles: "/api/v1/files"
        case .searchFiles: "/api/v1/files/search"
        case .batch: "/api/v1/batch"
        case .job: "/api/v1/jobs/{job_id}"
        case .dashboard: "/api/v1/admin/dashboard"
        case .listUsers, .createUser: "/api/v1/admin/users"
        case .adminHealth: "/api/v1/admin/health"
        case .health: "/health"
        case .metrics: "/metrics"
        }
    }

    public var access: Access {
        switch self {
        case .login, .health, .metrics: .anyone
        case .me, .upload, .result, .listFiles, .searchFiles: .user
        case .analyze: .userOrAPIKey
        case .batch, .job: .apiKey
        case .dashboard, .listUsers, .createUser, .adminHealth: .admin
        }
    }

    /// Whether `--error-rate` may answer this route with a 500: every `/api/v1` route, never `/health`
    /// or `/metrics`, so that a run's health checks and scrapes stay truthful.
    public var injectsFaults: Bool { path.hasPrefix("/api/v1/") }

    /// Whether the route counts against `--capacity`. `/metrics` does not, so that an overloaded target
    /// can still be scraped.
    public var isCapacityBound: Bool { self != .metrics }

    /// The `route` label of requests that matched no endpoint.
    public static let unmatchedLabel = "unmatched"

    /// The endpoint Hummingbird matched, from the route path it stores in the context (nil when none did:
    /// the router then answers 404, for an unknown path and for a known path with another method).
    static func matching(method: HTTPRequest.Method, routePath: String?) -> Endpoint? {
        guard let routePath else { return nil }
        return byRoute[RouteKey(method: method, path: routePath)]
    }

    private struct RouteKey: Hashable {
        var method: HTTPRequest.Method
        var path: String
    }

    /// Keyed by Hummingbird's own rendering of each path, so the lookup agrees with the router's.
    private static let byRoute: [RouteKey: Endpoint] = Dictionary(
        uniqueKeysWithValues: allCases.map { (RouteKey(method: $0.method, path: RouterPath($0.path).description), $0) })
}
