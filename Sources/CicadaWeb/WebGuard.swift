import Foundation
import HTTPTypes
import Hummingbird

/// The web UI's protection, in front of every route:
/// - with `--web-auth`, HTTP basic authentication on everything (401 with a challenge otherwise);
/// - bound to loopback, only a loopback name in `Host` (a page of another site that rebinds its name
///   to 127.0.0.1 is refused);
/// - on a request that changes the run (every POST, and Locust's `GET /stop` and `GET /stats/reset`), a
///   browser's cross-site request is refused: `Sec-Fetch-Site: cross-site` or `same-site`, or an `Origin`
///   other than this server's; a browser request (one with `Origin`) must carry the page's token in
///   `X-Cicada-Token`. A script, which sends no `Origin`, needs no token: it cannot be made to send a
///   request by another site.
struct WebGuard<Context: RequestContext>: RouterMiddleware {
    static var tokenField: HTTPField.Name { HTTPField.Name("X-Cicada-Token")! }

    /// `Basic <base64(user:pass)>`, or nil without `--web-auth`.
    let expectedAuthorization: String?
    let token: String
    let loopbackOnly: Bool

    init(credentials: String?, token: String, loopbackOnly: Bool) {
        expectedAuthorization = credentials.map { "Basic " + Data($0.utf8).base64EncodedString() }
        self.token = token
        self.loopbackOnly = loopbackOnly
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let expectedAuthorization {
            guard let given = request.headers[.authorization].map(Self.normalizedScheme), constantTimeEqual(given, expectedAuthorization) else {
                var error = WebError(.unauthorized, "this Cicada web UI needs the user and password of its --web-auth")
                error.headers[.wwwAuthenticate] = "Basic realm=\"cicada\", charset=\"UTF-8\""
                throw error
            }
        }
        let host = request.head.authority ?? ""
        if loopbackOnly, !Self.isLoopbackName(host) {
            throw WebError(.forbidden, "the Host '\(host.prefix(100))' is not a loopback name: this web UI listens on loopback only")
        }
        if Self.changesRun(request) {
            if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
                throw WebError(.forbidden, "a cross-site request may not control the run")
            }
            // A browser without Sec-Fetch-Site still names the page it comes from.
            if request.headers[.origin] == nil, let referer = request.headers[.referer],
               let from = URLComponents(string: referer), from.host.map({ "\($0)\(from.port.map { ":\($0)" } ?? "")" }) != host {
                throw WebError(.forbidden, "a request from another site may not control the run")
            }
            if let origin = request.headers[.origin] {
                guard origin == "http://\(host)" || origin == "https://\(host)" else {
                    throw WebError(.forbidden, "a request from the origin \(origin.prefix(100)) may not control the run")
                }
                guard let given = request.headers[Self.tokenField], constantTimeEqual(given, token) else {
                    throw WebError(.forbidden, "a browser's control request must carry the page's token in X-Cicada-Token")
                }
            }
        }
        return try await next(request, context)
    }

    /// Whether the request changes the run: not a GET or HEAD, or one of Locust's GETs that do. The router
    /// ignores empty path segments (`/stop/` and `//stop` are `/stop`), so the path is compared without them.
    static func changesRun(_ request: Request) -> Bool {
        switch request.method {
        case .get, .head:
            let segments = request.uri.path.split(separator: "/").joined(separator: "/")
            return segments == "stop" || segments == "stats/reset"
        default: return true
        }
    }

    /// `Authorization` with its scheme in the case the comparison expects (RFC 7617: the scheme is
    /// case-insensitive).
    static func normalizedScheme(_ value: String) -> String {
        guard value.count > 6, value.prefix(6).lowercased() == "basic " else { return value }
        return "Basic " + value.dropFirst(6)
    }

    /// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
    static func isLoopbackName(_ authority: String) -> Bool {
        var name = authority.lowercased()
        if name.hasPrefix("[") {
            return name == "[::1]" || (name.hasPrefix("[::1]:") && UInt16(name.dropFirst(6)) != nil)
        }
        if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        if name == "localhost" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// Compares without stopping at the first difference, so that the time taken says nothing of where.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for index in 0..<max(x.count, y.count) {
        difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
    }
    return difference == 0
}
