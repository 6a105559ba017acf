import Foundation
import Hummingbird
import HummingbirdAuth

/// What a request carries through the middleware: the endpoint it matched, the caller, and why the caller's
/// credentials were refused, if they were.
public struct TargetRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller, when the request carried a valid token or API key (set by `CredentialMiddleware`).
    public var identity: Caller?
    /// Why credentials that were sent were refused ("token expired", "unknown API key"); the 401's detail.
    var credentialProblem: String?
    /// The contract's endpoint, or nil for a path (or method) that none matches (set by `TrafficMiddleware`).
    var endpoint: Endpoint?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// JSON bodies are at most 1 MiB: the largest the contract needs is a batch of 50 URLs. Uploads are
    /// streamed and have their own bound, `TargetConfiguration.maxUploadBytes`.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller's user, which `AccessMiddleware` guarantees on routes that need one.
    func requireUser() throws -> UserIdentity {
        guard let user = identity?.user else { throw APIError.unauthorized("missing bearer token") }
        return user
    }
}
