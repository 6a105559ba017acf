@testable import CicadaWeb
import XCTest

/// The web UI's one-run-at-a-time rules, driven event by event without a server.
final class RunSlotTests: XCTestCase {
    private let reports = RunReports(summaryJSON: Data("{}".utf8), statsCSV: "", failuresCSV: "", html: "", exitCode: 0)

    func testOneRunAtATimeAndANewRunTakesTheLastOnesReportsAway() throws {
        var slot = RunSlot()
        XCTAssertEqual(try slot.begin(), 1)
        XCTAssertThrowsError(try slot.begin()) { XCTAssertEqual($0 as? RunSlot.Refusal, .busy) }
        slot.ended(1, .success(reports))
        XCTAssertTrue(slot.finished)
        XCTAssertNotNil(slot.reports)
        XCTAssertEqual(try slot.begin(), 2)
        XCTAssertNil(slot.reports, "the first run's reports are not the second's")
        XCTAssertFalse(slot.finished)
    }

    func testALaunchThatFailsFreesTheSlotAndItsNumber() throws {
        var slot = RunSlot()
        XCTAssertEqual(try slot.begin(), 1)
        slot.launchFailed(1)
        XCTAssertTrue(slot.finished)
        XCTAssertEqual(try slot.begin(), 1, "the number was never used")
    }

    func testARunThatEndsBeforeItsStartIsRecordedKeepsItsFailure() throws {
        var slot = RunSlot()
        let number = try slot.begin()
        slot.ended(number, .failure(WebError.badInput("the engine refused")))
        slot.launchFailed(number) // not a launch failure: the run had started; nothing changes
        XCTAssertEqual(slot.message, "the engine refused")
        XCTAssertTrue(slot.finished)
        XCTAssertEqual(slot.runNumber, 1)
        slot.ended(0, .success(reports))
        XCTAssertNil(slot.reports, "an older run's end is ignored")
    }

    func testClosingRefusesNewRunsAndNamesNoRunWhenNoneGoesOn() throws {
        var slot = RunSlot()
        XCTAssertNil(slot.close())
        XCTAssertThrowsError(try slot.begin()) { XCTAssertEqual($0 as? RunSlot.Refusal, .closed) }
    }
}
