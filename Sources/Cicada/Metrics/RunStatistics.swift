import CCicadaCore
import Histogram

/// Response-time figures in milliseconds, read from an HDR histogram of microseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var min: Double
    public var avg: Double
    public var median: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var p99_9: Double
    public var max: Double

    init(_ histogram: Histogram<UInt64>) {
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        guard histogram.totalCount > 0 else {
            self.init(min: 0, avg: 0, median: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0)
            return
        }
        self.init(min: ms(histogram.min), avg: histogram.mean / 1000,
                  median: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
                  p95: ms(histogram.valueAtPercentile(95)), p99: ms(histogram.valueAtPercentile(99)),
                  p99_9: ms(histogram.valueAtPercentile(99.9)), max: ms(histogram.max))
    }

    public init(min: Double, avg: Double, median: Double, p90: Double, p95: Double, p99: Double, p99_9: Double,
                max: Double) {
        self.min = min
        self.avg = avg
        self.median = median
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
        self.p99_9 = p99_9
        self.max = max
    }
}

/// A new histogram for response times in microseconds, 3 significant digits, growing past an hour
/// if it must.
func makeLatencyHistogram() -> Histogram<UInt64> {
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000,
                                      numberOfSignificantValueDigits: .three)
    histogram.autoResize = true
    return histogram
}

/// What one endpoint did. Response times count successful requests only, so that fast failures
/// (a refused connection takes microseconds) cannot flatter the percentiles; failures are counted
/// by kind beside them.
public struct EndpointStatistics: Sendable {
    public let endpoint: Endpoint
    /// Every request that ended: successes, failures and cancelled ones.
    public internal(set) var requests: UInt64 = 0
    /// Requests that failed (cancelled ones excluded).
    public internal(set) var failures: UInt64 = 0
    /// Requests abandoned in flight at the end of the run.
    public internal(set) var cancelled: UInt64 = 0
    /// Response bytes received, headers included, over the requests that got a response.
    public internal(set) var bytesReceived: UInt64 = 0
    public internal(set) var responses: UInt64 = 0
    /// From the actual start of each successful request to its last byte, in microseconds.
    public internal(set) var responseTime = makeLatencyHistogram()
    /// From the intended start (after the user's wait) to the last byte: includes any delay the
    /// generator itself added, which is how coordinated omission is seen and corrected.
    public internal(set) var fromIntendedStart = makeLatencyHistogram()
    /// Connect times of the requests that opened a connection, in microseconds.
    public internal(set) var connectTime = makeLatencyHistogram()
    /// TLS handshake times (from the TCP connection to the end of the handshake), in microseconds.
    public internal(set) var tlsHandshakeTime = makeLatencyHistogram()
    /// TLS handshakes completed by this endpoint's requests, and how many of them resumed a session.
    public internal(set) var tlsHandshakes: UInt64 = 0
    public internal(set) var tlsResumed: UInt64 = 0

    public var successes: UInt64 { requests - failures - cancelled }
    public var averageSize: Double { responses == 0 ? 0 : Double(bytesReceived) / Double(responses) }

    init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }

    mutating func merge(_ other: EndpointStatistics) {
        requests += other.requests
        failures += other.failures
        cancelled += other.cancelled
        bytesReceived += other.bytesReceived
        responses += other.responses
        responseTime.add(other.responseTime)
        fromIntendedStart.add(other.fromIntendedStart)
        connectTime.add(other.connectTime)
        tlsHandshakeTime.add(other.tlsHandshakeTime)
        tlsHandshakes += other.tlsHandshakes
        tlsResumed += other.tlsResumed
    }
}

/// One row of the failures table: which endpoint, which kind, and the detail that tells cases apart
/// (the status code, the parser's reason, the system error).
public struct FailureKey: Hashable, Sendable {
    public var endpoint: Int
    public var kind: Int
    public var detail: String
}

/// The statistics of a run, fed with the core's samples on the control thread. Histograms are merged
/// to aggregate, never percentiles.
public struct RunStatistics: Sendable {
    public let endpoints: [Endpoint]
    public private(set) var perEndpoint: [EndpointStatistics]
    public private(set) var failureCounts: [FailureKey: UInt64] = [:]
    /// Requests completed per second, over the whole run so far (updated by `markTime`).
    private var windowStart: UInt64 = 0
    private var windowRequests: UInt64 = 0
    private var windowFailures: UInt64 = 0
    public private(set) var currentRPS: Double = 0
    public private(set) var currentFailuresPerSecond: Double = 0

    public init(endpoints: [Endpoint]) {
        self.endpoints = endpoints
        self.perEndpoint = endpoints.map(EndpointStatistics.init)
    }

    /// Counts a batch of samples.
    public mutating func record(_ samples: UnsafeBufferPointer<cc_sample_t>) {
        for sample in samples { record(sample) }
    }

    public mutating func record(_ sample: cc_sample_t) {
        let index = Int(sample.endpoint)
        perEndpoint[index].requests += 1
        windowRequests += 1
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
        let failure = Int(sample.failure)
        if failure == Int(CC_FAIL_NONE.rawValue) {
            perEndpoint[index].responseTime.record(max(1, (sample.end_ns &- sample.start_ns) / 1000))
            perEndpoint[index].fromIntendedStart.record(max(1, (sample.end_ns &- sample.intended_ns) / 1000))
            return
        }
        if failure == Int(CC_FAIL_CANCELLED.rawValue) {
            perEndpoint[index].cancelled += 1
        } else {
            perEndpoint[index].failures += 1
            windowFailures += 1
        }
        let key = FailureKey(endpoint: index, kind: failure, detail: Self.detail(of: sample))
        failureCounts[key, default: 0] += 1
    }

    /// Closes the current rate window at `now` (monotonic nanoseconds) and computes the rates in it.
    public mutating func markTime(_ now: UInt64) {
        if windowStart != 0, now > windowStart {
            let seconds = Double(now - windowStart) / 1e9
            currentRPS = Double(windowRequests) / seconds
            currentFailuresPerSecond = Double(windowFailures) / seconds
        }
        windowStart = now
        windowRequests = 0
        windowFailures = 0
    }

    /// Every endpoint merged into one.
    public var aggregated: EndpointStatistics {
        var total = EndpointStatistics(endpoint: Endpoint(method: "", name: "Aggregated"))
        for endpoint in perEndpoint { total.merge(endpoint) }
        return total
    }

    /// The failure rows, most frequent first.
    public var failureRows: [(key: FailureKey, count: UInt64)] {
        failureCounts.map { ($0.key, $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : ($0.key.endpoint, $0.key.kind) < ($1.key.endpoint, $1.key.kind)
        }
    }

    /// A failure's detail in words: the status for HTTP errors; otherwise the core's words for the
    /// detail (the parser's reason, OpenSSL's reason, the system error's name).
    static func detail(of sample: cc_sample_t) -> String {
        switch Int(sample.failure) {
        case Int(CC_FAIL_HTTP_4XX.rawValue), Int(CC_FAIL_HTTP_5XX.rawValue):
            return "HTTP \(sample.status)"
        case Int(CC_FAIL_CANCELLED.rawValue):
            return "in flight at stop"
        default:
            var buffer = [CChar](repeating: 0, count: 160)
            cc_failure_detail_text(Int32(sample.failure), sample.detail, &buffer, buffer.count)
            return stringFromBuffer(buffer)
        }
    }
}

/// The name and description of a failure kind, from the core's table.
public func failureKindKey(_ kind: Int) -> String { String(cString: cc_failure_key(Int32(kind))) }
public func failureKindText(_ kind: Int) -> String { String(cString: cc_failure_text(Int32(kind))) }

/// A failure row in words: "connection refused: ECONNREFUSED", and for TLS, as OpenSSL users read it,
/// "tls: certificate verify failed (self-signed certificate)".
public func failureDescription(kind: Int, detail: String) -> String {
    let text = failureKindText(kind)
    guard !detail.isEmpty else { return text }
    switch kind {
    case Int(CC_FAIL_TLS_VERIFY.rawValue), Int(CC_FAIL_TLS_HANDSHAKE.rawValue), Int(CC_FAIL_TLS.rawValue):
        return kind == Int(CC_FAIL_TLS.rawValue) ? "tls: \(detail)" : "\(text) (\(detail))"
    default:
        return "\(text): \(detail)"
    }
}
