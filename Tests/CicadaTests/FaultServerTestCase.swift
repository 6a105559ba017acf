import CicadaTestSupport
import XCTest

/// A test case with the project's fault server started on loopback before each test and stopped after
/// it, for the tests that run against its paths (its contract is in `Tests/Support/FaultServer.swift`).
class FaultServerTestCase: XCTestCase {
    var server: FaultServer!

    override func setUpWithError() throws {
        try super.setUpWithError()
        server = FaultServer()
        try server.start()
    }

    override func tearDown() {
        server?.stop()
        super.tearDown()
    }
}
