import HTTPTypes
import Hummingbird
import HummingbirdAuth

/// Reads the credentials a request carries (`Authorization: Bearer`, `X-API-Key`) and sets the context's
/// caller, or the reason they were refused. It refuses nothing itself: `AccessMiddleware` decides, from the
/// endpoint's rule, whether what was found is enough.
struct CredentialMiddleware: RouterMiddleware {
    typealias Context = TargetRequestContext

    let tokens: TokenIssuer
    let apiKeys: Set<String>

    static let apiKeyField = HTTPField.Name("X-API-Key")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Public routes and unknown paths never look at credentials, so they cost no token check.
        guard let endpoint = context.endpoint, endpoint.access != .anyone else {
            return try await next(request, context)
        }
        var context = context
        var caller = Caller()
        if request.headers[.authorization] != nil {
            if let bearer = request.headers.bearer {
                switch await tokens.verify(bearer.token) {
                case .success(let user): caller.user = user
                case .failure(let refusal): context.credentialProblem = refusal.detail
                }
            } else {
                context.credentialProblem = "the Authorization header is not a bearer token"
            }
        }
        if let key = request.headers[Self.apiKeyField] {
            if apiKeys.contains(key) {
                caller.apiKey = key
            } else {
                context.credentialProblem = "unknown API key"
            }
        }
        if caller.user != nil || caller.apiKey != nil { context.identity = caller }
        return try await next(request, context)
    }
}
