import Cicada
import Foundation
import Hummingbird
import Logging

/// The run's `/metrics` over HTTP (`--metrics-port`): a Hummingbird server on threads of its own (SwiftNIO's
/// event loops), which reads the run's progress under the run's lock at each scrape and renders it
/// (``PrometheusExposition``). It never touches the core's workers: a slow or stuck scraper costs the
/// run nothing.
///
/// ```swift
/// let server = try MetricsServer.start(host: "127.0.0.1", port: 0) { run.progress }
/// print(server.url)      // http://127.0.0.1:PORT/metrics
/// server.stop()
/// ```
public final class MetricsServer: Sendable {
    /// Where it listens, with the port the kernel chose for port 0.
    public let url: String
    private let task: _Concurrency.Task<Void, any Error>

    private init(url: String, task: _Concurrency.Task<Void, any Error>) {
        self.url = url
        self.task = task
    }

    /// Starts serving `GET /metrics` on `host`:`port` and returns once it listens.
    /// - Parameter progress: called at each scrape, on one of the server's threads.
    /// - Throws: ``CicadaError`` when the address cannot be bound (in use, not this machine's).
    public static func start(host: String, port: Int, progress: @escaping @Sendable () -> RunProgress) throws -> MetricsServer {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(string: PrometheusExposition.render(progress()))))
        }
        var logger = Logger(label: "cicada-metrics") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical // a scrape cut by the stop is logged as an error by Hummingbird, and is none
        let bound = BoundPort()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "cicada"),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? port) },
            logger: logger)
        let task = _Concurrency.Task { try await application.run() }
        guard let chosen = bound.wait(seconds: 10) else {
            task.cancel()
            throw CicadaError("--metrics-port: cannot listen on \(host):\(port)")
        }
        let urlHost = host.contains(":") ? "[\(host)]" : host
        return MetricsServer(url: "http://\(urlHost):\(chosen)/metrics", task: task)
    }

    /// Stops serving: the scrapes in progress end, and no new connection is accepted.
    public func stop() {
        task.cancel()
    }
}

/// The port the server bound, handed from its event loop to the thread that started it.
private final class BoundPort: @unchecked Sendable {
    private let lock = NSLock()
    private let ready = DispatchSemaphore(value: 0)
    private var port: Int?

    func set(_ value: Int) {
        lock.withLock { port = value }
        ready.signal()
    }

    func wait(seconds: Double) -> Int? {
        guard ready.wait(timeout: .now() + seconds) == .success else { return nil }
        return lock.withLock { port }
    }
}
