import CicadaTestSupport
import Foundation
import Glibc
import XCTest

/// Checks that the test servers themselves keep their contract, with a raw socket client, so that a failing
/// Cicada test can be blamed on Cicada.
final class FaultServerTests: XCTestCase {
    private var server: FaultServer!

    override func setUpWithError() throws {
        server = FaultServer()
        try server.start()
    }

    override func tearDown() {
        server.stop()
        server = nil
    }

    func testOkKeepsTheConnectionOpenAndCountsRequests() throws {
        let connection = try ServerCheckConnection(port: server.port)
        for _ in 0..<3 {
            connection.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            let read = connection.receive(until: { $0.hasSuffix("\r\n\r\nok") })
            XCTAssertEqual(read.text, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
            XCTAssertEqual(read.end, .matched)
        }
        XCTAssertEqual(server.count(path: "/ok"), 3)
        XCTAssertEqual(server.totalRequests, 3)
        XCTAssertEqual(server.connectionsAccepted, 1)
    }

    func testChunkedHasThreeChunksAnExtensionAndATrailer() throws {
        let read = try exchange("GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n", until: { $0.hasSuffix("done\r\n\r\n") })
        XCTAssertEqual(read.end, .matched)
        XCTAssertTrue(read.text.hasSuffix(
            "\r\n\r\n5;name=value\r\nhello\r\n2\r\n, \r\n0B\r\nwide world!\r\n0\r\nX-Trailer: done\r\n\r\n"
        ))
        XCTAssertTrue(read.text.contains("Transfer-Encoding: chunked\r\n"))
        XCTAssertEqual(FaultServer.chunkedBody, "hello, wide world!")
    }

    func testHTTP10HasNoLengthAndEndsWithClose() throws {
        let read = try exchange("GET /http10 HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(read.end, .closed)
        XCTAssertTrue(read.text.hasPrefix("HTTP/1.0 200 OK\r\n"))
        XCTAssertFalse(read.text.contains("Content-Length"))
        XCTAssertTrue(read.text.hasSuffix("\r\n\r\n" + FaultServer.http10Body))
    }

    func testCloseMidBodySendsTenOfOneThousandBytes() throws {
        let read = try exchange("GET /close-mid-body HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(read.end, .closed)
        XCTAssertTrue(read.text.contains("Content-Length: 1000\r\n"))
        XCTAssertEqual(read.text.components(separatedBy: "\r\n\r\n").last, "0123456789")
    }

    func testGarbageStatus() throws {
        let read = try exchange("GET /garbage-status HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(read.end, .closed)
        XCTAssertEqual(read.text, "HTPT/9.9 abc\r\n\r\n")
    }

    func testOversizedHeader() throws {
        let read = try exchange("GET /oversized-header HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(read.end, .closed)
        let lines = read.text.components(separatedBy: "\r\n")
        XCTAssertEqual(lines.first, "HTTP/1.1 200 OK")
        XCTAssertEqual(lines[1].utf8.count, FaultServer.oversizedHeaderLength)
    }

    func testBadChunkSize() throws {
        let read = try exchange("GET /bad-chunk HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(read.end, .closed)
        XCTAssertTrue(read.text.hasSuffix("Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"))
    }

    func testStallSendsNothingAndStopDoesNotWaitForIt() throws {
        let connection = try ServerCheckConnection(port: server.port)
        connection.send("GET /stall HTTP/1.1\r\nHost: t\r\n\r\n")
        let read = connection.receive(until: { _ in false }, timeout: 0.3)
        XCTAssertEqual(read.end, .timedOut)
        XCTAssertEqual(read.bytes, [])
        XCTAssertEqual(server.count(path: "/stall"), 1)
        XCTAssertEqual(server.openConnections, 1)
        server.stop()
        let afterStop = connection.receive(until: { _ in false }, timeout: 5)
        XCTAssertNotEqual(afterStop.end, .timedOut, "stop() must close stalled connections")
    }

    func testStallMidBody() throws {
        let connection = try ServerCheckConnection(port: server.port)
        connection.send("GET /stall-mid-body HTTP/1.1\r\nHost: t\r\n\r\n")
        let read = connection.receive(until: { _ in false }, timeout: 0.3)
        XCTAssertEqual(read.end, .timedOut)
        XCTAssertTrue(read.text.contains("Content-Length: 100\r\n"))
        XCTAssertTrue(read.text.hasSuffix("\r\n\r\n0123456789"))
    }

    func testResetIsSeenAsECONNRESET() throws {
        let read = try exchange("GET /reset HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(read.end, .reset)
        XCTAssertEqual(read.bytes, [])
        XCTAssertEqual(server.count(path: "/reset"), 1)
    }

    func testStatusPathsAndBadStatus() throws {
        let connection = try ServerCheckConnection(port: server.port)
        for status in [200, 201, 404, 429, 500, 503] {
            connection.send("GET /status/\(status)?q=1 HTTP/1.1\r\nHost: t\r\n\r\n")
            let body = "status \(status)\n"
            let read = connection.receive(until: { $0.hasSuffix("\r\n\r\n" + body) })
            XCTAssertEqual(read.end, .matched, "status \(status)")
            XCTAssertTrue(read.text.hasPrefix("HTTP/1.1 \(status) "))
        }
        connection.send("GET /status/204 HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(connection.receive(until: { $0 == "HTTP/1.1 204 No Content\r\n\r\n" }).end, .matched)
        XCTAssertEqual(server.count(pathPrefix: "/status/"), 7)
        XCTAssertEqual(server.count(path: "/status/404"), 1)

        let bad = try exchange("GET /status/99 HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertTrue(bad.text.hasPrefix("HTTP/1.1 400 "))
        XCTAssertEqual(bad.end, .closed)
    }

    func testSlowDoesNotHoldUpOtherConnections() throws {
        let slow = try ServerCheckConnection(port: server.port)
        slow.send("GET /slow/1000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let quick = try exchange("GET /close-after HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(quick.end, .closed)
        XCTAssertEqual(server.count(path: "/slow/1000"), 1)
        XCTAssertEqual(slow.receive(until: { _ in false }, timeout: 0).bytes, [], "answered before its delay")
        XCTAssertEqual(slow.receive(until: { $0.hasSuffix("\r\n\r\nok") }).end, .matched)
    }

    func testCloseAfterSaysSoAndCloses() throws {
        let connection = try ServerCheckConnection(port: server.port)
        connection.send("GET /close-after HTTP/1.1\r\nHost: t\r\n\r\nGET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        let read = connection.receive(until: { _ in false })
        XCTAssertEqual(read.end, .closed)
        XCTAssertEqual(
            read.text, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        )
        XCTAssertEqual(server.count(path: "/ok"), 0, "nothing is read after a close")
    }

    func testInformationalResponsesPrecedeTheFinalOne() throws {
        let read = try exchange("GET /informational HTTP/1.1\r\nHost: t\r\n\r\n", until: { $0.hasSuffix("\r\n\r\nok") })
        XCTAssertTrue(read.text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"))
    }

    func testUnknownPathIs404AndKeepsTheConnection() throws {
        let connection = try ServerCheckConnection(port: server.port)
        connection.send("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\nGET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        let read = connection.receive(until: { $0.hasSuffix("\r\n\r\nok") })
        XCTAssertEqual(read.end, .matched)
        XCTAssertTrue(read.text.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        XCTAssertEqual(server.count(path: "/nowhere"), 1)
    }

    func testPipelinedRequestsWithBodiesAreAnsweredInOrder() throws {
        let connection = try ServerCheckConnection(port: server.port)
        let body = String(repeating: "b", count: 200_000)
        connection.send(
            "POST /status/201 HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                + "HEAD /ok HTTP/1.1\r\nHost: t\r\n\r\n"
                + "PUT /ok HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
        )
        let expected = "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nstatus 201\n"
            + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        let read = connection.receive(until: { $0.utf8.count >= expected.utf8.count })
        XCTAssertEqual(read.text, expected)
        XCTAssertEqual(server.totalRequests, 3)
    }

    func testHTTP10RequestIsAnsweredThenClosed() throws {
        let read = try exchange("GET /ok HTTP/1.0\r\n\r\n")
        XCTAssertEqual(read.end, .closed)
        XCTAssertTrue(read.text.contains("Connection: close\r\n"))
        XCTAssertTrue(read.text.hasSuffix("\r\n\r\nok"))
    }

    func testThousandsOfConnectionsLeaveNothingOpen() throws {
        let paths = ["/ok", "/close-after", "/reset", "/http10", "/close-mid-body", "/garbage-status"]
        for index in 0..<3000 {
            let connection = try ServerCheckConnection(port: server.port)
            connection.send("GET \(paths[index % paths.count]) HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = connection.receive(until: { $0.hasSuffix("\r\n\r\nok") || $0.hasSuffix("\r\n\r\n") && $0.count < 20 })
        }
        var open: [ServerCheckConnection] = []
        for index in 0..<1000 {
            let connection = try ServerCheckConnection(port: server.port)
            connection.send("GET \(index.isMultiple(of: 2) ? "/stall" : "/ok") HTTP/1.1\r\nHost: t\r\n\r\n")
            open.append(connection)
        }
        for connection in open.enumerated() where !connection.offset.isMultiple(of: 2) {
            XCTAssertEqual(connection.element.receive(until: { $0.hasSuffix("\r\n\r\nok") }).end, .matched)
        }
        XCTAssertEqual(server.totalRequests, 4000)
        XCTAssertEqual(server.connectionsAccepted, 4000)
        XCTAssertEqual(server.openConnections, 1000)
        open.removeAll()
        XCTAssertTrue(serverCheckEventually { self.server.openConnections == 0 }, "open: \(server.openConnections)")
        XCTAssertEqual(server.count(path: "/reset"), 500)
    }

    func testClientLeavingDuringADelayIsCleanedUp() throws {
        do {
            let connection = try ServerCheckConnection(port: server.port)
            connection.send("GET /slow/100 HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertTrue(serverCheckEventually { self.server.count(path: "/slow/100") == 1 })
        }
        XCTAssertTrue(serverCheckEventually { self.server.openConnections == 0 })
    }

    func testStopDuringTrafficReturns() throws {
        let port = server.port
        let finished = DispatchGroup()
        let clients = (0..<4).map { _ in
            finished.enter()
            return Thread {
                defer { finished.leave() }
                // Each client loops until the server goes away; the loop is bounded in case it never does.
                for _ in 0..<100_000 {
                    guard let connection = try? ServerCheckConnection(port: port) else { return }
                    connection.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\nGET /stall HTTP/1.1\r\nHost: t\r\n\r\n")
                    if connection.receive(until: { $0.hasSuffix("\r\n\r\nok") }, timeout: 1).end != .matched { return }
                }
            }
        }
        clients.forEach { $0.start() }
        XCTAssertTrue(serverCheckEventually { self.server.count(path: "/stall") >= 200 })
        server.stop()
        XCTAssertEqual(server.openConnections, 0)
        XCTAssertThrowsError(try ServerCheckConnection(port: port))
        // No client may outlive the test and talk to the next test's server.
        XCTAssertEqual(finished.wait(timeout: .now() + 10), .success)
    }

    func testStopClosesTheListenerAndStartUsesANewPort() throws {
        let port = server.port
        server.stop()
        XCTAssertThrowsError(try ServerCheckConnection(port: port))
        try server.start()
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertEqual(try exchange("GET /close-after HTTP/1.1\r\n\r\n").end, .closed)
    }

    func testClosedPortRefusesConnections() {
        XCTAssertThrowsError(try ServerCheckConnection(port: FaultServer.closedPort())) { error in
            XCTAssertEqual((error as? ServerCheckConnection.ConnectFailed)?.errno, ECONNREFUSED)
        }
    }

    private func exchange(
        _ request: String, until done: @escaping (String) -> Bool = { _ in false }
    ) throws -> ServerCheckConnection.Read {
        let connection = try ServerCheckConnection(port: server.port)
        connection.send(request)
        return connection.receive(until: done)
    }
}

final class NginxFixtureTests: XCTestCase {
    func testServesLogsAndStopsWithoutLeavingProcesses() throws {
        try XCTSkipUnless(NginxFixture.isAvailable, "nginx is not installed")
        let nginx = NginxFixture(options: .init(workerProcesses: 2))
        try nginx.start()
        let master = nginx.masterProcessID
        let workers = processes(withParent: master)
        XCTAssertEqual(workers.count, 2)

        let connection = try ServerCheckConnection(port: nginx.port)
        for path in ["/", "/status/404", "/anything?x=1"] {
            connection.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(connection.receive(until: { $0.hasSuffix(NginxFixture.rootBody) || $0.hasSuffix("status 404\n") }).end, .matched)
        }
        let body = String(repeating: "p", count: 5000)
        connection.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n\(body)")
        XCTAssertEqual(connection.receive(until: { $0.hasSuffix(NginxFixture.rootBody) }).end, .matched)

        let closing = try ServerCheckConnection(port: nginx.port)
        closing.send("GET /close HTTP/1.1\r\nHost: t\r\n\r\n")
        let closed = closing.receive(until: { _ in false })
        XCTAssertEqual(closed.end, .closed)
        XCTAssertTrue(closed.text.contains("Connection: close\r\n"))

        let lines = nginx.accessLogLines(atLeast: 5)
        XCTAssertEqual(lines.map(\.uri), ["/", "/status/404", "/anything?x=1", "/upload", "/close"])
        XCTAssertEqual(lines.map(\.status), [200, 404, 200, 200, 200])
        XCTAssertEqual(lines.map(\.method), ["GET", "GET", "GET", "POST", "GET"])
        XCTAssertEqual(lines.prefix(4).map(\.connectionRequests), [1, 2, 3, 4])
        XCTAssertEqual(Set(lines.prefix(4).map(\.connection)).count, 1)
        XCTAssertNotEqual(lines[4].connection, lines[0].connection)
        XCTAssertEqual(lines[0].bodyBytesSent, 100)

        nginx.resetAccessLog()
        XCTAssertEqual(nginx.accessLogLines(), [])
        connection.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(connection.receive(until: { $0.hasSuffix(NginxFixture.rootBody) }).end, .matched)
        XCTAssertEqual(nginx.accessLogLines(atLeast: 1).map(\.uri), ["/again"])

        let port = nginx.port
        nginx.stop()
        XCTAssertFalse(nginx.isRunning)
        XCTAssertThrowsError(try ServerCheckConnection(port: port))
        for pid in [master] + workers {
            XCTAssertFalse(processExists(pid), "nginx process \(pid) left behind")
        }
    }

    func testKeepaliveRequestsClosesTheConnectionAfterTheLimit() throws {
        try XCTSkipUnless(NginxFixture.isAvailable, "nginx is not installed")
        let nginx = NginxFixture(options: .init(keepaliveRequests: 3))
        try nginx.start()
        defer { nginx.stop() }
        let connection = try ServerCheckConnection(port: nginx.port)
        for _ in 0..<2 {
            connection.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(connection.receive(until: { $0.hasSuffix(NginxFixture.rootBody) }).end, .matched)
        }
        connection.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        let last = connection.receive(until: { _ in false })
        XCTAssertEqual(last.end, .closed)
        XCTAssertTrue(last.text.contains("Connection: close\r\n"))
        XCTAssertEqual(nginx.accessLogLines(atLeast: 3).map(\.connectionRequests), [1, 2, 3])
    }

    func testStartFailureCarriesNginxsErrorLog() throws {
        try XCTSkipUnless(NginxFixture.isAvailable, "nginx is not installed")
        let nginx = NginxFixture(options: .init(extraServerDirectives: ["no_such_directive on;"]))
        XCTAssertThrowsError(try nginx.start()) { error in
            XCTAssertTrue("\(error)".contains("unknown directive \"no_such_directive\""), "\(error)")
        }
        XCTAssertFalse(nginx.isRunning)
    }

    func testRestartsAfterStop() throws {
        try XCTSkipUnless(NginxFixture.isAvailable, "nginx is not installed")
        let nginx = NginxFixture()
        try nginx.start()
        nginx.stop()
        try nginx.start()
        defer { nginx.stop() }
        let connection = try ServerCheckConnection(port: nginx.port)
        connection.send("GET /status/503 HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(connection.receive(until: { $0.hasSuffix("status 503\n") }).end, .matched)
    }

    private func processes(withParent parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }

    /// True while `pid` runs; a zombie (exited, not yet reaped by its new parent) counts as gone.
    private func processExists(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}

/// Polls `condition` for up to five seconds.
private func serverCheckEventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A blocking loopback TCP client that reports exactly how a read ended, for checking the servers' faults.
private final class ServerCheckConnection {
    struct ConnectFailed: Error {
        var errno: Int32
    }

    /// How a read ended.
    enum End: Equatable {
        case matched
        case closed
        case reset
        case timedOut
    }

    struct Read {
        var bytes: [UInt8]
        var end: End
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            let saved = errno
            close(fd)
            throw ConnectFailed(errno: saved)
        }
    }

    deinit {
        close(fd)
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    /// Reads until `done` holds for what was read, the peer closes or resets, or `timeout` seconds pass idle.
    func receive(until done: (String) -> Bool, timeout: TimeInterval = 5) -> Read {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(timeout * 1000)) == 1 else { return Read(bytes: bytes, end: .timedOut) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return Read(bytes: bytes, end: .closed) }
            if n < 0 {
                if errno == EINTR { continue }
                return Read(bytes: bytes, end: errno == ECONNRESET ? .reset : .closed)
            }
            bytes.append(contentsOf: buffer[0..<n])
            if done(String(decoding: bytes, as: UTF8.self)) { return Read(bytes: bytes, end: .matched) }
        }
    }
}
