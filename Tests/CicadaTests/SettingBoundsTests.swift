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

}
