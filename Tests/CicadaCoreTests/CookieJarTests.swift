import CCicadaCore
import XCTest

// The cookie jar: a table of scenarios, each a list of operations on one jar (store a Set-Cookie value
// with its result, write the Cookie header, check the counts), run against an arena with canary bytes
// after it. Every Set-Cookie value and request path is read from a guarded copy, so reading past one
// crashes. Then the pair parser's own table.

private let host = "api.example.com"
private let now: Int64 = 1_700_000_000 // Tue, 14 Nov 2023 22:13:20 GMT
private let nov1994: Int64 = 784_111_777 // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date

private enum Op {
    /// Stores a Set-Cookie value received for a request to `path`.
    case store(String, cc_cookie_result_t, host: String = host, path: String = "/", at: Int64 = now, secure: Bool = false)
    /// Writes the Cookie header for a request to `path`.
    case header(String, String, at: Int64 = now, secure: Bool = false)
    /// Checks the jar's counts.
    case counts(Int, dropped: Int = 0)
}

private struct Scenario {
    let name: String
    var arena = 4096
    let ops: [Op]
    init(_ name: String, arena: Int = 4096, _ ops: [Op]) {
        self.name = name
        self.arena = arena
        self.ops = ops
    }
}

/// Arena bytes a cookie takes: the header, then its name, value, path and domain.
private func entrySize(name: String, value: String, path: String = "/", domain: String = host) -> Int {
    Int(CC_COOKIE_ENTRY_OVERHEAD) + name.utf8.count + value.utf8.count + path.utf8.count + domain.utf8.count
}

private enum CookieScenarios {
    static var basics: [Scenario] {
        [
            Scenario("one cookie", [.store("a=1", CC_COOKIE_STORED), .header("/", "a=1"), .counts(1)]),
            Scenario("two cookies, older first", [
                .store("a=1", CC_COOKIE_STORED), .store("b=2", CC_COOKIE_STORED), .header("/", "a=1; b=2"),
            ]),
            Scenario("no cookie: an empty header", [.header("/", "")]),
            Scenario("whitespace around the name and value is trimmed", [
                .store(" \ta = 1 \t; Path=/", CC_COOKIE_STORED), .header("/", "a=1"),
            ]),
            Scenario("a value may hold '='", [.store("token=abc==; Path=/", CC_COOKIE_STORED), .header("/", "token=abc==")]),
            Scenario("quotes around a value are kept", [.store("q=\"x y\"", CC_COOKIE_STORED), .header("/", "q=\"x y\"")]),
            Scenario("an empty value", [.store("e=", CC_COOKIE_STORED), .header("/", "e=")]),
            Scenario("names are case-sensitive", [
                .store("a=1", CC_COOKIE_STORED), .store("A=2", CC_COOKIE_STORED), .header("/", "a=1; A=2"), .counts(2),
            ]),
            Scenario("the same name replaces", [
                .store("a=1", CC_COOKIE_STORED), .store("a=2", CC_COOKIE_STORED), .header("/", "a=2"), .counts(1),
            ]),
            Scenario("a replaced cookie keeps its place (its creation time)", [
                .store("a=1", CC_COOKIE_STORED), .store("b=2", CC_COOKIE_STORED), .store("a=3", CC_COOKIE_STORED),
                .header("/", "a=3; b=2"),
            ]),
            Scenario("a replacement of another size keeps the others", [
                .store("a=1", CC_COOKIE_STORED), .store("b=2", CC_COOKIE_STORED), .store("c=3", CC_COOKIE_STORED),
                .store("b=" + String(repeating: "x", count: 100), CC_COOKIE_STORED),
                .header("/", "a=1; b=" + String(repeating: "x", count: 100) + "; c=3"),
                .store("b=", CC_COOKIE_STORED), .header("/", "a=1; b=; c=3"), .counts(3),
            ]),
            Scenario("unknown and empty attributes are ignored", [
                .store("a=1; Foo=bar; ;; =x; Comment", CC_COOKIE_STORED), .header("/", "a=1"),
            ]),
            Scenario("HttpOnly and SameSite are accepted and change nothing", [
                .store("h=1; HttpOnly; SameSite=Strict", CC_COOKIE_STORED), .header("/", "h=1"),
            ]),
            Scenario("attribute names are case-insensitive", [
                .store("a=1; PATH=/x; max-AGE=5; DOMAIN=Example.COM; SECURE", CC_COOKIE_STORED, secure: true),
                .header("/x", "a=1", secure: true), .header("/x", "a=1", at: now + 4, secure: true),
                .header("/x", "", at: now + 5, secure: true),
            ]),
        ]
    }

    static var paths: [Scenario] {
        [
            Scenario("a path matches itself, below it, and not beside it", [
                .store("a=1; Path=/docs", CC_COOKIE_STORED),
                .header("/docs", "a=1"), .header("/docs/", "a=1"), .header("/docs/web/page", "a=1"),
                .header("/doc", ""), .header("/docsx", ""), .header("/", ""), .header("/DOCS", ""),
            ]),
            Scenario("a path ending in '/'", [
                .store("a=1; Path=/docs/", CC_COOKIE_STORED),
                .header("/docs/x", "a=1"), .header("/docs/", "a=1"), .header("/docs", ""),
            ]),
            Scenario("a query in the request path is ignored", [
                .store("a=1; Path=/docs", CC_COOKIE_STORED), .header("/docs?x=/y", "a=1"), .header("/do?cs", ""),
            ]),
            Scenario("an empty request path is /", [.store("a=1", CC_COOKIE_STORED), .header("", "a=1")]),
            Scenario("longer paths first, then older first", [
                .store("root=1; Path=/", CC_COOKIE_STORED),
                .store("ab=1; Path=/a/b", CC_COOKIE_STORED),
                .store("a=1; Path=/a", CC_COOKIE_STORED),
                .store("root2=1", CC_COOKIE_STORED),
                .store("ab2=1; Path=/a/b", CC_COOKIE_STORED),
                .store("ac=1; Path=/a/c", CC_COOKIE_STORED),
                .header("/a/b/c", "ab=1; ab2=1; a=1; root=1; root2=1"),
                .header("/a/c", "ac=1; a=1; root=1; root2=1"),
                .header("/", "root=1; root2=1"),
            ]),
            Scenario("one name on two paths is two cookies", [
                .store("a=1; Path=/", CC_COOKIE_STORED), .store("a=2; Path=/x", CC_COOKIE_STORED),
                .header("/x/y", "a=2; a=1"), .header("/", "a=1"), .counts(2),
            ]),
            Scenario("the default path is the request path's directory", [
                .store("a=1", CC_COOKIE_STORED, path: "/a/b/c"),
                .header("/a/b", "a=1"), .header("/a/b/z", "a=1"), .header("/a", ""), .header("/a/bc", ""),
            ]),
            Scenario("the default path of a top-level request is /", [
                .store("a=1", CC_COOKIE_STORED, path: "/login"), .header("/", "a=1"), .header("/other", "a=1"),
            ]),
            Scenario("the default path of odd request paths is /", [
                .store("a=1", CC_COOKIE_STORED, path: ""), .store("b=1", CC_COOKIE_STORED, path: "relative/x"),
                .store("c=1", CC_COOKIE_STORED, path: "/"), .header("/", "a=1; b=1; c=1"),
            ]),
            Scenario("the default path ignores the query", [
                .store("a=1", CC_COOKIE_STORED, path: "/a/b?next=/c/d"), .header("/a", "a=1"), .header("/c", ""),
            ]),
            Scenario("a Path not starting with '/' is the default path", [
                .store("a=1; Path=docs", CC_COOKIE_STORED, path: "/x/y"), .store("b=1; Path=", CC_COOKIE_STORED, path: "/x/y"),
                .header("/x", "a=1; b=1"), .header("/", ""),
            ]),
            Scenario("the last Path counts", [
                .store("a=1; Path=/x; Path=/y", CC_COOKIE_STORED), .header("/y", "a=1"), .header("/x", ""),
            ]),
            Scenario("a Path longer than 1024 bytes is ignored", [
                .store("a=1; Path=/" + String(repeating: "p", count: 1024), CC_COOKIE_STORED, path: "/q/r"),
                .header("/q", "a=1"),
            ]),
        ]
    }

    static var domains: [Scenario] {
        [
            Scenario("a parent domain", [.store("a=1; Domain=example.com", CC_COOKIE_STORED), .header("/", "a=1")]),
            Scenario("a leading dot is ignored", [
                .store("a=1; Domain=.example.com", CC_COOKIE_STORED), .store("a=2; Domain=example.com", CC_COOKIE_STORED),
                .header("/", "a=2"), .counts(1),
            ]),
            Scenario("domains are case-insensitive", [
                .store("a=1; Domain=EXAMPLE.com", CC_COOKIE_STORED), .store("a=2; Domain=example.COM", CC_COOKIE_STORED),
                .store("b=1", CC_COOKIE_STORED, host: "API.Example.com"), .store("b=2", CC_COOKIE_STORED),
                .header("/", "a=2; b=2"), .counts(2),
            ]),
            Scenario("the host itself as Domain is the host-only cookie's domain", [
                .store("a=1", CC_COOKIE_STORED), .store("a=2; Domain=api.example.com", CC_COOKIE_STORED),
                .header("/", "a=2"), .counts(1),
            ]),
            Scenario("a parent domain is another cookie than the host's", [
                .store("a=1", CC_COOKIE_STORED), .store("a=2; Domain=example.com", CC_COOKIE_STORED),
                .header("/", "a=1; a=2"), .counts(2),
            ]),
            Scenario("another domain is refused", [.store("a=1; Domain=other.com", CC_COOKIE_REFUSED), .counts(0)]),
            Scenario("a suffix that is not a label is refused", [.store("a=1; Domain=ample.com", CC_COOKIE_REFUSED)]),
            Scenario("a subdomain of the host is refused", [.store("a=1; Domain=sub.api.example.com", CC_COOKIE_REFUSED)]),
            Scenario("an empty Domain is ignored", [.store("a=1; Domain=", CC_COOKIE_STORED), .header("/", "a=1")]),
            Scenario("a Domain of a dot is host-only", [
                .store("a=1; Domain=.", CC_COOKIE_STORED), .store("a=2", CC_COOKIE_STORED), .counts(1),
            ]),
            Scenario("the last Domain counts", [
                .store("a=1; Domain=other.com; Domain=example.com", CC_COOKIE_STORED),
                .store("b=1; Domain=example.com; Domain=other.com", CC_COOKIE_REFUSED), .header("/", "a=1"),
            ]),
            Scenario("an IP address only equals", [
                .store("a=1; Domain=127.0.0.1", CC_COOKIE_STORED, host: "127.0.0.1"),
                .store("b=1; Domain=0.0.1", CC_COOKIE_REFUSED, host: "127.0.0.1"),
                .store("c=1", CC_COOKIE_STORED, host: "127.0.0.1"),
                .header("/", "a=1; c=1"), .counts(2),
            ]),
            Scenario("an IPv6 address only equals", [
                .store("a=1; Domain=::1", CC_COOKIE_STORED, host: "::1"),
                .store("b=1; Domain=1", CC_COOKIE_REFUSED, host: "::1"),
                .header("/", "a=1"),
            ]),
            Scenario("a host with no dots", [
                .store("a=1", CC_COOKIE_STORED, host: "localhost"),
                .store("b=1; Domain=localhost", CC_COOKIE_STORED, host: "localhost"),
                .store("c=1; Domain=host", CC_COOKIE_REFUSED, host: "localhost"),
                .header("/", "a=1; b=1"),
            ]),
            Scenario("no host refuses everything", [.store("a=1", CC_COOKIE_REFUSED, host: "")]),
        ]
    }

    static var expiry: [Scenario] {
        [
            Scenario("Max-Age", [
                .store("a=1; Max-Age=60", CC_COOKIE_STORED), .header("/", "a=1", at: now + 59), .counts(1),
                .header("/", "", at: now + 60), .counts(0),
            ]),
            Scenario("Max-Age=0 deletes", [
                .store("a=1", CC_COOKIE_STORED), .store("b=1", CC_COOKIE_STORED), .store("a=; Max-Age=0", CC_COOKIE_DELETED),
                .header("/", "b=1"), .counts(1),
            ]),
            Scenario("a negative Max-Age deletes", [.store("a=1", CC_COOKIE_STORED), .store("a=1; Max-Age=-1", CC_COOKIE_DELETED), .counts(0)]),
            Scenario("deleting what is not there", [.store("a=1; Max-Age=0", CC_COOKIE_DELETED), .counts(0)]),
            Scenario("deleting needs the same path", [
                .store("a=1; Path=/x", CC_COOKIE_STORED), .store("a=; Max-Age=0", CC_COOKIE_DELETED),
                .header("/x", "a=1"), .store("a=; Max-Age=0; Path=/x", CC_COOKIE_DELETED), .header("/x", ""),
            ]),
            Scenario("deleting needs the same domain", [
                .store("a=1; Domain=example.com", CC_COOKIE_STORED), .store("a=; Max-Age=0", CC_COOKIE_DELETED),
                .header("/", "a=1"), .store("a=; Max-Age=0; Domain=example.com", CC_COOKIE_DELETED), .counts(0),
            ]),
            Scenario("an invalid Max-Age is ignored", [
                .store("a=1; Max-Age=abc", CC_COOKIE_STORED), .store("b=1; Max-Age=", CC_COOKIE_STORED),
                .store("c=1; Max-Age=-", CC_COOKIE_STORED), .store("d=1; Max-Age=1x", CC_COOKIE_STORED),
                .store("e=1; Max-Age=+5", CC_COOKIE_STORED), .store("f=1; Max-Age= 5 0", CC_COOKIE_STORED),
                .header("/", "a=1; b=1; c=1; d=1; e=1; f=1", at: .max),
            ]),
            Scenario("a huge Max-Age saturates", [
                .store("a=1; Max-Age=99999999999999999999999", CC_COOKIE_STORED), .header("/", "a=1", at: .max - 1),
            ]),
            Scenario("a session cookie lasts", [.store("a=1", CC_COOKIE_STORED), .header("/", "a=1", at: .max)]),
            Scenario("Expires as IMF-fixdate", [
                .store("a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT", CC_COOKIE_STORED, at: nov1994 - 10),
                .header("/", "a=1", at: nov1994 - 1), .header("/", "", at: nov1994),
            ]),
            Scenario("Expires as RFC 850", [
                .store("a=1; Expires=Sunday, 06-Nov-94 08:49:37 GMT", CC_COOKIE_STORED, at: nov1994 - 10),
                .header("/", "a=1", at: nov1994 - 1), .header("/", "", at: nov1994),
            ]),
            Scenario("Expires as asctime", [
                .store("a=1; Expires=Sun Nov  6 08:49:37 1994", CC_COOKIE_STORED, at: nov1994 - 10),
                .header("/", "a=1", at: nov1994 - 1), .header("/", "", at: nov1994),
            ]),
            Scenario("Expires in other orders and forms", [
                .store("a=1; Expires=06 Nov 1994 08:49:37", CC_COOKIE_STORED, at: nov1994 - 10),
                .store("b=1; Expires=nov 6 8:49:37 1994 UTC", CC_COOKIE_STORED, at: nov1994 - 10),
                .store("c=1; Expires=1994-NOVEMBER-06 08:49:37", CC_COOKIE_STORED, at: nov1994 - 10),
                .header("/", "a=1; b=1; c=1", at: nov1994 - 1), .header("/", "", at: nov1994),
            ]),
            Scenario("Expires in the past deletes", [
                .store("a=1", CC_COOKIE_STORED), .store("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", CC_COOKIE_DELETED),
                .counts(0),
            ]),
            Scenario("two-digit years: 70-99 are 19xx, 00-69 are 20xx", [
                .store("a=1; Expires=01 Jan 70 00:00:01 GMT", CC_COOKIE_DELETED),
                .store("b=1; Expires=01 Jan 69 00:00:00 GMT", CC_COOKIE_STORED),
                .header("/", "b=1", at: 3_124_223_999), .header("/", "", at: 3_124_224_000),
            ]),
            Scenario("a leap day", [
                .store("a=1; Expires=29 Feb 2024 00:00:00", CC_COOKIE_STORED),
                .header("/", "a=1", at: 1_709_164_799), .header("/", "", at: 1_709_164_800),
            ]),
            Scenario("invalid dates are ignored: a session cookie", [
                .store("a=1; Expires=29 Feb 2023 00:00:00", CC_COOKIE_STORED),
                .store("b=1; Expires=31 Apr 2030 00:00:00", CC_COOKIE_STORED),
                .store("c=1; Expires=Sun, 06 Nov 1994 24:00:00 GMT", CC_COOKIE_STORED),
                .store("d=1; Expires=01 Jan 1600 00:00:00", CC_COOKIE_STORED),
                .store("e=1; Expires=not a date", CC_COOKIE_STORED),
                .store("f=1; Expires=06 Nov 08:49:37", CC_COOKIE_STORED),
                .store("g=1; Expires=", CC_COOKIE_STORED),
                .store("h=1; Expires=Sun, 32 Nov 1994 08:49:37 GMT", CC_COOKIE_STORED),
                .store("i=1; Expires=Sun, 06 Nov 1994 08:60:37 GMT", CC_COOKIE_STORED),
                .store("j=1; Expires=Sun, 006 Nov 1994 08:49:37 GMT", CC_COOKIE_STORED),
                .header("/", "a=1; b=1; c=1; d=1; e=1; f=1; g=1; h=1; i=1; j=1", at: .max),
            ]),
            Scenario("Max-Age wins over Expires, in either order", [
                .store("a=1; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT", CC_COOKIE_STORED),
                .store("b=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=0", CC_COOKIE_DELETED),
                .header("/", "a=1", at: now + 99), .header("/", "", at: now + 100),
            ]),
            Scenario("an invalid Max-Age leaves Expires", [
                .store("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=x", CC_COOKIE_DELETED),
            ]),
            Scenario("the last Expires counts", [
                .store("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Expires=Thu, 01 Jan 2099 00:00:00 GMT", CC_COOKIE_STORED),
                .store("b=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Expires=Thu, 01 Jan 1970 00:00:00 GMT", CC_COOKIE_DELETED),
            ]),
            Scenario("expired cookies are purged when a cookie is stored", [
                .store("a=1; Max-Age=10", CC_COOKIE_STORED), .store("b=1", CC_COOKIE_STORED), .counts(2),
                .store("c=1", CC_COOKIE_STORED, at: now + 10), .counts(2), .header("/", "b=1; c=1", at: now + 10),
            ]),
            Scenario("an expired cookie is not replaced but stored anew", [
                .store("a=1; Max-Age=10", CC_COOKIE_STORED), .store("b=1", CC_COOKIE_STORED),
                .store("a=2", CC_COOKIE_STORED, at: now + 10), .header("/", "b=1; a=2", at: now + 10),
            ]),
        ]
    }

    static var secure: [Scenario] {
        [
            Scenario("Secure over a secure channel", [
                .store("s=1; Secure", CC_COOKIE_STORED, secure: true), .store("p=1", CC_COOKIE_STORED, secure: true),
                .header("/", "s=1; p=1", secure: true), .header("/", "p=1", secure: false),
            ]),
            Scenario("Secure over a channel that is not is refused", [
                .store("s=1; Secure", CC_COOKIE_REFUSED), .store("s=1; secure=yes", CC_COOKIE_REFUSED), .counts(0),
            ]),
            Scenario("a Secure deletion over a channel that is not is refused", [
                .store("s=1; Secure", CC_COOKIE_STORED, secure: true), .store("s=; Secure; Max-Age=0", CC_COOKIE_REFUSED),
                .header("/", "s=1", secure: true),
            ]),
        ]
    }

    static var malformed: [Scenario] {
        [
            Scenario("empty", [.store("", CC_COOKIE_MALFORMED)]),
            Scenario("no '='", [.store("noequals", CC_COOKIE_MALFORMED), .store("a; b=c", CC_COOKIE_MALFORMED)]),
            Scenario("an empty name", [.store("=value", CC_COOKIE_MALFORMED), .store(" \t=v", CC_COOKIE_MALFORMED)]),
            Scenario("nothing before the first ';'", [.store(";a=1", CC_COOKIE_MALFORMED)]),
            Scenario("a control character in the value", [.store("a=b\u{1}", CC_COOKIE_MALFORMED)]),
            Scenario("a control character in an attribute", [.store("a=1; Path=/\n", CC_COOKIE_MALFORMED)]),
            Scenario("DEL", [.store("a=\u{7F}", CC_COOKIE_MALFORMED)]),
            Scenario("NUL", [.store("a\u{0}=1", CC_COOKIE_MALFORMED)]),
            Scenario("a tab is not a control character here", [.store("a=1\t; Path=/", CC_COOKIE_STORED), .header("/", "a=1")]),
            Scenario("a malformed cookie changes nothing", [
                .store("a=1", CC_COOKIE_STORED), .store("a", CC_COOKIE_MALFORMED), .header("/", "a=1"), .counts(1),
            ]),
        ]
    }

    static var room: [Scenario] {
        let small = entrySize(name: "c1", value: "v", domain: "h")
        return [
            Scenario("4096 bytes of name and value", arena: 8192, [
                .store("n=" + String(repeating: "v", count: 4095), CC_COOKIE_STORED),
                .store("m=" + String(repeating: "v", count: 4096), CC_COOKIE_TOO_LARGE), .counts(1),
            ]),
            Scenario("a cookie larger than the arena", arena: 64, [
                .store("a=1", CC_COOKIE_STORED),
                .store("b=" + String(repeating: "v", count: 64), CC_COOKIE_TOO_LARGE),
                .header("/", "a=1"), .counts(1),
            ]),
            Scenario("a cookie exactly the arena", arena: entrySize(name: "a", value: "12345"), [
                .store("a=12345", CC_COOKIE_STORED), .header("/", "a=12345"),
                .store("a=123456", CC_COOKIE_TOO_LARGE), .header("/", "a=12345"),
            ]),
            Scenario("a full arena drops the oldest", arena: 3 * small, [
                .store("c1=v", CC_COOKIE_STORED, host: "h"), .store("c2=v", CC_COOKIE_STORED, host: "h"),
                .store("c3=v", CC_COOKIE_STORED, host: "h"), .counts(3),
                .store("c4=v", CC_COOKIE_STORED, host: "h"), .counts(3, dropped: 1),
                .header("/", "c2=v; c3=v; c4=v"),
            ]),
            Scenario("a cookie set again is younger", arena: 3 * small, [
                .store("c1=v", CC_COOKIE_STORED, host: "h"), .store("c2=v", CC_COOKIE_STORED, host: "h"),
                .store("c3=v", CC_COOKIE_STORED, host: "h"), .store("c1=w", CC_COOKIE_STORED, host: "h"),
                .store("c4=v", CC_COOKIE_STORED, host: "h"), .counts(3, dropped: 1),
                .header("/", "c1=w; c3=v; c4=v"),
            ]),
            Scenario("a large cookie drops several", arena: 3 * small, [
                .store("c1=v", CC_COOKIE_STORED, host: "h"), .store("c2=v", CC_COOKIE_STORED, host: "h"),
                .store("c3=v", CC_COOKIE_STORED, host: "h"),
                .store("big=" + String(repeating: "x", count: 2 * small), CC_COOKIE_STORED, host: "h"),
                .counts(1, dropped: 3), .header("/", "big=" + String(repeating: "x", count: 2 * small)),
            ]),
            Scenario("expired cookies go before live ones", arena: 3 * small, [
                .store("c1=v", CC_COOKIE_STORED, host: "h"), .store("c2=v; Max-Age=5", CC_COOKIE_STORED, host: "h"),
                .store("c3=v", CC_COOKIE_STORED, host: "h"),
                .store("c4=v", CC_COOKIE_STORED, host: "h", at: now + 5), .counts(3, dropped: 0),
                .header("/", "c1=v; c3=v; c4=v", at: now + 5),
            ]),
            Scenario("a replacement that grows drops others, not itself", arena: 3 * small, [
                .store("c1=v", CC_COOKIE_STORED, host: "h"), .store("c2=v", CC_COOKIE_STORED, host: "h"),
                .store("c3=v", CC_COOKIE_STORED, host: "h"),
                .store("c2=" + String(repeating: "w", count: small), CC_COOKIE_STORED, host: "h"),
                .counts(2, dropped: 1), .header("/", "c2=" + String(repeating: "w", count: small) + "; c3=v"),
            ]),
            Scenario("a full arena keeps the order by path", arena: 3 * small + 2, [
                .store("c1=v; Path=/a", CC_COOKIE_STORED, host: "h"), .store("c2=v", CC_COOKIE_STORED, host: "h"),
                .store("c3=v; Path=/a", CC_COOKIE_STORED, host: "h"), .store("c4=v", CC_COOKIE_STORED, host: "h"),
                .counts(3, dropped: 1), .header("/a", "c3=v; c2=v; c4=v"),
            ]),
            Scenario("an empty arena takes nothing", arena: 0, [.store("a=1", CC_COOKIE_TOO_LARGE), .header("/", "")]),
        ]
    }

    static var all: [Scenario] { basics + paths + domains + expiry + secure + malformed + room }
}

// MARK: - Running scenarios

private final class Arena {
    static let canary: UInt8 = 0x5A
    let bytes: UnsafeMutablePointer<UInt8>
    let capacity: Int
    init(_ capacity: Int) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity + 16)
        bytes.initialize(repeating: Self.canary, count: capacity + 16)
    }
    deinit { bytes.deallocate() }
    var canaryIntact: Bool { UnsafeBufferPointer(start: bytes + capacity, count: 16).allSatisfy { $0 == Self.canary } }
}

/// Writes the header with a buffer of exactly the right size, then checks that one byte less writes
/// nothing and returns the same length. Returns the header text.
private func header(_ jar: inout cc_cookie_jar_t, _ path: String, at time: Int64, secure: Bool,
                    problems: inout [String]) -> String {
    let guardedPath = GuardedPiece(utf8(path))
    let needed = cc_cookie_jar_header(&jar, guardedPath.pointer, guardedPath.count, time, secure ? 1 : 0, nil, 0)
    var out = [UInt8](repeating: 0xEE, count: needed + 1)
    if needed > 0 {
        let short = cc_cookie_jar_header(&jar, guardedPath.pointer, guardedPath.count, time, secure ? 1 : 0, &out, needed - 1)
        if short != needed { problems.append("\(path): \(short) with a short buffer, \(needed) without") }
        if out.contains(where: { $0 != 0xEE }) { problems.append("\(path): a short buffer was written") }
    }
    let written = cc_cookie_jar_header(&jar, guardedPath.pointer, guardedPath.count, time, secure ? 1 : 0, &out, needed)
    if written != needed { problems.append("\(path): wrote \(written) of \(needed)") }
    if out[needed] != 0xEE { problems.append("\(path): wrote past the length") }
    return String(decoding: out[..<needed], as: UTF8.self)
}

final class CookieJarTests: XCTestCase {
    private func check(_ scenarios: [Scenario], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(scenarios.isEmpty, file: file, line: line)
        for scenario in scenarios {
            let arena = Arena(scenario.arena)
            var jar = cc_cookie_jar_t()
            cc_cookie_jar_init(&jar, arena.bytes, UInt32(scenario.arena))
            var problems: [String] = []
            for (n, op) in scenario.ops.enumerated() {
                let label = "\(scenario.name), step \(n + 1)"
                switch op {
                case let .store(setCookie, expected, host, path, time, secure):
                    let value = GuardedPiece(utf8(setCookie))
                    let requestPath = GuardedPiece(utf8(path))
                    let result = cc_cookie_jar_store(&jar, value.pointer, value.count, host, requestPath.pointer,
                                                     requestPath.count, time, secure ? 1 : 0)
                    XCTAssertEqual(result, Int32(expected.rawValue),
                                   "\(label): \(setCookie): \(String(cString: cc_cookie_result_text(result)))",
                                   file: file, line: line)
                case let .header(path, expected, time, secure):
                    XCTAssertEqual(header(&jar, path, at: time, secure: secure, problems: &problems), expected,
                                   "\(label): Cookie for \(path)", file: file, line: line)
                case let .counts(count, dropped):
                    XCTAssertEqual(Int(jar.count), count, "\(label): count", file: file, line: line)
                    XCTAssertEqual(Int(jar.dropped), dropped, "\(label): dropped", file: file, line: line)
                }
                if jar.used > jar.capacity { problems.append("\(label): used \(jar.used) of \(jar.capacity)") }
                if (jar.count == 0) != (jar.used == 0) { problems.append("\(label): count \(jar.count), used \(jar.used)") }
            }
            if !arena.canaryIntact { problems.append("wrote past the arena") }
            XCTAssertEqual(problems, [], scenario.name, file: file, line: line)
        }
    }

    func testBasics() { check(CookieScenarios.basics) }
    func testPathMatchingAndOrder() { check(CookieScenarios.paths) }
    func testDomainMatching() { check(CookieScenarios.domains) }
    func testExpiryAndDeletion() { check(CookieScenarios.expiry) }
    func testSecure() { check(CookieScenarios.secure) }
    func testMalformed() { check(CookieScenarios.malformed) }
    func testArenaRoom() { check(CookieScenarios.room) }

    func testTableIsLargeAndNamesAreUnique() {
        let names = CookieScenarios.all.map(\.name)
        XCTAssertGreaterThanOrEqual(names.count, 70)
        XCTAssertEqual(Set(names).count, names.count, "duplicate scenario names")
    }

    func testEntryOverheadIsDocumented() {
        // One cookie takes the overhead plus its four strings, nothing more.
        let arena = Arena(1024)
        var jar = cc_cookie_jar_t()
        cc_cookie_jar_init(&jar, arena.bytes, 1024)
        let value = utf8("session=abc; Path=/app")
        XCTAssertEqual(cc_cookie_jar_store(&jar, value, value.count, host, nil, 0, now, 0), Int32(CC_COOKIE_STORED.rawValue))
        XCTAssertEqual(Int(jar.used), entrySize(name: "session", value: "abc", path: "/app"))
        XCTAssertEqual(MemoryLayout<cc_cookie_jar_t>.size, 32)
    }

    func testResultTexts() {
        for result in 0..<Int32(CC_COOKIE__RESULT_COUNT.rawValue) {
            XCTAssertNotEqual(String(cString: cc_cookie_result_text(result)), "unknown cookie result")
        }
        XCTAssertTrue(String(cString: cc_cookie_result_text(Int32(CC_COOKIE_REFUSED.rawValue))).hasPrefix("refused"))
        XCTAssertEqual(String(cString: cc_cookie_result_text(-1)), "unknown cookie result")
    }

    func testParsePair() {
        let cases: [(String, (String, String)?)] = [
            ("a=1", ("a", "1")),
            (" a = 1 ; Path=/", ("a", "1")),
            ("token=abc==; HttpOnly", ("token", "abc==")),
            ("q=\"x y\"", ("q", "\"x y\"")),
            ("e=", ("e", "")),
            ("e=;", ("e", "")),
            ("\tname\t=\tvalue\t", ("name", "value")),
            ("a=b=c", ("a", "b=c")),
            ("", nil),
            ("noequals", nil),
            ("a; b=c", nil),
            ("=v", nil),
            (" =v", nil),
            (";a=1", nil),
            ("a=\u{1}", nil),
            ("a=1\u{7F}", nil),
            ("a=1; Path=/\n", ("a", "1")), // only the pair is looked at
        ]
        for (text, expected) in cases {
            let input = GuardedPiece(utf8(text))
            var nameOffset = 0, nameLength = 0, valueOffset = 0, valueLength = 0
            let status = cc_cookie_parse_pair(input.pointer, input.count, &nameOffset, &nameLength, &valueOffset, &valueLength)
            guard let (name, value) = expected else {
                XCTAssertEqual(status, CC_EINVAL.rawValue, text)
                continue
            }
            XCTAssertEqual(status, 0, text)
            let bytes = utf8(text)
            XCTAssertEqual(String(decoding: bytes[nameOffset..<nameOffset + nameLength], as: UTF8.self), name, text)
            XCTAssertEqual(String(decoding: bytes[valueOffset..<valueOffset + valueLength], as: UTF8.self), value, text)
        }
    }
}
