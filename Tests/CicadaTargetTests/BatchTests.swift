import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class BatchTests: XCTestCase {
    func testAJobMovesFromQueuedThroughRunningToDone() async throws {
        try await withTarget(configure: { $0.jobSeconds = 0.6 }) { client, _ in
            let key: HTTPFields = [.apiKey: "demo-api-key"]
            let created = try await client.post("/api/v1/batch", json: #"{"audio_urls": ["https://a/1.wav", "http://b/2.mp3"], "webhook_url": "https://hooks.example/done"}"#,
                                                headers: key)
            XCTAssertEqual(created.status, .accepted, created.text)
            XCTAssertEqual(created.json()["status"] as? String, "queued")
            let id = try XCTUnwrap(created.json()["job_id"] as? String)
            var seen: [String] = []
            var progress: [Int] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                let job = try await client.get("/api/v1/jobs/\(id)", headers: key).json()
                let status = try XCTUnwrap(job["status"] as? String)
                XCTAssertEqual(job["audio_url_count"] as? Int, 2)
                if seen.last != status { seen.append(status) }
                progress.append(try XCTUnwrap(job["progress"] as? Int))
                if status == "done" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            XCTAssertEqual(seen, ["queued", "running", "done"])
            XCTAssertEqual(progress, progress.sorted(), "progress never goes back")
            XCTAssertEqual(progress.last, 100)
            XCTAssertTrue(progress.allSatisfy { (0...100).contains($0) })
        }
    }

    func testJobTimeline() {
        XCTAssertEqual(JobTimeline.state(elapsed: 0, duration: 3).status, .queued)
        XCTAssertEqual(JobTimeline.state(elapsed: 0.59, duration: 3).progress, 0)
        XCTAssertEqual(JobTimeline.state(elapsed: 0.61, duration: 3).status, .running)
        XCTAssertEqual(JobTimeline.state(elapsed: 1.8, duration: 3).progress, 50)
        XCTAssertEqual(JobTimeline.state(elapsed: 2.999, duration: 3).progress, 99)
        XCTAssertTrue(JobTimeline.state(elapsed: 3, duration: 3) == (.done, 100))
        XCTAssertTrue(JobTimeline.state(elapsed: 0, duration: 0) == (.done, 100))
    }

    func testAnotherKeysJobAndAnUnknownJobAre404() async throws {
        try await withTarget(configure: { $0.extraAPIKeys = ["other"] }) { client, _ in
            let created = try await client.post("/api/v1/batch", json: #"{"audio_urls": ["https://a/1.wav"]}"#, headers: [.apiKey: "demo-api-key"])
            let id = try XCTUnwrap(created.json()["job_id"] as? String)
            let foreign = try await client.get("/api/v1/jobs/\(id)", headers: [.apiKey: "other"])
            XCTAssertEqual(foreign.status, .notFound)
            XCTAssertEqual(foreign.detail, "job not found")
            let unknown = try await client.get("/api/v1/jobs/job_0", headers: [.apiKey: "demo-api-key"])
            XCTAssertEqual(unknown.status, .notFound)
            let anonymous = try await client.get("/api/v1/jobs/\(id)")
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testBatchRefusals() async throws {
        let fifty = (1...50).map { #""https://a/\#($0).wav""# }.joined(separator: ",")
        let fiftyOne = (1...51).map { #""https://a/\#($0).wav""# }.joined(separator: ",")
        try await withTarget { client, _ in
            let key: HTTPFields = [.apiKey: "demo-api-key"]
            for body in [#"{"audio_urls": []}"#, #"{"audio_urls": [\#(fiftyOne)]}"#, #"{}"#, #"{"audio_urls": "https://a/1.wav"}"#,
                         #"{"audio_urls": ["https://a/1.wav", "nope"]}"#, #"{"audio_urls": [3]}"#,
                         #"{"audio_urls": ["https://a/1.wav"], "webhook_url": "mailto:x@y"}"#,
                         #"{"audio_urls": ["https://a/\#(String(repeating: "x", count: 2048))"]}"#] {
                let response = try await client.post("/api/v1/batch", json: body, headers: key)
                XCTAssertEqual(response.status, .unprocessableContent, String(body.prefix(80)))
            }
            let most = try await client.post("/api/v1/batch", json: #"{"audio_urls": [\#(fifty)]}"#, headers: key)
            XCTAssertEqual(most.status, .accepted, "50 URLs is the most")
        }
    }
}
