import Hummingbird

/// Waits the route's simulated service time (`LatencyProfile`, times `--latency-scale`) before the handler
/// runs, with `Task.sleep`, so that the wait holds no NIO thread.
struct LatencyMiddleware: RouterMiddleware {
    typealias Context = TargetRequestContext

    let profiles: [Endpoint: LatencyProfile]
    let scale: Double

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if scale > 0 {
            let profile = context.endpoint.map { profiles[$0] ?? .zero } ?? .unmatched
            var generator = SystemRandomNumberGenerator()
            let seconds = profile.sample(scale: scale, using: &generator)
            if seconds > 0 { try await Task.sleep(for: .seconds(seconds)) }
        }
        return try await next(request, context)
    }
}
