import Cicada
import Foundation

/// The demo's target: this same binary as `cicada target --port 0`, a child process of its own, so that its
/// CPU and memory are its own and the run watches them by PID as a user would watch a real service. Its
/// output goes to a log file in the demo's folder; the URL it listens on is read from that log's first line.
final class DemoTargetChild {
    let process = Process()
    let logPath: String
    private(set) var baseURL = ""

    /// Starts the target and waits (at most 15 s) for its "listening on" line.
    /// - Parameter arguments: what follows `cicada target --port 0`.
    /// - Throws: ``SetupError`` when it cannot start or does not listen in time, with its log's last lines.
    init(arguments: [String], logPath: String) throws {
        self.logPath = logPath
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw SetupError("cannot write the target's log \(logPath)")
        }
        // The binary that runs now: /proc/self/exe is right wherever it was started from.
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                                    ?? CommandLine.arguments[0])
        process.arguments = ["target", "--port", "0", "--exit-with-parent"] + arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw SetupError("cannot start the demo target: \(error)") }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, process.isRunning {
            if let line = (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").first,
               let range = line.range(of: "listening on ") {
                baseURL = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                return
            }
            usleep(20_000)
        }
        stop()
        let tail = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5).joined(separator: "\n")
        throw SetupError("the demo target did not start listening within 15 s; its log (\(logPath)):\n\(tail)")
    }

    var pid: Int32 { process.processIdentifier }

    /// Stops the target with SIGTERM (its graceful stop), and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}
