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

    /// Asserts that `run` is a setup error, exit 2 with no signal, whose message has each of `parts`.
    func assertRefused(_ run: CicadaRun, _ parts: [String], _ what: String, line: UInt = #line) {
        XCTAssertFalse(run.signalled, "\(what) ended by signal \(run.exitCode): \(run.stderr)", line: line)
        XCTAssertEqual(run.exitCode, 2, "\(what): \(run.stderr)", line: line)
        for part in parts {
            XCTAssertTrue(run.stderr.contains(part), "\(what): '\(part)' is not in \(run.stderr)", line: line)
        }
    }

    /// Each number option, at the values that trapped, wrapped, were clamped or meant something else,
    /// and just past each end of its range: a message naming the option, the value and the range, and
    /// no connection to the server.
    func testNumberOptionsOutOfRangeExitTwoBeforeAnyLoad() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let users = "expected an integer number of users from 1 to 1000000"
        let rate = "expected a spawn rate above 0 and at most 1000000 users per second"
        let days = "from 1ms to 720h (30 days)"
        let wait = "is not a wait from 0 to 720h (30 days)"
        let table: [(option: String, value: String, message: String)] = [
            ("-u", "-5", users), ("-u", "0", users), ("--users", "1000001", users), ("-u", "4294967295", users),
            ("-u", "99999999999999999999", users), ("-u", "1e3", users),
            ("-r", "nan", rate), ("-r", "inf", rate), ("-r", "0", rate), ("-r", "-1", rate),
            ("--spawn-rate", "1000001", rate), ("-r", "1e3", rate),
            ("-t", "0", "expected a run time \(days)"), ("-t", "0s", "expected a run time \(days)"),
            ("-t", "721h", "expected a run time \(days)"), ("--run-time", "99999999999", "expected a run time \(days)"),
            ("-t", "-1", "a duration cannot be negative"),
            ("--timeout", "0", "expected a timeout \(days)"), ("--timeout", "-3", "a duration cannot be negative"),
            ("--timeout", "99999999999", "expected a timeout \(days)"), ("--timeout", "0.5ms", "expected a timeout \(days)"),
            ("--connect-timeout", "0", "expected a connect timeout \(days)"),
            ("--connect-timeout", "99999999999", "expected a connect timeout \(days)"),
            ("--stop-timeout", "-1", "a duration cannot be negative"),
            ("--stop-timeout", "721h", "expected a stop timeout from 0 to 720h (30 days)"),
            ("--wait", "99999999999", wait), ("--wait", "1-99999999999", wait), ("--wait", "-1", "a wait cannot be negative"),
            ("--wait", "constant_pacing(721h)", wait),
            ("--wait", "constant_throughput(0)", "is not a rate from 0.000001 to 1000000 tasks per second"),
            ("--threads", "0", "expected a number of worker threads from 1 to 255"),
            ("--threads", "256", "expected a number of worker threads from 1 to 255"),
            ("--threads", "-1", "expected a number of worker threads from 1 to 255"),
            ("--pipeline", "0", "expected a pipeline depth from 1 to 64"), ("--pipeline", "65", "expected a pipeline depth from 1 to 64"),
            ("--pipeline", "-2", "expected a pipeline depth from 1 to 64"),
            ("--seed", "-1", "expected a seed from 0 to 18446744073709551615"),
            ("--seed", "18446744073709551616", "expected a seed from 0 to 18446744073709551615"),
            ("--exit-code-on-error", "256", "expected an exit code from 0 to 255"),
            ("--exit-code-on-error", "-1", "expected an exit code from 0 to 255"),
            ("--exit-code-on-error", "one", "expected an exit code from 0 to 255"),
        ]
        for (option, value, message) in table {
            let run = try CicadaBinary.run([server.baseURL + "/ok", option, value, "-t", "1s"], json: false)
            assertRefused(run, ["The value '\(value)' is invalid for '\(option) ", message], "\(option) \(value)")
        }
        XCTAssertEqual(server.connectionsAccepted, 0, "no load is sent")
    }

    /// `--exit-code-on-error N` (Locust's) is the exit code when a request failed and no threshold judges the
    /// run: 0 makes such a run pass; a run without failures and a run with thresholds keep theirs.
    func testExitCodeOnErrorReplacesOnlyTheFailedRequestsCode() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let failing = [server.baseURL + "/status/500", "-u", "1", "-t", "300ms", "--wait", "0.05"]
        XCTAssertEqual(try CicadaBinary.run(failing, json: false).exitCode, 1, "the default is 1")
        XCTAssertEqual(try CicadaBinary.run(failing + ["--exit-code-on-error", "7"], json: false).exitCode, 7)
        XCTAssertEqual(try CicadaBinary.run(failing + ["--exit-code-on-error", "0"], json: false).exitCode, 0)
        XCTAssertEqual(try CicadaBinary.run(failing + ["--exit-code-on-error", "255"], json: false).exitCode, 255)
        let judged = try CicadaBinary.run(failing + ["--exit-code-on-error", "7", "--threshold", "http_reqs: count > 0"], json: false)
        XCTAssertEqual(judged.exitCode, 0, "with thresholds, they alone judge the run: \(judged.stderr)")
        let passing = [server.baseURL + "/ok", "-u", "1", "-t", "300ms", "--wait", "0.05", "--exit-code-on-error", "7"]
        XCTAssertEqual(try CicadaBinary.run(passing, json: false).exitCode, 0, "no request failed")
        let environment = try CicadaBinary.run(failing, json: false, environment: ["CICADA_EXIT_CODE_ON_ERROR": "9"])
        XCTAssertEqual(environment.exitCode, 9, "an option like any other, from the environment too: \(environment.stderr)")
    }

    /// `--only-summary` (Locust's) leaves out the live lines; the final report is printed whole, as without it.
    func testOnlySummaryPrintsTheFinalReportAlone() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let arguments = [server.baseURL + "/ok", "-u", "2", "-t", "2500ms", "--wait", "0.01"]
        let live = try CicadaBinary.run(arguments, json: false)
        let summary = try CicadaBinary.run(arguments + ["--only-summary"], json: false)
        XCTAssertEqual(live.exitCode, 0, live.stderr)
        XCTAssertEqual(summary.exitCode, 0, summary.stderr)
        XCTAssertTrue(live.stdout.contains("users=2 requests="), "without it, a live line every 2 s: \(live.stdout)")
        XCTAssertFalse(summary.stdout.contains(" requests="), summary.stdout)
        for run in [live, summary] {
            XCTAssertTrue(run.stdout.contains("Aggregated"), run.stdout)
            XCTAssertTrue(run.stdout.contains("\nTotals: "), run.stdout)
            XCTAssertTrue(run.stdout.contains("\nGenerator: "), run.stdout)
        }
    }

    /// `--stages` and `--time-factor`: a malformed value names the option, the stage and what was expected;
    /// stages with a constant load's options are refused; no load is sent.
    func testMalformedStagesAndTimeFactorExitTwoBeforeAnyLoad() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let form = "expected NAME:USERS@RATE/DURATION (such as peak:1000@50/10m), or NAME:RATE/s/DURATION for the open model (such as peak:2000/s/10m)"
        let table: [(arguments: [String], parts: [String])] = [
            (["--stages", "a:10@5"], ["The value 'a:10@5' is invalid for '--stages <stages>'", "stage 1 'a:10@5': \(form)"]),
            (["--stages", "a:1@1/1s,b:1@1/soon"], ["'--stages <stages>'", "stage 2 'b:1@1/soon': duration: "]),
            (["--stages", "a:1@1/1s", "-u", "5"], ["--stages gives each stage its users and spawn rate; give it without -u/--users and -r/--spawn-rate"]),
            (["--stages", "a:1@1/1s", "-r", "5"], ["give it without -u/--users and -r/--spawn-rate"]),
            (["--time-factor", "0"], ["The value '0' is invalid for '--time-factor <time-factor>'",
                                      "expected a time factor from 0.001 to 1000 (each duration is multiplied by it), such as 0.01, got '0'"]),
            (["--time-factor", "1001"], ["'--time-factor <time-factor>'", "got '1001'"]),
            (["--stages", "a:1@1/2ms", "--time-factor", "0.1"],
             ["--time-factor 0.1 takes a stage out of bounds: stage 1 'a': duration: expected a stage duration from 1ms to 720h (30 days), got '0.0002'"]),
        ]
        for (arguments, parts) in table {
            let run = try CicadaBinary.run([server.baseURL + "/ok"] + arguments + ["-t", "1s"], json: false)
            assertRefused(run, parts, arguments.joined(separator: " "))
        }
        XCTAssertEqual(server.connectionsAccepted, 0, "no load is sent")
    }

    /// The same values in a scenario file: the file's line and column, the value and the range.
    func testNumbersOutOfRangeInAScenarioExitTwoAtTheirPlace() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let table: [(run: String, wait: String, column: Int, message: String)] = [
            ("{users: 4294967295}", "0", 14, "expected an integer number of users from 1 to 1000000, got '4294967295'"),
            ("{users: -5}", "0", 14, "expected an integer number of users from 1 to 1000000, got '-5'"),
            ("{spawn_rate: .nan}", "0", 19, "expected a spawn rate above 0 and at most 1000000 users per second"),
            ("{spawn_rate: .inf}", "0", 19, "expected a spawn rate above 0 and at most 1000000 users per second"),
            ("{spawn_rate: 0}", "0", 19, "expected a spawn rate above 0 and at most 1000000 users per second, such as 10 or 0.5, got '0'"),
            ("{run_time: 0}", "0", 17, "expected a run time from 1ms to 720h (30 days), got '0'"),
            ("{timeout: 99999999999}", "0", 16, "expected a timeout from 1ms to 720h (30 days), got '99999999999'"),
            ("{connect_timeout: 0s}", "0", 24, "expected a connect timeout from 1ms to 720h (30 days), got '0s'"),
            ("{pipeline: 65}", "0", 17, "expected a pipeline depth from 1 to 64"),
            ("{}", "99999999999", 0, "invalid wait time '99999999999': '99999999999 s' is not a wait from 0 to 720h (30 days)"),
            ("{}", "constant_throughput(0.0000001)", 0,
             "invalid wait time 'constant_throughput(0.0000001)': '0.0000001' is not a rate from 0.000001 to 1000000 tasks per second"),
        ]
        for (runLine, wait, column, message) in table {
            let path = try CicadaBinary.scenarioFile("""
                host: \(server.baseURL)
                run: \(runLine)
                users:
                  - name: A
                    wait: \(wait)
                    tasks: [{path: /ok}]
                """)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let place = column > 0 ? "\(path):2:\(column): " : "\(path):5:11: "
            assertRefused(try CicadaBinary.run([path, "-t", "1s"], json: false), [place + message], "run: \(runLine), wait: \(wait)")
        }
        XCTAssertEqual(server.connectionsAccepted, 0, "no load is sent")
    }

    /// 0 no longer means "nothing", "everyone at once" or "no timeout": the flag and the file refuse it
    /// alike. `--stop-timeout 0` keeps its meaning, cancelling the requests in flight at once.
    func testZeroIsRefusedWhereItMeantSomethingElse() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        for (option, key) in [("-t", "run_time"), ("-r", "spawn_rate"), ("--timeout", "timeout"),
                              ("--connect-timeout", "connect_timeout")] {
            assertRefused(try CicadaBinary.run([server.baseURL + "/ok", option, "0"], json: false),
                          ["The value '0' is invalid for '\(option) "], option)
            let path = try CicadaBinary.scenarioFile("host: \(server.baseURL)\nrun: {\(key): 0}\nusers: [{name: A, tasks: [{path: /ok}]}]\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            assertRefused(try CicadaBinary.run([path], json: false), ["\(path):2:\(9 + key.count): expected a"], key)
        }
        XCTAssertEqual(server.connectionsAccepted, 0, "no load is sent")

        let run = try CicadaBinary.run([server.baseURL + "/stall", "-u", "2", "-r", "100", "-t", "300ms", "--stop-timeout", "0"])
        XCTAssertFalse(run.signalled, run.stderr)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(run.total("cancelled"), 2, "both stalled requests are cancelled at the stop")
    }

    /// Files that overflowed the YAML parser's stack, expanded without end, or were too large to read:
    /// each is an error at its place, promptly, and never a signal.
    func testHostileYAMLEndsInAnErrorNotASignal() throws {
        let valid = "host: http://127.0.0.1:1\nusers: [{name: A, tasks: [{path: /}]}]\n"
        var laughs = "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...8 {
            let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
            let previous = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
            laughs += "x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        let table: [(what: String, yaml: String, message: String)] = [
            ("10,000 flow lists under x-", "x-deep: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
                + "\n" + valid, ":1:72: lists and mappings nest deeper than 64 levels here"),
            ("3,000 block lists", "x-deep:\n" + String(repeating: "- ", count: 3_000) + "a\n" + valid,
             ":2:127: lists and mappings nest deeper than 64 levels here"),
            ("billion laughs", laughs + valid, ":7:26: the alias '*f' expands the document past 16 Mi characters"),
            ("a 5 MB file", valid + "x-big: '" + String(repeating: "a", count: 5_000_000) + "'\n",
             ": cannot read the scenario file: it is larger than 4 MiB (4194304 bytes)"),
        ]
        for (what, yaml, message) in table {
            let path = try CicadaBinary.scenarioFile(yaml)
            defer { try? FileManager.default.removeItem(atPath: path) }
            assertRefused(try CicadaBinary.run([path, "-t", "1s"], json: false, timeout: 30), [path + message], what)
        }
        assertRefused(try CicadaBinary.run(["/dev/zero"], json: false, timeout: 30),
                      ["/dev/zero: cannot read the scenario file: it is larger than 4 MiB"], "/dev/zero")
    }

    /// A body over 64 MiB, from `-d @FILE` or `body_file:`, is refused without reading past the bound.
    func testBodiesOver64MiBAreRefused() throws {
        assertRefused(try CicadaBinary.run(["http://127.0.0.1:1/", "-d", "@/dev/zero"], json: false, timeout: 30),
                      ["-d @/dev/zero: it is larger than 64 MiB (67108864 bytes), the largest request body"], "-d @/dev/zero")
        let path = try CicadaBinary.scenarioFile("host: http://127.0.0.1:1\nusers: [{name: A, tasks: [{path: /, body_file: /dev/zero}]}]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        assertRefused(try CicadaBinary.run([path], json: false, timeout: 30),
                      ["\(path):2:48: cannot read body_file '/dev/zero': it is larger than 64 MiB"], "body_file: /dev/zero")
    }

    func testAScenarioWithAByteOrderMarkRuns() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let path = try CicadaBinary.scenarioFile("\u{FEFF}host: \(server.baseURL)\nusers: [{name: A, tasks: [{path: /ok}]}]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try CicadaBinary.run([path, "-u", "1", "-t", "300ms"])
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertGreaterThan(server.count(path: "/ok"), 0)
    }

    /// A host's query and a URL's fragment would be dropped: both are refused.
    func testQueriesAndFragmentsThatWouldBeDroppedAreRefused() throws {
        let query = "a host URL cannot have a query, which no request would send"
        assertRefused(try CicadaBinary.run(["http://127.0.0.1:1/ok", "--host", "http://127.0.0.1:1/api?key=1"], json: false),
                      ["host 'http://127.0.0.1:1/api?key=1': invalid URL", query], "--host with a query")
        assertRefused(try CicadaBinary.run(["http://127.0.0.1:1/ok#top"], json: false),
                      ["a fragment ('#') is never sent"], "a target with a fragment")
        let path = try CicadaBinary.scenarioFile("host: http://127.0.0.1:1/?x=1\nusers: [{name: A, tasks: [{path: /}]}]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        assertRefused(try CicadaBinary.run([path], json: false), ["\(path):1:7: invalid URL", query], "host: with a query")
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

    /// Bad `--threshold` and `--junit` values: a message naming the option and what was expected, exit 2,
    /// and no load.
    func testBadThresholdsAndJUnitPathsExitTwoBeforeAnyLoad() throws {
        let server = FaultServer()
        try server.start()
        defer { server.stop() }
        let table: [(arguments: [String], message: String)] = [
            (["--threshold", "http_req_duraton: p(95) < 5"],
             "The value 'http_req_duraton: p(95) < 5' is invalid for '--threshold <threshold>': unknown metric 'http_req_duraton'; did you mean 'http_req_duration'? Known metrics: http_req_duration, http_req_failed, http_reqs, checks, generator_cpu, target_cpu, target_rss, dropped_iterations, loop_lag"),
            (["--threshold", "http_req_duration < 5"],
             "The value 'http_req_duration < 5' is invalid for '--threshold <threshold>': expected 'METRIC: EXPRESSION' such as 'http_req_duration: p(95) < 500ms', got 'http_req_duration < 5'"),
            (["--threshold", "http_req_failed: rate < 200%"],
             "The value 'http_req_failed: rate < 200%' is invalid for '--threshold <threshold>': expected a rate from 0 to 1 (a share of requests), got '2'"),
            (["--threshold", "dropped_iterations: p(95) == 0"],
             "The value 'dropped_iterations: p(95) == 0' is invalid for '--threshold <threshold>': the metric 'dropped_iterations' has no aggregation 'p(95)'; expected count, rate"),
            (["--threshold", "http_req_duration{endpoint:/okk}: p(95) < 5"],
             "cicada: error: --threshold 'http_req_duration{endpoint:/okk}: p(95) < 5': no endpoint is named '/okk'; did you mean '/ok'? Known endpoints: /ok"),
            (["--junit", "/nonexistent/junit.xml", "--threshold", "http_reqs: count > 0"],
             "cicada: error: --junit: the directory '/nonexistent' does not exist"),
            (["--junit", "junit.xml"],
             "cicada: error: --junit: the run has no thresholds to report; give --threshold or `thresholds:` in the scenario"),
        ]
        for (arguments, message) in table {
            let run = try CicadaBinary.run([server.baseURL + "/ok", "-t", "1s"] + arguments, json: false)
            assertRefused(run, [message], "\(arguments)")
        }
        XCTAssertEqual(server.connectionsAccepted, 0, "no load is sent")
    }

    func testHelpListsTheOptionsAndExitsZero() throws {
        let run = try CicadaBinary.run(["--help"], json: false)
        XCTAssertEqual(run.exitCode, 0)
        for option in ["--users", "--spawn-rate", "--run-time", "--stages", "--time-factor", "--host", "--threads", "--timeout", "--stop-timeout", "--json", "--threshold", "--junit", "--hdr-log", "--only-summary", "--exit-code-on-error"] {
            XCTAssertTrue(run.stdout.contains(option), "help mentions \(option)")
        }
        // The help wraps lines where it likes: compare the words.
        let words = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for code in ["3 when a threshold failed", "4 when the run ended but a report file"] {
            XCTAssertTrue(words.contains(code), "help lists the exit codes: \(run.stdout)")
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
        process.arguments = ["run", "--headless", server.baseURL + "/ok", "-u", "2", "--wait", "0.01", "--json", summary]
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
        process.arguments = ["run", "--headless", server.baseURL + "/stall", "-u", "2", "--stop-timeout", "60"]
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
