import CCicadaCore

/// What tells failures apart: the endpoint, the kind (a `cc_failure_t`), the detail and, for a failed
/// check or a template that could not be rendered, the evidence (what the response had instead). The
/// first three are integers, so that counting a transport failure costs a hash of three numbers and no
/// string, even in a storm of refused connections; ``detailText`` puts the detail into words when a
/// report is made.
///
/// Failed checks are grouped as Locust groups `response.failure(...)` messages: one row per check and
/// value found (`check json status == "done" failed: got "running"`). ``RunStatistics`` keeps at most
/// ``RunStatistics/evidencePerCheck`` distinct values per check; later ones count as "other values".
public struct FailureKey: Hashable, Sendable {
    public var endpoint: Int
    public var kind: Int
    /// The HTTP status for `http_4xx` and `http_5xx`, 0 for `cancelled`; for `check`, `capture` and
    /// `template` the index of the check, capture or variable; otherwise the core's detail code (a parser
    /// error, a packed OpenSSL reason or X.509 result, a negative system error).
    public var detail: Int32
    /// For `check` and `template`: the sample's evidence, `…` marking a cut one; otherwise empty.
    public var evidence: String

    public init(endpoint: Int, kind: Int, detail: Int32, evidence: String = "") {
        self.endpoint = endpoint
        self.kind = kind
        self.detail = detail
        self.evidence = evidence
    }

    /// The key of a failed or cancelled sample.
    init(_ sample: cc_sample_t) {
        let kind = Int(sample.failure)
        let detail: Int32
        var evidence = ""
        switch kind {
        case Int(CC_FAIL_HTTP_4XX.rawValue), Int(CC_FAIL_HTTP_5XX.rawValue): detail = Int32(sample.status)
        case Int(CC_FAIL_CANCELLED.rawValue): detail = 0
        case Int(CC_FAIL_CHECK.rawValue), Int(CC_FAIL_TEMPLATE.rawValue):
            detail = sample.detail
            evidence = Self.evidence(of: sample)
        default: detail = sample.detail
        }
        self.init(endpoint: Int(sample.endpoint), kind: kind, detail: detail, evidence: evidence)
    }

    /// The sample's evidence as text (invalid UTF-8 replaced), with `…` when the core cut it.
    static func evidence(of sample: cc_sample_t) -> String {
        var sample = sample
        let length = min(Int(sample.evidence_length), Int(CC_SAMPLE_EVIDENCE))
        let text = withUnsafeBytes(of: &sample.evidence) { raw in
            String(decoding: raw.prefix(length), as: UTF8.self)
        }
        return sample.flags & UInt8(CC_SAMPLE_EVIDENCE_CUT) != 0 ? text + "…" : text
    }

    /// The failure in words, with the plan's names for checks, captures and variables: for a check
    /// `check json status == "done" failed: got "running"`, for a capture `capture 'token' found nothing at
    /// json access_token`, for a template `unset variable 'file_id'`.
    public func detailText(names: FailureNames) -> String {
        let index = Int(detail)
        switch kind {
        case Int(CC_FAIL_CHECK.rawValue):
            guard names.checks.indices.contains(index) else { return detailText }
            // The core words its evidence whole (`got 404`, `got "running"`, `took 731 ms`, `nothing at the
            // path`), so it is shown as it came.
            return "\(names.checks[index]) failed: \(evidence.isEmpty ? "got nothing" : evidence)"
        case Int(CC_FAIL_CAPTURE.rawValue):
            return names.captures.indices.contains(index) ? names.captures[index] : detailText
        case Int(CC_FAIL_TEMPLATE.rawValue):
            guard names.variables.indices.contains(index) else { return evidence.isEmpty ? detailText : evidence }
            let name = names.variables[index]
            return evidence.isEmpty || evidence == "unset" ? "unset variable '\(name)'" : "variable '\(name)': \(evidence)"
        case Int(CC_FAIL_DATA.rawValue):
            return names.dataFiles.indices.contains(index) ? "no row left in \(names.dataFiles[index])" : detailText
        default:
            return detailText
        }
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
    /// Seconds from the run's start to the end of the first and the last request that failed this way.
    public var firstSeen: Double?
    public var lastSeen: Double?

    public init(endpoint: Int, kind: Int, detail: String, count: UInt64, firstSeen: Double? = nil, lastSeen: Double? = nil) {
        self.endpoint = endpoint
        self.kind = kind
        self.detail = detail
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
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
    case Int(CC_FAIL_CHECK.rawValue), Int(CC_FAIL_CAPTURE.rawValue), Int(CC_FAIL_TEMPLATE.rawValue),
         Int(CC_FAIL_DATA.rawValue):
        // The detail is the whole message, as the scenario's words for its check or capture.
        return detail
    case Int(CC_FAIL_TLS_VERIFY.rawValue), Int(CC_FAIL_TLS_HANDSHAKE.rawValue), Int(CC_FAIL_TLS.rawValue):
        return kind == Int(CC_FAIL_TLS.rawValue) ? "tls: \(detail)" : "\(text) (\(detail))"
    default:
        return "\(text): \(detail)"
    }
}
