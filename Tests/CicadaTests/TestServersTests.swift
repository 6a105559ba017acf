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

    func testAnsweredCountsWholeWellFormedResponsesOnly() throws {
        let answers = ["/ok", "/chunked", "/http10", "/status/503", "/slow/0", "/close-after", "/informational", "/nowhere"]
        let faults = ["/close-mid-body", "/garbage-status", "/oversized-header", "/bad-chunk", "/reset"]
        for path in answers + faults {
            let read = try exchange("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            XCTAssertNotEqual(read.end, .timedOut, path)
        }
        let stalled = try ServerCheckConnection(port: server.port)
        stalled.send("GET /stall-mid-body HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(stalled.receive(until: { $0.hasSuffix("0123456789") }).end, .matched)
        for path in answers { XCTAssertEqual(server.answered(path: path), 1, path) }
        for path in faults + ["/stall-mid-body"] {
            XCTAssertEqual(server.answered(path: path), 0, path)
            XCTAssertEqual(server.count(path: path), 1, "\(path) was received")
        }
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

/// Checks the TLS fixtures with `openssl` as the client: the certificates, nginx with TLS and the TLS fault
/// server.
final class TestCertificatesTests: XCTestCase {
    func testServerAndClientCertificatesVerifyAgainstTheCAAndTheSelfSignedOneDoesNot() throws {
        try XCTSkipUnless(TestCertificates.isAvailable, "openssl is not installed")
        let certificates = try TestCertificates()
        let ca = certificates.caCertificatePath
        for name in ["-verify_hostname localhost", "-verify_ip 127.0.0.1", "-verify_ip ::1"] {
            let server = try runOpenSSL(
                ["verify", "-CAfile", ca, "-purpose", "sslserver"] + name.split(separator: " ").map(String.init)
                    + [certificates.serverCertificatePath]
            )
            XCTAssertEqual(server.status, 0, "\(name): \(server.everything)")
        }
        let client = try runOpenSSL(
            ["verify", "-CAfile", ca, "-purpose", "sslclient", certificates.clientCertificatePath]
        )
        XCTAssertEqual(client.status, 0, client.everything)
        // The server certificate is no CA: nothing it signed could verify.
        let notCA = try runOpenSSL(
            ["x509", "-in", certificates.serverCertificatePath, "-noout", "-ext", "basicConstraints"]
        )
        XCTAssertTrue(notCA.output.contains("CA:FALSE"), notCA.everything)

        let selfSigned = try runOpenSSL(
            ["verify", "-CAfile", ca, "-verify_hostname", "localhost", certificates.selfSignedCertificatePath]
        )
        XCTAssertNotEqual(selfSigned.status, 0)
        XCTAssertTrue(selfSigned.everything.contains("self-signed certificate"), selfSigned.everything)
        let trustingItself = try runOpenSSL(
            ["verify", "-CAfile", certificates.selfSignedCertificatePath, "-verify_hostname", "localhost",
             certificates.selfSignedCertificatePath]
        )
        XCTAssertEqual(trustingItself.status, 0, trustingItself.everything)
        for (certificate, key) in [
            (certificates.serverCertificatePath, certificates.serverKeyPath),
            (certificates.clientCertificatePath, certificates.clientKeyPath),
            (certificates.selfSignedCertificatePath, certificates.selfSignedKeyPath),
        ] {
            let fromCertificate = try runOpenSSL(["x509", "-in", certificate, "-noout", "-pubkey"])
            let fromKey = try runOpenSSL(["pkey", "-in", key, "-pubout"])
            XCTAssertEqual(fromCertificate.output, fromKey.output, "\(key) does not belong to \(certificate)")
            XCTAssertTrue(fromKey.output.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        }
    }

    func testDirectoryIsRemovedOnRelease() throws {
        try XCTSkipUnless(TestCertificates.isAvailable, "openssl is not installed")
        var certificates: TestCertificates? = try TestCertificates()
        let directory = certificates!.directory
        XCTAssertTrue(FileManager.default.fileExists(atPath: certificates!.selfSignedKeyPath))
        certificates = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
    }

    func testFailingOpenSSLIsReportedWithTheStepAndCommand() throws {
        setenv("CICADA_OPENSSL", "/bin/false", 1)
        defer { unsetenv("CICADA_OPENSSL") }
        XCTAssertThrowsError(try TestCertificates()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("generating the CA failed: /bin/false req "), text)
            XCTAssertTrue(text.contains("(exit status 1)"), text)
        }
        setenv("CICADA_OPENSSL", "/nonexistent/openssl", 1)
        XCTAssertThrowsError(try TestCertificates()) { error in
            XCTAssertTrue("\(error)".hasPrefix("openssl is not installed at /nonexistent/openssl"), "\(error)")
        }
    }
}

final class NginxTLSTests: XCTestCase {
    private var certificates: TestCertificates!

    override func setUpWithError() throws {
        try XCTSkipUnless(NginxFixture.isAvailable, "nginx is not installed")
        try XCTSkipUnless(TestCertificates.isAvailable, "openssl is not installed")
        certificates = try TestCertificates()
    }

    func testServesHTTPSThatVerifiesWithTheCAAndLogsTheProtocol() throws {
        let nginx = NginxFixture(options: .init(tls: .init(certificates: certificates)))
        try nginx.start()
        defer { nginx.stop() }
        XCTAssertEqual(nginx.baseURL, "https://127.0.0.1:\(nginx.port)")

        let verified = try sClient(port: nginx.port, ["-CAfile", certificates.caCertificatePath], request: "/")
        XCTAssertEqual(verified.status, 0, verified.everything)
        XCTAssertTrue(verified.errors.contains("Verification: OK"), verified.everything)
        XCTAssertTrue(verified.output.hasPrefix("HTTP/1.1 200 OK\r\n"), verified.everything)
        XCTAssertTrue(verified.output.hasSuffix("\r\n\r\n" + NginxFixture.rootBody), verified.everything)
        let overTLS12 = try sClient(
            port: nginx.port, ["-CAfile", certificates.caCertificatePath, "-tls1_2"], request: "/status/404"
        )
        XCTAssertTrue(overTLS12.output.hasSuffix("\r\n\r\nstatus 404\n"), overTLS12.everything)

        // Without the CA (the system's store only) verification fails and no request is sent.
        let untrusted = try sClient(port: nginx.port, [], request: "/untrusted")
        XCTAssertNotEqual(untrusted.status, 0)
        XCTAssertTrue(untrusted.errors.contains("unable to get local issuer certificate"), untrusted.everything)
        XCTAssertEqual(untrusted.output, "")

        // Plain HTTP to the TLS port: nginx answers 400 and logs `-` for both TLS fields.
        let plain = try ServerCheckConnection(port: nginx.port)
        plain.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertTrue(plain.receive(until: { _ in false }).text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))

        let lines = nginx.accessLogLines(atLeast: 3)
        XCTAssertEqual(lines.map(\.uri), ["/", "/status/404", "/plain"])
        XCTAssertEqual(lines.map(\.status), [200, 404, 400])
        XCTAssertEqual(lines.map(\.sslProtocol), ["TLSv1.3", "TLSv1.2", nil])
        XCTAssertEqual(lines.map(\.sslSessionReused), [false, false, nil])
        XCTAssertEqual(lines[0].bodyBytesSent, 100)
    }

    func testMutualTLSServesOnlyClientsWithACertificateFromTheCA() throws {
        let nginx = NginxFixture(options: .init(tls: .init(certificates: certificates, verifyingClients: true)))
        try nginx.start()
        defer { nginx.stop() }
        let ca = ["-CAfile", certificates.caCertificatePath]

        let without = try sClient(port: nginx.port, ca, request: "/without")
        XCTAssertTrue(without.output.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), without.everything)
        XCTAssertTrue(without.output.contains("No required SSL certificate was sent"), without.everything)
        let with = try sClient(
            port: nginx.port,
            ca + ["-cert", certificates.clientCertificatePath, "-key", certificates.clientKeyPath],
            request: "/with"
        )
        XCTAssertTrue(with.output.hasSuffix("\r\n\r\n" + NginxFixture.rootBody), with.everything)
        let untrusted = try sClient(
            port: nginx.port,
            ca + ["-cert", certificates.selfSignedCertificatePath, "-key", certificates.selfSignedKeyPath],
            request: "/untrusted"
        )
        XCTAssertTrue(untrusted.output.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), untrusted.everything)

        let lines = nginx.accessLogLines(atLeast: 3)
        XCTAssertEqual(lines.map(\.uri), ["/without", "/with", "/untrusted"])
        XCTAssertEqual(lines.map(\.status), [400, 200, 400])
    }

    func testResumedSessionsAreLoggedAsReused() throws {
        let nginx = NginxFixture(options: .init(tls: .init(certificates: certificates)))
        try nginx.start()
        defer { nginx.stop() }
        // `s_client -reconnect` would be shorter, but OpenSSL 3.0's reconnects before a TLS 1.3 ticket arrives and
        // sends no request until the last connection, so the session is saved and reused explicitly.
        for version in ["-tls1_3", "-tls1_2"] {
            let session = certificates.directory + "/session\(version).pem"
            let arguments = ["-CAfile", certificates.caCertificatePath, version]
            let first = try sClient(port: nginx.port, arguments + ["-sess_out", session], request: "/close")
            XCTAssertTrue(first.output.hasSuffix(NginxFixture.rootBody), first.everything)
            let second = try sClient(port: nginx.port, arguments + ["-sess_in", session], request: "/close")
            XCTAssertTrue(second.output.hasSuffix(NginxFixture.rootBody), second.everything)
        }
        let lines = nginx.accessLogLines(atLeast: 4)
        XCTAssertEqual(lines.map(\.sslSessionReused), [false, true, false, true])
        XCTAssertEqual(lines.map(\.sslProtocol), ["TLSv1.3", "TLSv1.3", "TLSv1.2", "TLSv1.2"])
        XCTAssertEqual(Set(lines.map(\.connection)).count, 4, "/close must close every connection")
    }

    func testWithoutTicketsAndSessionCacheNothingIsResumed() throws {
        let tls = NginxFixture.TLS(certificates: certificates, sessionTickets: false, sessionCache: false)
        let nginx = NginxFixture(options: .init(tls: tls))
        try nginx.start()
        defer { nginx.stop() }
        // nginx 1.22 still hands out a TLS 1.3 ticket with `ssl_session_tickets off` (OpenSSL then makes it a
        // stateful one, which needs the cache that is off), so s_client may save a session; offering it must
        // not resume. For TLS 1.2 there is nothing resumable to save.
        var expected: [Bool?] = []
        for version in ["-tls1_3", "-tls1_2"] {
            let session = certificates.directory + "/session\(version).pem"
            let arguments = ["-CAfile", certificates.caCertificatePath, version]
            let first = try sClient(port: nginx.port, arguments + ["-sess_out", session], request: "/close")
            XCTAssertTrue(first.output.hasSuffix(NginxFixture.rootBody), first.everything)
            expected.append(false)
            guard FileManager.default.fileExists(atPath: session) else { continue }
            let second = try sClient(port: nginx.port, arguments + ["-sess_in", session], request: "/close")
            XCTAssertTrue(second.output.hasSuffix(NginxFixture.rootBody), second.everything)
            expected.append(false)
        }
        XCTAssertEqual(nginx.accessLogLines(atLeast: expected.count).map(\.sslSessionReused), expected)
    }

    func testProtocolsOptionLimitsTheVersions() throws {
        let nginx = NginxFixture(options: .init(tls: .init(certificates: certificates, protocols: ["TLSv1.3"])))
        try nginx.start()
        defer { nginx.stop() }
        let refused = try sClient(
            port: nginx.port, ["-CAfile", certificates.caCertificatePath, "-tls1_2"], request: "/tls12"
        )
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.output, "")
        XCTAssertTrue(refused.errors.contains("alert protocol version"), refused.everything)
        let accepted = try sClient(port: nginx.port, ["-CAfile", certificates.caCertificatePath], request: "/tls13")
        XCTAssertTrue(accepted.output.hasSuffix(NginxFixture.rootBody), accepted.everything)
        XCTAssertEqual(nginx.accessLogLines(atLeast: 1).map(\.uri), ["/tls13"])
    }

    func testStartFailureNamesTheCertificateNginxCouldNotLoad() throws {
        let tls = NginxFixture.TLS(certificatePath: "/nonexistent/server.pem", keyPath: certificates.serverKeyPath)
        let nginx = NginxFixture(options: .init(tls: tls))
        XCTAssertThrowsError(try nginx.start()) { error in
            XCTAssertTrue("\(error)".contains("cannot load certificate \"/nonexistent/server.pem\""), "\(error)")
        }
        XCTAssertFalse(nginx.isRunning)
    }

    func testAccessLogLinesParseWithAndWithoutTLSFields() {
        let cases: [(String, NginxFixture.AccessLogLine?)] = [
            ("GET / 200 1 2 79 100", .init(method: "GET", uri: "/", status: 200, connection: 1, connectionRequests: 2,
                                           requestLength: 79, bodyBytesSent: 100)),
            ("GET /a b 200 1 2 79 100 r TLSv1.3", .init(method: "GET", uri: "/a b", status: 200, connection: 1,
                                                         connectionRequests: 2, requestLength: 79, bodyBytesSent: 100,
                                                         sslSessionReused: true, sslProtocol: "TLSv1.3")),
            ("POST /x 201 3 1 90 0 . TLSv1.2", .init(method: "POST", uri: "/x", status: 201, connection: 3,
                                                      connectionRequests: 1, requestLength: 90, bodyBytesSent: 0,
                                                      sslSessionReused: false, sslProtocol: "TLSv1.2")),
            ("GET /plain 400 14 1 51 248 - -", .init(method: "GET", uri: "/plain", status: 400, connection: 14,
                                                      connectionRequests: 1, requestLength: 51, bodyBytesSent: 248)),
            ("GET / 200 1 2 79 100 x TLSv1.3", nil),
            ("GET / 200 1 2 79 r TLSv1.3", nil),
            ("r TLSv1.3", nil),
            ("", nil),
        ]
        for (line, expected) in cases {
            XCTAssertEqual(NginxFixture.AccessLogLine(parsing: line[...]), expected, line)
        }
    }
}

final class TLSFaultServerTests: XCTestCase {
    /// The first record of a TLS handshake as far as the server cares: type 22 (handshake), version 3.1, length 4,
    /// and a ClientHello header with an empty body.
    private let clientHello = String(decoding: [0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00], as: UTF8.self)

    override func setUpWithError() throws {
        try XCTSkipUnless(TestCertificates.isAvailable, "openssl is not installed")
    }

    func testHandshakeThenCloseCompletesTheHandshakeAndAnswersNothing() throws {
        let certificates = try TestCertificates()
        let server = TLSFaultServer(mode: .handshakeThenClose(certificates))
        try server.start()
        defer { server.stop() }
        XCTAssertEqual(server.baseURL, "https://127.0.0.1:\(server.port)")

        for version in ["-tls1_3", "-tls1_2"] {
            let read = try sClient(
                port: server.port, ["-CAfile", certificates.caCertificatePath, version], request: "/"
            )
            XCTAssertTrue(read.errors.contains("Verification: OK"), read.everything)
            XCTAssertTrue(read.errors.contains("unexpected eof while reading"), read.everything)
            XCTAssertEqual(read.output, "")
        }
        // A client that does not trust the certificate aborts the handshake; the server counts no handshake.
        let untrusted = try sClient(port: server.port, [], request: "/")
        XCTAssertTrue(untrusted.errors.contains("unable to get local issuer certificate"), untrusted.everything)
        XCTAssertEqual(server.connectionsAccepted, 3)
        XCTAssertTrue(serverCheckEventually { server.handshakesCompleted == 2 }, "\(server.handshakesCompleted)")
        XCTAssertTrue(serverCheckEventually { server.openConnections == 0 })
    }

    func testGarbageAnswersTheClientHelloWithPlainHTTP() throws {
        let server = TLSFaultServer(mode: .garbage)
        try server.start()
        defer { server.stop() }

        // Nothing comes back until the whole first record has arrived.
        let connection = try ServerCheckConnection(port: server.port)
        connection.send(String(clientHello.prefix(6)))
        XCTAssertEqual(connection.receive(until: { _ in false }, timeout: 0.2).end, .timedOut)
        connection.send(String(clientHello.dropFirst(6)))
        let read = connection.receive(until: { _ in false })
        XCTAssertEqual(read.end, .closed)
        XCTAssertEqual(read.text, TLSFaultServer.garbageResponse)

        let client = try sClient(port: server.port, [], request: "/")
        XCTAssertTrue(client.errors.contains("wrong version number"), client.everything)
        XCTAssertEqual(server.connectionsAccepted, 2)
        XCTAssertEqual(server.handshakesCompleted, 0)
    }

    func testStallMidHandshakeSendsNothingAndStopDoesNotWaitForIt() throws {
        let server = TLSFaultServer(mode: .stallMidHandshake)
        try server.start()
        do {
            let gone = try ServerCheckConnection(port: server.port)
            gone.send(clientHello)
            XCTAssertEqual(gone.receive(until: { _ in false }, timeout: 0.2).end, .timedOut)
        }
        let stalled = (0..<20).map { _ in try? ServerCheckConnection(port: server.port) }.compactMap { $0 }
        for connection in stalled { connection.send(clientHello) }
        let read = stalled[0].receive(until: { _ in false }, timeout: 0.3)
        XCTAssertEqual(read.end, .timedOut)
        XCTAssertEqual(read.bytes, [])
        // The first client, gone, is noticed; stop() closes the rest.
        XCTAssertTrue(serverCheckEventually { server.openConnections == 20 }, "\(server.openConnections)")
        server.stop()
        XCTAssertEqual(server.openConnections, 0)
        for connection in stalled {
            let end = connection.receive(until: { _ in false }).end
            XCTAssertNotEqual(end, .timedOut, "stop() must close stalled connections")
        }
        XCTAssertEqual(server.connectionsAccepted, 21)
    }

    func testAcceptAndCloseEndsTheStreamBeforeAnyServerHello() throws {
        let server = TLSFaultServer(mode: .acceptAndClose)
        try server.start()
        defer { server.stop() }
        let connection = try ServerCheckConnection(port: server.port)
        connection.send(clientHello)
        let read = connection.receive(until: { _ in false })
        XCTAssertEqual(read.end, .closed, "an end of stream, not a reset")
        XCTAssertEqual(read.bytes, [])

        let client = try sClient(port: server.port, [], request: "/")
        XCTAssertTrue(client.errors.contains("unexpected eof while reading"), client.everything)
        XCTAssertEqual(server.connectionsAccepted, 2)
    }

    func testStartRejectsAMissingCertificateOrAKeyThatDoesNotMatch() throws {
        let certificates = try TestCertificates()
        let missing = TLSFaultServer(
            mode: .handshakeThenClose(certificatePath: "/nonexistent.pem", keyPath: certificates.serverKeyPath)
        )
        XCTAssertThrowsError(try missing.start()) { error in
            XCTAssertTrue("\(error)".hasPrefix("TLS set-up failed: certificate /nonexistent.pem: "), "\(error)")
        }
        let mismatched = TLSFaultServer(
            mode: .handshakeThenClose(
                certificatePath: certificates.serverCertificatePath, keyPath: certificates.clientKeyPath
            )
        )
        XCTAssertThrowsError(try mismatched.start()) { error in
            XCTAssertTrue("\(error)".contains("key values mismatch"), "\(error)")
        }
        XCTAssertEqual(mismatched.port, 0)
    }

    func testRestartsOnANewPortAndResetsCounts() throws {
        let server = TLSFaultServer(mode: .acceptAndClose)
        try server.start()
        let port = server.port
        _ = try ServerCheckConnection(port: port).receive(until: { _ in false })
        server.stop()
        XCTAssertThrowsError(try ServerCheckConnection(port: port))
        try server.start()
        defer { server.stop() }
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertEqual(server.connectionsAccepted, 1)
        server.resetCounts()
        XCTAssertEqual(try ServerCheckConnection(port: server.port).receive(until: { _ in false }).end, .closed)
        XCTAssertEqual(server.connectionsAccepted, 1)
    }
}

/// What a command printed and how it exited.
private struct CommandResult {
    var status: Int32
    /// Standard output.
    var output: String
    /// Standard error.
    var errors: String
    var everything: String { "exit \(status)\n--- stdout ---\n\(output)\n--- stderr ---\n\(errors)" }
}

/// Runs `openssl` with `arguments`, `input` on its standard input, and waits for it to exit (at most `timeout`
/// seconds, then it is killed).
private func runOpenSSL(_ arguments: [String], input: String = "", timeout: TimeInterval = 10) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestCertificates.opensslPath)
    process.arguments = arguments
    let (standardInput, standardOutput, standardError) = (Pipe(), Pipe(), Pipe())
    process.standardInput = standardInput
    process.standardOutput = standardOutput
    process.standardError = standardError
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    standardInput.fileHandleForWriting.write(Data(input.utf8))
    try standardInput.fileHandleForWriting.close()
    // Standard error is drained on another thread, so a command filling one pipe while we read the other cannot
    // block; the group's wait orders its write before our read.
    final class Collected: @unchecked Sendable { var data = Data() }
    let errors = Collected()
    let drained = DispatchGroup()
    DispatchQueue.global().async(group: drained) {
        errors.data = standardError.fileHandleForReading.readDataToEndOfFile()
    }
    // A command that hangs is killed, which closes its pipes and ends the reads below.
    let pid = process.processIdentifier
    let finished = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        if finished.wait(timeout: .now() + timeout) == .timedOut { kill(pid, SIGKILL) }
    }
    let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    // Not `waitUntilExit()`, which polls its run loop every 50 ms or so.
    exited.wait()
    finished.signal()
    return CommandResult(
        status: process.terminationStatus,
        output: String(decoding: output, as: UTF8.self),
        errors: String(decoding: errors.data, as: UTF8.self)
    )
}

/// `openssl s_client` to 127.0.0.1:`port` sending `GET PATH` with `Connection: close`, reading until the server
/// closes (`-ign_eof`).
///
/// Verification failures end the handshake (`-verify_return_error`) and the certificate must name 127.0.0.1
/// (`-verify_ip`), as for Cicada's client; the connection summary (`Verification: OK`) and errors go to standard
/// error (`-brief`), the response to standard output.
private func sClient(port: Int, _ arguments: [String], request path: String) throws -> CommandResult {
    try runOpenSSL(
        ["s_client", "-connect", "127.0.0.1:\(port)", "-brief", "-ign_eof", "-verify_return_error",
         "-verify_ip", "127.0.0.1"] + arguments,
        input: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
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
