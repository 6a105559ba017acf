import Hummingbird
import NIOConcurrencyHelpers
import Prometheus

/// The target's metrics, in a `PrometheusCollectorRegistry`, exposed by `GET /metrics`:
///
/// | metric | type | labels |
/// |---|---|---|
/// | `samplemind_requests_total` | counter | route, method, status |
/// | `samplemind_request_duration_seconds` | histogram | route, method |
/// | `samplemind_contract_mistakes_total` | counter | route, status (401, 403, 404, 415, 422) |
/// | `samplemind_injected_errors_total` | counter | route |
/// | `samplemind_requests_in_flight` | gauge | |
/// | `samplemind_store_entries` | gauge | store |
/// | `process_cpu_seconds_total` | counter | |
/// | `process_resident_memory_bytes` | gauge | |
///
/// `route` is the contract's path pattern (`/api/v1/audio/results/{analysis_id}`) or `unmatched`, so the
/// label sets are bounded whatever paths clients send; methods outside the usual few are `other`.
public final class TargetMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    /// The answers that a client following the contract never gets (its last section).
    public static let contractMistakeStatuses = [401, 403, 404, 415, 422]

    /// From 1 ms (health) to 10 s (an analysis queued behind a full target).
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    private struct Series: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// The figures the dashboard shows, kept beside the registry so they can be read without parsing it.
    public struct Totals: Sendable, Equatable {
        public var requests = 0
        public var contractMistakes = 0
        public var injectedErrors = 0
    }

    private let counters = NIOLockedValueBox<[Series: Counter]>([:])
    private let histograms = NIOLockedValueBox<[Series: DurationHistogram]>([:])
    private let totalsBox = NIOLockedValueBox(Totals())
    private let reportedCPUSeconds = NIOLockedValueBox(0.0)
    private let cpuSeconds: Counter
    private let residentBytes: Gauge
    private let inFlightGauge: Gauge

    private static var requests: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "samplemind", metricName: "requests", unitName: "total",
        helpText: "Requests answered, by route pattern, method and status code.") }
    private static var durations: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "samplemind", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from a request's arrival to its answer, simulated latency and queueing included.") }
    private static var mistakes: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "samplemind", metricName: "contract_mistakes", unitName: "total",
        helpText: "Answers 401, 403, 404, 415 and 422: a client that follows the contract gets none.") }
    private static var injected: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "samplemind", metricName: "injected_errors", unitName: "total",
        helpText: "500 answers injected by --error-rate.") }
    private static var stores: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "samplemind", metricName: "store", unitName: "entries",
        helpText: "Entries held in each bounded store.") }

    public init() {
        cpuSeconds = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "cpu_seconds", unitName: "total",
            helpText: "User and system CPU time of the target process, from /proc/self/stat."))
        residentBytes = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "resident_memory", unitName: "bytes",
            helpText: "Resident set size of the target process, from /proc/self/statm."))
        inFlightGauge = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "samplemind", metricName: "requests_in_flight", unitName: "",
            helpText: "Requests being served, counted against --capacity."))
        // Every series of contract mistakes exists from the start at 0, so a run that made none shows it.
        for endpoint in Endpoint.allCases {
            for status in Self.contractMistakeStatuses {
                _ = registry.makeCounter(descriptor: Self.mistakes, labels: [("route", endpoint.path), ("status", String(status))])
            }
            _ = registry.makeCounter(descriptor: Self.injected, labels: [("route", endpoint.path)])
        }
    }

    public var totals: Totals { totalsBox.withLockedValue { $0 } }

    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .post, .put, .delete, .patch, .head, .options: method.rawValue
        default: "other"
        }
    }

    /// Counts one answer; called once per request by `TrafficMiddleware`.
    func record(endpoint: Endpoint?, method: HTTPRequest.Method, status: Int, duration: Duration) {
        let route = endpoint?.path ?? Endpoint.unmatchedLabel
        let series = Series(route: route, method: Self.methodLabel(method), status: status)
        let isMistake = Self.contractMistakeStatuses.contains(status)
        counter(for: series).increment()
        histogram(for: Series(route: route, method: series.method, status: 0)).record(duration)
        if isMistake {
            registry.makeCounter(descriptor: Self.mistakes, labels: [("route", route), ("status", String(status))]).increment()
        }
        totalsBox.withLockedValue { totals in
            totals.requests += 1
            if isMistake { totals.contractMistakes += 1 }
        }
    }

    func recordInjectedError(_ endpoint: Endpoint) {
        registry.makeCounter(descriptor: Self.injected, labels: [("route", endpoint.path)]).increment()
        totalsBox.withLockedValue { $0.injectedErrors += 1 }
    }

    /// The text exposition (Prometheus format 0.0.4), with the process and store figures read now.
    func exposition(state: TargetState, inFlight: Int) -> String {
        if let figures = ProcessFigures.read() {
            // The counter only goes up: it is moved by what the CPU time grew since the last scrape.
            let delta = reportedCPUSeconds.withLockedValue { reported in
                let delta = max(0, figures.cpuSeconds - reported)
                reported += delta
                return delta
            }
            if delta > 0 { cpuSeconds.increment(by: delta) }
            residentBytes.set(Double(figures.residentBytes))
        }
        inFlightGauge.set(Double(inFlight))
        let counts = state.counts
        for (store, count) in [("users", counts.users), ("files", counts.files), ("analyses", counts.analyses), ("jobs", counts.jobs)] {
            registry.makeGauge(descriptor: Self.stores, labels: [("store", store)]).set(Double(count))
        }
        return registry.emitToString()
    }

    private func counter(for series: Series) -> Counter {
        if let counter = counters.withLockedValue({ $0[series] }) { return counter }
        let counter = registry.makeCounter(descriptor: Self.requests, labels: [
            ("route", series.route), ("method", series.method), ("status", String(series.status)),
        ])
        counters.withLockedValue { $0[series] = counter }
        return counter
    }

    private func histogram(for series: Series) -> DurationHistogram {
        if let histogram = histograms.withLockedValue({ $0[series] }) { return histogram }
        let histogram = registry.makeDurationHistogram(
            descriptor: Self.durations, labels: [("route", series.route), ("method", series.method)],
            buckets: Self.durationBuckets)
        histograms.withLockedValue { $0[series] = histogram }
        return histogram
    }
}
