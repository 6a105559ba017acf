import Histogram

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
    /// From the intended start to the last byte, in microseconds. The intended start is the end of the
    /// user's wait (the previous request's end plus the wait), so this is the response time plus the
    /// generator's own lateness: a timer that fired late, a busy loop. It is not a coordinated-omission
    /// correction: a slow response moves the next intended start too, so requests that a slow server kept
    /// from being sent do not show here. That needs an arrival-rate schedule.
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
