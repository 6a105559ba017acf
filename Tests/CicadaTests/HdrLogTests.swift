import CicadaTestSupport
import Foundation
import XCTest
@testable import Cicada

/// `--hdr-log FILE` writes HdrHistogram's interval log, and HdrHistogram's own readers read it: PyPI's
/// `hdrhistogram` (its `HistogramLogReader`, from the venv that scripts/lib.sh's `ensure_test_python` makes)
/// and the Java library's `HistogramLogProcessor` (Debian's libhdrhistogram-java). What they decode must
/// count exactly the successful requests of the run's JSON summary, per interval and per endpoint.
final class HdrLogTests: XCTestCase {
    private var server: FaultServer!
    private var directory: String!

    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized
    private static let python = repository.appendingPathComponent(".build/test-python/bin/python").path
    private static let reader = repository.appendingPathComponent("Tests/CicadaTests/Data/hdr-log/read_hlog.py").path
    private static let javaLibrary = "/usr/share/java/hdrhistogram.jar"

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-hdr-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// What the Python reader decoded from `path` (see read_hlog.py), or its exit status and complaint.
    private func pythonRead(_ path: String) throws -> (status: Int32, json: [String: Any]?, err: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            XCTFail("no Python venv with PyPI's hdrhistogram at \(Self.python): run scripts/test, or source scripts/lib.sh and run ensure_test_python")
            return (-1, nil, "")
        }
        let (status, out, err) = try CicadaBinary.tool(Self.python, [Self.reader, path])
        let json = status == 0 ? try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] : nil
        return (status, json, err)
    }

    func testPythonsAndJavasReadersDecodeEveryIntervalAndCountEverySuccess() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: constant(0.005)
                tasks:
                  - {path: /ok, weight: 3}
                  - {path: "/slow/3", endpoint: "slow one, 3 ms"}
            """)
        let log = directory + "/run.hlog"
        let run = try CicadaBinary.run([scenario, "--host", server.baseURL, "-u", "4", "-t", "3s", "--hdr-log", log],
                                       timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("#[Histogram log format version 1.3]\n#[StartTime: "), String(text.prefix(200)))
        XCTAssertTrue(text.contains("\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["run.hlog"],
                       "the temporary file was renamed into place")

        let decoded = try pythonRead(log)
        XCTAssertEqual(decoded.status, 0, decoded.err)
        let json = try XCTUnwrap(decoded.json)
        let tags = try XCTUnwrap(json["tags"] as? [String: [String: Any]])
        XCTAssertEqual(Set(tags.keys), ["", "GET:/ok", "GET:slow%20one%2C%203%20ms"],
                       "the aggregate, untagged, and each endpoint, its name's space and comma escaped")
        let lines = try XCTUnwrap(json["interval_lines"] as? Int)
        XCTAssertEqual(lines, tags.values.reduce(0) { $0 + ($1["counts"] as! [Int]).count },
                       "the reader decoded every interval line; none was skipped")

        // The aggregate: one interval per second of the history, each with its second's requests.
        let all = try XCTUnwrap(tags[""])
        let history = try XCTUnwrap(run.summary?["history"] as? [[String: Any]])
        XCTAssertEqual(all["counts"] as? [Int], history.map { ($0["requests"] as! NSNumber).intValue },
                       "every request succeeded, so each interval holds its second's requests")
        let starts = try XCTUnwrap(all["starts"] as? [Double])
        let lengths = try XCTUnwrap(all["lengths"] as? [Double])
        XCTAssertEqual(starts.first, 0)
        for index in 1..<starts.count {
            XCTAssertEqual(starts[index], starts[index - 1] + lengths[index - 1], accuracy: 0.0015, "intervals follow each other")
        }
        let duration = try XCTUnwrap((run.totals["duration_s"] as? NSNumber)?.doubleValue)
        XCTAssertEqual(starts.last! + lengths.last!, duration, accuracy: 0.01, "the last interval ends with the run")

        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 100)
        XCTAssertEqual(all["total"] as? Int, successes, "the merged intervals count every successful request")
        let endpoints = try XCTUnwrap(run.summary?["endpoints"] as? [[String: Any]])
        for (tag, name) in [("GET:/ok", "/ok"), ("GET:slow%20one%2C%203%20ms", "slow one, 3 ms")] {
            let endpoint = try XCTUnwrap(endpoints.first { $0["name"] as? String == name })
            XCTAssertEqual(tags[tag]?["total"] as? Int, (endpoint["successes"] as! NSNumber).intValue, tag)
        }
        // The same buckets as the summary's histograms: the p99 at the same rank (Java's rule, which Cicada's
        // histograms follow; the Python package rounds the rank, so its own p99 may be a sample away) is the
        // same value, to the microsecond the JSON keeps.
        let p99 = try XCTUnwrap((run.totals["response_time_ms"] as? [String: Any])?["p99"] as? NSNumber).doubleValue
        let decodedP99 = Double(try XCTUnwrap(all["p99_ceiling_rank"] as? Int)) / 1000
        XCTAssertEqual(decodedP99, p99, accuracy: 0.0005, "p99 from the log vs the summary")
        XCTAssertGreaterThanOrEqual(decodedP99, 3, "a quarter of the requests wait 3 ms at the server")

        // HdrHistogram's own tool: HistogramLogProcessor reads the untagged lines by default, a tag's with -tag.
        for (tag, expected) in [(nil, successes), ("GET:/ok", tags["GET:/ok"]?["total"] as? Int ?? -1)] {
            let arguments = ["-cp", Self.javaLibrary, "org.HdrHistogram.HistogramLogProcessor", "-i", log,
                             "-outputValueUnitRatio", "1000"] + (tag.map { ["-tag", $0] } ?? [])
            let processed = try CicadaBinary.tool("/usr/bin/java", arguments)
            XCTAssertEqual(processed.status, 0, "java HistogramLogProcessor (apt: libhdrhistogram-java): \(processed.stderr)")
            XCTAssertEqual(Self.totalCount(processed.stdout), expected, "\(tag ?? "untagged"): \(processed.stdout.suffix(300))")
        }
    }

    /// The `Total count` of HistogramLogProcessor's percentile distribution (`#[Max = ..., Total count = N]`).
    private static func totalCount(_ output: String) -> Int? {
        guard let label = output.range(of: "Total count") else { return nil }
        let rest = output[label.upperBound...].drop { $0 == " " || $0 == "=" }
        return Int(rest.prefix { $0.isNumber })
    }

    /// The decoder checks what it reads: a line whose compressed histogram was changed is refused, so the
    /// test above would see a broken encoding.
    func testACorruptedIntervalIsRejectedByTheDecoder() throws {
        let log = directory + "/run.hlog"
        let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "2", "-t", "1s", "--wait", "0.01", "--hdr-log", log],
                                       timeout: 60)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(try pythonRead(log).status, 0)
        var lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try XCTUnwrap(lines.firstIndex { $0.first?.isNumber == true })
        // Change one base64 character inside the deflated bytes (past the 8-byte header's 12 characters).
        var characters = Array(lines[index])
        let position = try XCTUnwrap(lines[index].range(of: "HIST")).lowerBound.utf16Offset(in: lines[index]) + 20
        characters[position] = characters[position] == "A" ? "B" : "A"
        lines[index] = String(characters)
        let corrupted = directory + "/corrupted.hlog"
        try lines.joined(separator: "\n").write(toFile: corrupted, atomically: true, encoding: .utf8)
        let decoded = try pythonRead(corrupted)
        XCTAssertEqual(decoded.status, 1, "a corrupted interval must not decode")
        XCTAssertTrue(decoded.err.hasPrefix("rejected: "), decoded.err)
    }

    /// A path that cannot be written is refused before any load, as every report's.
    func testAnHdrLogPathThatCannotBeWrittenIsRefusedBeforeAnyLoad() throws {
        for path in [directory!, directory + "/missing/run.hlog"] {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-u", "1", "-t", "1s", "--hdr-log", path], json: false)
            XCTAssertEqual(run.exitCode, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("--hdr-log: "), run.stderr)
        }
        XCTAssertEqual(server.count(path: "/ok"), 0, "no load was sent")
    }

    /// HdrHistogram's ZigZag LEB128, byte for byte as its Java `ZigZagEncoding.putLong` writes it, 64-bit
    /// values in 9 bytes included; the counts of a small histogram with a single zero and a run of zeros; and
    /// a whole compressed histogram as the Python package encodes it.
    func testCountsAreEncodedAsHdrHistogramEncodesThem() throws {
        let cases: [(Int64, [UInt8])] = [
            (0, [0x00]), (1, [0x02]), (-1, [0x01]), (-2, [0x03]), (63, [0x7E]), (64, [0x80, 0x01]), (300, [0xD8, 0x04]),
            (1 << 62, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]),
            (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        ]
        for (value, expected) in cases {
            var bytes: [UInt8] = []
            HistogramEncoding.appendZigZag(value, to: &bytes)
            XCTAssertEqual(bytes, expected, "\(value)")
        }
        var histogram = makeLatencyHistogram()
        histogram.record(1, count: 2)
        histogram.record(3)
        histogram.record(2048) // the first value of bucket 1: index 2048, after 2044 empty counts
        XCTAssertEqual(HistogramEncoding.encodedCounts(histogram), [0x00, 0x04, 0x00, 0x02, 0xF7, 0x1F, 0x02])
        let payload = HistogramEncoding.payload(histogram)
        XCTAssertEqual(Array(payload.prefix(16)), [0x1C, 0x84, 0x93, 0x13, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3])
        XCTAssertEqual(payload.count, HistogramEncoding.headerBytes + 7)

        // The whole compressed form, against the Python package's own encoder of the same histogram (both
        // deflate with zlib's default level).
        var sample = makeLatencyHistogram()
        sample.record(300, count: 100)
        sample.record(301, count: 5)
        sample.record(1873)
        sample.record(4683)
        let script = """
            from hdrh.histogram import HdrHistogram
            h = HdrHistogram(1, 60_000_000, 3)
            for value, count in ((300, 100), (301, 5), (1873, 1), (4683, 1)):
                h.record_value(value, count)
            print(h.encode().decode())
            """
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            return XCTFail("no Python venv with PyPI's hdrhistogram at \(Self.python)")
        }
        let python = try CicadaBinary.tool(Self.python, ["-c", script])
        XCTAssertEqual(python.status, 0, python.stderr)
        XCTAssertEqual(HistogramEncoding.compressedBase64(sample), python.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
