import Cicada
import Foundation
import Hummingbird
import Logging

/// A Hummingbird server on threads of its own (SwiftNIO's event loops), started from synchronous code:
/// ``start(router:host:port:what:)`` returns once it listens, with the port the kernel chose for port 0.
/// The metrics endpoint and the web UI both run on one. It never touches the core's workers.
final class HTTPListener: Sendable {
    /// The bound address, as a URL without a path (`http://127.0.0.1:8089`).
    let origin: String
    let port: Int
    private let task: _Concurrency.Task<Void, any Error>

    private init(origin: String, port: Int, task: _Concurrency.Task<Void, any Error>) {
        self.origin = origin
        self.port = port
        self.task = task
    }

    /// Starts serving `router` on `host`:`port` and returns once it listens.
    /// - Parameter what: the option that chose the address, for the error.
    /// - Throws: ``CicadaError`` when the address cannot be bound (in use, not this machine's).
    static func start(router: Router<BasicRequestContext>, host: String, port: Int, what: String) throws -> HTTPListener {
        var logger = Logger(label: "cicada-web") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical // a response cut by the stop is logged as an error by Hummingbird, and is none
        let bound = BoundPort()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "cicada"),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? port) },
            logger: logger)
        let task = _Concurrency.Task { try await application.run() }
        guard let chosen = bound.wait(seconds: 10) else {
            task.cancel()
            throw CicadaError("\(what): cannot listen on \(host):\(port)")
        }
        let urlHost = host.contains(":") ? "[\(host)]" : host
        return HTTPListener(origin: "http://\(urlHost):\(chosen)", port: chosen, task: task)
    }

    /// Stops serving: the responses in progress end, and no new connection is accepted.
    func stop() {
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
