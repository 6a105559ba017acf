import Hummingbird
import Logging

/// The outermost middleware: finds the request's endpoint, turns every error below it into the
/// contract's `{"detail": ...}` answer, and counts each answer once with the status the client sees.
struct TrafficMiddleware: RouterMiddleware {
    typealias Context = TargetRequestContext

    let metrics: TargetMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        context.endpoint = Endpoint.matching(method: request.method, routePath: context.endpointPath)
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError {
            // Hummingbird's own: 404 for no route, 413 for a body past its bound.
            let detail = error.body ?? (error.status == .notFound ? "Not Found" : error.status.reasonPhrase)
            response = APIError(error.status, detail, headers: error.headers).response
        } catch let error as any HTTPResponseError {
            response = APIError(error.status, error.status.reasonPhrase).response
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            response = APIError(.internalServerError, "internal error").response
        }
        metrics.record(endpoint: context.endpoint, method: request.method, status: response.status.code,
                       duration: ContinuousClock.now - start)
        return response
    }
}
