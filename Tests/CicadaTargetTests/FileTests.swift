import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class FileTests: XCTestCase {
    func testListingPagesThroughTheCallersFilesNewestFirst() async throws {
        try await withTarget { client, _ in
            let alice = try await client.token("alice")
            let bob = try await client.token("bob")
            var ids: [String] = []
            for index in 0..<5 { ids.append(try await client.upload(token: alice, filename: "take\(index).wav")) }
            _ = try await client.upload(token: bob, filename: "bobs.wav")

            let first = try await client.get("/api/v1/files?page=1&limit=2", headers: bearer(alice)).json()
            XCTAssertEqual(first["total"] as? Int, 5)
            XCTAssertEqual(first["page"] as? Int, 1)
            XCTAssertEqual(first["limit"] as? Int, 2)
            let firstIDs = (first["items"] as? [[String: Any]])?.compactMap { $0["file_id"] as? String }
            XCTAssertEqual(firstIDs, [ids[4], ids[3]])
            let last = try await client.get("/api/v1/files?page=3&limit=2", headers: bearer(alice)).json()
            XCTAssertEqual((last["items"] as? [[String: Any]])?.compactMap { $0["file_id"] as? String }, [ids[0]])
            let beyond = try await client.get("/api/v1/files?page=4&limit=2", headers: bearer(alice)).json()
            XCTAssertEqual((beyond["items"] as? [Any])?.count, 0)
            let defaults = try await client.get("/api/v1/files", headers: bearer(alice)).json()
            XCTAssertEqual(defaults["page"] as? Int, 1)
            XCTAssertEqual(defaults["limit"] as? Int, 20)
            XCTAssertEqual((defaults["items"] as? [Any])?.count, 5)
            let bobs = try await client.get("/api/v1/files", headers: bearer(bob)).json()
            XCTAssertEqual(bobs["total"] as? Int, 1, "only the caller's own files")
        }
    }

    func testListingQueryMustBeIntegersInBounds() async throws {
        try await withTarget { client, _ in
            let token = try await client.token()
            for query in ["page=x", "page=1.5", "limit=ten", "page=0", "page=-1", "limit=0", "limit=101", "page=100001", "page=", "limit=9999999999999999999999"] {
                let response = try await client.get("/api/v1/files?\(query)", headers: bearer(token))
                XCTAssertEqual(response.status, .unprocessableContent, query)
            }
            for query in ["page=100000&limit=100", "limit=1"] {
                let response = try await client.get("/api/v1/files?\(query)", headers: bearer(token))
                XCTAssertEqual(response.status, .ok, query)
            }
            let anonymous = try await client.get("/api/v1/files")
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testSearchMatchesNameGenreAndTagsOfTheCallersFiles() async throws {
        try await withTarget { client, _ in
            let alice = try await client.token("alice")
            let bob = try await client.token("bob")
            let byName = try await client.upload(token: alice, filename: "Sunset Groove.wav")
            let byGenre = try await client.upload(token: alice, filename: "a.wav", genre: "groove-house")
            let byTag = try await client.upload(token: alice, filename: "b.wav", tags: "lofi,GROOVY")
            _ = try await client.upload(token: alice, filename: "c.wav", genre: "ambient")
            _ = try await client.upload(token: bob, filename: "groove.wav")

            let response = try await client.get("/api/v1/files/search?q=groov", headers: bearer(alice))
            XCTAssertEqual(response.status, .ok)
            let body = response.json()
            XCTAssertEqual(body["query"] as? String, "groov")
            XCTAssertEqual(Set((body["items"] as? [[String: Any]])?.compactMap { $0["file_id"] as? String } ?? []), [byName, byGenre, byTag])
            let spaced = try await client.get("/api/v1/files/search?q=sunset%20groove", headers: bearer(alice)).json()
            XCTAssertEqual(spaced["query"] as? String, "sunset groove")
            XCTAssertEqual((spaced["items"] as? [Any])?.count, 1)
        }
    }

    func testSearchNeedsQ() async throws {
        try await withTarget { client, _ in
            let token = try await client.token()
            for query in ["", "?q=", "?other=1", "?q=\(String(repeating: "x", count: 257))"] {
                let response = try await client.get("/api/v1/files/search\(query)", headers: bearer(token))
                XCTAssertEqual(response.status, .unprocessableContent, query)
            }
            let anonymous = try await client.get("/api/v1/files/search?q=a")
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }
}
