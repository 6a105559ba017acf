import CicadaTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `cicada target` as a parent process runs it: read the port from the first line, send a request over a
/// plain socket, stop it with SIGTERM.
final class TargetBinaryTests: XCTestCase {
    static var binary: String { DemoTargetProcess.binary }

    func testTheBinaryPrintsItsPortAnswersAndStopsOnSIGTERM() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["target", "--port", "0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let line = try XCTUnwrap(DemoTargetProcess.firstLine(of: stdout.fileHandleForReading, timeout: 20), "no line on stdout")
        let prefix = "cicada target listening on http://127.0.0.1:"
        XCTAssertTrue(line.hasPrefix(prefix), line)
        let port = try XCTUnwrap(Int(line.dropFirst(prefix.count)), line)
        XCTAssertGreaterThan(port, 0)

        let response = try DemoTargetProcess.exchange(port: port, request: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
        XCTAssertTrue(response.hasSuffix(#"{"status":"ok"}"#), response)

        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(process.isRunning, "still running 20 s after SIGTERM")
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        let rest = stdout.fileHandleForReading.readDataToEndOfFile()
        XCTAssertEqual(String(decoding: rest, as: UTF8.self), "", "exactly one line on stdout")
    }

    func testBadOptionsExitTwo() throws {
        for arguments in [["--error-rate", "1.5"], ["--port", "70000"], ["--capacity", "-1"], ["--log-level", "loud"], ["--token-ttl", "0"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["target"] + arguments
            let stderr = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = stderr
            try process.run()
            let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 2, "\(arguments): \(message)")
            XCTAssertTrue(message.contains(arguments[0]), "\(arguments) names the option: \(message)")
        }
    }

    func testHelpDocumentsEveryOption() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["target", "--help"]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let help = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        for option in ["--host", "--port", "--token-ttl", "--api-key", "--job-seconds", "--latency-scale", "--error-rate",
                       "--capacity", "--store-limit", "--retention", "--log-level"] {
            XCTAssertTrue(help.contains(option), "help documents \(option)")
        }
    }
}
