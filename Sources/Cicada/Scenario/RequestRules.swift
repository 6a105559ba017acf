import CCicadaCore

/// The request rules (method, path, header names and values) are the core's: `cc_request_check` is the
/// one place that says what a request may hold, and the plan compiler applies the same function. These
/// checks call it and put what it found into words, with the offending character, so that the loader
/// can add the file, line and column.
extension ScenarioRules {
    /// Checks `text` as `part` of a request; returns the rule it breaks and the Unicode scalar at the
    /// byte that broke it, or nil when it breaks none.
    private static func broken(_ part: cc_request_part_t, _ text: String) -> (rule: cc_request_rule_t, at: Unicode.Scalar?)? {
        let utf8 = Array(text.utf8)
        var offset = 0
        // utf8CString keeps any NUL inside the text and ends with one more; the length excludes that one.
        let cString = text.utf8CString
        let rule = cString.withUnsafeBufferPointer { cc_request_check(part, $0.baseAddress!, $0.count - 1, &offset) }
        guard rule != Int32(CC_RULE_OK.rawValue) else { return nil }
        // The offset is a byte's; the scalar that byte starts (or is inside of) is what a reader sees.
        var start = offset
        while start > 0, utf8[start] & 0xC0 == 0x80 { start -= 1 }
        let scalar = start < utf8.count ? String(decoding: utf8[start...], as: UTF8.self).unicodeScalars.first : nil
        return (cc_request_rule_t(UInt32(rule)), scalar)
    }

    /// Whether `c` may appear in an origin-form request target as sent: visible ASCII except `#`, which
    /// starts a fragment that is never sent. Anything else must be percent-encoded (RFC 3986 §2.1).
    static func isTargetCharacter(_ c: Unicode.Scalar) -> Bool {
        broken(CC_REQUEST_TARGET, "/" + String(c)) == nil
    }

    static func checkMethod(_ method: String) throws {
        guard let (rule, _) = broken(CC_REQUEST_METHOD, method) else { return }
        let expected = "expected a method token such as GET or POST (RFC 9110 §9)"
        if rule == CC_RULE_METHOD_CASE {
            throw InputError("methods are case-sensitive; did you mean '\(method.uppercased())'? "
                + "\(expected), got '\(method)'")
        }
        throw InputError("\(expected), got '\(method.escapedForMessage)'")
    }

    /// Checks a header name to send; with `owned: false`, a name to read from a response, which may be
    /// one of the headers Cicada writes itself.
    static func checkHeaderName(_ name: String, owned: Bool = true) throws {
        guard let (rule, bad) = broken(CC_REQUEST_HEADER_NAME, name) else { return }
        if !owned, [CC_RULE_OWNED_CONTENT_LENGTH, CC_RULE_OWNED_TRANSFER_ENCODING, CC_RULE_OWNED_CONNECTION].contains(rule) {
            return
        }
        switch rule {
        case CC_RULE_OWNED_CONTENT_LENGTH:
            throw InputError("the header '\(name)' cannot be set: Cicada sets Content-Length from the body")
        case CC_RULE_OWNED_TRANSFER_ENCODING:
            throw InputError("the header '\(name)' cannot be set: Cicada sends bodies with Content-Length, not chunked")
        case CC_RULE_OWNED_CONNECTION:
            throw InputError("the header '\(name)' cannot be set: use `close: true` on the request to send Connection: close")
        default:
            let detail = rule == CC_RULE_EMPTY ? "" : bad.map { " (it has \(describeScalar($0)))" } ?? ""
            throw InputError("expected a header name made of letters, digits and !#$%&'*+-.^_`|~ "
                + "(RFC 9110 §5.1), got '\(name.escapedForMessage)'\(detail)")
        }
    }

    static func checkHeaderValue(_ value: String, name: String) throws {
        // RFC 9110 §5.5: a field value is visible characters, spaces and tabs. CR and LF would end the
        // header early and let the value inject others; NUL is refused by most servers.
        guard let (_, bad) = broken(CC_REQUEST_HEADER_VALUE, value) else { return }
        throw InputError("the value of header '\(name)' has \(bad.map(describeScalar) ?? "a control character"); "
            + "expected one line of text without control characters (RFC 9110 §5.5)")
    }

    static func checkPath(_ path: String) throws {
        guard let (rule, bad) = broken(CC_REQUEST_TARGET, path) else { return }
        if rule == CC_RULE_NOT_ORIGIN_FORM {
            throw InputError("expected a path starting with '/', such as /api/v1/files?page=2, got '\(path.escapedForMessage)'")
        }
        let hint = rule == CC_RULE_FRAGMENT ? "a fragment ('#') is never sent" : "percent-encode it (a space is %20)"
        throw InputError("the path '\(path.escapedForMessage)' has \(bad.map(describeScalar) ?? "a character that must be percent-encoded"); \(hint)")
    }
}
