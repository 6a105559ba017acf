import Foundation
import JWTKit

/// The claims of a login token: who, which role, until when (RFC 7519 §4.1.2, §4.1.4, §4.1.6).
struct SessionClaims: JWTPayload {
    var sub: SubjectClaim
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and checks the HS256 tokens that `POST /api/v1/auth/login` hands out.
///
/// The HMAC key is 32 random bytes made at start, so a token from an earlier run of the target is invalid.
final class TokenIssuer: Sendable {
    private let keys: JWTKeyCollection
    /// Seconds a token is valid.
    let ttl: Int

    private init(keys: JWTKeyCollection, ttl: Int) {
        self.keys = keys
        self.ttl = ttl
    }

    static func make(ttl: Int, secret: [UInt8]? = nil) async -> TokenIssuer {
        let keys = JWTKeyCollection()
        let secret = secret ?? (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return TokenIssuer(keys: keys, ttl: ttl)
    }

    func issue(for user: UserIdentity, now: Date = Date()) async throws -> String {
        let claims = SessionClaims(sub: .init(value: user.username), role: user.role.rawValue,
                                   iat: .init(value: now), exp: .init(value: now.addingTimeInterval(Double(ttl))))
        return try await keys.sign(claims)
    }

    /// Why a token was refused, in the words of the 401's detail.
    enum Refusal: Error, Equatable {
        case expired, invalid

        var detail: String {
            switch self {
            case .expired: "token expired"
            case .invalid: "invalid token"
            }
        }
    }

    func verify(_ token: String) async -> Result<UserIdentity, Refusal> {
        do {
            let claims = try await keys.verify(token, as: SessionClaims.self)
            guard let role = Role(rawValue: claims.role) else { return .failure(.invalid) }
            return .success(UserIdentity(username: claims.sub.value, role: role))
        } catch let error as JWTError where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim {
            return .failure(.expired)
        } catch {
            return .failure(.invalid)
        }
    }
}
