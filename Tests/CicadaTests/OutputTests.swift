import CicadaTestSupport
import Foundation
import XCTest

/// Where the reports go and what happens when that fails: a path that cannot be written is refused before
/// any load; a console that fails during the run is a warning, and the run, its JSON and its exit code stay.
final class OutputTests: XCTestCase {
    private var server: FaultServer!
    private var directory: String!

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-output-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Starts `cicada run ARGS` with the given standard output and error.
    private func launch(_ arguments: [String], stdout: FileHandle, stderr: FileHandle) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CicadaBinary.path)
        process.arguments = ["run", "--headless"] + arguments
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }

    /// A file in the test's directory, opened for writing, to stand for stderr.
    private func file(_ name: String) throws -> (path: String, handle: FileHandle) {
        let path = directory + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        return (path, try XCTUnwrap(FileHandle(forWritingAtPath: path)))
    }

    private func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// The totals of the JSON summary at `path`; fails the test when there is none.
    private func totals(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Int] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "a summary at \(path)", file: file, line: line)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], file: file, line: line)
        let totals = try XCTUnwrap(json["totals"] as? [String: Any], file: file, line: line)
        return totals.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// A finished run was not ended by a signal, exited with `status`, and its summary counts what the
    /// fault server received on `path`.
    private func assertFinished(_ process: Process, status: Int32, summary: String, path: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(process.terminationReason, .exit, "no signal ends the run", file: file, line: line)
        XCTAssertEqual(process.terminationStatus, status, file: file, line: line)
        let requests = try XCTUnwrap(try totals(summary, file: file, line: line)["requests"], file: file, line: line)
        XCTAssertGreaterThan(requests, 0, file: file, line: line)
        XCTAssertEqual(requests, server.count(path: path), "the summary counts what the server received", file: file, line: line)
    }

    func testUnwritableJSONPathsAreRefusedBeforeAnyLoad() throws {
        let plainFile = try file("a-file").path
        let cases = [
            (directory!, "is a directory"),
            (directory + "/missing/summary.json", "the directory '\(directory!)/missing' does not exist"),
            ("/proc/cicada-summary.json", "cannot create a file in '/proc'"),
            ("/proc/self/status", "cannot create a file in '/proc/"),
            (plainFile + "/summary.json", "Not a directory"),
        ]
        for (path, message) in cases {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-t", "1s", "--json", path], json: false)
            XCTAssertEqual(run.exitCode, 2, "\(path): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--json: ") && run.stderr.contains(message), "\(path): \(run.stderr)")
            XCTAssertEqual(server.connectionsAccepted, 0, "\(path): no load was sent")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["a-file"], "the checks leave nothing behind")
    }

    func testASetupErrorWithAFullStderrStillExitsTwo() throws {
        let process = try launch([server.baseURL + "/ok", "--json", directory], stdout: FileHandle.nullDevice,
                                 stderr: try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full")))
        CicadaBinary.waitForExit(process, timeout: 30, "cicada exits")
        XCTAssertEqual(process.terminationReason, .exit, "no signal, no trap")
        XCTAssertEqual(process.terminationStatus, 2)
    }

    func testAStdoutClosedAfterItsFirstLineKeepsTheRunItsJSONAndItsExitCode() throws {
        // As `cicada run ... | head -1`: the reader takes one line and goes. The pipe is made here, close-on-exec,
        // so that the child holds only its stdout end and its writes fail once the reader has gone.
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let reader = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
        let writer = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        let summary = directory + "/summary.json"
        let stderr = try file("stderr")
        let process = try launch([server.baseURL + "/ok", "-u", "2", "-t", "1s", "--wait", "0.01", "--json", summary],
                                 stdout: writer, stderr: stderr.handle)
        try writer.close()
        var firstLine = ""
        while !firstLine.contains("\n") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            firstLine += String(decoding: chunk, as: UTF8.self)
        }
        try reader.close()
        XCTAssertTrue(firstLine.hasPrefix("cicada "), firstLine)
        CicadaBinary.waitForExit(process, timeout: 30, "the run ends at its run time")
        try assertFinished(process, status: 0, summary: summary, path: "/ok")
        let warnings = text(stderr.path).components(separatedBy: "cannot write to standard output").count - 1
        XCTAssertEqual(warnings, 1, "one warning: \(text(stderr.path))")
    }

    func testAFullStdoutKeepsTheRunItsJSONAndItsExitCode() throws {
        // The exit code follows the results; stderr full too must not end the run either.
        for (path, status, stderrFull) in [("/ok", Int32(0), false), ("/status/500", 1, false), ("/ok", 0, true)] {
            let summary = directory + "/summary-\(status)-\(stderrFull).json"
            let stderr = try file("stderr-\(status)-\(stderrFull)")
            let full = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
            server.resetCounts()
            let process = try launch([server.baseURL + path, "-u", "2", "-t", "1s", "--wait", "0.01", "--json", summary],
                                     stdout: full, stderr: stderrFull ? full : stderr.handle)
            CicadaBinary.waitForExit(process, timeout: 30, "\(path): the run ends at its run time")
            try assertFinished(process, status: status, summary: summary, path: path)
            if !stderrFull {
                XCTAssertTrue(text(stderr.path).contains("cannot write to standard output (No space left on device)"),
                              text(stderr.path))
            }
        }
    }

    func testAnExistingReportIsReplacedWholeThroughItsLinkAndNothingIsLeftBeside() throws {
        let target = directory + "/summary.json"
        let link = directory + "/latest.json"
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let run = try CicadaBinary.run([server.baseURL + "/ok", "-t", "500ms", "--wait", "0.01", "--json", link], json: false)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target, "the link stays a link")
        XCTAssertEqual(try totals(target)["requests"], server.count(path: "/ok"))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: directory)), ["summary.json", "latest.json"],
                       "no temporary file is left")
    }

    func testAReportToTheFileThatIsStdoutIsAppendedAfterTheConsole() throws {
        // As `--json /dev/stdout > out.txt`, with a link of the test's own instead of /dev/stdout.
        let stdout = try file("stdout")
        let link = directory + "/stdout-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: stdout.path)
        let process = try launch([server.baseURL + "/ok", "-t", "500ms", "--wait", "0.01", "--json", link],
                                 stdout: stdout.handle, stderr: FileHandle.nullDevice)
        CicadaBinary.waitForExit(process, timeout: 30, "the run ends at its run time")
        XCTAssertEqual(process.terminationStatus, 0)
        let printed = text(stdout.path)
        let json = try XCTUnwrap(printed.range(of: "\n{\n"), printed)
        XCTAssertTrue(printed[..<json.lowerBound].contains("Totals:"), "the console's report comes first")
        let summary = try JSONSerialization.jsonObject(with: Data(printed[json.lowerBound...].utf8)) as? [String: Any]
        XCTAssertEqual(((summary?["totals"] as? [String: Any])?["requests"] as? NSNumber)?.intValue, server.count(path: "/ok"))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), stdout.path)
    }

    func testAReportThatCannotBeWrittenAfterTheRunExitsFourAndKeepsTheConsoleReport() throws {
        let folder = directory + "/reports"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let stdout = try file("stdout")
        let stderr = try file("stderr")
        let process = try launch([server.baseURL + "/ok", "-t", "1500ms", "--wait", "0.01", "--json", folder + "/summary.json"],
                                 stdout: stdout.handle, stderr: stderr.handle)
        // The path was checked before the run; once the run sends, its folder goes away.
        let started = Date().addingTimeInterval(15)
        while server.totalRequests == 0 && Date() < started { usleep(5_000) }
        try FileManager.default.removeItem(atPath: folder)
        CicadaBinary.waitForExit(process, timeout: 30, "the run ends at its run time")
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 4, text(stderr.path))
        XCTAssertTrue(text(stderr.path).contains("the JSON summary was not written"), text(stderr.path))
        XCTAssertTrue(text(stdout.path).contains("Totals:"), "the console's report is printed")
    }
}
