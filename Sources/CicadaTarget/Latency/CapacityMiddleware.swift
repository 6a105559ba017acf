import Hummingbird

/// Counts the requests in flight and applies `CapacityGate`: a queueing delay past N, 503 past 2N. The
/// delay is a `Task.sleep`, so a queued request holds no NIO thread.
struct CapacityMiddleware: RouterMiddleware {
    typealias Context = TargetRequestContext

    let gate: CapacityGate
    let inFlight: InFlightRequests

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.endpoint?.isCapacityBound == false { return try await next(request, context) }
        let count = inFlight.enter()
        defer { inFlight.leave() }
        switch gate.decide(inFlight: count) {
        case .reject:
            throw APIError(.serviceUnavailable, "over capacity: \(count - 1) requests in flight, at most \(2 * gate.capacity)",
                           headers: [.retryAfter: "1"])
        case .admit(let delay):
            if delay > 0 { try await Task.sleep(for: .seconds(delay)) }
        }
        return try await next(request, context)
    }
}
