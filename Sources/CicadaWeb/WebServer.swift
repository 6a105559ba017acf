import Cicada
import Foundation
import HTTPTypes
import Hummingbird

/// The web UI of `cicada run` without `--headless`: the page, its live updates, the REST API of
/// docs/web-api.md, Locust's own endpoints and `/metrics`, on a Hummingbird server of its own. Every
/// handler reads the run's published progress and its ``LiveFeed`` under their locks; none touches the
/// core's workers, so a slow or stuck browser costs the run nothing.
///
/// ```swift
/// let session = WebSession(launcher: launcher)
/// let server = try WebServer.start(session: session, host: "127.0.0.1", port: 8089, credentials: nil,
///                                  loopbackOnly: true, chartLibrary: try HTMLReport.loadChartLibrary())
/// print(server.url)
/// ```
public final class WebServer: Sendable {
    /// The page's address, with the port the kernel chose for port 0.
    public let url: String
    private let listener: HTTPListener

    /// Updates pushed to one page at most this often, in seconds.
    public static let pushInterval = 1.0
    /// Pages watching at once; more are refused with 503, so that forgotten tabs cannot pile up.
    public static let maxWatchers = 64

    private init(listener: HTTPListener) {
        self.listener = listener
        self.url = listener.origin + "/"
    }

    /// Starts serving and returns once it listens.
    /// - Parameters:
    ///   - credentials: `user:password` for HTTP basic authentication, or nil.
    ///   - loopbackOnly: refuse a `Host` that is not a loopback name (the default bind).
    ///   - chartLibrary: Chart.js's source, served to the page at `/chart.js`.
    /// - Throws: ``CicadaError`` when the address cannot be bound.
    public static func start(session: WebSession, host: String, port: Int, credentials: String?, loopbackOnly: Bool,
                             chartLibrary: String) throws -> WebServer {
        let router = Router()
        router.add(middleware: WebGuard(credentials: credentials, token: session.token, loopbackOnly: loopbackOnly))
        let watchers = LiveEvents.Watchers()
        let page = WebPage.render(token: session.token)
        router.get("/") { _, _ in Self.respond(page, type: "text/html; charset=utf-8") }
        router.get("/chart.js") { _, _ in Self.respond(chartLibrary, type: "text/javascript; charset=utf-8") }

        // The API of docs/web-api.md.
        router.get("/api/status") { _, _ in Self.json(LivePayload(session.snapshot)) }
        router.get("/api/stats") { _, _ in Self.json(LivePayload(session.snapshot)) }
        router.get("/api/defaults") { _, _ in Self.json(session.launcher.defaults) }
        router.get("/api/history") { request, _ in
            let since = try Self.sinceIndex(request, "since")
            return Self.json(HistorySlice(session.snapshot, since: since))
        }
        router.get("/api/events") { request, _ in
            LiveEvents.stream(session, since: try Self.sinceIndex(request, "since"),
                              resume: lastEventID(request.headers[HTTPField.Name("Last-Event-ID")!]), watchers: watchers)
        }
        router.post("/api/start") { request, _ in
            let fields = try await FormFields.read(request)
            let number = try await offloaded { try session.start(Self.startFields(fields, users: "users", spawnRate: "spawn_rate")) }
            return Self.json(["run": number])
        }
        router.post("/api/stop") { _, _ in
            guard session.stop() else { throw WebError.conflict("no run is going on") }
            return Self.json(["stopping": true])
        }
        router.post("/api/scale") { request, _ in
            let fields = try await FormFields.read(request)
            try session.scale(users: fields.value("users"), spawnRate: fields.value("spawn_rate"),
                              arrivalRate: fields.value("arrival_rate"))
            return Self.json(["scaled": true])
        }
        router.post("/api/skip-stage") { _, _ in
            try session.skipStage()
            return Self.json(["skipped": true])
        }
        router.post("/api/reset") { _, _ in
            guard session.resetStatistics() else { throw WebError.conflict("no run is going on") }
            return Self.json(["reset": true])
        }
        router.get("/api/reports/:file") { _, context in
            guard let reports = session.snapshot.reports, session.snapshot.finished else {
                throw WebError(.notFound, "no run has finished yet: its reports come once it has")
            }
            switch context.parameters.get("file") {
            case "summary.json": return Self.download(String(decoding: reports.summaryJSON, as: UTF8.self), type: "application/json", name: "cicada-summary.json")
            case "stats.csv": return Self.download(reports.statsCSV, type: "text/csv", name: "cicada_stats.csv")
            case "failures.csv": return Self.download(reports.failuresCSV, type: "text/csv", name: "cicada_failures.csv")
            case "report.html": return Self.download(reports.html, type: "text/html; charset=utf-8", name: "cicada-report.html")
            default: throw WebError(.notFound, "the reports are summary.json, stats.csv, failures.csv and report.html")
            }
        }

        // Locust's web API, as its own scripts call it.
        router.post("/swarm") { request, _ in
            let fields = try await FormFields.read(request)
            if session.snapshot.finished {
                try await offloaded { try session.start(Self.startFields(fields, users: "user_count", spawnRate: "spawn_rate")) }
                return Self.json(LocustReply(success: true, message: "Swarming started", host: fields.value("host") ?? session.launcher.defaults.host))
            }
            // As Locust's: a swarm while a run goes on moves it to the new user count.
            try session.scale(users: fields.value("user_count"), spawnRate: fields.value("spawn_rate"), arrivalRate: nil)
            return Self.json(LocustReply(success: true, message: "Swarming started", host: fields.value("host") ?? session.launcher.defaults.host))
        }
        // Locust 2.x takes these as POST, its older releases as GET: both are served.
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/stop", method: method) { _, _ in
                session.stop()
                return Self.json(LocustReply(success: true, message: "Test stopped", host: nil))
            }
            router.on("/stats/reset", method: method) { _, _ in
                session.resetStatistics()
                return Self.respond("ok", type: "text/plain; charset=utf-8")
            }
        }
        router.get("/stats/requests") { _, _ in Self.json(LocustStats(session.snapshot)) }
        router.get("/stats/requests/csv") { _, _ in
            let csv: String
            if let run = session.snapshot.run {
                let progress = run.run.progress
                csv = LocustCSV.stats(progress.statistics, duration: progress.elapsed - progress.statisticsSince)
            } else {
                csv = LocustCSV.stats(RunStatistics(endpoints: []), duration: 0)
            }
            return Self.download(csv, type: "text/csv", name: "requests_\(Int(Date().timeIntervalSince1970)).csv")
        }
        router.get("/metrics") { _, _ in
            guard let run = session.snapshot.run else {
                return metricsResponse(RunProgress(phase: .ready, elapsed: 0, usersActive: 0, statistics: RunStatistics(endpoints: [])))
            }
            return metricsResponse(run.run.progress)
        }
        let listener = try HTTPListener.start(router: router, host: host, port: port, what: "--web-host/--web-port")
        return WebServer(listener: listener)
    }

    /// Stops serving: open pages lose their connection, and no new one is accepted.
    public func stop() {
        listener.stop()
    }

    struct LocustReply: Encodable {
        var success: Bool
        var message: String
        var host: String?
    }

    static func startFields(_ fields: FormFields, users: String, spawnRate: String) -> StartFields {
        StartFields(users: fields.value(users), spawnRate: fields.value(spawnRate), host: fields.value("host"),
                    runTime: fields.value("run_time"), stages: fields.value("stages"), arrivalRate: fields.value("arrival_rate"),
                    userClasses: fields.list("user_classes"))
    }

    /// A query's index (`since`), 0 when absent.
    static func sinceIndex(_ request: Request, _ name: String) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return 0 }
        guard let value = Int(text), value >= 0 else { throw WebError.badInput("\(name): expected a whole number of seconds from 0, got '\(text.prefix(40))'") }
        return value
    }

    static func json<Value: Encodable>(_ value: Value) -> Response {
        respond(String(decoding: APIJSON.encode(value), as: UTF8.self), type: "application/json; charset=utf-8")
    }

    static func respond(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        Self.protect(&headers)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// No other site may frame the page (and trick clicks on it), and no answer is read as another type.
    static func protect(_ headers: inout HTTPFields) {
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Content-Security-Policy")!] = "frame-ancestors 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    }

    static func download(_ text: String, type: String, name: String) -> Response {
        var response = respond(text, type: type)
        response.headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return response
    }
}
