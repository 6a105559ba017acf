import CicadaTestSupport
import Foundation
import XCTest

/// Runs the built `cicada` executable, as a user would, and collects what it printed and wrote.
struct CicadaRun {
    var exitCode: Int32
    /// Whether a signal ended the process; ``exitCode`` is then the signal's number.
    var signalled = false
    var stdout: String
    var stderr: String
    /// The `--json` summary, when the run wrote one.
    var summary: [String: Any]?

    var totals: [String: Any] { summary?["totals"] as? [String: Any] ?? [:] }
    func total(_ key: String) -> Int { (totals[key] as? NSNumber)?.intValue ?? -1 }

    /// The count of failures of `kind` (a key such as "timeout") summed over the endpoints.
    func failures(_ kind: String) -> Int {
        let endpoints = summary?["endpoints"] as? [[String: Any]] ?? []
        return endpoints.reduce(0) { sum, endpoint in
            sum + (((endpoint["failures_by_kind"] as? [String: Any])?[kind] as? NSNumber)?.intValue ?? 0)
        }
    }

    /// Every failure kind seen, with its count.
    var failureKinds: [String: Int] {
        var kinds: [String: Int] = [:]
        for row in summary?["failures"] as? [[String: Any]] ?? [] {
            kinds[row["kind"] as! String, default: 0] += (row["count"] as! NSNumber).intValue
        }
        return kinds
    }
}

enum CicadaBinary {
    /// The `cicada` built beside the test bundle (both live in the build products folder).
    static var path: String { DemoTargetProcess.binary }

    /// Runs `cicada ARGS` with `--json` added, waits at most `timeout` seconds, and returns the outcome.
    /// - Parameter environment: variables added to the test's own environment.
    static func run(_ arguments: [String], json: Bool = true, timeout: TimeInterval = 120, environment: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> CicadaRun {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let summaryPath = directory.appendingPathComponent("summary.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["run"] + arguments + (arguments.contains("--headless") ? [] : ["--headless"]) + (json ? ["--json", summaryPath] : [])
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = directory.appendingPathComponent("stdout")
        let err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        waitForExit(process, timeout: timeout, "cicada \(arguments.joined(separator: " ")) finishes", file: file, line: line)
        var summary: [String: Any]?
        if let data = FileManager.default.contents(atPath: summaryPath) {
            summary = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        return CicadaRun(exitCode: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                         stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                         summary: summary)
    }

    /// The release build of `cicada` in this checkout (`.build/release/cicada`), which `scripts/test` builds
    /// before the tests: what a user runs, for the tests whose figures depend on the build (the demo target
    /// in a debug build costs about 25 times the CPU per request of the release one).
    static var releasePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/release/cicada").path
    }

    /// Runs `cicada ARGS` (any subcommand), waits at most `timeout` seconds, and returns what it printed.
    /// - Parameters:
    ///   - folder: the current folder it runs in; the test's own when nil.
    ///   - binary: the executable; ``path`` when nil.
    static func command(_ arguments: [String], timeout: TimeInterval = 60, folder: String? = nil, binary: String? = nil,
                        file: StaticString = #filePath, line: UInt = #line) throws -> CicadaRun {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary ?? path)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        let out = directory.appendingPathComponent("stdout")
        let err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        waitForExit(process, timeout: timeout, "cicada \(arguments.joined(separator: " ")) finishes", file: file, line: line)
        return CicadaRun(exitCode: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                         stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Waits for `process` to exit; after `timeout` seconds, a guard against a hang, it fails the test with
    /// `expectation` and terminates the process.
    static func waitForExit(_ process: Process, timeout: TimeInterval, _ expectation: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            XCTFail("\(expectation): still running after \(timeout) s", file: file, line: line)
            process.terminate()
        }
        process.waitUntilExit()
    }

    /// Runs another program that a test reads a report with (a validator, a decoder) and returns its exit
    /// status and what it printed; its output is small, so the pipes are read one after the other.
    static func tool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// Writes `yaml` to a temporary scenario file and returns its path.
    static func scenarioFile(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
