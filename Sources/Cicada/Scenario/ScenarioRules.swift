/// The rules a scenario's values obey, shared by the YAML loader (which adds the place in the file) and
/// ``Scenario/validate()`` (which adds the place in the model). Each check throws ``InputError`` with the
/// expected form.
enum ScenarioRules {
    /// The largest weight. Weights are summed into 32-bit cumulative tables in the plan; this bound keeps
    /// thousands of tasks far from overflow while being far above any ratio people write.
    static let maximumWeight = 1_000_000

    /// Header names the request writer owns: it frames the body itself (RFC 9112 §6) and manages the
    /// connection, so a template may not set them.
    static let reservedHeaders: [String: String] = [
        "content-length": "Cicada sets Content-Length from the body",
        "transfer-encoding": "Cicada sends bodies with Content-Length, not chunked",
        "connection": "use `close: true` on the request to send Connection: close",
    ]

    /// Methods defined by RFC 9110 §9 and RFC 5789, to catch `post` written for `POST`.
    static let standardMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    /// `tchar` of RFC 9110 §5.6.2: the characters of a method or a header name.
    static func isTokenCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9",
             "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~":
            return true
        default:
            return false
        }
    }

    /// Whether `c` may appear in an origin-form request target as sent: visible ASCII except `#`, which
    /// starts a fragment that is never sent. Anything else must be percent-encoded (RFC 3986 §2.1).
    static func isTargetCharacter(_ c: Unicode.Scalar) -> Bool {
        c.value >= 0x21 && c.value <= 0x7E && c != "#"
    }

    static func checkMethod(_ method: String) throws {
        let expected = "expected a method token such as GET or POST (RFC 9110 §9)"
        guard !method.isEmpty, method.unicodeScalars.allSatisfy(isTokenCharacter) else {
            throw InputError("\(expected), got '\(method)'")
        }
        if method != method.uppercased(), standardMethods.contains(method.uppercased()) {
            throw InputError("methods are case-sensitive; did you mean '\(method.uppercased())'? "
                + "\(expected), got '\(method)'")
        }
    }

    static func checkHeaderName(_ name: String) throws {
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenCharacter) else {
            let bad = name.unicodeScalars.first(where: { !isTokenCharacter($0) })
            let detail = bad.map { " (it has \(describeScalar($0)))" } ?? ""
            throw InputError("expected a header name made of letters, digits and !#$%&'*+-.^_`|~ "
                + "(RFC 9110 §5.1), got '\(name.escapedForMessage)'\(detail)")
        }
        if let why = reservedHeaders[name.lowercased()] {
            throw InputError("the header '\(name)' cannot be set: \(why)")
        }
    }

    static func checkHeaderValue(_ value: String, name: String) throws {
        // RFC 9110 §5.5: a field value is visible characters, spaces and tabs. CR and LF would end the
        // header early and let the value inject others; NUL is refused by most servers.
        if let bad = value.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
            throw InputError("the value of header '\(name)' has \(describeScalar(bad)); expected one line "
                + "of text without control characters (RFC 9110 §5.5)")
        }
    }

    static func checkPath(_ path: String) throws {
        guard path.hasPrefix("/") else {
            throw InputError("expected a path starting with '/', such as /api/v1/files?page=2, got '\(path.escapedForMessage)'")
        }
        if let bad = path.unicodeScalars.first(where: { !isTargetCharacter($0) }) {
            let hint = bad == "#" ? "a fragment ('#') is never sent" : "percent-encode it (a space is %20)"
            throw InputError("the path '\(path.escapedForMessage)' has \(describeScalar(bad)); \(hint)")
        }
    }

    /// Names end up in console tables and CSV files, one per line.
    static func checkLabel(_ label: String, what: String) throws {
        guard !label.isEmpty else { throw InputError("expected a non-empty \(what)") }
        if let bad = label.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw InputError("the \(what) '\(label.escapedForMessage)' has \(describeScalar(bad)); expected one line of text")
        }
    }

    static func checkWeight(_ weight: Int) throws {
        guard weight >= 0 else { throw InputError("expected an integer weight ≥ 0, got '\(weight)'") }
        guard weight <= maximumWeight else {
            throw InputError("expected an integer weight ≥ 0 and ≤ \(maximumWeight), got '\(weight)'")
        }
    }

    static func checkWait(_ wait: WaitTime) throws {
        let ok: Bool
        switch wait {
        case .constant(let s), .constantPacing(let s): ok = s >= 0 && s.isFinite
        case .between(let a, let b): ok = a >= 0 && a <= b && b.isFinite
        case .constantThroughput(let r): ok = r > 0 && r.isFinite
        }
        guard ok else { throw InputError("invalid wait time '\(wait)'; \(waitForms)") }
    }

    static func checkRun(_ run: RunDefaults) throws {
        if let users = run.users, users < 1 {
            throw InputError("expected an integer number of users ≥ 1, got '\(users)'")
        }
        if let rate = run.spawnRate, !(rate > 0 && rate.isFinite) {
            throw InputError("expected a spawn rate above 0 users per second, got '\(formatNumber(rate))'")
        }
        for (name, value) in [("run time", run.runTime), ("timeout", run.timeout),
                              ("connect timeout", run.connectTimeout)] {
            if let value, !(value > 0 && value.isFinite) {
                throw InputError("expected a \(name) above 0, got '\(formatNumber(value))'; \(durationForms)")
            }
        }
    }

    static func checkRequest(_ request: RequestTemplate) throws {
        try checkMethod(request.method)
        try checkPath(request.path)
        if let name = request.name { try checkLabel(name, what: "endpoint name") }
        for header in request.headers {
            try checkHeaderName(header.name)
            try checkHeaderValue(header.value, name: header.name)
        }
    }

    static func checkTask(_ task: UserTask) throws {
        try checkLabel(task.name, what: "task name")
        guard !task.requests.isEmpty else { throw InputError("expected at least one request in task '\(task.name)'") }
        for (index, request) in task.requests.enumerated() {
            do {
                try checkRequest(request)
            } catch let error as InputError where task.requests.count > 1 {
                throw InputError("step \(index + 1): \(error.message)")
            }
        }
    }
}

extension String {
    /// The string with control characters shown as escapes, so that a message stays on one line.
    var escapedForMessage: String {
        var out = ""
        for c in unicodeScalars {
            switch c {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\u{\(String(c.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}
