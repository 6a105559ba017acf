import XCTest
@testable import Cicada

/// Stages as written on the command line (`--stages`) and in a scenario (`stages:`), and how a run's user
/// count moves towards each stage's (``UserRamp``, ``UserRoster``), without an engine.
final class StageParsingTests: XCTestCase {
    func testTheCommandLineFormReadsTheSeedsFourStages() throws {
        XCTAssertEqual(try Stage.parseList("baseline:100@10/1m,normal:500@20/5m,peak:1000@50/10m,stress:2000@100/5m"), [
            Stage("baseline", users: 100, spawnRate: 10, duration: 60), Stage("normal", users: 500, spawnRate: 20, duration: 300),
            Stage("peak", users: 1000, spawnRate: 50, duration: 600), Stage("stress", users: 2000, spawnRate: 100, duration: 300),
        ])
        XCTAssertEqual(try Stage.parseList(" warm up : 5 @ 0.5 / 90 , cool:0@2/1h30m"), [
            Stage("warm up", users: 5, spawnRate: 0.5, duration: 90), Stage("cool", users: 0, spawnRate: 2, duration: 5400),
        ])
        XCTAssertEqual(Stage("a", users: 1, spawnRate: 1, duration: 60).scaled(by: 0.01).duration, 0.6, accuracy: 1e-12)
    }

    func testMalformedCommandLineStagesNameTheStageAndWhatWasExpected() {
        let cases: [(String, String)] = [
            ("a:10@5", "stage 1 'a:10@5': expected NAME:USERS@RATE/DURATION (such as peak:1000@50/10m), or NAME:RATE/s/DURATION for the open model (such as peak:2000/s/10m)"),
            ("", "stage 1 '': expected NAME:USERS@RATE/DURATION (such as peak:1000@50/10m), or NAME:RATE/s/DURATION for the open model (such as peak:2000/s/10m)"),
            ("a:1@1/1s,", "stage 2 '': expected NAME:USERS@RATE/DURATION (such as peak:1000@50/10m), or NAME:RATE/s/DURATION for the open model (such as peak:2000/s/10m)"),
            ("a/1m:10@5", "stage 1 'a/1m:10@5': expected NAME:USERS@RATE/DURATION (such as peak:1000@50/10m), or NAME:RATE/s/DURATION for the open model (such as peak:2000/s/10m)"),
            ("a:10@5/1m,b:x@5/1m", "stage 2 'b:x@5/1m': users: expected an integer number of users from 0 to 1000000, got 'x'"),
            ("a:1000001@5/1m", "stage 1 'a:1000001@5/1m': users: expected an integer number of users from 0 to 1000000, got '1000001'"),
            ("a:10@0/1m", "stage 1 'a:10@0/1m': spawn rate: expected a spawn rate above 0 and at most 1000000 users per second, such as 10 or 0.5, got '0'"),
            ("a:10@5/0", "stage 1 'a:10@5/0': duration: expected a stage duration from 1ms to 720h (30 days), got '0'"),
            (":10@5/1m", "stage 1 ':10@5/1m': expected a non-empty stage name"),
            ("a:1@1/1s,a:2@1/1s", "stage 2 'a': another stage has this name; expected unique stage names"),
            ("a:x/s/1m", "stage 1 'a:x/s/1m': arrival rate: expected an arrival rate from 0 to 1000000 iterations per second, such as 200 or 0, got 'x'"),
            ("a:2000001/s/1m", "stage 1 'a:2000001/s/1m': arrival rate: expected an arrival rate from 0 to 1000000 iterations per second, such as 200 or 0, got '2000001'"),
            ("a:10/s/0", "stage 1 'a:10/s/0': duration: expected a stage duration from 1ms to 720h (30 days), got '0'"),
            ("a:10/s/1m,b:1@1/1s", "stage 2 'b': the stages mix user counts and arrival rates; expected all of one kind"),
        ]
        let tooMany = (1...101).map { "s\($0):1@1/1s" }.joined(separator: ",")
        XCTAssertEqual(try Stage.parseList(String(tooMany.prefix(while: { $0 != "," }))).count, 1)
        XCTAssertEqual(try Stage.parseList((1...100).map { "s\($0):1@1/1s" }.joined(separator: ",")).count, 100)
        for (text, message) in cases + [(tooMany, "101 stages; expected a number of stages from 1 to 100")] {
            XCTAssertThrowsError(try Stage.parseList(text), text) { error in
                XCTAssertEqual((error as? InputError)?.message, message, text)
            }
        }
    }

    func testAScenariosStagesAreReadAndAStagedShapeRunsThemInOrder() throws {
        let scenario = try Scenario.parse(yaml: """
            stages:
              - {name: baseline, users: 100, spawn_rate: 10, duration: 1m}
              - {name: cool, users: 0, spawn_rate: 0.5, duration: 90}
            users:
              - name: A
                tasks: [{path: /}]
            """, file: "t.yaml")
        XCTAssertEqual(scenario.stages, [Stage("baseline", users: 100, spawnRate: 10, duration: 60),
                                         Stage("cool", users: 0, spawnRate: 0.5, duration: 90)])
        let shape = try StagedShape(scenario.stages)
        XCTAssertEqual(shape.totalDuration, 150)
        XCTAssertEqual(shape.tick(elapsed: 0), LoadTarget(users: 100, spawnRate: 10, stage: "baseline", stageRemaining: 60))
        XCTAssertEqual(shape.tick(elapsed: 60)?.stage, "cool", "a stage owns its start")
        XCTAssertEqual(shape.tick(elapsed: 149.9)?.users, 0)
        XCTAssertNil(shape.tick(elapsed: 150), "the run ends after the last stage")
        var invalid = scenario
        invalid.stages[1].name = "baseline"
        XCTAssertThrowsError(try invalid.validate()) { error in
            XCTAssertEqual("\(error)", "stages: stage 2 'baseline': another stage has this name; expected unique stage names")
        }
    }

    func testAConstantRampIsTheOneRunsHadBeforeShapes() {
        var ramp = UserRamp()
        let target = LoadTarget(users: 50, spawnRate: 10)
        var current = 0
        for tick in 0..<80 {
            let elapsed = Double(tick) * 0.1 + 0.003
            current = ramp.count(elapsed: elapsed, current: current, target: target)
            XCTAssertEqual(current, min(50, Int(10 * elapsed) + 1), "at \(elapsed) s")
        }
        XCTAssertEqual(ramp.count(elapsed: 9, current: 50, target: LoadTarget(users: 50, spawnRate: 0)), 50)
        XCTAssertEqual(ramp.count(elapsed: 9, current: 50, target: LoadTarget(users: 7, spawnRate: 0)), 7, "rate 0: at once")
    }

    func testARampDownRetiresAtTheSpawnRateFromWhereItBegan() {
        var ramp = UserRamp()
        var current = ramp.count(elapsed: 0, current: 0, target: LoadTarget(users: 20, spawnRate: 0, stage: "up"))
        XCTAssertEqual(current, 20)
        let down = LoadTarget(users: 5, spawnRate: 4, stage: "down")
        current = ramp.count(elapsed: 10, current: current, target: down)
        XCTAssertEqual(current, 19, "the first user goes at once")
        current = ramp.count(elapsed: 11.1, current: current, target: down)
        XCTAssertEqual(current, 15, "then 4 a second")
        current = ramp.count(elapsed: 20, current: current, target: down)
        XCTAssertEqual(current, 5, "never past the target")
        current = ramp.count(elapsed: 30, current: current, target: LoadTarget(users: 9, spawnRate: 2, stage: "again"))
        XCTAssertEqual(current, 6, "a new move starts from where the count is")
    }

    func testTheLiveConsoleNamesTheStageItsUsersAndItsTime() {
        XCTAssertEqual(ConsoleReporter.describe(StageProgress(name: "normal", index: 1, users: 500, elapsed: 12, remaining: 288)),
                       "stage 2 normal: 500 users, 12.0s in, 288.0s left")
        XCTAssertEqual(ConsoleReporter.describe(StageProgress(name: "mine", index: 0, users: 3, elapsed: 0.25, remaining: nil)),
                       "stage 1 mine: 3 users, 0.2s in", "a custom shape may not know when its stage ends")
    }

    func testTheRosterKeepsTheClassesSharesOnTheWayDown() {
        var roster = UserRoster(weights: [5, 3, 1], fixedCounts: [nil, nil, nil])
        roster.setTotal(100)
        XCTAssertEqual(roster.counts, [56, 33, 11])
        roster.setTotal(9)
        XCTAssertEqual(roster.counts, [5, 3, 1], "the same counts as on the way up")
        roster.setTotal(10)
        XCTAssertEqual(roster.counts, distributeUsers(total: 10, weights: [5, 3, 1]))
        roster.setTotal(0)
        XCTAssertEqual(roster.counts, [0, 0, 0])
        var fixed = UserRoster(weights: [1], fixedCounts: [2])
        fixed.setTotal(5)
        XCTAssertEqual(fixed.total, 2, "no class takes more than its fixed count")
    }

    func testRateStagesParseAndRampFromThePreviousStagesRate() throws {
        let stages = try Stage.parseList("up:100/s/1s, hold:100/s/2s ,down:0/s/1s")
        XCTAssertEqual(stages, [Stage("up", arrivalRate: 100, duration: 1), Stage("hold", arrivalRate: 100, duration: 2),
                                Stage("down", arrivalRate: 0, duration: 1)])
        XCTAssertTrue(Stage.areRateStages(stages))
        let shape = try StagedShape(stages)
        XCTAssertEqual(shape.peakArrivalRate, 100)
        XCTAssertEqual(try XCTUnwrap(shape.tick(elapsed: 0)?.arrivalRate), 0, accuracy: 1e-9, "the first stage starts from 0")
        XCTAssertEqual(try XCTUnwrap(shape.tick(elapsed: 0.5)?.arrivalRate), 50, accuracy: 1e-9)
        XCTAssertEqual(shape.tick(elapsed: 0.5)?.arrivalRateTarget, 100)
        XCTAssertEqual(try XCTUnwrap(shape.tick(elapsed: 2)?.arrivalRate), 100, accuracy: 1e-9, "the same rate holds")
        XCTAssertEqual(try XCTUnwrap(shape.tick(elapsed: 3.25)?.arrivalRate), 75, accuracy: 1e-9, "ramping down")
        XCTAssertEqual(shape.tick(elapsed: 3.25)?.stage, "down")
        XCTAssertNil(shape.tick(elapsed: 4))
    }
}
