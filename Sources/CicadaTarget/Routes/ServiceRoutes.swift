import Hummingbird

/// `GET /health`, the public liveness check, and `GET /metrics`, the Prometheus scrape.
struct ServiceRoutes {
    let state: TargetState
    let metrics: TargetMetrics
    let inFlight: InFlightRequests

    func register(on router: Router<TargetRequestContext>) {
        router.on(RouterPath(Endpoint.health.path), method: Endpoint.health.method) { _, _ in
            try jsonAnswer(["status": "ok"])
        }
        router.on(RouterPath(Endpoint.metrics.path), method: Endpoint.metrics.method) { _, _ in
            let text = metrics.exposition(state: state, inFlight: inFlight.current)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
