import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class AudioTests: XCTestCase {
    func testAUserAnalysesTheirFileAndReadsTheResult() async throws {
        try await withTarget { client, _ in
            let token = try await client.token()
            let fileID = try await client.upload(token: token, bytes: 176_400, genre: "jazz")
            for type in ["full", "quick"] {
                let analysis = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "\#(fileID)", "analysis_type": "\#(type)"}"#,
                                                     headers: bearer(token))
                XCTAssertEqual(analysis.status, .ok, analysis.text)
                let body = analysis.json()
                XCTAssertEqual(body["status"] as? String, "completed")
                XCTAssertEqual(body["file_id"] as? String, fileID)
                XCTAssertEqual(body["analysis_type"] as? String, type)
                let results = try XCTUnwrap(body["results"] as? [String: Any])
                XCTAssertEqual(results["duration_seconds"] as? Double, 1.0, "176,400 bytes of 16-bit stereo 44.1 kHz")
                XCTAssertEqual(results["genre"] as? String, "jazz")
                XCTAssertEqual(results["instruments"] != nil, type == "full")
                let id = try XCTUnwrap(body["analysis_id"] as? String)
                let result = try await client.get("/api/v1/audio/results/\(id)", headers: bearer(token))
                XCTAssertEqual(result.status, .ok)
                XCTAssertEqual(result.json()["analysis_id"] as? String, id)
                XCTAssertEqual(result.json()["status"] as? String, "completed")
                XCTAssertEqual(result.json()["results"] as? NSDictionary, results as NSDictionary, "the same result every time")
            }
        }
    }

    func testAnotherCallersFileAndAnalysisAre404() async throws {
        try await withTarget { client, _ in
            let alice = try await client.token("alice")
            let bob = try await client.token("bob")
            let fileID = try await client.upload(token: alice)
            let foreignFile = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "\#(fileID)", "analysis_type": "full"}"#,
                                                    headers: bearer(bob))
            XCTAssertEqual(foreignFile.status, .notFound)
            XCTAssertEqual(foreignFile.detail, "file not found")
            let unknownFile = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "file_0", "analysis_type": "full"}"#,
                                                    headers: bearer(alice))
            XCTAssertEqual(unknownFile.status, .notFound)

            let analysis = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "\#(fileID)", "analysis_type": "quick"}"#,
                                                 headers: bearer(alice))
            let id = try XCTUnwrap(analysis.json()["analysis_id"] as? String)
            let foreign = try await client.get("/api/v1/audio/results/\(id)", headers: bearer(bob))
            XCTAssertEqual(foreign.status, .notFound)
            XCTAssertEqual(foreign.detail, "analysis not found")
            let unknown = try await client.get("/api/v1/audio/results/analysis_0", headers: bearer(alice))
            XCTAssertEqual(unknown.status, .notFound)
            let anonymous = try await client.get("/api/v1/audio/results/\(id)")
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testAnalyzeRefusals() async throws {
        try await withTarget { client, _ in
            let token = try await client.token()
            let fileID = try await client.upload(token: token)
            let userCases = [
                #"{"analysis_type": "full"}"#,
                #"{"file_id": "\#(fileID)"}"#,
                #"{"file_id": "\#(fileID)", "analysis_type": "deep"}"#,
                #"{"file_id": 12, "analysis_type": "full"}"#,
                "{",
            ]
            for body in userCases {
                let response = try await client.post("/api/v1/audio/analyze", json: body, headers: bearer(token))
                XCTAssertEqual(response.status, .unprocessableContent, body)
            }
            let keyCases = [#"{}"#, #"{"audio_url": "ftp://x/a.wav"}"#, #"{"audio_url": "not a url"}"#,
                            #"{"audio_url": "https://x/a.wav", "analysis_type": "slow"}"#]
            for body in keyCases {
                let response = try await client.post("/api/v1/audio/analyze", json: body, headers: [.apiKey: "demo-api-key"])
                XCTAssertEqual(response.status, .unprocessableContent, body)
            }
            let anonymous = try await client.post("/api/v1/audio/analyze", json: #"{"audio_url": "https://x/a.wav"}"#)
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testAnAPIKeyAnalysesAURL() async throws {
        try await withTarget { client, _ in
            let response = try await client.post("/api/v1/audio/analyze", json: #"{"audio_url": "https://cdn.example/track.flac"}"#,
                                                 headers: [.apiKey: "demo-api-key"])
            XCTAssertEqual(response.status, .ok, response.text)
            let body = response.json()
            XCTAssertEqual(body["status"] as? String, "completed")
            XCTAssertTrue(body["file_id"] is NSNull)
            XCTAssertEqual(body["audio_url"] as? String, "https://cdn.example/track.flac")
            XCTAssertEqual(body["analysis_type"] as? String, "full")
            // The analysis belongs to the key: no user sees it.
            let id = try XCTUnwrap(body["analysis_id"] as? String)
            let token = try await client.token()
            let asUser = try await client.get("/api/v1/audio/results/\(id)", headers: bearer(token))
            XCTAssertEqual(asUser.status, .notFound)
        }
    }
}
