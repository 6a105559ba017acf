import CCicadaCore
import Histogram

/// The statistics of a run, fed with the core's samples on the control thread. Histograms are merged
/// to aggregate, never percentiles.
public struct RunStatistics: Sendable {
    public let endpoints: [Endpoint]
    /// The plan's words for checks, captures and variables, for the failures table.
    public let failureNames: FailureNames
    public private(set) var perEndpoint: [EndpointStatistics]
    public private(set) var failureCounts: [FailureKey: UInt64] = [:]
    /// When each failure was first and last seen: the ends of its requests, monotonic nanoseconds.
    private var failureSeen: [FailureKey: (first: UInt64, last: UInt64)] = [:]
    /// The run's start, monotonic nanoseconds: the first ``markTime(_:)``.
    public private(set) var origin: UInt64 = 0
    /// Distinct evidence values counted for each check (or variable), against ``evidencePerCheck``.
    private var evidenceValues: [FailureKey: Int] = [:]

    /// The most distinct values found kept apart for one check: a check that fails with a new value
    /// each time (a progress figure, a timestamp) would otherwise make a row per request.
    public static let evidencePerCheck = 20
    /// The evidence of the values past ``evidencePerCheck``.
    public static let otherEvidence = "got other values"
    /// The current rates are over the last window, the time between the last two calls of ``markTime(_:)``
    /// (the runner calls it at each report interval), not over the whole run: the rate of the whole run
    /// is the requests over the duration. Zero until a window has closed.
    private var windowStart: UInt64 = 0
    /// Requests counted in the open window, by endpoint.
    private var windowRequests: [UInt64]
    private var windowFailures: UInt64 = 0
    /// Requests counted per second in the last window, all endpoints together.
    public private(set) var currentRPS: Double = 0
    /// Requests counted per second in the last window, by endpoint (in the order of ``endpoints``).
    public private(set) var currentEndpointRPS: [Double]
    /// Failures counted per second in the last window.
    public private(set) var currentFailuresPerSecond: Double = 0
    /// The open model's iterations that came due when no user could take them (``ArrivalModel``): not
    /// requests, so in no endpoint's figures; 0 in a run of users.
    public private(set) var droppedIterations: UInt64 = 0

    public init(endpoints: [Endpoint], failureNames: FailureNames = FailureNames()) {
        self.endpoints = endpoints
        self.failureNames = failureNames
        self.perEndpoint = endpoints.map(EndpointStatistics.init)
        self.windowRequests = endpoints.map { _ in 0 }
        self.currentEndpointRPS = endpoints.map { _ in 0 }
    }

    /// Counts dropped iterations, as the core reports them between two drains.
    public mutating func recordDropped(_ count: UInt64) {
        droppedIterations += count
    }

    /// Counts a batch of samples.
    public mutating func record(_ samples: UnsafeBufferPointer<cc_sample_t>) {
        for sample in samples { record(sample) }
    }

    public mutating func record(_ sample: cc_sample_t) {
        let index = Int(sample.endpoint)
        perEndpoint[index].requests += 1
        windowRequests[index] += 1
        if sample.first_byte_ns != 0 {
            perEndpoint[index].responses += 1
            perEndpoint[index].bytesReceived += sample.bytes_received
        }
        if sample.connected_ns != 0 {
            perEndpoint[index].connectTime.record(max(1, (sample.connected_ns - sample.start_ns) / 1000))
            if sample.handshake_ns != 0 {
                perEndpoint[index].tlsHandshakeTime.record(max(1, (sample.handshake_ns - sample.connected_ns) / 1000))
                perEndpoint[index].tlsHandshakes += 1
                if sample.flags & UInt8(CC_SAMPLE_TLS_RESUMED) != 0 { perEndpoint[index].tlsResumed += 1 }
            }
        }
        if sample.succeeded {
            perEndpoint[index].responseTime.record(sample.responseMicroseconds)
            perEndpoint[index].fromIntendedStart.record(sample.fromIntendedStartMicroseconds)
            return
        }
        if sample.wasCancelled {
            perEndpoint[index].cancelled += 1
        } else {
            perEndpoint[index].failures += 1
            windowFailures += 1
        }
        var key = FailureKey(sample)
        if key.kind == Int(CC_FAIL_CHECK.rawValue), key.evidence.isEmpty, sample.status != 0,
           failureNames.statusChecks.contains(Int(key.detail)) {
            // A status check's evidence is the status, whether or not the core copied it (in its words).
            key.evidence = "got \(sample.status)"
        }
        if !key.evidence.isEmpty, failureCounts[key] == nil {
            // A new value for this check: keep it apart only while the check has few.
            let group = FailureKey(endpoint: key.endpoint, kind: key.kind, detail: key.detail)
            if evidenceValues[group, default: 0] >= Self.evidencePerCheck {
                key.evidence = Self.otherEvidence
            } else {
                evidenceValues[group, default: 0] += 1
            }
        }
        failureCounts[key, default: 0] += 1
        if let seen = failureSeen[key] {
            failureSeen[key] = (min(seen.first, sample.end_ns), max(seen.last, sample.end_ns))
        } else {
            failureSeen[key] = (sample.end_ns, sample.end_ns)
        }
    }

    /// Closes the open rate window at `now` (monotonic nanoseconds), computes the current rates over it and
    /// opens the next one.
    public mutating func markTime(_ now: UInt64) {
        if origin == 0 { origin = now }
        if windowStart != 0, now > windowStart {
            let seconds = Double(now - windowStart) / 1e9
            currentEndpointRPS = windowRequests.map { Double($0) / seconds }
            currentRPS = Double(windowRequests.reduce(0, +)) / seconds
            currentFailuresPerSecond = Double(windowFailures) / seconds
        }
        windowStart = now
        for index in windowRequests.indices { windowRequests[index] = 0 }
        windowFailures = 0
    }

    /// Every endpoint merged into one.
    public var aggregated: EndpointStatistics {
        var total = EndpointStatistics(endpoint: Endpoint(method: "", name: "Aggregated"))
        for endpoint in perEndpoint { total.merge(endpoint) }
        return total
    }

    /// The failure rows, most frequent first; the words are made here, not while counting.
    public var failureRows: [FailureTableRow] {
        struct Words: Hashable {
            var endpoint: Int
            var kind: Int
            var detail: String
        }
        var counts: [Words: UInt64] = [:]
        var seen: [Words: (first: UInt64, last: UInt64)] = [:]
        for (key, count) in failureCounts {
            let words = Words(endpoint: key.endpoint, kind: key.kind, detail: key.detailText(names: failureNames))
            counts[words, default: 0] += count
            if let times = failureSeen[key] {
                let earlier = seen[words] ?? times
                seen[words] = (min(earlier.first, times.first), max(earlier.last, times.last))
            }
        }
        // Without an origin (a stage's statistics, a test's), the times have nothing to count from.
        func seconds(_ ns: UInt64?) -> Double? { origin == 0 ? nil : ns.map { Double($0 - min($0, origin)) / 1e9 } }
        let rows = counts.map {
            FailureTableRow(endpoint: $0.key.endpoint, kind: $0.key.kind, detail: $0.key.detail, count: $0.value,
                            firstSeen: seconds(seen[$0.key]?.first), lastSeen: seconds(seen[$0.key]?.last))
        }
        return rows.sorted {
            $0.count != $1.count ? $0.count > $1.count : ($0.endpoint, $0.kind, $0.detail) < ($1.endpoint, $1.kind, $1.detail)
        }
    }
}
