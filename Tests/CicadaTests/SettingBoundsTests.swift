import XCTest
@testable import Cicada

/// The bounds every number is checked against: their ends, the agreement of the command line and the
/// file, and the second checks where a value becomes a field of the C core.
final class SettingBoundsTests: XCTestCase {
    /// For each bound: the texts at its ends are accepted as those values, and texts just past them,
    /// or that are not numbers of its kind, are refused with the range in the message.
    func testEachBoundAcceptsItsEndsAndRefusesPastThem() {
        let integers: [(SettingBound<Int>, accepted: [(String, Int)], refused: [String])] = [
            (SettingBounds.users, [("1", 1), ("1000000", 1_000_000), (" 20 ", 20)],
             ["0", "-5", "1000001", "4294967295", "99999999999999999999", "1e3", "1.5", "", "ten"]),
            (SettingBounds.pipeline, [("1", 1), ("64", 64)], ["0", "65", "-1"]),
            (SettingBounds.threads, [("1", 1), ("255", 255)], ["0", "256", "-1"]),
            (SettingBounds.weight, [("0", 0), ("1000000", 1_000_000)], ["-1", "1000001", "99999999999999999999"]),
        ]
        for (bound, accepted, refused) in integers {
            for (text, value) in accepted { XCTAssertEqual(try bound.parse(text), value, "\(bound.what) '\(text)'") }
            for text in refused {
                XCTAssertThrowsError(try bound.parse(text), "\(bound.what) '\(text)'") { error in
                    XCTAssertEqual("\(error)", "expected \(bound.expected), got '\(text)'")
                }
            }
        }
        XCTAssertEqual(SettingBounds.users.expected, "an integer number of users from 1 to 1000000")
        XCTAssertEqual(try SettingBounds.seed.parse("18446744073709551615"), UInt64.max)
        for text in ["-1", "18446744073709551616", "0x10"] {
            XCTAssertThrowsError(try SettingBounds.seed.parse(text)) { error in
                XCTAssertEqual("\(error)", "expected a seed from 0 to 18446744073709551615, got '\(text)'")
            }
        }

        let durations: [(SettingBound<Double>, accepted: [(String, Double)], refused: [String])] = [
            (SettingBounds.runTime, [("1ms", 0.001), ("720h", 2_592_000), ("0.001", 0.001)], ["0", "0s", "0.5ms", "721h", "99999999999"]),
            (SettingBounds.timeout, [("1ms", 0.001), ("720h", 2_592_000)], ["0", "0.0009", "720h1ms"]),
            (SettingBounds.connectTimeout, [("1ms", 0.001), ("720h", 2_592_000)], ["0", "2592001"]),
            (SettingBounds.stopTimeout, [("0", 0), ("720h", 2_592_000)], ["720h1s"]),
            (SettingBounds.wait, [("0", 0), ("720h", 2_592_000)], ["2592000.5"]),
        ]
        for (bound, accepted, refused) in durations {
            for (text, value) in accepted { XCTAssertEqual(try bound.parse(text), value, "\(bound.what) '\(text)'") }
            for text in refused {
                XCTAssertThrowsError(try bound.parse(text), "\(bound.what) '\(text)'") { error in
                    XCTAssertEqual("\(error)", "expected \(bound.expected), got '\(text)'")
                }
            }
            for value in [Double.nan, .infinity, -1, 1e11] {
                XCTAssertThrowsError(try bound.check(value), "\(bound.what) \(value)")
            }
            // Text that is no duration at all gets parseDuration's message, with the forms.
            XCTAssertThrowsError(try bound.parse("-3")) { XCTAssertTrue("\($0)".contains("a duration cannot be negative")) }
        }
        XCTAssertEqual(SettingBounds.runTime.expected, "a run time from 1ms to 720h (30 days)")
        XCTAssertEqual(SettingBounds.stopTimeout.expected, "a stop timeout from 0 to 720h (30 days)")

        let rates: [(SettingBound<Double>, accepted: [(String, Double)], refused: [String])] = [
            (SettingBounds.spawnRate, [("0.000001", 1e-6), ("1000000", 1e6), (".5", 0.5)],
             ["0", "0.0", "-1", "1000000.5", "nan", "inf", "1e3", "+1", "0x10", ""]),
            (SettingBounds.throughput, [("0.000001", 1e-6), ("1000000", 1e6)], ["0", "0.0000009", "1000001", "nan"]),
        ]
        for (bound, accepted, refused) in rates {
            for (text, value) in accepted { XCTAssertEqual(try bound.parse(text), value, "\(bound.what) '\(text)'") }
            for text in refused {
                XCTAssertThrowsError(try bound.parse(text), "\(bound.what) '\(text)'") { error in
                    XCTAssertEqual("\(error)", "expected \(bound.expected)\(bound.example), got '\(text)'")
                }
            }
            for value in [Double.nan, .infinity, -.infinity] { XCTAssertThrowsError(try bound.check(value), "\(value)") }
        }
        XCTAssertEqual(SettingBounds.spawnRate.expected, "a spawn rate above 0 and at most 1000000 users per second")
    }

    /// The command line reads each `run:` setting through the same bound as the file: for each text,
    /// the flag's parse and the file accept it or refuse it together, with the same value.
    func testTheFileAndTheCommandLineAcceptTheSameValues() {
        let texts = ["0", "1", "-1", "0.5", "1.5", "60", "0.0005", "1ms", "250ms", "5m", "720h", "721h", "1000000",
                     "1000001", "4294967295", "99999999999", "1e3", "nan", "inf", ".nan", "soon"]
        let settings: [(key: String, flag: (String) -> Double?)] = [
            ("users", { (try? SettingBounds.users.parse($0)).map(Double.init) }),
            ("spawn_rate", { try? SettingBounds.spawnRate.parse($0) }),
            ("run_time", { try? SettingBounds.runTime.parse($0) }),
            ("timeout", { try? SettingBounds.timeout.parse($0) }),
            ("connect_timeout", { try? SettingBounds.connectTimeout.parse($0) }),
            ("pipeline", { (try? SettingBounds.pipeline.parse($0)).map(Double.init) }),
        ]
        for (key, flagValue) in settings {
            for text in texts {
                let run = try? Scenario.parse(yaml: "run: {\(key): \"\(text)\"}\nusers: [{name: A, tasks: [{path: /}]}]\n",
                                              file: "t.yaml").run
                let fileValue = run.flatMap { run -> Double? in
                    switch key {
                    case "users": return run.users.map(Double.init)
                    case "spawn_rate": return run.spawnRate
                    case "run_time": return run.runTime
                    case "timeout": return run.timeout
                    case "connect_timeout": return run.connectTimeout
                    default: return run.pipeline.map(Double.init)
                    }
                }
                XCTAssertEqual(fileValue, flagValue(text), "\(key): '\(text)'")
            }
        }
    }

    func testNanosecondsNeverTrap() {
        XCTAssertEqual(nanoseconds(0), 0)
        XCTAssertEqual(nanoseconds(0.001), 1_000_000)
        XCTAssertEqual(nanoseconds(2_592_000), 2_592_000_000_000_000)
        XCTAssertNotNil(nanoseconds(18_446_744_073), "the most whole seconds that fit in 64 bits of nanoseconds")
        for seconds in [-1, -0.6e-9, .nan, .infinity, -.infinity, 18_446_744_074, 99_999_999_999] {
            XCTAssertNil(nanoseconds(seconds), "\(seconds)")
        }
    }

    static func scenario(wait: WaitTime = .constant(0), weight: Int = 1, body: [UInt8] = [], requests: Int = 1) -> Scenario {
        let request = RequestTemplate(method: "POST", path: "/", body: body)
        return Scenario(userClasses: [UserClass(name: "U", wait: wait, tasks: [
            UserTask(name: "t", weight: weight, requests: Array(repeating: request, count: requests))])])
    }

    /// A scenario built in code and compiled without validate(): what used to trap or be cut short is an
    /// error, and validate() refuses the same, by the same bounds.
    func testThePlanRefusesWhatWouldOverflowTheCore() throws {
        let big = [UInt8](repeating: 0, count: 64 << 20)
        XCTAssertNoThrow(try CompiledPlan(scenario: Self.scenario(wait: .between(0, 2_592_000), weight: 1_000_000, body: big),
                                          hostHeader: "h"))
        let cases: [(Scenario, String)] = [
            (Self.scenario(body: big + [0]), "the body is 67108865 bytes; expected a body of at most 64 MiB (67108864 bytes)"),
            // 17 requests sharing one 64 MiB body: 1 GiB and more in the plan.
            (Self.scenario(body: big, requests: 17), "the requests add up to more than 1 GiB (1073741824 bytes)"),
            (Self.scenario(weight: -1), "expected an integer weight from 0 to 1000000, got '-1'"),
            (Self.scenario(weight: Int(UInt32.max) + 1), "expected an integer weight from 0 to 1000000, got '4294967296'"),
            (Self.scenario(wait: .constant(99_999_999_999)), "'99999999999 s' is not a wait from 0 to 720h (30 days)"),
            (Self.scenario(wait: .constant(.nan)), "is not a wait from 0 to 720h"),
            (Self.scenario(wait: .between(1, .infinity)), "is not a wait from 0 to 720h"),
            (Self.scenario(wait: .constantPacing(-1)), "'-1 s' is not a wait from 0 to 720h"),
            (Self.scenario(wait: .constantThroughput(0)), "'0' is not a rate from 0.000001 to 1000000 tasks per second"),
            (Self.scenario(wait: .constantThroughput(1e-300)), "is not a rate from 0.000001 to 1000000 tasks per second"),
        ]
        for (scenario, message) in cases {
            XCTAssertThrowsError(try CompiledPlan(scenario: scenario, hostHeader: "h"), message) { error in
                XCTAssertTrue(error is CicadaError, "\(error)")
                XCTAssertTrue("\(error)".hasPrefix("the scenario cannot be compiled: user class 'U': "), "\(error)")
                XCTAssertTrue("\(error)".contains(message), "\(error) lacks \(message)")
            }
            XCTAssertThrowsError(try scenario.validate(), message) { error in
                XCTAssertTrue("\(error)".contains(message), "validate(): \(error) lacks \(message)")
            }
        }
    }

    /// The engine's options, given in code: each out of its bound is an error naming it, where they were
    /// clamped, wrapped or trapped.
    func testTheEngineRefusesOptionsOutsideTheirBounds() throws {
        let plan = try CompiledPlan(scenario: Self.scenario(), hostHeader: "127.0.0.1")
        func options(_ change: (inout EngineOptions) -> Void) -> EngineOptions {
            var options = EngineOptions(host: "127.0.0.1", port: 1, threads: 1, maxUsers: 1)
            change(&options)
            return options
        }
        XCTAssertNoThrow(try LoadEngine(plan: plan, options: options { $0.threads = 0; $0.requestTimeout = 2_592_000
            $0.connectTimeout = 0.001; $0.pipelineDepth = 64 }))
        XCTAssertNoThrow(try LoadEngine(plan: plan, options: options { $0.maxUsers = 1_000_000 }))
        let cases: [(EngineOptions, String)] = [
            (options { $0.maxUsers = 4_294_967_295 }, "maxUsers 4294967295 is out of range 1-1000000"),
            (options { $0.maxUsers = 0 }, "maxUsers 0 is out of range 1-1000000"),
            (options { $0.threads = -1 }, "threads -1 is out of range 0-255"),
            (options { $0.threads = 256 }, "threads 256 is out of range 0-255"),
            (options { $0.pipelineDepth = 0 }, "pipelineDepth 0 is out of range 1-64"),
            (options { $0.requestTimeout = 99_999_999_999 },
             "requestTimeout 99999999999 s is out of range: expected a timeout from 1ms to 720h (30 days)"),
            (options { $0.requestTimeout = 0 }, "requestTimeout 0 s is out of range: expected a timeout from 1ms to 720h (30 days)"),
            (options { $0.requestTimeout = .nan }, "requestTimeout nan s is out of range: expected a timeout from 1ms to 720h (30 days)"),
            (options { $0.connectTimeout = .infinity },
             "connectTimeout inf s is out of range: expected a connect timeout from 1ms to 720h (30 days)"),
            (options { $0.connectTimeout = 0.0001 },
             "connectTimeout 0.0001 s is out of range: expected a connect timeout from 1ms to 720h (30 days)"),
        ]
        for (options, message) in cases {
            XCTAssertThrowsError(try LoadEngine(plan: plan, options: options), message) { error in
                XCTAssertEqual((error as? CicadaError)?.message, message)
            }
        }
    }
}
