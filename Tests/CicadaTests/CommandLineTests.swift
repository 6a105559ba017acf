import CicadaTestSupport
import XCTest

/// The command line as a user meets it: exit codes and messages for bad input.
final class CommandLineTests: XCTestCase {
    func testScenarioErrorNamesFileLineAndExpectedFormAndExitsTwo() throws {
        let path = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                wait: sometimes
                tasks: [{path: /}]
            """)
        let run = try CicadaBinary.run([path, "-t", "1s"], json: false)
        XCTAssertEqual(run.exitCode, 2)
        XCTAssertTrue(run.stderr.contains("\(path):3:11:"), run.stderr)
        XCTAssertTrue(run.stderr.contains("between(1, 5)"), "the message shows the accepted forms: \(run.stderr)")
    }

    func testMissingScenarioFileExitsTwo() throws {
        let run = try CicadaBinary.run(["/nonexistent/scenario.yaml"], json: false)
        XCTAssertEqual(run.exitCode, 2)
        XCTAssertTrue(run.stderr.contains("/nonexistent/scenario.yaml"), run.stderr)
    }

    func testBadOptionValuesExitTwo() throws {
        for arguments in [["http://127.0.0.1:1/", "-u", "0"], ["http://127.0.0.1:1/", "-t", "soon"],
                          ["http://127.0.0.1:1/", "--wait", "5-1"], ["http://127.0.0.1:1/", "-H", "NoColon"],
                          ["ftp://127.0.0.1/"], ["http://127.0.0.1:1/", "-X", "G T"]] {
            let run = try CicadaBinary.run(arguments, json: false)
            XCTAssertEqual(run.exitCode, 2, "\(arguments): \(run.stderr)")
            XCTAssertFalse(run.stderr.isEmpty, "\(arguments) explains itself")
        }
    }

    func testUnresolvableHostIsAnErrorBeforeTheRun() throws {
        let run = try CicadaBinary.run(["http://host.invalid/", "-t", "1s"], json: false)
        XCTAssertEqual(run.exitCode, 2)
        XCTAssertTrue(run.stderr.contains("could not resolve 'host.invalid'"), run.stderr)
    }

    func testIPv6LoopbackTarget() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        // The fault server listens on 127.0.0.1 only, so ::1 is refused: what matters is that the
        // bracketed address parses, resolves and is dialled.
        let run = try CicadaBinary.run(["http://[::1]:\(server.port)/ok", "-u", "1", "-t", "500ms", "--wait", "0.05"])
        XCTAssertNotEqual(run.exitCode, 2, run.stderr)
        XCTAssertTrue(run.stdout.contains("[::1]:\(server.port)"), run.stdout)
    }

    func testHelpListsTheOptionsAndExitsZero() throws {
        let run = try CicadaBinary.run(["--help"], json: false)
        XCTAssertEqual(run.exitCode, 0)
        for option in ["--users", "--spawn-rate", "--run-time", "--host", "--threads", "--timeout", "--stop-timeout", "--json"] {
            XCTAssertTrue(run.stdout.contains(option), "help mentions \(option)")
        }
    }

    func testCtrlCEndsTheRunGracefullyWithItsReport() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let summary = FileManager.default.temporaryDirectory.appendingPathComponent("interrupted-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: summary) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CicadaBinary.path)
        process.arguments = ["run", server.baseURL + "/ok", "-u", "2", "--wait", "0.01", "--json", summary]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(1_000_000)
        kill(process.processIdentifier, SIGINT)
        CicadaBinary.waitForExit(process, timeout: 15, "the first Ctrl-C stops the run")
        XCTAssertEqual(process.terminationStatus, 0)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: summary), "the summary is written after an interrupt")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let totals = try XCTUnwrap(json["totals"] as? [String: Any])
        XCTAssertGreaterThan((totals["successes"] as! NSNumber).intValue, 10)
        XCTAssertEqual((totals["requests"] as! NSNumber).intValue, server.count(path: "/ok"))
    }

    func testASecondCtrlCExitsAtOnce() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CicadaBinary.path)
        // Requests that never end and a minute to let them: only the second signal ends this soon.
        process.arguments = ["run", server.baseURL + "/stall", "-u", "2", "--stop-timeout", "60"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Once the server holds both users' requests, the run has started and its handler is installed.
        let started = Date().addingTimeInterval(15)
        while server.count(path: "/stall") < 2 && Date() < started { usleep(10_000) }
        kill(process.processIdentifier, SIGINT)
        // The kernel merges a signal into one already pending, so the second waits for the first to be seen.
        var printed = ""
        while !printed.contains("stopping: interrupted") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(printed.contains("stopping: interrupted"), printed)
        kill(process.processIdentifier, SIGINT)
        CicadaBinary.waitForExit(process, timeout: 15, "the second Ctrl-C does not wait for the stop timeout")
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
    }
}
