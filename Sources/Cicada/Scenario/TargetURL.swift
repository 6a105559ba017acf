import Foundation

/// The target of a run, parsed from an `http` or `https` URL.
///
/// Only what an HTTP/1.1 client needs is kept: where to connect and what to send as `Host` and as the
/// request target. A fragment is refused rather than dropped, since it is never sent (RFC 9110 §7.1).
///
/// ```swift
/// let url = try TargetURL("http://[::1]:8080/api?x=1")
/// url.host        // "::1"
/// url.port        // 8080
/// url.hostHeader  // "[::1]:8080"
/// url.path        // "/api?x=1"
/// ```
public struct TargetURL: Sendable, Equatable, CustomStringConvertible {
    /// The two schemes the client speaks.
    public enum Scheme: String, Sendable, Equatable {
        /// Plain TCP, default port 80.
        case http
        /// TLS, default port 443.
        case https

        /// The port used when the URL has none (RFC 9110 §4.2.1, §4.2.2).
        public var defaultPort: Int { self == .http ? 80 : 443 }
    }

    /// `http` or `https`.
    public var scheme: Scheme
    /// The host name or address to connect to, without the brackets of an IPv6 literal.
    public var host: String
    /// The TCP port: the URL's, or the scheme's default.
    public var port: Int
    /// The path and query in origin form, `/` when the URL has neither.
    public var path: String

    /// Parses a URL such as `http://host:port/base?x`, `https://example.com` or `http://[::1]:8080/`.
    ///
    /// The scheme and host are case-insensitive and kept as written, but for the scheme, which is
    /// lowercased. An empty port (`http://host:/`) means the default (RFC 3986 §3.2.3).
    ///
    /// - Throws: ``InputError`` naming the URL and the problem: no scheme, a scheme other than http or
    ///   https, user information, an empty or malformed host, a port that is not 1...65535, or a fragment.
    public init(_ string: String) throws {
        func fail(_ problem: String) -> InputError { Self.invalid(string, problem) }
        guard let schemeEnd = string.range(of: "://") else {
            throw fail("no scheme")
        }
        let schemeText = string[..<schemeEnd.lowerBound].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw fail(schemeText.isEmpty ? "no scheme" : "unsupported scheme '\(schemeText)'")
        }
        let rest = string[schemeEnd.upperBound...]
        if rest.contains("#") { throw fail("a fragment ('#') is never sent; remove it") }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty || path.first == "?" { path = "/" + path }
        if let bad = path.unicodeScalars.first(where: { !ScenarioRules.isTargetCharacter($0) }) {
            throw fail("the path has \(describeScalar(bad)); percent-encode it")
        }
        guard !authority.contains("@") else {
            throw fail("user information is not supported; send an Authorization header instead")
        }

        let host: String
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw fail("an IPv6 address without ']'") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            guard Self.isIPv6Literal(host) else { throw fail("'\(host)' is not an IPv6 address") }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw fail("unexpected '\(after)' after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else {
            guard authority.filter({ $0 == ":" }).count <= 1 else {
                throw fail("an IPv6 address must be in brackets, as in http://[::1]:8080/")
            }
            if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                portText = authority[authority.index(after: colon)...]
            } else {
                host = String(authority)
            }
            guard !host.isEmpty else { throw fail("no host") }
            guard host.unicodeScalars.allSatisfy(Self.isRegNameCharacter) else {
                throw fail("the host '\(host)' has characters other than letters, digits, '-', '.' and '_'")
            }
        }

        var port = scheme.defaultPort
        if let portText, !portText.isEmpty {
            guard portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), portText.utf8.count <= 5,
                  let value = Int(portText), (1...65535).contains(value) else {
                throw fail("bad port '\(portText)', expected 1-65535")
            }
            port = value
        }
        self.init(scheme: scheme, host: host, port: port, path: path)
    }

    /// Parses the base URL of a scenario's requests, `host:` or `--host`, as ``init(_:)`` does, but refuses
    /// a query: each request sends its own path and query, so the base's would be dropped.
    ///
    /// - Throws: ``InputError`` as ``init(_:)``, or naming the query.
    public init(base string: String) throws {
        try self.init(string)
        if path.contains("?") {
            throw Self.invalid(string, "a host URL cannot have a query, which no request would send; "
                + "put it in each request's path")
        }
    }

    private static func invalid(_ string: String, _ problem: String) -> InputError {
        InputError("invalid URL '\(string)': \(problem); expected http://host[:port][/path] or https://…")
    }

    /// Creates a target from its parts; `host` is an IPv6 address without brackets or a name.
    public init(scheme: Scheme, host: String, port: Int, path: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    /// The `Host` header value (RFC 9110 §7.2): the host, bracketed when IPv6, with `:port` unless the
    /// port is the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? name : "\(name):\(port)"
    }

    /// The URL without its path: `http://host[:port]`.
    public var origin: String { "\(scheme.rawValue)://\(hostHeader)" }

    /// The URL again, normalized: `origin` then `path`.
    public var description: String { origin + path }

    /// The request target for a scenario path: this URL's path (without its query) before `path`, as Locust
    /// joins its host and a request path. With `http://h/api`, `/users` becomes `/api/users`.
    public func requestTarget(for path: String) -> String {
        var base = self.path
        if let question = base.firstIndex(of: "?") { base = String(base[..<question]) }
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }

    private static func isRegNameCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_": return true
        default: return false
        }
    }

    /// Whether `s` is an IPv6 address in the text form of RFC 4291 §2.2, with an optional IPv4 tail.
    /// Zone identifiers (`fe80::1%eth0`, RFC 6874) are not accepted.
    static func isIPv6Literal(_ s: String) -> Bool {
        func isHex(_ c: Character) -> Bool { c.isASCII && c.isHexDigit }
        func isDigit(_ c: Character) -> Bool { c.isASCII && c.isWholeNumber }
        var text = Substring(s)
        var width = 8
        // A dotted IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            let octets = text[text.index(after: lastColon)...].split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4,
                  octets.allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(isDigit) && Int($0)! <= 255 })
            else { return false }
            width = 6
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        var count = 0
        for half in halves where !half.isEmpty {
            for group in half.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy(isHex) else { return false }
                count += 1
            }
        }
        return halves.count == 2 ? count < width : count == width
    }
}

/// A short, printable name of a character for an error message: `a space`, `U+000A`, `'é'`.
func describeScalar(_ c: Unicode.Scalar) -> String {
    switch c {
    case " ": return "a space"
    case "\r": return "a carriage return (CR)"
    case "\n": return "a line feed (LF)"
    case "\t": return "a tab"
    default:
        if c.value < 0x20 || c.value == 0x7F {
            let hex = String(c.value, radix: 16, uppercase: true)
            return "the control character U+" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        return "'\(c)'"
    }
}
