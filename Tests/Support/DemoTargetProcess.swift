import Foundation
import Glibc

/// The project's demo target, `cicada target`, as a child process on 127.0.0.1, run the way a user runs
/// it: the binary built beside the test bundle, the port read from its first line of output, stopped with
/// SIGTERM. ``metrics()`` reads its Prometheus page, whose counters are the server's own account of what
/// it received.
public final class DemoTargetProcess {
    /// The `cicada` built beside the test bundle (both live in the build products folder).
    public static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("cicada").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return bundle.appendingPathComponent("cicada").path
    }

    public let arguments: [String]
    public private(set) var port = 0
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private var process: Process?

    /// `arguments` follow `cicada target --port 0`.
    public init(arguments: [String] = []) {
        self.arguments = arguments
    }

    deinit { stop() }

    /// Starts the target and waits (at most 30 s) for its "listening" line.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["target", "--port", "0"] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let prefix = "cicada target listening on http://127.0.0.1:"
        guard let line = Self.firstLine(of: stdout.fileHandleForReading, timeout: 30), line.hasPrefix(prefix),
              let port = Int(line.dropFirst(prefix.count)) else {
            stop()
            throw TestServerError.demoTargetDidNotStart(reason: "no listening line on its standard output within 30 s")
        }
        self.port = port
    }

    /// SIGTERM, then SIGKILL after 10 s.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    /// The body of `GET /metrics`.
    public func metrics() throws -> String {
        let response = try Self.exchange(port: port, request: "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        guard let split = response.range(of: "\r\n\r\n") else { throw TestServerError.demoTargetDidNotStart(reason: "GET /metrics got no response: \(response.prefix(200))") }
        return String(response[split.upperBound...])
    }

    /// The sum of the samples of counter `name` whose labels include every pair of `labels`
    /// (`samplemind_requests_total`, `["route": "/health"]`).
    public static func sum(_ metrics: String, _ name: String, labels: [String: String] = [:]) -> Double {
        var total = 0.0
        for line in metrics.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            var labelText = ""
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                labelText = String(line[line.index(after: open)..<close])
            }
            let matches = labels.allSatisfy { labelText.contains("\($0.key)=\"\($0.value)\"") }
            if matches, let value = line.split(separator: " ").last.flatMap({ Double($0) }) { total += value }
        }
        return total
    }

    /// Reads bytes until the first newline, for at most `timeout` seconds.
    public static func firstLine(of handle: FileHandle, timeout: TimeInterval) -> String? {
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

    /// Sends `request` to 127.0.0.1:`port` and reads until the server closes (at most `timeout` seconds),
    /// through ``LoopbackSocket/exchange(port:request:timeout:)``, for tests outside this module.
    public static func exchange(port: Int, request: String, timeout: TimeInterval = 10) throws -> String {
        guard let bytes = LoopbackSocket.exchange(port: port, request: request, timeout: timeout) else {
            throw TestServerError.systemCall("a request to 127.0.0.1:\(port)", errno: errno)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
