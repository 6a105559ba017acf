import Hummingbird

/// Applies the endpoint's `Access` rule: 401 when the credentials it needs are missing or any credential
/// sent was invalid, 403 when a valid user token calls an admin route.
///
/// A credential of a kind the route does not take (an API key on a user route, a token on a batch route)
/// is treated as missing: 401.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = TargetRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let endpoint = context.endpoint else { return try await next(request, context) }
        try Self.check(endpoint.access, context: context)
        return try await next(request, context)
    }

    static func check(_ access: Access, context: Context) throws {
        if access == .anyone { return }
        if let problem = context.credentialProblem { throw APIError.unauthorized(problem) }
        let caller = context.identity
        switch access {
        case .anyone:
            return
        case .user:
            guard caller?.user != nil else { throw APIError.unauthorized("missing bearer token") }
        case .admin:
            guard let user = caller?.user else { throw APIError.unauthorized("missing bearer token") }
            guard user.role == .admin else { throw APIError(.forbidden, "admin role required") }
        case .apiKey:
            guard caller?.apiKey != nil else { throw APIError.unauthorized("missing X-API-Key") }
        case .userOrAPIKey:
            guard caller?.user != nil || caller?.apiKey != nil else {
                throw APIError.unauthorized("missing bearer token or X-API-Key")
            }
        }
    }
}
