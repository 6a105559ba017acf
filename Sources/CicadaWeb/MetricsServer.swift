import Cicada
import Foundation
import Hummingbird

/// The run's `/metrics` over HTTP (`--metrics-port`): a Hummingbird server on threads of its own, which
/// reads the run's progress under the run's lock at each scrape and renders it (``PrometheusExposition``).
/// It never touches the core's workers: a slow or stuck scraper costs the run nothing.
///
/// ```swift
/// let server = try MetricsServer.start(host: "127.0.0.1", port: 0) { run.progress }
/// print(server.url)      // http://127.0.0.1:PORT/metrics
/// server.stop()
/// ```
public final class MetricsServer: Sendable {
    /// Where it listens, with the port the kernel chose for port 0.
    public let url: String
    private let listener: HTTPListener

    private init(listener: HTTPListener) {
        self.listener = listener
        self.url = listener.origin + "/metrics"
    }

    /// Starts serving `GET /metrics` on `host`:`port` and returns once it listens.
    /// - Parameter progress: called at each scrape, on one of the server's threads.
    /// - Throws: ``CicadaError`` when the address cannot be bound (in use, not this machine's).
    public static func start(host: String, port: Int, progress: @escaping @Sendable () -> RunProgress) throws -> MetricsServer {
        let router = Router()
        router.get("/metrics") { _, _ in metricsResponse(progress()) }
        return MetricsServer(listener: try HTTPListener.start(router: router, host: host, port: port, what: "--metrics-port"))
    }

    /// Stops serving: the scrapes in progress end, and no new connection is accepted.
    public func stop() {
        listener.stop()
    }
}

/// `progress` in Prometheus's text format, as `/metrics` answers on either server.
func metricsResponse(_ progress: RunProgress) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(string: PrometheusExposition.render(progress))))
}
