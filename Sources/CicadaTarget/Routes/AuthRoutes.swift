import Hummingbird

/// `POST /api/v1/auth/login` and `GET /api/v1/auth/me`.
struct AuthRoutes {
    let state: TargetState
    let tokens: TokenIssuer

    struct LoginRequest: Decodable {
        var username: String
        var password: String
    }

    struct LoginAnswer: Encodable {
        var accessToken: String
        var tokenType = "bearer"
        var expiresIn: Int
        var role: Role

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in", role
        }
    }

    struct Me: Encodable {
        var username: String
        var role: Role
    }

    func register(on router: Router<TargetRequestContext>) {
        router.on(RouterPath(Endpoint.login.path), method: Endpoint.login.method) { request, context in
            try await login(request, context)
        }
        router.on(RouterPath(Endpoint.me.path), method: Endpoint.me.method) { _, context in
            let user = try context.requireUser()
            return try jsonAnswer(Me(username: user.username, role: user.role))
        }
    }

    func login(_ request: Request, _ context: TargetRequestContext) async throws -> Response {
        let form = try await request.decodeJSON(as: LoginRequest.self, context: context)
        guard LoginRules.isValidUsername(form.username) else {
            throw APIError.unprocessable("username must be 1 to 64 of A-Z a-z 0-9 _ . @ -")
        }
        guard LoginRules.accepts(username: form.username, password: form.password) else {
            throw APIError.unauthorized("wrong username or password")
        }
        let role = state.recordLogin(form.username)
        let token = try await tokens.issue(for: UserIdentity(username: form.username, role: role))
        return try jsonAnswer(LoginAnswer(accessToken: token, expiresIn: tokens.ttl, role: role))
    }
}
