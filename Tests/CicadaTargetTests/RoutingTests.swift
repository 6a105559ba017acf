import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class RoutingTests: XCTestCase {
    func testHealthIsPublic() async throws {
        try await withTarget(.live) { client, _ in
            let response = try await client.get("/health")
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.json() as NSDictionary, ["status": "ok"])
            XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8")
        }
    }

    func testAnyOtherPathOrMethodIs404WithADetail() async throws {
        try await withTarget(.live) { client, _ in
            for (method, path) in [(HTTPRequest.Method.get, "/"), (.get, "/api/v1"), (.get, "/api/v1/audio/results"),
                                   (.get, "/api/v2/auth/me"), (.delete, "/api/v1/files"), (.get, "/api/v1/auth/login"),
                                   (.post, "/health"), (.get, "/api/v1/jobs/1/extra")] {
                let response = try await client.execute(uri: path, method: method)
                XCTAssertEqual(response.status, .notFound, "\(method) \(path)")
                XCTAssertEqual(response.detail, "Not Found")
            }
        }
    }

    func testTheEndpointTableMatchesWhatTheRouterResolves() {
        for endpoint in Endpoint.allCases {
            XCTAssertEqual(Endpoint.matching(method: endpoint.method, routePath: endpoint.path), endpoint)
        }
        XCTAssertNil(Endpoint.matching(method: .get, routePath: nil))
        XCTAssertEqual(Set(Endpoint.allCases.map { "\($0.method) \($0.path)" }).count, Endpoint.allCases.count)
        XCTAssertFalse(Endpoint.health.injectsFaults)
        XCTAssertFalse(Endpoint.metrics.injectsFaults)
        XCTAssertTrue(Endpoint.allCases.filter { $0.path.hasPrefix("/api/v1/") }.allSatisfy(\.injectsFaults))
    }
}
