import Hummingbird

/// `--error-rate F`: answers each request to a route that allows it (`Endpoint.injectsFaults`: every
/// `/api/v1` route) with a 500 with probability F, before credentials are read and before the handler
/// runs, so that a failed request changes no state.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = TargetRequestContext

    let rate: Double
    let metrics: TargetMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if rate > 0, let endpoint = context.endpoint, endpoint.injectsFaults, Double.random(in: 0..<1) < rate {
            metrics.recordInjectedError(endpoint)
            throw APIError(.internalServerError, "injected error (--error-rate)")
        }
        return try await next(request, context)
    }
}
