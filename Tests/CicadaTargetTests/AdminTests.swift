import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class AdminTests: XCTestCase {
    func testDashboardCountsUsersFilesJobsAndRequests() async throws {
        try await withTarget { client, _ in
            let alice = try await client.token("alice")
            _ = try await client.upload(token: alice)
            _ = try await client.upload(token: alice)
            _ = try await client.post("/api/v1/batch", json: #"{"audio_urls": ["https://a/1.wav"]}"#, headers: [.apiKey: "demo-api-key"])
            _ = try await client.get("/nowhere")
            let admin = try await client.token("admin")
            let dashboard = try await client.get("/api/v1/admin/dashboard", headers: bearer(admin))
            XCTAssertEqual(dashboard.status, .ok)
            let body = dashboard.json()
            XCTAssertEqual(body["users"] as? Int, 2)
            XCTAssertEqual(body["files"] as? Int, 2)
            XCTAssertEqual(body["jobs"] as? Int, 1)
            XCTAssertEqual(body["analyses"] as? Int, 0)
            XCTAssertEqual(body["requests_total"] as? Int, 6, "the dashboard request itself is counted when it ends")
            XCTAssertEqual(body["contract_mistakes_total"] as? Int, 1, "the 404")
            XCTAssertEqual(body["requests_in_flight"] as? Int, 1)
            XCTAssertEqual(body["store_limit"] as? Int, 50_000)
        }
    }

    func testAdminCreatesAndListsUsers() async throws {
        try await withTarget { client, _ in
            let admin = try await client.token("admin")
            let created = try await client.post("/api/v1/admin/users", json: #"{"username": "carol", "role": "admin"}"#, headers: bearer(admin))
            XCTAssertEqual(created.status, .created)
            XCTAssertEqual(created.json()["username"] as? String, "carol")
            XCTAssertEqual(created.json()["role"] as? String, "admin")
            _ = try await client.post("/api/v1/admin/users", json: #"{"username": "dave", "role": "user"}"#, headers: bearer(admin))
            let list = try await client.get("/api/v1/admin/users", headers: bearer(admin)).json()
            let items = try XCTUnwrap(list["items"] as? [[String: String]])
            XCTAssertEqual(items, [["username": "dave", "role": "user"], ["username": "carol", "role": "admin"], ["username": "admin", "role": "admin"]])
            // carol logs in with the users' password and gets the role the admin gave her.
            let login = try await client.post("/api/v1/auth/login", json: #"{"username": "carol", "password": "demo"}"#)
            XCTAssertEqual(login.json()["role"] as? String, "admin")
            let carol = try XCTUnwrap(login.json()["access_token"] as? String)
            let dashboard = try await client.get("/api/v1/admin/dashboard", headers: bearer(carol))
            XCTAssertEqual(dashboard.status, .ok)
        }
    }

    func testCreateUserRefusals() async throws {
        try await withTarget { client, _ in
            let admin = try await client.token("admin")
            for body in [#"{"username": "eve"}"#, #"{"role": "user"}"#, #"{"username": "eve", "role": "root"}"#,
                         #"{"username": "e v e", "role": "user"}"#, #"{"username": "admin", "role": "user"}"#, "x"] {
                let response = try await client.post("/api/v1/admin/users", json: body, headers: bearer(admin))
                XCTAssertEqual(response.status, .unprocessableContent, body)
            }
            let anonymous = try await client.post("/api/v1/admin/users", json: #"{"username": "eve", "role": "user"}"#)
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testAdminHealth() async throws {
        try await withTarget { client, _ in
            let admin = try await client.token("admin")
            let health = try await client.get("/api/v1/admin/health", headers: bearer(admin))
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(health.json()["status"] as? String, "ok")
            XCTAssertEqual((health.json()["stores"] as? [String: Int])?["users"], 1)
        }
    }
}
