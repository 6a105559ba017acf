import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class AuthTests: XCTestCase {
    func testLoginGivesAUserTokenThatMeAccepts() async throws {
        try await withTarget(.live) { client, _ in
            let login = try await client.post("/api/v1/auth/login", json: #"{"username": "dj.alice@example-1", "password": "demo"}"#)
            XCTAssertEqual(login.status, .ok)
            let body = login.json()
            XCTAssertEqual(body["token_type"] as? String, "bearer")
            XCTAssertEqual(body["expires_in"] as? Int, 3600)
            XCTAssertEqual(body["role"] as? String, "user")
            let token = try XCTUnwrap(body["access_token"] as? String)
            XCTAssertEqual(token.split(separator: ".").count, 3, "a JWT: header, claims, signature")
            let me = try await client.get("/api/v1/auth/me", headers: bearer(token))
            XCTAssertEqual(me.status, .ok)
            XCTAssertEqual(me.json()["username"] as? String, "dj.alice@example-1")
            XCTAssertEqual(me.json()["role"] as? String, "user")
        }
    }

    func testAdminLogsInWithItsOwnPasswordOnly() async throws {
        try await withTarget { client, _ in
            let admin = try await client.post("/api/v1/auth/login", json: #"{"username": "admin", "password": "admin"}"#)
            XCTAssertEqual(admin.json()["role"] as? String, "admin")
            let demo = try await client.post("/api/v1/auth/login", json: #"{"username": "admin", "password": "demo"}"#)
            XCTAssertEqual(demo.status, .unauthorized)
        }
    }

    func testLoginRefusals() async throws {
        // (body, status): wrong passwords are 401; bodies without the required form are 422.
        let cases: [(String, HTTPResponse.Status)] = [
            (#"{"username": "alice", "password": "nope"}"#, .unauthorized),
            (#"{"username": "alice", "password": ""}"#, .unauthorized),
            (#"{"username": "alice"}"#, .unprocessableContent),
            (#"{"password": "demo"}"#, .unprocessableContent),
            (#"{"username": 7, "password": "demo"}"#, .unprocessableContent),
            (#"{"username": "", "password": "demo"}"#, .unprocessableContent),
            (#"{"username": "has space", "password": "demo"}"#, .unprocessableContent),
            (#"{"username": "\#(String(repeating: "a", count: 65))", "password": "demo"}"#, .unprocessableContent),
            (#"{"username": "ålice", "password": "demo"}"#, .unprocessableContent),
            ("not json", .unprocessableContent),
            ("[]", .unprocessableContent),
            ("", .unprocessableContent),
        ]
        try await withTarget { client, _ in
            for (body, status) in cases {
                let response = try await client.post("/api/v1/auth/login", json: body)
                XCTAssertEqual(response.status, status, body)
                XCTAssertNotNil(response.detail, "\(body): the error body is {\"detail\": ...}, got \(response.text)")
            }
            let ok = try await client.post("/api/v1/auth/login", json: #"{"username": "\#(String(repeating: "a", count: 64))", "password": "demo"}"#)
            XCTAssertEqual(ok.status, .ok, "64 characters is the longest name")
        }
    }

    func testMissingInvalidAndForeignTokensAre401() async throws {
        try await withTarget { client, target in
            let other = await TokenIssuer.make(ttl: 3600)
            let foreign = try await other.issue(for: UserIdentity(username: "alice", role: .admin))
            let token = try await client.token()
            let tampered = String(token.dropLast(2)) + (token.hasSuffix("AA") ? "BB" : "AA")
            let cases: [(HTTPFields, String)] = [
                ([:], "missing bearer token"),
                ([.authorization: "Bearer not-a-jwt"], "invalid token"),
                ([.authorization: "Bearer \(foreign)"], "invalid token"),
                ([.authorization: "Bearer \(tampered)"], "invalid token"),
                ([.authorization: "Basic YWxpY2U6ZGVtbw=="], "the Authorization header is not a bearer token"),
                ([.apiKey: "demo-api-key"], "missing bearer token"),
            ]
            for (headers, detail) in cases {
                let response = try await client.get("/api/v1/auth/me", headers: headers)
                XCTAssertEqual(response.status, .unauthorized, "\(headers)")
                XCTAssertEqual(response.detail, detail)
                XCTAssertEqual(response.headers[.wwwAuthenticate], "Bearer", "RFC 9110 §11.6.1: a 401 carries a challenge")
            }
            _ = target
        }
    }

    func testTokensExpireAfterTheTTL() async throws {
        try await withTarget(configure: { $0.tokenTTL = 1 }) { client, _ in
            let login = try await client.post("/api/v1/auth/login", json: #"{"username": "alice", "password": "demo"}"#)
            XCTAssertEqual(login.json()["expires_in"] as? Int, 1)
            let token = try XCTUnwrap(login.json()["access_token"] as? String)
            let fresh = try await client.get("/api/v1/auth/me", headers: bearer(token))
            XCTAssertEqual(fresh.status, .ok)
            try await Task.sleep(for: .milliseconds(1200))
            let expired = try await client.get("/api/v1/auth/me", headers: bearer(token))
            XCTAssertEqual(expired.status, .unauthorized)
            XCTAssertEqual(expired.detail, "token expired")
        }
    }

    func testAUserTokenOnAnAdminRouteIs403AndNoTokenIs401() async throws {
        try await withTarget { client, _ in
            let user = try await client.token("alice")
            let admin = try await client.token("admin")
            for path in ["/api/v1/admin/dashboard", "/api/v1/admin/users", "/api/v1/admin/health"] {
                let asUser = try await client.get(path, headers: bearer(user))
                XCTAssertEqual(asUser.status, .forbidden, path)
                XCTAssertEqual(asUser.detail, "admin role required")
                let anonymous = try await client.get(path)
                XCTAssertEqual(anonymous.status, .unauthorized, path)
                let withKey = try await client.get(path, headers: [.apiKey: "demo-api-key"])
                XCTAssertEqual(withKey.status, .unauthorized, "an API key is no admin credential: \(path)")
                let asAdmin = try await client.get(path, headers: bearer(admin))
                XCTAssertEqual(asAdmin.status, .ok, path)
            }
            let create = try await client.post("/api/v1/admin/users", json: #"{"username": "bob", "role": "user"}"#, headers: bearer(user))
            XCTAssertEqual(create.status, .forbidden)
        }
    }

    func testAPIKeysDemoAndExtraOnesAreAcceptedOthersAre401() async throws {
        try await withTarget(configure: { $0.extraAPIKeys = ["k1", "k2"] }) { client, _ in
            let body = #"{"audio_urls": ["https://cdn.example/a.wav"]}"#
            for key in ["demo-api-key", "k1", "k2"] {
                let response = try await client.post("/api/v1/batch", json: body, headers: [.apiKey: key])
                XCTAssertEqual(response.status, .accepted, key)
            }
            let unknown = try await client.post("/api/v1/batch", json: body, headers: [.apiKey: "k3"])
            XCTAssertEqual(unknown.status, .unauthorized)
            XCTAssertEqual(unknown.detail, "unknown API key")
            let none = try await client.post("/api/v1/batch", json: body)
            XCTAssertEqual(none.status, .unauthorized)
            let token = try await client.token()
            let userOnly = try await client.post("/api/v1/batch", json: body, headers: bearer(token))
            XCTAssertEqual(userOnly.status, .unauthorized, "batch takes an API key, not a user token")
        }
    }

    func testUsernameRules() {
        for valid in ["a", "A-z_0.9@x", String(repeating: "x", count: 64)] {
            XCTAssertTrue(LoginRules.isValidUsername(valid), valid)
        }
        for invalid in ["", " a", "a/b", "é", String(repeating: "x", count: 65), "a\u{0}"] {
            XCTAssertFalse(LoginRules.isValidUsername(invalid), invalid)
        }
    }
}
