import Foundation
import XCTest

/// A `cicada` process a test talks to while it runs (the web UI, `/metrics`, the demo's target): its
/// standard output is read by a thread of its own, so that the test can wait for a line without blocking
/// on a process that prints nothing. Killed when released, if still running.
final class CicadaChild: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var printed = ""

    /// Starts `binary ARGS` (standard error is discarded unless `stderr` names a file).
    init(_ arguments: [String], binary: String = CicadaBinary.path, stderr: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        if let stderr {
            FileManager.default.createFile(atPath: stderr, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let reader = Thread { [self] in
            while true {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { return }
                lock.withLock { printed += String(decoding: data, as: UTF8.self) }
            }
        }
        reader.start()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// What the process printed so far.
    var output: String { lock.withLock { printed } }

    /// The rest of the first line that starts with `prefix`, once printed.
    /// - Throws: when none is printed within `timeout` seconds.
    func line(startingWith prefix: String, timeout: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            // Complete lines only: the last piece may still be being written.
            let text = output
            let complete = text.lastIndex(of: "\n").map { text[..<$0] } ?? ""
            if let line = complete.split(separator: "\n", omittingEmptySubsequences: false).first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count))
            }
            if !process.isRunning, !output.contains(prefix) { break }
            usleep(20_000)
        }
        throw ChildError(description: "no line starting with '\(prefix)' within \(timeout) s; printed: \(output.suffix(2000))")
    }

    /// Sends `signal` and waits at most `timeout` seconds for the exit; returns the exit code.
    @discardableResult
    func stop(signal: Int32 = SIGINT, timeout: Double = 60) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        CicadaBinary.waitForExit(process, timeout: timeout, "cicada exits after signal \(signal)")
        return process.terminationStatus
    }
}

struct ChildError: Error, CustomStringConvertible {
    let description: String
}
