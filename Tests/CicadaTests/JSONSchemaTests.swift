import CicadaTestSupport
import Foundation
import XCTest

/// Real runs' JSON summaries validate against docs/json-summary.schema.json, checked by an independent
/// validator (Debian's python3-jsonschema, Draft 2020-12), and the schema is strict enough to refuse a
/// summary that lacks a key or carries one it does not describe.
final class JSONSchemaTests: XCTestCase {
    private static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/json-summary.schema.json").standardized.path

    /// The validator's complaints about `summary`, one per line; empty when it is valid.
    private func violations(_ summary: Data) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString).json")
        try summary.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            for error in jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))):
                print(error.json_path, error.message[:300])
            """
        let (status, text, problem) = try CicadaBinary.tool("/usr/bin/python3", ["-c", script, Self.schema, file.path])
        XCTAssertEqual(status, 0, "the validator ran (apt: python3-jsonschema): \(problem)")
        return text.split(separator: "\n").map(String.init)
    }

    private func summary(_ run: CicadaRun) throws -> Data {
        try JSONSerialization.data(withJSONObject: try XCTUnwrap(run.summary, run.stderr))
    }

    func testSummariesOfDifferentRunsValidate() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        // A plain URL run whose requests fail.
        let failing = try CicadaBinary.run([server.baseURL + "/status/503", "-u", "2", "-t", "1s", "--wait", "0.01"])
        XCTAssertEqual(failing.exitCode, 1, failing.stderr)
        XCTAssertEqual(try violations(try summary(failing)), [])

        // Stages, thresholds (one with no sample: observed null), a watched process, checks and captures.
        let watched = Process()
        watched.executableURL = URL(fileURLWithPath: "/bin/sleep")
        watched.arguments = ["30"]
        try watched.run()
        defer { watched.terminate() }
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks:
                  - {path: /ok, check: {status: 200}}
                  - {path: /status/404, check: {status: 200}}
            stages:
              - {name: warm, users: 2, spawn_rate: 10, duration: 1s}
              - {name: hold, users: 3, spawn_rate: 10, duration: 1s}
            thresholds:
              http_req_duration: ["p(95) < 2s"]
              "http_req_duration{endpoint:/status/404}": ["p(99) < 1s"]
              "http_reqs{stage:hold}": ["count > 1"]
              target_rss: ["slope < 100MiB/min"]
            """)
        let staged = try CicadaBinary.run([scenario, "--host", server.baseURL, "--monitor-pid", String(watched.processIdentifier)])
        XCTAssertEqual(staged.exitCode, 3, "the /status/404 threshold has no sample and fails: \(staged.stderr)")
        let data = try summary(staged)
        XCTAssertEqual(try violations(data), [])

        // The open model, with rate stages, a queue and drops: the arrival block, stages' arrival_rate and
        // each total's and point's dropped.
        let open = try CicadaBinary.run([server.baseURL + "/slow/20", "--stages", "up:100/s/500ms,hold:100/s/500ms",
                                         "--max-users", "1", "--on-saturation", "queue", "--queue-limit", "5",
                                         "--threshold", "dropped_iterations{stage:hold}: rate < 1"])
        XCTAssertEqual(open.exitCode, 3, "the queue overflows, so the hold stage drops: \(open.stdout)")
        let openData = try summary(open)
        XCTAssertEqual(try violations(openData), [])
        XCTAssertGreaterThan(open.total("dropped"), 0)

        // The schema is strict: a key missing or one it does not describe is refused.
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["totals"] = (object["totals"] as? [String: Any])?.filter { $0.key != "rps" }
        object["surprise"] = 1
        let problems = try violations(try JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("'rps' is a required property") }, "\(problems)")
    }
}
