import Cicada
import XCTest

/// The web UI's steering, driven tick by tick: a scale lasts until the stage ends, a skip starts the next
/// stage from its beginning, and a skipped last stage ends the run.
final class SteerableShapeTests: XCTestCase {
    private func staged() throws -> (SteerableShape, LoadControl) {
        let control = LoadControl()
        let base = try StagedShape([Stage("warm", users: 2, spawnRate: 10, duration: 10),
                                    Stage("hot", users: 5, spawnRate: 20, duration: 10)])
        return (SteerableShape(base: base, control: control), control)
    }

    func testAScaleHoldsForTheRestOfItsStageOnly() throws {
        let (shape, control) = try staged()
        XCTAssertEqual(shape.tick(elapsed: 1)?.users, 2)
        control.scale(users: 4, spawnRate: 3)
        let scaled = try XCTUnwrap(shape.tick(elapsed: 2))
        XCTAssertEqual(scaled.users, 4)
        XCTAssertEqual(scaled.spawnRate, 3)
        XCTAssertEqual(scaled.stage, "warm")
        XCTAssertEqual(shape.tick(elapsed: 9.9)?.users, 4, "the rest of the stage")
        let next = try XCTUnwrap(shape.tick(elapsed: 10.1))
        XCTAssertEqual(next.stage, "hot")
        XCTAssertEqual(next.users, 5, "the next stage has its own users")
        XCTAssertEqual(next.spawnRate, 20)
    }

    func testASkipStartsTheNextStageFromItsBeginningAndASkippedLastStageEndsTheRun() throws {
        let (shape, control) = try staged()
        XCTAssertEqual(shape.tick(elapsed: 3)?.stage, "warm")
        control.skipStage()
        let skipped = try XCTUnwrap(shape.tick(elapsed: 3.5))
        XCTAssertEqual(skipped.stage, "hot")
        XCTAssertEqual(skipped.users, 5)
        XCTAssertEqual(skipped.stageRemaining ?? 0, 10, accuracy: 0.01, "the whole of the next stage is ahead")
        XCTAssertEqual(shape.tick(elapsed: 13)?.stage, "hot", "later ticks follow the shifted schedule")
        control.skipStage()
        XCTAssertNil(shape.tick(elapsed: 14), "skipping the last stage ends the run")
    }

    func testWithoutStagesAScaleHoldsForTheRunAndARateOnlyChangesAnOpenModelRun() {
        let control = LoadControl()
        let users = SteerableShape(base: ConstantShape(users: 10, spawnRate: 10), control: control)
        control.scale(users: 30, spawnRate: 5)
        XCTAssertEqual(users.tick(elapsed: 1)?.users, 30)
        XCTAssertEqual(users.tick(elapsed: 500)?.users, 30)
        control.scale(arrivalRate: 99)
        XCTAssertNil(users.tick(elapsed: 501)?.arrivalRate, "a run of users has no rate to change")

        let rateControl = LoadControl()
        let rate = SteerableShape(base: ConstantArrivalShape(rate: 100), control: rateControl)
        XCTAssertEqual(rate.tick(elapsed: 1)?.arrivalRate, 100)
        rateControl.scale(arrivalRate: 250)
        XCTAssertEqual(rate.tick(elapsed: 2)?.arrivalRate, 250)
        rateControl.skipStage()
        XCTAssertEqual(rate.tick(elapsed: 3)?.arrivalRate, 250, "a skip without stages changes nothing")
    }
}
