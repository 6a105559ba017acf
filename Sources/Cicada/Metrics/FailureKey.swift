import CCicadaCore

/// One row of the failures table: which endpoint, which kind, and the detail that tells cases apart
/// (the status code, the parser's reason, the system error).
public struct FailureKey: Hashable, Sendable {
    public var endpoint: Int
    public var kind: Int
    public var detail: String
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
