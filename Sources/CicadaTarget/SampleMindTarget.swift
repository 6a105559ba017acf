import Hummingbird
import Logging

/// The SampleMind demo target: the API of `shared/samplemind-api.md` on Hummingbird, with simulated
/// latency, injected errors, a capacity model, bounded state and Prometheus metrics
/// (docs/demo-target.md).
///
/// ```swift
/// var configuration = TargetConfiguration()
/// configuration.port = 0
/// let target = await SampleMindTarget(configuration: configuration)
/// try await target.run { port in print("listening on \(port)") }  // until SIGINT or SIGTERM
/// ```
///
/// Tests build the application with `makeApplication()` and drive it with HummingbirdTesting.
public final class SampleMindTarget: Sendable {
    public let configuration: TargetConfiguration
    public let state: TargetState
    public let metrics: TargetMetrics
    let tokens: TokenIssuer
    let inFlight = InFlightRequests()

    public init(configuration: TargetConfiguration = TargetConfiguration()) async {
        self.configuration = configuration
        state = TargetState(configuration: configuration)
        metrics = TargetMetrics()
        tokens = await TokenIssuer.make(ttl: configuration.tokenTTL)
    }

    /// The router: every route of `Endpoint`, behind the middleware in the order they run.
    public func makeRouter() -> Router<TargetRequestContext> {
        let router = Router(context: TargetRequestContext.self)
        // Outermost first: counting sees every answer, 503s and injected 500s included; queueing and
        // latency come before the error draw, as they would in front of a real service; credentials are
        // read only for requests that got that far.
        router.add(middleware: TrafficMiddleware(metrics: metrics))
        router.add(middleware: CapacityMiddleware(gate: CapacityGate(capacity: configuration.capacity), inFlight: inFlight))
        router.add(middleware: LatencyMiddleware(profiles: configuration.latencyProfiles, scale: configuration.latencyScale))
        router.add(middleware: FaultMiddleware(rate: configuration.errorRate, metrics: metrics))
        router.add(middleware: CredentialMiddleware(tokens: tokens, apiKeys: configuration.apiKeys))
        router.add(middleware: AccessMiddleware())
        AuthRoutes(state: state, tokens: tokens).register(on: router)
        AudioRoutes(state: state, maxUploadBytes: configuration.maxUploadBytes).register(on: router)
        FileRoutes(state: state).register(on: router)
        BatchRoutes(state: state, jobSeconds: configuration.jobSeconds).register(on: router)
        AdminRoutes(state: state, metrics: metrics, inFlight: inFlight).register(on: router)
        ServiceRoutes(state: state, metrics: metrics, inFlight: inFlight).register(on: router)
        return router
    }

    /// The application on `configuration.host` and `.port`; `onListening` gets the port bound (the
    /// kernel's choice when the port is 0) once the server accepts connections.
    public func makeApplication(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> Application<RouterResponder<TargetRequestContext>> {
        // Logs go to standard error: standard output carries only the "listening" line a parent reads.
        var logger = Logger(label: "cicada-target") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = configuration.logLevel
        let port = configuration.port
        return Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: "cicada-target"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully and returns.
    ///
    /// The signals are watched by ServiceLifecycle. On Linux, a process should block both in every thread
    /// before it starts any (as `cicada target` does), so that they stay pending for the process, where the
    /// watcher's signalfd reads them.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await makeApplication(onListening: onListening).runService()
    }
}
