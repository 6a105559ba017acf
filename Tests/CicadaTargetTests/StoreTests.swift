import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class StoreTests: XCTestCase {
    func testBoundedStoreDropsTheOldestPastItsLimit() {
        var store = BoundedStore<Int>(limit: 3, maxAge: 100)
        var evicted: [Int] = []
        for value in 1...5 { store.insert(value, for: "k\(value)", now: Double(value)) { evicted.append($0) } }
        XCTAssertEqual(store.count, 3)
        XCTAssertEqual(evicted, [1, 2])
        XCTAssertNil(store.value(for: "k1", now: 6))
        XCTAssertEqual(store.newest(10, now: 6), [5, 4, 3])
    }

    func testBoundedStoreExpiresByAgeAndUpdatesKeepTheirPlace() {
        var store = BoundedStore<String>(limit: 10, maxAge: 10)
        store.insert("a", for: "a", now: 0)
        store.insert("b", for: "b", now: 5)
        store.insert("a2", for: "a", now: 8)
        XCTAssertEqual(store.newest(10, now: 8), ["b", "a2"], "an update keeps the entry's place")
        XCTAssertEqual(store.value(for: "a", now: 10), "a2")
        XCTAssertNil(store.value(for: "a", now: 10.5), "its age counts from the first insert")
        XCTAssertEqual(store.value(for: "b", now: 15), "b")
        XCTAssertEqual(store.count, 1)
        XCTAssertNil(store.value(for: "b", now: 16))
        XCTAssertEqual(store.count, 0)
    }

    func testFIFOQueueCompactsAndKeepsOrder() {
        var queue = FIFOQueue<Int>()
        for value in 0..<5000 { queue.push(value) }
        for expected in 0..<4000 { XCTAssertEqual(queue.pop(), expected) }
        XCTAssertEqual(queue.count, 1000)
        XCTAssertEqual(queue.first, 4000)
        XCTAssertEqual(Array(queue.newestFirst.prefix(2)), [4999, 4998])
        queue.remove { $0 == 4500 }
        XCTAssertEqual(queue.count, 999)
    }

    /// 100,000 uploads from 1,000 users leave 50,000 files, the newest, and an owner index no larger.
    func testAHundredThousandUploadsLeaveTheStoresAtTheirBound() async throws {
        let target = await SampleMindTarget()
        let state = target.state
        let count = 100_000
        for index in 0..<count {
            let owner = "user:u\(index % 1000)"
            state.files.add(FileRecord(id: "file_\(index)", owner: owner, filename: "f.wav", contentType: "audio/wav",
                                       size: 1000, genre: nil, tags: []))
            state.analyses.insert(AnalysisRecord(id: "analysis_\(index)", owner: owner, fileID: "file_\(index)", audioURL: nil, type: .quick,
                                                 features: AudioFeatures(seed: "x", size: 1, genre: nil, type: .quick)),
                                  for: "analysis_\(index)")
            state.jobs.insert(JobRecord(id: "job_\(index)", owner: "key:k", urlCount: 1, webhookURL: nil, created: 0), for: "job_\(index)")
            state.users.insert(UserRecord(username: "u\(index)", role: .user), for: "u\(index)")
        }
        XCTAssertEqual(state.counts, TargetState.Counts(users: 50_000, files: 50_000, analyses: 50_000, jobs: 50_000))
        XCTAssertEqual(state.files.ownerCount, 1000)
        XCTAssertNil(state.files.file("file_49999", ownedBy: "user:u999"), "the oldest half is gone")
        XCTAssertNotNil(state.files.file("file_50000", ownedBy: "user:u0"))
        let page = state.files.page(ownedBy: "user:u7", page: 1, limit: 100)
        XCTAssertEqual(page.total, 50, "each owner keeps only their files still in the store")
        XCTAssertEqual(page.items.first?.id, "file_99007")
        XCTAssertEqual(page.items.last?.id, "file_50007")
    }

    func testUploadsThroughTheRouterStayWithinTheBound() async throws {
        try await withTarget(configure: { $0.storeLimit = 100 }) { client, target in
            let token = try await client.token()
            var last = ""
            for _ in 0..<300 { last = try await client.upload(token: token, bytes: 16) }
            XCTAssertEqual(target.state.counts.files, 100)
            let listing = try await client.get("/api/v1/files?limit=1", headers: bearer(token)).json()
            XCTAssertEqual(listing["total"] as? Int, 100)
            XCTAssertEqual((listing["items"] as? [[String: Any]])?.first?["file_id"] as? String, last)
        }
    }

    func testEntriesExpireByAge() async throws {
        try await withTarget(configure: { $0.retention = 0.3 }) { client, target in
            let token = try await client.token()
            let id = try await client.upload(token: token)
            let before = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "\#(id)", "analysis_type": "quick"}"#, headers: bearer(token))
            XCTAssertEqual(before.status, .ok)
            try await Task.sleep(for: .milliseconds(400))
            let after = try await client.post("/api/v1/audio/analyze", json: #"{"file_id": "\#(id)", "analysis_type": "quick"}"#, headers: bearer(token))
            XCTAssertEqual(after.status, .notFound, "the file is older than --retention")
            XCTAssertEqual(target.state.counts.files, 0)
            XCTAssertEqual(target.state.files.ownerCount, 0)
        }
    }
}
