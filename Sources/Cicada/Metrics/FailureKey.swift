import CCicadaCore

/// What tells failures apart: the endpoint, the kind (a `cc_failure_t`) and the detail. All three are
/// integers, so that counting a failure costs a hash of three numbers and no string, even in a storm of
/// refused connections; ``detailText`` puts the detail into words when a report is made.
public struct FailureKey: Hashable, Sendable {
    public var endpoint: Int
    public var kind: Int
    /// The HTTP status for `http_4xx` and `http_5xx`, 0 for `cancelled`, otherwise the core's detail
    /// code (a parser error, a packed OpenSSL reason or X.509 result, a negative system error).
    public var detail: Int32

    public init(endpoint: Int, kind: Int, detail: Int32) {
        self.endpoint = endpoint
        self.kind = kind
        self.detail = detail
    }

    /// The key of a failed or cancelled sample.
    init(_ sample: cc_sample_t) {
        let kind = Int(sample.failure)
        let detail: Int32
        switch kind {
        case Int(CC_FAIL_HTTP_4XX.rawValue), Int(CC_FAIL_HTTP_5XX.rawValue): detail = Int32(sample.status)
        case Int(CC_FAIL_CANCELLED.rawValue): detail = 0
        default: detail = sample.detail
        }
        self.init(endpoint: Int(sample.endpoint), kind: kind, detail: detail)
    }

    /// The detail in words: the status for HTTP errors; otherwise the core's words for the detail (the
    /// parser's reason, OpenSSL's reason, the system error's name), empty when it has none.
    public var detailText: String {
        switch kind {
        case Int(CC_FAIL_HTTP_4XX.rawValue), Int(CC_FAIL_HTTP_5XX.rawValue):
            return "HTTP \(detail)"
        case Int(CC_FAIL_CANCELLED.rawValue):
            return "in flight at stop"
        default:
            var buffer = [CChar](repeating: 0, count: 160)
            cc_failure_detail_text(Int32(kind), detail, &buffer, buffer.count)
            return stringFromBuffer(buffer)
        }
    }
}

/// A row of the failures table: an endpoint, a kind and a detail in words, with the count of every key
/// whose detail reads the same.
public struct FailureTableRow: Sendable, Equatable {
    public var endpoint: Int
    public var kind: Int
    public var detail: String
    public var count: UInt64

    public init(endpoint: Int, kind: Int, detail: String, count: UInt64) {
        self.endpoint = endpoint
        self.kind = kind
        self.detail = detail
        self.count = count
    }

    /// The row as the failures table prints it.
    public var message: String { failureDescription(kind: kind, detail: detail) }
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
