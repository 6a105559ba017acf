import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `cicada target` as a parent process runs it: read the port from the first line, send a request over a
/// plain socket, stop it with SIGTERM.
final class TargetBinaryTests: XCTestCase {
    /// The `cicada` built beside the test bundle (both live in the build products folder).
    static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("cicada").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return bundle.appendingPathComponent("cicada").path
    }

    func testTheBinaryPrintsItsPortAnswersAndStopsOnSIGTERM() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["target", "--port", "0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let line = try XCTUnwrap(Self.firstLine(of: stdout.fileHandleForReading, timeout: 20), "no line on stdout")
        let prefix = "cicada target listening on http://127.0.0.1:"
        XCTAssertTrue(line.hasPrefix(prefix), line)
        let port = try XCTUnwrap(Int(line.dropFirst(prefix.count)), line)
        XCTAssertGreaterThan(port, 0)

        let response = try Self.exchange(port: port, request: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
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

    /// Reads bytes until the first newline, for at most `timeout` seconds.
    static func firstLine(of handle: FileHandle, timeout: TimeInterval) -> String? {
        let fd = handle.fileDescriptor
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) >= 0 else { return nil }
            if poller.revents == 0 { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    /// Sends `request` to 127.0.0.1:`port` and reads until the server closes.
    static func exchange(port: Int, request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.init(rawValue: errno) ?? .ECONNREFUSED) }
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
