import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// The breaking-point search: its grammar, its steps, and a search against the demo target run with a
/// known capacity (`--capacity 4`: more than 8 requests in flight are refused with 503; its default latency
/// keeps each user's request in flight long enough to overlap), which must find
/// the step where that capacity is crossed.
final class LimitSearchTests: XCTestCase {
    func testASearchReadsItsStepsAndRefusesWhatIsMalformed() throws {
        let users = try LimitSearch(parsing: "users:100..450 step 100 every 30s")
        XCTAssertEqual(users.load, .users)
        XCTAssertEqual(users.steps, [100, 200, 300, 400, 450], "the last step is the top of the range")
        XCTAssertEqual(users.every, 30)
        let rate = try LimitSearch(parsing: "rate:0.5..2 step 0.5 every 1m")
        XCTAssertEqual(rate.steps, [0.5, 1, 1.5, 2])
        XCTAssertEqual(rate.name(of: 1.5), "1.5/s")
        let shape = users.shape(spawnRate: 100)
        XCTAssertEqual(shape.tick(elapsed: 0)?.users, 100)
        XCTAssertEqual(shape.tick(elapsed: 61)?.users, 300)
        XCTAssertEqual(shape.tick(elapsed: 61)?.stage, "300 users")
        XCTAssertNil(shape.tick(elapsed: 150), "after the last step the run ends")
        XCTAssertEqual(rate.shape(spawnRate: 0).tick(elapsed: 60)?.arrivalRate, 1)

        let cases: [(String, String)] = [
            ("users:100..5000", "expected \(LimitSearch.form), got 'users:100..5000'"),
            ("conns:1..5 step 1 every 1s", "expected users or rate before ':', got 'conns'"),
            ("users:5..1 step 1 every 1s", "from 5 is above to 1; expected FROM..TO rising"),
            ("users:1..5 step 0 every 1s", "step: expected an integer number of users from 1 to 1000000, got '0'"),
            ("users:1..5 step 1 every 0", "every: expected a stage duration from 1ms to 720h (30 days), got '0'"),
            ("rate:1..1000 step 1 every 1s", "1000 steps from 1 to 1000 by 1; expected at most 100 (each step keeps its own histograms): take a larger step"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try LimitSearch(parsing: text), text) { error in
                XCTAssertEqual((error as? InputError)?.message, message, text)
            }
        }
    }

    func testTheSearchFindsTheStepWhereTheTargetsCapacityIsCrossed() throws {
        let target = DemoTargetProcess(arguments: ["--capacity", "4"])
        try target.start()
        defer { target.stop() }
        let html = FileManager.default.temporaryDirectory.appendingPathComponent("limit-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: html) }
        let run = try CicadaBinary.run([target.baseURL + "/health", "--find-limit", "users:2..14 step 2 every 1s",
                                        "--threshold", "http_req_failed: rate < 0.01", "--html", html], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, "a search that found its limit has done its job: \(run.stderr)")
        let limit = try XCTUnwrap(run.summary?["limit"] as? [String: Any], run.stdout)
        XCTAssertEqual((limit["held"] as? NSNumber)?.intValue, 8, "8 users keep at most 8 requests in flight: 2N")
        XCTAssertEqual((limit["broke"] as? NSNumber)?.intValue, 10, "10 users pass 2N and get 503s")
        let brokenBy = try XCTUnwrap(limit["broken_by"] as? [String])
        XCTAssertEqual(brokenBy.count, 1)
        XCTAssertTrue(brokenBy[0].hasPrefix("http_req_failed: rate < 0.01 (observed "), brokenBy[0])
        let stages = try XCTUnwrap(run.summary?["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.map { $0["name"] as? String }, ["2 users", "4 users", "6 users", "8 users", "10 users"],
                       "the run ends at the step that broke")
        XCTAssertTrue(run.stdout.contains("held up to 8 users; broke at 10 users: http_req_failed"), run.stdout)
        // The report's verdict is the finding, not a FAIL of the thresholds the search used as criteria.
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<p id=\"verdict\">Breaking point (users:2..14 step 2 every 1s): held up to 8 users; broke at 10 users"),
                      String(page.prefix(3000)))
        XCTAssertTrue(page.contains("<td>10 users</td><td><span class=\"fail\">broke</span></td>"), "the steps' table")
    }

    func testEveryStepHoldingSaysSoAndASearchNeedsThresholds() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let run = try CicadaBinary.run([server.baseURL + "/ok", "--find-limit", "rate:20..40 step 20 every 500ms",
                                        "--max-users", "4", "--threshold", "http_req_failed: rate < 0.01"], timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let limit = try XCTUnwrap(run.summary?["limit"] as? [String: Any])
        XCTAssertEqual((limit["held"] as? NSNumber)?.doubleValue, 40)
        XCTAssertNil(limit["broke"])
        XCTAssertNotNil(run.summary?["arrival"], "a search of rates runs the open model")
        XCTAssertTrue(run.stdout.contains("held up to 40/s; no step broke a threshold"), run.stdout)

        let bare = try CicadaBinary.run([server.baseURL + "/ok", "--find-limit", "users:1..2 step 1 every 1s"], json: false)
        XCTAssertEqual(bare.exitCode, 2)
        XCTAssertTrue(bare.stderr.contains("--find-limit judges each step by the thresholds"), bare.stderr)
        let both = try CicadaBinary.run([server.baseURL + "/ok", "--find-limit", "users:1..2 step 1 every 1s", "-u", "3"], json: false)
        XCTAssertEqual(both.exitCode, 2)
        XCTAssertTrue(both.stderr.contains("give it without --stages, -u/--users or --arrival-rate"), both.stderr)
    }
}
