import CicadaTestSupport
import XCTest

/// HTTPS against a real nginx with certificates made at test time, and against the TLS fault server.
final class TLSIntegrationTests: XCTestCase {
    private static let certificates = Result { try TestCertificates() }
    private var certificates: TestCertificates!

    override func setUpWithError() throws {
        certificates = try Self.certificates.get()
    }

    private func startNginx(_ tls: NginxFixture.TLS) throws -> NginxFixture {
        let nginx = NginxFixture(options: .init(keepaliveRequests: 100_000, tls: tls))
        try nginx.start()
        addTeardownBlock { nginx.stop() }
        return nginx
    }

    func testTrustedCAAndVerifiedHostSucceedAndEveryRequestIsInTheLog() throws {
        let nginx = try startNginx(.init(certificates: certificates))
        let run = try CicadaBinary.run([nginx.baseURL + "/", "-u", "4", "-t", "1500ms", "--wait", "0.01",
                                        "--ca-file", certificates.caCertificatePath])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let successes = run.total("successes")
        XCTAssertGreaterThan(successes, 100)
        let lines = nginx.accessLogLines(atLeast: successes)
        XCTAssertEqual(lines.count, successes)
        XCTAssertEqual(Set(lines.map(\.connection)).count, 4, "keep-alive over TLS")
        XCTAssertEqual(Set(lines.compactMap(\.sslProtocol)), ["TLSv1.3"])
        XCTAssertEqual(run.total("tls_handshakes"), 4)
        XCTAssertTrue(run.stdout.contains("TLS: 4 handshakes"), run.stdout)
    }

    func testWithoutTheCAEveryRequestFailsWithTheVerifyReason() throws {
        let nginx = try startNginx(.init(certificates: certificates))
        let run = try CicadaBinary.run([nginx.baseURL + "/", "-u", "2", "-t", "1s", "--wait", "0.05"])
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertGreaterThan(run.total("requests"), 5)
        XCTAssertEqual(run.failures("tls_verify"), run.total("requests") - run.total("cancelled"))
        XCTAssertTrue(run.stdout.contains("tls: certificate verify failed (unable to get local issuer certificate)"), run.stdout)
        XCTAssertEqual(nginx.accessLogLines().count, 0, "no request was sent over an unverified connection")
    }

    func testSelfSignedCertificateIsNamedAndInsecureAcceptsIt() throws {
        let nginx = try startNginx(.init(certificatePath: certificates.selfSignedCertificatePath,
                                         keyPath: certificates.selfSignedKeyPath))
        let refused = try CicadaBinary.run([nginx.baseURL + "/", "-u", "1", "-t", "500ms", "--wait", "0.05",
                                            "--ca-file", certificates.caCertificatePath])
        XCTAssertEqual(refused.exitCode, 1)
        XCTAssertTrue(refused.stdout.contains("tls: certificate verify failed (self-signed certificate)"), refused.stdout)

        let insecure = try CicadaBinary.run([nginx.baseURL + "/", "-u", "2", "-t", "1s", "--wait", "0.02", "--insecure"])
        XCTAssertEqual(insecure.exitCode, 0, insecure.stdout)
        XCTAssertGreaterThan(insecure.total("successes"), 10)
        XCTAssertTrue(insecure.stderr.contains("verification is OFF"), "the run says verification is off: \(insecure.stderr)")
    }

    func testTheHostNameIsChecked() throws {
        let nginx = try startNginx(.init(certificates: certificates))
        let run = try CicadaBinary.run([nginx.baseURL + "/", "-u", "1", "-t", "500ms", "--wait", "0.05",
                                        "--ca-file", certificates.caCertificatePath, "--tls-server-name", "api.example.com"])
        XCTAssertEqual(run.exitCode, 1)
        XCTAssertTrue(run.stdout.contains("tls: certificate verify failed (hostname mismatch)"), run.stdout)
    }

    func testMutualTLS() throws {
        let nginx = try startNginx(.init(certificates: certificates, verifyingClients: true))
        let without = try CicadaBinary.run([nginx.baseURL + "/", "-u", "1", "-t", "500ms", "--wait", "0.05",
                                            "--ca-file", certificates.caCertificatePath])
        XCTAssertEqual(without.exitCode, 1, "nginx refuses requests without a client certificate")
        XCTAssertEqual(without.total("successes"), 0)

        let with = try CicadaBinary.run([nginx.baseURL + "/", "-u", "2", "-t", "1s", "--wait", "0.02",
                                         "--ca-file", certificates.caCertificatePath,
                                         "--cert", certificates.clientCertificatePath, "--key", certificates.clientKeyPath])
        XCTAssertEqual(with.exitCode, 0, with.stdout + with.stderr)
        XCTAssertGreaterThan(with.total("successes"), 10)
    }

    func testSessionsAreResumedOnReconnectUnlessTurnedOff() throws {
        for version in ["1.2", "1.3"] {
            let nginx = try startNginx(.init(certificates: certificates))
            // /close makes nginx close after every response, so every request reconnects.
            let resumed = try CicadaBinary.run([nginx.baseURL + "/close", "-u", "2", "-t", "1s", "--wait", "0.02",
                                                "--ca-file", certificates.caCertificatePath, "--tls-max", version])
            XCTAssertEqual(resumed.exitCode, 0, resumed.stdout)
            let handshakes = resumed.total("tls_handshakes")
            XCTAssertGreaterThan(handshakes, 10)
            XCTAssertEqual(resumed.total("tls_resumed"), handshakes - 2, "TLS \(version): all but each user's first handshake resume")
            let lines = nginx.accessLogLines(atLeast: resumed.total("successes"))
            XCTAssertEqual(lines.filter { $0.sslSessionReused == true }.count, handshakes - 2, "nginx agrees")
            XCTAssertEqual(Set(lines.compactMap(\.sslProtocol)), ["TLSv\(version)"])

            nginx.resetAccessLog()
            let full = try CicadaBinary.run([nginx.baseURL + "/close", "-u", "2", "-t", "1s", "--wait", "0.02",
                                             "--ca-file", certificates.caCertificatePath, "--tls-max", version, "--no-tls-resume"])
            XCTAssertEqual(full.exitCode, 0, full.stdout)
            XCTAssertGreaterThan(full.total("tls_handshakes"), 10)
            XCTAssertEqual(full.total("tls_resumed"), 0)
            let fullLines = nginx.accessLogLines(atLeast: full.total("successes"))
            XCTAssertEqual(fullLines.filter { $0.sslSessionReused == true }.count, 0)
        }
    }

    func testVersionBoundsAreOffered() throws {
        let nginx = try startNginx(.init(certificates: certificates, protocols: ["TLSv1.2"]))
        let refused = try CicadaBinary.run([nginx.baseURL + "/", "-u", "1", "-t", "500ms", "--wait", "0.05",
                                            "--ca-file", certificates.caCertificatePath, "--tls-min", "1.3"])
        XCTAssertEqual(refused.exitCode, 1)
        XCTAssertEqual(refused.failures("tls_handshake"), refused.total("requests") - refused.total("cancelled"))
        XCTAssertTrue(refused.stdout.contains("tls: handshake failure ("), refused.stdout)
    }

    func testTLSFaultsAreClassifiedAndNothingHangs() throws {
        let cases: [(TLSFaultServer.Mode, String, String)] = [
            (.handshakeThenClose(certificates), "closed", "connection closed before the response was complete"),
            (.garbage, "tls_handshake", "tls: handshake failure (wrong version number)"),
            (.acceptAndClose, "tls_handshake", "tls: handshake failure (unexpected eof while reading)"),
            (.stallMidHandshake, "tls_handshake", "tls: handshake failure (timed out)"),
        ]
        for (mode, kind, text) in cases {
            let server = TLSFaultServer(mode: mode)
            try server.start()
            defer { server.stop() }
            let run = try CicadaBinary.run(["https://127.0.0.1:\(server.port)/", "-u", "2", "-r", "100", "-t", "1200ms",
                                            "--wait", "0.02", "--connect-timeout", "0.4", "--stop-timeout", "0.1",
                                            "--ca-file", certificates.caCertificatePath], timeout: 30)
            XCTAssertEqual(run.exitCode, 1, "\(mode)")
            XCTAssertGreaterThanOrEqual(run.failures(kind), 2, "\(mode): \(run.failureKinds)")
            XCTAssertEqual(run.total("failures"), run.failures(kind), "\(mode): only \(kind): \(run.failureKinds)")
            XCTAssertEqual(run.total("requests"), run.total("failures") + run.total("cancelled"))
            XCTAssertTrue(run.stdout.contains(text), "\(mode): '\(text)' in\n\(run.stdout)")
        }
    }

    func testBadTLSOptionsAreRefusedBeforeTheRun() throws {
        for (arguments, text) in [
            (["https://127.0.0.1:1/", "--ca-file", "/nonexistent.pem"], "/nonexistent.pem"),
            (["https://127.0.0.1:1/", "--key", certificates.clientKeyPath], "'key' is given without 'cert'"),
            (["https://127.0.0.1:1/", "--tls-min", "1.3", "--tls-max", "1.2"], "1.3"),
            (["http://127.0.0.1:1/", "--insecure"], "plain http://"),
        ] {
            let run = try CicadaBinary.run(arguments, json: false)
            XCTAssertEqual(run.exitCode, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(text), "\(arguments): \(run.stderr)")
        }
    }
}
