import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A value taken from a response into a user's variable (`capture:` on a request), like the
/// `self.token = response.json()["access_token"]` of a locustfile.
///
/// A capture that finds nothing fails its request (`capture 'token' found nothing at json access_token`)
/// unless it is ``optional`` or has a ``defaultValue``. With ``append`` the variable is a list of the
/// newest ``max`` values, read with `${last(name)}` or `${random(name)}`.
///
/// ```yaml
/// capture:
///   - {var: token, json: access_token}
///   - {var: file_ids, json: file_id, append: true, max: 20}
///   - {var: location, header: Location, optional: true}
/// ```
public struct Capture: Sendable, Equatable {
    /// The variable set.
    public var variable: String
    /// Where the value comes from.
    public var source: Source
    /// Whether finding nothing leaves the variable as it is and is no failure.
    public var optional: Bool
    /// The value taken when nothing is found (no failure).
    public var defaultValue: String?
    /// Whether the value is appended to a list variable rather than replacing it.
    public var append: Bool
    /// With ``append``: the most items the list keeps, the oldest dropped; `nil` for ``defaultListMax``.
    public var max: Int?

    /// The list length when an appending capture gives no `max`.
    public static let defaultListMax = 10
    /// The longest list a capture may keep.
    public static let largestListMax = 1000

    /// The part of a response a capture reads.
    public enum Source: Sendable, Equatable {
        /// A JSON path into the body (`json: data.items[0].id`); see ``JSONPath``.
        case json(String)
        /// A response header, matched without regard to case (`header: Location`).
        case header(String)
        /// A POSIX extended regex over the start of the body; its first group (`regex: 'id="(\w+)"'`).
        case regex(String)
        /// The status code (`status: true`).
        case status
        /// A cookie that the response sets (`cookie: session`).
        case cookie(String)
    }

    /// Creates a capture.
    public init(_ variable: String, from source: Source, optional: Bool = false, default defaultValue: String? = nil,
                append: Bool = false, max: Int? = nil) {
        self.variable = variable
        self.source = source
        self.optional = optional
        self.defaultValue = defaultValue
        self.append = append
        self.max = max
    }

    /// Where the value is looked for, as a failure says it: `json access_token`, `header Location`.
    public var sourceDescription: String {
        switch source {
        case .json(let path): return "json \(path)"
        case .header(let name): return "header \(name)"
        case .regex(let pattern): return "regex \(pattern)"
        case .status: return "status"
        case .cookie(let name): return "cookie \(name)"
        }
    }

    /// The failure when nothing is found: `capture 'token' found nothing at json access_token`.
    public var failureDescription: String {
        "capture '\(variable)' found nothing at \(sourceDescription)"
    }

    /// Checks the capture's own rules: the variable's name, the JSON path's or the regex's syntax, `max`.
    public func validate() throws {
        try checkVariableName(variable, what: "capture into")
        switch source {
        case .json(let path): try JSONPath.check(path)
        case .regex(let pattern): try PosixRegex.check(pattern)
        case .header(let name): try ScenarioRules.checkHeaderName(name, owned: false)
        case .cookie(let name):
            guard !name.isEmpty, !name.contains(where: { $0 == "=" || $0 == ";" || $0.isWhitespace }) else {
                throw InputError("expected a cookie name without '=', ';' or spaces, got '\(name.escapedForMessage)'")
            }
        case .status: break
        }
        if let max {
            guard append else { throw InputError("'max' is given without 'append: true'; expected max only on a capture that appends to a list") }
            guard (1...Self.largestListMax).contains(max) else {
                throw InputError("expected a list length from 1 to \(Self.largestListMax) for 'max', got '\(max)'")
            }
        }
        if optional, defaultValue != nil {
            throw InputError("'optional' and 'default' both say what happens when nothing is found; expected one of them")
        }
    }
}

/// Checks a variable name for a capture; built-in names are refused, since a slot of that name reads the
/// built-in.
func checkVariableName(_ name: String, what: String) throws {
    if reservedVariableNames.contains(name) || name.hasPrefix("user.") || name.hasPrefix("time.")
        || name.hasPrefix("random.") || name.hasPrefix("env.") || name.hasPrefix("row.") {
        throw InputError("cannot \(what) '\(name)': it is a built-in's name; expected a variable name of your own, such as token or file_ids")
    }
    guard isVariableName(name) else {
        throw InputError("expected a variable name (a letter or '_', then letters, digits and '_'), got '\(name.escapedForMessage)'")
    }
}

/// A judgement of a response (`check:` on a request), like Locust's `response.failure(...)`: a request
/// whose check fails counts as a failure of kind `check`, with the check and what the response had instead
/// (`check json status == "done" failed: got "running"`).
///
/// A request with a ``status`` check succeeds on the statuses it lists; one without keeps the default,
/// 2xx and 3xx.
public enum Check: Sendable, Equatable {
    /// The status is in one of the ranges (`status: 201`, `[200, 201]`, `2xx`).
    case status([StatusRange])
    /// The body contains the text (`body_contains: done`).
    case bodyContains(String)
    /// The value at the JSON path is this text: a string's unescaped text, a number's or literal's text.
    case jsonEquals(path: String, value: String)
    /// The JSON path is in the body.
    case jsonExists(path: String)
    /// The value at the JSON path matches the POSIX extended regex.
    case jsonMatches(path: String, pattern: String)
    /// The header (any case) has exactly this value.
    case headerEquals(name: String, value: String)
    /// The request took at most this many seconds, from its start to its last byte.
    case maxDuration(Double)

    /// The check in words: `json status == "done"`, `status 2xx`.
    public var summary: String {
        switch self {
        case .status(let ranges):
            return ranges.count == 1 ? "status \(ranges[0])" : "status in [" + ranges.map(\.description).joined(separator: ", ") + "]"
        case .bodyContains(let text): return "body contains \(quoted(text))"
        case .jsonEquals(let path, let value): return "json \(path) == \(jsonLiteral(value))"
        case .jsonExists(let path): return "json \(path) exists"
        case .jsonMatches(let path, let pattern): return "json \(path) matches /\(pattern)/"
        case .headerEquals(let name, let value): return "header \(name) == \(quoted(value))"
        case .maxDuration(let seconds): return "duration <= \(formatDuration(seconds))"
        }
    }

    /// The check as a failure names it: `check json status == "done"`.
    public var description: String { "check " + summary }

    /// Checks the check's own rules: the JSON path's and the regex's syntax, the header name.
    public func validate() throws {
        switch self {
        case .status(let ranges):
            guard !ranges.isEmpty else { throw InputError("expected at least one status in a status check") }
            for range in ranges { try range.validate() }
        case .bodyContains(let text):
            guard !text.isEmpty else { throw InputError("expected text to look for in body_contains, got nothing") }
        case .jsonEquals(let path, _), .jsonExists(let path): try JSONPath.check(path)
        case .jsonMatches(let path, let pattern):
            try JSONPath.check(path)
            try PosixRegex.check(pattern)
        case .headerEquals(let name, _): try ScenarioRules.checkHeaderName(name, owned: false)
        case .maxDuration(let seconds):
            guard SettingBounds.timeout.contains(seconds) else {
                throw InputError("expected a max_duration \(SettingBounds.timeout.rangeText), got '\(formatNumber(seconds)) s'")
            }
        }
    }
}

/// Status codes from `low` to `high`: `201`, or `2xx` for 200-299.
public struct StatusRange: Sendable, Equatable, CustomStringConvertible {
    public var low: Int
    public var high: Int

    /// One status, or a range.
    public init(_ low: Int, _ high: Int? = nil) {
        self.low = low
        self.high = high ?? low
    }

    /// `201`, `2xx` or `200-204`.
    public var description: String {
        if low == high { return "\(low)" }
        if low % 100 == 0, high == low + 99 { return "\(low / 100)xx" }
        return "\(low)-\(high)"
    }

    func validate() throws {
        guard (100...599).contains(low), (100...599).contains(high), low <= high else {
            throw InputError("expected statuses from 100 to 599, got '\(self)'")
        }
    }

    /// Reads `201`, `2xx` or `200-204`.
    public static func parse(_ text: String) throws -> StatusRange {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let expected = "expected a status such as 201, a class such as 2xx, or a range such as 200-204"
        if t.count == 3, t.hasSuffix("xx"), let digit = Int(t.prefix(1)), (1...5).contains(digit) {
            return StatusRange(digit * 100, digit * 100 + 99)
        }
        if let dash = t.firstIndex(of: "-"), let low = Int(t[..<dash]), let high = Int(t[t.index(after: dash)...]) {
            let range = StatusRange(low, high)
            try range.validate()
            return range
        }
        guard let status = Int(t), (100...599).contains(status) else {
            throw InputError("\(expected), got '\(text.escapedForMessage)'")
        }
        return StatusRange(status)
    }
}

/// `"text"` with quotes and backslashes escaped, for a description.
func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").escapedForMessage + "\""
}

/// A JSON literal as it is (`3`, `true`, `null`), anything else quoted.
func jsonLiteral(_ value: String) -> String {
    if ["true", "false", "null"].contains(value) || Double(value) != nil && value.first != "." && !value.hasSuffix(".")
        && !value.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) {
        return value
    }
    return quoted(value)
}

/// Seconds as the shortest duration: `500ms`, `2s`, `1.5s`.
func formatDuration(_ seconds: Double) -> String {
    if seconds < 1 { return formatNumber((seconds * 1000 * 1000).rounded() / 1000) + "ms" }
    return formatNumber(seconds) + "s"
}

/// The syntax of the JSON paths that captures and checks read, as the core's matcher reads them.
///
/// A path is keys separated by dots, array indices in brackets, `[*]` for any element, and keys in
/// quotes for keys with dots or brackets, optionally after a `$`: `access_token`, `data.items[0].id`,
/// `items[*].status`, `["a.b"].c`, `$.token`. `$` alone is the whole document.
public enum JSONPath {
    /// The forms, for messages.
    static let forms = "expected a path such as access_token, data.items[0].id, items[*].id, [\"a.b\"] or $.token"

    /// Checks the syntax of `path`.
    /// - Throws: ``InputError`` naming the path, what is wrong and where (1-based character).
    public static func check(_ path: String) throws {
        let c = Array(path.unicodeScalars)
        func fail(_ at: Int, _ problem: String) -> InputError {
            InputError("invalid JSON path '\(path.escapedForMessage)': \(problem) at character \(at + 1); \(forms)")
        }
        guard !c.isEmpty else { throw InputError("invalid JSON path '': it is empty; \(forms)") }
        var i = 0
        if c[0] == "$" {
            i = 1
            if i == c.count { return }
            guard c[i] == "." || c[i] == "[" else { throw fail(i, "expected '.' or '[' after '$'") }
        }
        var expectKey = i == 0 // at the start a key may come without a dot
        while i < c.count {
            if c[i] == "." {
                guard i + 1 < c.count else { throw fail(i, "nothing after '.'") }
                guard c[i + 1] != "." && c[i + 1] != "[" else { throw fail(i + 1, "an empty key after '.'") }
                i += 1
                expectKey = true
                continue
            }
            if c[i] == "[" {
                var j = i + 1
                guard j < c.count else { throw fail(i, "'[' is not closed") }
                if c[j] == "*" {
                    j += 1
                } else if c[j] == "\"" || c[j] == "'" {
                    let quote = c[j]
                    j += 1
                    while j < c.count, c[j] != quote {
                        if c[j] == "\\" { j += 1 }
                        j += 1
                    }
                    guard j < c.count else { throw fail(i + 1, "the quoted key is not closed") }
                    guard j > i + 2 else { throw fail(i + 1, "an empty quoted key") }
                    j += 1
                } else if ("0"..."9").contains(c[j]) {
                    while j < c.count, ("0"..."9").contains(c[j]) { j += 1 }
                } else {
                    throw fail(j, "expected an index, '*' or a quoted key inside '[ ]'")
                }
                guard j < c.count, c[j] == "]" else { throw fail(j, "expected ']'") }
                i = j + 1
                expectKey = false
                if i < c.count, c[i] != "." && c[i] != "[" { throw fail(i, "expected '.' or '[' after ']'") }
                continue
            }
            guard expectKey else { throw fail(i, "expected '.' or '[' before a key") }
            let start = i
            while i < c.count, c[i] != "." && c[i] != "[" {
                if c[i] == "]" || c[i] == "\"" || c[i] == " " || c[i].value < 0x20 {
                    throw fail(i, "'\(Character(c[i]).description.escapedForMessage)' in a key; put such a key in quotes, as in [\"a b\"]")
                }
                i += 1
            }
            if i == start { throw fail(i, "an empty key") }
            expectKey = false
        }
    }
}

/// The regexes of captures and `matches` checks: POSIX extended, with GNU's escapes (`\w`, `\s`, `\b`),
/// which the core runs with `regexec`. They are compiled here with the same library, so a regex that
/// would fail in the core fails when the scenario loads.
public enum PosixRegex {
    /// Checks that `pattern` compiles.
    /// - Throws: ``InputError`` with the library's reason.
    public static func check(_ pattern: String) throws {
        guard !pattern.isEmpty else { throw InputError("expected a regex, got nothing") }
        var regex = regex_t()
        let rc = regcomp(&regex, pattern, REG_EXTENDED)
        defer { if rc == 0 { regfree(&regex) } }
        guard rc == 0 else {
            var buffer = [CChar](repeating: 0, count: 200)
            regerror(rc, &regex, &buffer, buffer.count)
            throw InputError("the regex '\(pattern.escapedForMessage)' does not compile: \(stringFromBuffer(buffer)); "
                + "expected a POSIX extended regex (with \\w, \\s, \\b), such as 'id=\"(\\w+)\"'")
        }
    }
}
