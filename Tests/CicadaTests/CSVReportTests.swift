import CSV
import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// `--csv PREFIX` writes Locust's four files: header lines identical to Locust 2.47's (held as test data,
/// written by Locust itself), rows that count what the server received, a history row a second, and every
/// path checked before any load.
final class CSVReportTests: XCTestCase {
    private var server: FaultServer!
    private var directory: String!

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-csv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    private static let files = ["stats", "stats_history", "failures", "exceptions"]

    /// The first line of Locust's file `name`, CRLF included.
    private func locustHeader(_ name: String) throws -> String {
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Data/locust-2.47-csv-headers/\(name).csv")
        return try String(contentsOf: data, encoding: .utf8)
    }

    /// The rows of a CSV file (header first), read by CSV.swift.
    private func rows(_ path: String) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let reader = try CSVReader(string: text, hasHeaderRow: false)
        return reader.map { $0 }
    }

    /// A two-endpoint scenario against the fault server: /ok succeeds, /status/500 fails.
    private func run(_ extra: [String], seconds: String = "3s") throws -> CicadaRun {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.01)
                tasks:
                  - {path: /ok}
                  - {path: /status/500}
            """)
        return try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "3", "-t", seconds] + extra, timeout: 60)
    }

    func testTheFourFilesHaveLocustsHeadersAndCountWhatTheServerReceived() throws {
        let prefix = directory + "/run"
        let run = try run(["--csv", prefix, "--csv-full-history"])
        XCTAssertEqual(run.exitCode, 1, "requests failed and no threshold was given: \(run.stderr)")
        for name in Self.files {
            let text = try String(contentsOfFile: "\(prefix)_\(name).csv", encoding: .utf8)
            let header = try locustHeader(name)
            XCTAssertTrue(text.hasPrefix(header), "\(name): \(text.prefix(300))")
            XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "\(name): every line ends in CRLF")
        }

        // _stats.csv: a row per endpoint, sorted by name, then Aggregated; counts as the server saw them.
        let stats = try rows(prefix + "_stats.csv")
        XCTAssertEqual(stats.map { $0[1] }, ["Name", "/ok", "/status/500", "Aggregated"])
        XCTAssertEqual(stats[3][0], "", "the Aggregated row has no method, as Locust's")
        let ok = try XCTUnwrap(Int(stats[1][2]))
        let failed = try XCTUnwrap(Int(stats[2][2]))
        XCTAssertEqual(ok, server.count(path: "/ok"))
        XCTAssertEqual(failed, server.count(path: "/status/500"))
        XCTAssertEqual(Int(stats[2][3]), failed, "every /status/500 request failed")
        XCTAssertEqual(Int(stats[1][3]), 0)
        XCTAssertEqual(Int(stats[3][2]), ok + failed)
        XCTAssertEqual(Int(stats[3][2]), run.totals["requests"] as? Int, "the CSV and the JSON count the same requests")
        XCTAssertEqual(stats[2][11...].map { $0 }, Array(repeating: "N/A", count: 11),
                       "an endpoint without a successful request has no percentiles")
        let percentiles = try stats[1][11...].map { try XCTUnwrap(Int($0), $0) }
        XCTAssertEqual(percentiles, percentiles.sorted(), "50% ... 100% never decrease")
        XCTAssertGreaterThan(try XCTUnwrap(Double(stats[1][9])), 10, "Requests/s over the run")

        // _stats_history.csv: for each second a row per endpoint and an Aggregated one, timestamps rising by
        // about one; the last row's totals are the run's.
        let history = try rows(prefix + "_stats_history.csv").dropFirst()
        let aggregated = history.filter { $0[3] == "Aggregated" }
        XCTAssertEqual(history.count, aggregated.count * 3, "each second has /ok, /status/500 and Aggregated")
        XCTAssertTrue((3...5).contains(aggregated.count), "a 3 s run and its stop: \(aggregated.count) seconds")
        let stamps = try aggregated.map { try XCTUnwrap(Int($0[0])) }
        XCTAssertEqual(stamps, stamps.sorted())
        XCTAssertLessThanOrEqual(try XCTUnwrap(stamps.last) - stamps[0], 5)
        XCTAssertLessThan(abs(Double(stamps[0]) - Date().timeIntervalSince1970), 120, "Unix seconds of this run")
        XCTAssertEqual(Int(try XCTUnwrap(aggregated.last)[17]), ok + failed, "Total Request Count at the end")
        XCTAssertEqual(Int(try XCTUnwrap(aggregated.last)[18]), failed, "Total Failure Count at the end")
        XCTAssertEqual(aggregated[0][1], "3", "User Count")
        XCTAssertNotNil(aggregated[1][4].range(of: #"^\d+\.\d{6}$"#, options: .regularExpression), "Requests/s as %2f: \(aggregated[1][4])")

        // _failures.csv: one row, with its occurrences and when it was first and last seen.
        let failures = try rows(prefix + "_failures.csv")
        XCTAssertEqual(failures.count, 2)
        XCTAssertEqual(failures[1][0...1].map { $0 }, ["GET", "/status/500"])
        XCTAssertEqual(Int(failures[1][3]), failed)
        let format = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#
        XCTAssertNotNil(failures[1][4].range(of: format, options: .regularExpression), failures[1][4])
        XCTAssertLessThanOrEqual(failures[1][4], failures[1][5])

        XCTAssertEqual(try rows(prefix + "_exceptions.csv").count, 1, "Cicada has no Python exceptions: the header alone")
    }

    func testWithoutFullHistoryTheHistoryHoldsTheAggregatedRowAlone() throws {
        let prefix = directory + "/short"
        let run = try run(["--csv", prefix], seconds: "2s")
        XCTAssertEqual(run.exitCode, 1, run.stderr)
        let history = try rows(prefix + "_stats_history.csv").dropFirst()
        XCTAssertFalse(history.isEmpty)
        XCTAssertEqual(Set(history.map { $0[3] }), ["Aggregated"])
    }

    func testCSVPathsThatCannotBeWrittenAreRefusedBeforeAnyLoad() throws {
        let cases: [([String], String)] = [
            (["--csv", directory + "/missing/run"], "--csv: the directory '\(directory!)/missing' does not exist"),
            (["--csv", "/proc/cicada"], "--csv: cannot create a file in '/proc'"),
            (["--csv-full-history"], "--csv-full-history adds to the files of --csv PREFIX"),
            (["--csv", ""], "--csv: the CSV prefix is empty"),
        ]
        for (options, message) in cases {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-t", "1s"] + options, json: false)
            XCTAssertEqual(run.exitCode, 2, "\(options): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(options): \(run.stderr)")
        }
        XCTAssertEqual(server.connectionsAccepted, 0, "no load was sent")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "the checks leave nothing behind")
    }
}
