import Foundation
import XCTest
@testable import Cicada

/// The scenario model, its YAML loader and the value parsers the command line shares with it.
///
/// Error cases are tables: each input must fail at an exact line and column with a message that
/// names the expected form, since that is what a person fixing the file reads.
final class ScenarioTests: XCTestCase {
    /// `examples/` at the package root, found from this file's path.
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples").path

    // MARK: The examples

    func testHelloExampleLoads() throws {
        let scenario = try Scenario.load(path: Self.examples + "/hello.yaml")
        let expected = Scenario(
            name: nil, host: "http://127.0.0.1:8080",
            userClasses: [UserClass(name: "Visitor", weight: 1, wait: .constant(0), onStart: nil, tasks: [
                UserTask(name: "/", weight: 1, requests: [RequestTemplate(name: nil, method: "GET", path: "/")]),
            ])],
            run: RunDefaults())
        XCTAssertEqual(scenario, expected)
        XCTAssertNoThrow(try scenario.validate())
    }

    func testAudioAPIExampleLoads() throws {
        let scenario = try Scenario.load(path: Self.examples + "/audio-api.yaml")
        XCTAssertNoThrow(try scenario.validate())
        XCTAssertEqual(scenario.name, "audio-api")
        XCTAssertEqual(scenario.host, "http://127.0.0.1:8000")
        XCTAssertEqual(scenario.run, RunDefaults(users: 100, spawnRate: 10, runTime: 60, timeout: 10, connectTimeout: 5))

        // The seed's three user types, their weights (5:3:1) and wait times.
        XCTAssertEqual(scenario.userClasses.map(\.name), ["AudioAnalysisUser", "APIUser", "AdminUser"])
        XCTAssertEqual(scenario.userClasses.map(\.weight), [5, 3, 1])
        XCTAssertEqual(scenario.userClasses.map(\.wait), [.between(1, 5), .between(0.5, 2), .between(5, 10)])
        let tasks = scenario.userClasses.map { $0.tasks.map { "\($0.name)=\($0.weight)" } }
        XCTAssertEqual(tasks, [
            ["analyze_audio=3", "upload_file=1", "view_results=2", "list_files=2", "search_files=1"],
            ["api_analyze=5", "api_batch_process=2", "api_get_status=3"],
            ["view_dashboard=3", "manage_users=1", "system_health_check=2"],
        ])

        let audio = scenario.userClasses[0]
        let login = try XCTUnwrap(audio.onStart)
        XCTAssertEqual(login, UserTask(name: "login", weight: 1, requests: [RequestTemplate(
            method: "POST", path: "/api/v1/auth/login",
            headers: [Header(name: "Authorization", value: "Bearer demo-token"),
                      Header(name: "Content-Type", value: "application/json")],
            body: Array(#"{"username":"demo","password":"demo"}"#.utf8))]))
        XCTAssertEqual(String(decoding: audio.tasks[0].requests[0].body, as: UTF8.self),
                       #"{"file_id":1,"analysis_type":"full","options":{"detect_tempo":true,"detect_key":true,"genres":["electronic","ambient"]}}"#)

        // A request's own Content-Type replaces none of the class headers but its own name.
        let upload = audio.tasks[1].requests[0]
        XCTAssertEqual(upload.headers, [Header(name: "Authorization", value: "Bearer demo-token"),
                                        Header(name: "Content-Type", value: "audio/wav")])
        XCTAssertEqual(upload.body, Array("RIFF$\0\0\0WAVEfmt ".utf8))
        XCTAssertEqual(upload.endpointName, "/api/v1/audio/upload")

        XCTAssertEqual(audio.tasks.map { $0.requests[0].endpointName },
                       ["/api/v1/audio/analyze", "/api/v1/audio/upload", "/api/v1/audio/results/:id",
                        "/api/v1/files", "/api/v1/files/search"])
        XCTAssertEqual(audio.tasks[3].requests[0].path, "/api/v1/files?page=1&limit=20")

        let api = scenario.userClasses[1]
        XCTAssertNil(api.onStart)
        XCTAssertEqual(api.tasks[1].requests[0].headers, [Header(name: "X-API-Key", value: "demo-api-key"),
                                                          Header(name: "Content-Type", value: "application/json")])
        XCTAssertEqual(String(decoding: api.tasks[1].requests[0].body, as: UTF8.self),
                       #"{"file_ids":[1,2,3],"webhook_url":"http://127.0.0.1:9000/webhook"}"#)

        let manage = scenario.userClasses[2].tasks[1]
        XCTAssertEqual(manage.requests.map(\.method), ["GET", "PATCH"])
        XCTAssertEqual(manage.requests.map(\.endpointName), ["/api/v1/admin/users", "/api/v1/admin/users/:id"])
        XCTAssertEqual(manage.requests[1].body, Array(#"{"role":"editor"}"#.utf8))
    }

    func testHTTPSExampleLoads() throws {
        let scenario = try Scenario.load(path: Self.examples + "/https.yaml")
        XCTAssertNoThrow(try scenario.validate())
        XCTAssertEqual(try TargetURL(XCTUnwrap(scenario.host)).scheme, .https)
        XCTAssertEqual(scenario.tls, TLSSettings(minVersion: .tls1_2, maxVersion: .tls1_3, serverName: "localhost"))
        XCTAssertEqual(scenario.userClasses[0].tasks.map(\.weight), [9, 1])
        XCTAssertEqual(scenario.userClasses[0].tasks[1].requests[0].closeConnection, true)
    }

    /// The scenarios shown in docs/scenario.md load, so the documentation cannot drift from the loader.
    func testScenariosInTheDocumentationLoad() throws {
        let docs = URL(fileURLWithPath: Self.examples).deletingLastPathComponent()
            .appendingPathComponent("docs/scenario.md").path
        let text = try String(contentsOfFile: docs, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
            .filter { $0.contains("users:\n") }
        XCTAssertGreaterThanOrEqual(blocks.count, 3)
        for block in blocks {
            XCTAssertNoThrow(try Scenario.parse(yaml: block, file: "docs/scenario.md"), block)
        }
    }

    // MARK: Loading details

    func testFullRequestForms() throws {
        let yaml = """
            users:
              - name: A
                wait: 2
                headers: {Accept: text/html, X-Trace: class}
                on_start:
                  steps:
                    - {path: /login/form}
                    - {method: POST, path: /login, body: "user=a&pass=b", headers: {Content-Type: application/x-www-form-urlencoded}}
                tasks:
                  - method: DELETE
                    path: /items/9?soft=1
                    close: true
                    headers:
                      - {name: X-Trace, value: task}
                      - {name: X-Multi, value: "1"}
                      - {name: X-Multi, value: "2"}
                  - name: form
                    weight: 0
                    method: POST
                    path: /form
                    headers: {content-type: text/plain}
                    json: [1, "two", {three: 3.5}, null, yes, "yes"]
            """
        let userClass = try Scenario.parse(yaml: yaml, file: "t.yaml").userClasses[0]
        XCTAssertEqual(userClass.wait, .constant(2))
        let onStart = try XCTUnwrap(userClass.onStart)
        XCTAssertEqual(onStart.name, "on_start")
        XCTAssertEqual(onStart.requests.map(\.path), ["/login/form", "/login"])
        XCTAssertEqual(onStart.requests[1].body, Array("user=a&pass=b".utf8))
        XCTAssertEqual(onStart.requests[1].headers.last, Header(name: "Content-Type", value: "application/x-www-form-urlencoded"))
        let delete = userClass.tasks[0]
        XCTAssertEqual(delete.name, "/items/9")
        XCTAssertEqual(delete.requests, [RequestTemplate(
            method: "DELETE", path: "/items/9?soft=1",
            headers: [Header(name: "Accept", value: "text/html"), Header(name: "X-Trace", value: "task"),
                      Header(name: "X-Multi", value: "1"), Header(name: "X-Multi", value: "2")],
            closeConnection: true)])
        let form = userClass.tasks[1].requests[0]
        XCTAssertEqual(userClass.tasks[1].weight, 0)
        // A Content-Type the request sets, in any case, stops json from adding one.
        XCTAssertEqual(form.headers.map(\.name), ["Accept", "X-Trace", "content-type"])
        XCTAssertEqual(String(decoding: form.body, as: UTF8.self), #"[1,"two",{"three":3.5},null,true,"yes"]"#)
    }

    func testJSONScalarsAndMergeKeys() throws {
        let yaml = """
            defaults: &auth {Authorization: Bearer t}
            users:
              - name: A
                tasks:
                  - &base {path: /a, method: PUT, headers: {X-Shared: one}}
                  - <<: *base
                    path: /b
                    json: {hex: 0x1F, under: 1_000, neg: -0, exp: 1e3, date: 2024-01-01, s: !!str 3, q: "a\\"b\\t\\u0001é", e: ''}
            """
        // `defaults:` is not a scenario key, but a top-level key starting with `x-` is skipped so that it
        // can hold anchors.
        XCTAssertThrowsError(try Scenario.parse(yaml: yaml, file: "t.yaml"))
        let scenario = try Scenario.parse(yaml: "x-" + yaml, file: "t.yaml")
        let merged = scenario.userClasses[0].tasks[1].requests[0]
        XCTAssertEqual(merged.method, "PUT")
        XCTAssertEqual(merged.path, "/b")
        XCTAssertEqual(merged.headers, [Header(name: "X-Shared", value: "one"),
                                        Header(name: "Content-Type", value: "application/json")])
        XCTAssertEqual(String(decoding: merged.body, as: UTF8.self),
                       #"{"hex":31,"under":1000,"neg":-0,"exp":1000.0,"date":"2024-01-01","s":"3","q":"a\"b\t\u0001é","e":""}"#)
    }

    func testBodyFileIsReadRelativeToTheScenario() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-scenario-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let payload: [UInt8] = [0, 1, 2, 255, 13, 10]
        try Data(payload).write(to: directory.appendingPathComponent("upload.bin"))
        let scenarioPath = directory.appendingPathComponent("s.yaml").path
        try """
            users:
              - name: A
                tasks:
                  - {method: POST, path: /upload, body_file: upload.bin}
                  - {method: POST, path: /missing, body_file: nope.bin}
            """.write(toFile: scenarioPath, atomically: true, encoding: .utf8)

        XCTAssertThrowsError(try Scenario.load(path: scenarioPath)) { error in
            let error = error as? ScenarioError
            XCTAssertEqual(error?.file, scenarioPath)
            XCTAssertEqual(error?.line, 5)
            XCTAssertEqual(error?.column, 51)
            XCTAssertEqual(error?.message, "cannot read body_file '\(directory.path)/nope.bin': no such file")
        }
        let fixed = try String(contentsOfFile: scenarioPath, encoding: .utf8)
            .split(separator: "\n").filter { !$0.contains("nope.bin") }.joined(separator: "\n")
        try fixed.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let scenario = try Scenario.load(path: scenarioPath)
        XCTAssertEqual(scenario.userClasses[0].tasks[0].requests[0].body, payload)
    }

    // MARK: tls:

    /// PEM blocks as `openssl` writes them. The loader checks which blocks a file has, not what is in them
    /// (OpenSSL parses them when the run starts), so placeholders stand for the base64.
    static let certificatePEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    static let keyPEM = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"

    /// A fresh directory with `files` (relative path → contents) in it, removed when the test ends.
    func directory(with files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-tls-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for (name, contents) in files {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
        return directory
    }

    /// Writes `yaml` as `s.yaml` in `directory` and loads it.
    func load(_ yaml: String, in directory: URL) throws -> Scenario {
        let path = directory.appendingPathComponent("s.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try Scenario.load(path: path)
    }

    func testTLSBlockIsReadWithPathsResolved() throws {
        let directory = try directory(with: [
            "certs/ca.pem": Self.certificatePEM + Self.certificatePEM,
            "certs/client.pem": Self.certificatePEM,
            "certs/client.key": "-----BEGIN EC PRIVATE KEY-----\r\nMHcC\r\n-----END EC PRIVATE KEY-----\r\n",
            "both.pem": Self.keyPEM + Self.certificatePEM,
        ])
        let users = "users:\n  - name: A\n    tasks: [{path: /}]\n"
        let full = try load("""
            host: https://127.0.0.1:8443
            tls:
              verify: true
              ca_file: certs/ca.pem
              cert: certs/client.pem
              key: certs/client.key
              min_version: "1.2"
              max_version: 1.3
              resume: false
              server_name: api.example.com
            """ + "\n" + users, in: directory)
        let certs = directory.path + "/certs/"
        XCTAssertEqual(full.tls, TLSSettings(verify: true, caFile: certs + "ca.pem", certFile: certs + "client.pem",
                                             keyFile: certs + "client.key", minVersion: .tls1_2, maxVersion: .tls1_3,
                                             resume: false, serverName: "api.example.com"))
        XCTAssertNoThrow(try full.validate())

        // The key in the certificate's file; an absolute path kept as written; YAML 1.1's `no`.
        let both = directory.path + "/both.pem"
        let combined = try load("tls: {cert: \(both), verify: no, min_version: TLSv1.3}\n" + users, in: directory)
        XCTAssertEqual(combined.tls, TLSSettings(verify: false, certFile: both, minVersion: .tls1_3))

        // Nothing set: every default.
        XCTAssertEqual(try load("tls: {}\n" + users, in: directory).tls, TLSSettings())
        XCTAssertEqual(try load(users, in: directory).tls, TLSSettings())

        // Server names: addresses (matched as addresses) and an underscore, which TargetURL allows in a host.
        for name in ["127.0.0.1", "::1", "2001:db8::1", "my_service.internal", "LOCALHOST", "xn--bcher-kva.example"] {
            XCTAssertEqual(try load("tls: {server_name: \"\(name)\"}\n" + users, in: directory).tls.serverName, name)
        }
        // A scenario given without a directory resolves against the current one, as body_file does.
        XCTAssertThrowsError(try Scenario.parse(yaml: "tls: {ca_file: ca.pem}\n" + users, file: "s.yaml")) { error in
            XCTAssertEqual((error as? ScenarioError)?.message, "cannot read ca_file './ca.pem': no such file")
        }
    }

    /// Each unusable file fails at the path's node, naming the resolved path.
    func testTLSFileErrors() throws {
        let encryptedPKCS8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let encryptedRSA = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nMIIE\n"
            + "-----END RSA PRIVATE KEY-----\n"
        let directory = try directory(with: [
            "certs/ca.pem": Self.certificatePEM,
            "certs/client.pem": Self.certificatePEM,
            "certs/client.key": Self.keyPEM,
            "notes.txt": "not a certificate\n",
            "ca.der": "\u{30}\u{0B}binary",
            "encrypted.key": encryptedPKCS8,
            "encrypted-rsa.key": encryptedRSA,
            "both-encrypted.pem": Self.certificatePEM + encryptedPKCS8,
        ])
        let d = directory.path
        let cases: [(yaml: String, line: Int, column: Int, message: String)] = [
            ("ca_file: certs/nope.pem", 2, 12, "cannot read ca_file '\(d)/certs/nope.pem': no such file"),
            ("ca_file: certs", 2, 12, "cannot read ca_file '\(d)/certs': it is a directory"),
            ("ca_file: notes.txt", 2, 12, "ca_file '\(d)/notes.txt' has no PEM certificate (-----BEGIN CERTIFICATE-----); "
                + "expected CA certificates in PEM"),
            ("ca_file: ca.der", 2, 12, "ca_file '\(d)/ca.der' has no PEM certificate (-----BEGIN CERTIFICATE-----); "
                + "expected CA certificates in PEM; it looks like DER: convert it with "
                + "`openssl x509 -inform der -in \(d)/ca.der -out \(d)/ca.der.pem`"),
            ("ca_file: certs/client.key", 2, 12, "ca_file '\(d)/certs/client.key' has no PEM certificate"),
            ("cert: certs/client.key\nkey: certs/client.key", 2, 9,
             "cert '\(d)/certs/client.key' has no PEM certificate (-----BEGIN CERTIFICATE-----); expected the client "
                + "certificate in PEM"),
            ("cert: certs/client.pem", 2, 9, "cert '\(d)/certs/client.pem' has no private key (-----BEGIN PRIVATE KEY-----) "
                + "and no 'key' is given; expected the key in the same file or in a 'key' file"),
            ("cert: certs/client.pem\nkey: certs/missing.key", 3, 8, "cannot read key '\(d)/certs/missing.key': no such file"),
            ("cert: certs/client.pem\nkey: certs/client.pem", 3, 8, "key '\(d)/certs/client.pem' has no PEM private key "
                + "(-----BEGIN PRIVATE KEY-----); expected the client certificate's private key in PEM"),
            ("cert: certs/client.pem\nkey: encrypted.key", 3, 8, "the private key in key '\(d)/encrypted.key' is encrypted, "
                + "and a run cannot ask for its passphrase; expected an unencrypted key: decrypt it with "
                + "`openssl pkey -in \(d)/encrypted.key -out plain.key`"),
            ("cert: certs/client.pem\nkey: encrypted-rsa.key", 3, 8, "the private key in key '\(d)/encrypted-rsa.key' is encrypted"),
            ("cert: both-encrypted.pem", 2, 9, "the private key in cert '\(d)/both-encrypted.pem' is encrypted"),
            // The rules that need no file come first: a key without a certificate is that, whatever the key.
            ("key: encrypted.key", 2, 3, "'key' is given without 'cert'"),
        ]
        let path = directory.appendingPathComponent("s.yaml").path
        for (lines, line, column, message) in cases {
            XCTAssertThrowsError(try load(Self.tls(lines), in: directory), lines) { error in
                guard let error = error as? ScenarioError else { return XCTFail("\(lines): \(error)") }
                XCTAssertEqual(error.file, path, lines)
                XCTAssertEqual("\(error.line):\(error.column)", "\(line):\(column)", "\(lines): \(error.message)")
                XCTAssertTrue(error.message.hasPrefix(message), "\(lines): \(error.message)")
            }
        }
        // The same block with the files fixed loads.
        XCTAssertNoThrow(try load(Self.tls("ca_file: certs/ca.pem\ncert: certs/client.pem\nkey: certs/client.key"),
                                  in: directory))
    }

    func testParseTLSVersionAcceptsCommonSpellings() throws {
        let table: [(String, TLSVersion)] = [
            ("1.2", .tls1_2), ("1.3", .tls1_3), ("TLSv1.2", .tls1_2), ("TLSv1.3", .tls1_3), ("tls1.2", .tls1_2),
            ("tls1.3", .tls1_3), ("TLS1.3", .tls1_3), ("tlsv1.2", .tls1_2), ("TLS 1.2", .tls1_2), (" 1.3 ", .tls1_3),
        ]
        for (text, version) in table {
            XCTAssertEqual(try parseTLSVersion(text), version, text)
        }
        // The raw value is the canonical spelling, and reads back.
        for version in [TLSVersion.tls1_2, .tls1_3] {
            XCTAssertEqual(try parseTLSVersion(version.rawValue), version)
        }
        XCTAssertLessThan(TLSVersion.tls1_2, TLSVersion.tls1_3)
        XCTAssertFalse(TLSVersion.tls1_3 < TLSVersion.tls1_3)
    }

    func testParseTLSVersionRejectsOtherSpellings() {
        let table: [(String, String)] = [
            ("", ": it is empty;"),
            ("1.1", ": TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered;"),
            ("TLSv1.0", ": TLS 1.0 and 1.1 are deprecated"),
            ("tls1", ": TLS 1.0 and 1.1 are deprecated"),
            ("SSLv3", ": SSL is insecure (RFC 7568) and not offered;"),
            ("2.0", "'2.0';"), ("1.4", "'1.4';"), ("v1.2", "'v1.2';"), ("1.2.0", "'1.2.0';"), ("TLSv1_2", "'TLSv1_2';"),
            ("TLS  1.2", "'TLS  1.2';"), ("1.20", "'1.20';"), ("tls", "'tls';"), ("TLSv1", ": TLS 1.0 and 1.1 are deprecated"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try parseTLSVersion(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid TLS version '\(text)'"), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasSuffix("; expected 1.2 or 1.3, also written TLSv1.2, TLSv1.3, tls1.2 or tls1.3"),
                              "\(text): \(error)")
            }
        }
    }

    /// The command line's options over the file's, one field at a time, the certificate with its key.
    func testTLSOverriddenByTheCommandLine() {
        let file = TLSSettings(verify: true, caFile: "d/ca.pem", certFile: "d/c.pem", keyFile: "d/c.key",
                               minVersion: .tls1_2, maxVersion: .tls1_3, resume: true, serverName: "a.example")
        XCTAssertEqual(file.overridden(by: TLSSettings()), file)
        XCTAssertEqual(TLSSettings().overridden(by: file), file)
        XCTAssertEqual(file.overridden(by: TLSSettings(verify: false, minVersion: .tls1_3, resume: false)),
                       TLSSettings(verify: false, caFile: "d/ca.pem", certFile: "d/c.pem", keyFile: "d/c.key",
                                   minVersion: .tls1_3, maxVersion: .tls1_3, resume: false, serverName: "a.example"))
        // --cert alone: its file holds the key, so the file's key goes too.
        let cert = file.overridden(by: TLSSettings(certFile: "both.pem"))
        XCTAssertEqual([cert.certFile, cert.keyFile], ["both.pem", nil])
        // --key alone: the file's certificate with the command line's key.
        let key = file.overridden(by: TLSSettings(keyFile: "other.key"))
        XCTAssertEqual([key.certFile, key.keyFile], ["d/c.pem", "other.key"])
        let both = file.overridden(by: TLSSettings(caFile: "ca2.pem", certFile: "c2.pem", keyFile: "k2.pem",
                                                   maxVersion: .tls1_2, serverName: "b.example"))
        XCTAssertEqual(both, TLSSettings(verify: true, caFile: "ca2.pem", certFile: "c2.pem", keyFile: "k2.pem",
                                         minVersion: .tls1_2, maxVersion: .tls1_2, resume: true, serverName: "b.example"))
    }

    func testUnreadableAndNonUTF8Files() throws {
        XCTAssertThrowsError(try Scenario.load(path: "/nonexistent/s.yaml")) { error in
            XCTAssertEqual((error as? ScenarioError)?.description,
                           "/nonexistent/s.yaml: cannot read the scenario file: no such file")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("users:\n  - name: é\u{FF}".utf8 + [0xFF]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Scenario.load(path: path)) { error in
            let error = error as? ScenarioError
            XCTAssertEqual(error.map { [$0.line, $0.column] }, [2, 13])
            XCTAssertEqual(error?.message, "the file is not UTF-8 text; expected a UTF-8 YAML file")
        }
    }

    // MARK: Errors, each at its node

    /// One malformed input: where the error must point, and text its message must contain.
    struct BadInput {
        var what: String
        var yaml: String
        var line: Int
        var column: Int
        var message: String
    }

    /// A valid user class around one task's lines, so that each case shows only what it breaks.
    /// The task's first line is line 4 and its keys start in column 9.
    static func task(_ lines: String) -> String {
        "users:\n  - name: A\n    tasks:\n" + lines.split(separator: "\n").enumerated()
            .map { ($0.offset == 0 ? "      - " : "        ") + $0.element + "\n" }.joined()
    }

    /// A user class named A with one task, `/`, and one more line, `line`, on line 3 from column 5.
    static func userClass(_ line: String) -> String {
        "users:\n  - name: A\n    \(line)\n    tasks: [{path: /}]\n"
    }

    /// A scenario whose `tls:` block is `lines`, one key a line: the block's first key is on line 2, in
    /// column 3, and a value after `key: ` starts in column 5 + the key's length.
    static func tls(_ lines: String) -> String {
        "tls:\n" + lines.split(separator: "\n").map { "  " + $0 + "\n" }.joined() + "users:\n  - name: A\n    tasks: [{path: /}]\n"
    }

    static let badInputs: [BadInput] = [
        // The file as a whole.
        BadInput(what: "an empty file", yaml: "", line: 1, column: 1,
                 message: "the file is empty; expected a mapping with a 'users:' list of user classes"),
        BadInput(what: "only comments", yaml: "# nothing yet\n\n", line: 1, column: 1, message: "the file is empty"),
        BadInput(what: "a list at the top", yaml: "- users\n", line: 1, column: 1,
                 message: "expected the scenario as a mapping of keys to values, got a list"),
        BadInput(what: "an unclosed flow list", yaml: "users: [\n", line: 2, column: 1,
                 message: "invalid YAML: did not find expected node content"),
        BadInput(what: "a tab for indentation", yaml: "users:\n\t- name: A\n", line: 2, column: 1,
                 message: "YAML indents with spaces, not tabs"),
        BadInput(what: "a key out of line", yaml: "users:\n  - name: A\n    tasks: []\n   wait: 1\n", line: 4, column: 4,
                 message: "invalid YAML: did not find expected '-' indicator"),
        BadInput(what: "an undefined alias", yaml: "users: *classes\n", line: 1, column: 8,
                 message: "invalid YAML: found undefined alias"),
        BadInput(what: "a duplicate key", yaml: "name: a\nname: b\nusers: []\n", line: 2, column: 1,
                 message: "duplicate key 'name' in the scenario (first at line 1, column 1); expected each key once"),
        BadInput(what: "a misspelt top-level key", yaml: "host: http://h\nuser:\n  - name: A\n", line: 2, column: 1,
                 message: "unknown key 'user' in the scenario; did you mean 'users'? Allowed: name, host, run, stages, tls, users"),

        // users: and user classes.
        BadInput(what: "no users", yaml: "host: http://127.0.0.1:8080\n", line: 1, column: 1,
                 message: "missing key 'users' in the scenario: expected a list of user classes"),
        BadInput(what: "an empty users list", yaml: "users: []\n", line: 1, column: 8,
                 message: "expected 'users' to be a list of at least one user class, got an empty list"),
        BadInput(what: "users as a mapping", yaml: "users:\n  A: {tasks: []}\n", line: 2, column: 3,
                 message: "expected 'users' to be a list of at least one user class, got a mapping"),
        BadInput(what: "a user class as text", yaml: "users:\n  - AudioUser\n", line: 2, column: 5,
                 message: "expected a user class as a mapping of keys to values, got 'AudioUser'"),
        BadInput(what: "wieght", yaml: userClass("wieght: 2"), line: 3, column: 5,
                 message: "unknown key 'wieght' in a user class; did you mean 'weight'? "
                     + "Allowed: name, weight, fixed_count, wait, headers, on_start, on_stop, tasks, tags, cookies, data"),
        BadInput(what: "a class without a name", yaml: "users:\n  - weight: 2\n    tasks: [{path: /}]\n", line: 2, column: 5,
                 message: "missing key 'name' in a user class: expected the user class's name"),
        BadInput(what: "a weight that is a word", yaml: userClass("weight: abc"),
                 line: 3, column: 13, message: "expected an integer weight from 0 to 1000000, got 'abc'"),
        BadInput(what: "a negative weight", yaml: userClass("weight: -1"),
                 line: 3, column: 13, message: "expected an integer weight from 0 to 1000000, got '-1'"),
        BadInput(what: "a fractional weight", yaml: userClass("weight: 1.5"),
                 line: 3, column: 13, message: "expected an integer weight from 0 to 1000000, got '1.5'"),
        BadInput(what: "a huge weight", yaml: userClass("weight: 1000001"),
                 line: 3, column: 13, message: "expected an integer weight from 0 to 1000000, got '1000001'"),
        BadInput(what: "all class weights 0",
                 yaml: "users:\n  - name: A\n    weight: 0\n    tasks: [{path: /}]\n  - name: B\n    weight: 0\n    tasks: [{path: /}]\n",
                 line: 2, column: 3,
                 message: "all user class weights are 0; expected at least one user class with weight ≥ 1"),
        BadInput(what: "two classes with one name",
                 yaml: "users:\n  - name: A\n    tasks: [{path: /}]\n  - name: A\n    tasks: [{path: /}]\n",
                 line: 4, column: 11, message: "another user class is named 'A' (line 2); expected unique user class names"),
        BadInput(what: "a class with no tasks key", yaml: "users:\n  - name: A\n    wait: 1\n", line: 2, column: 5,
                 message: "missing key 'tasks' in a user class: expected a list of tasks for user class 'A'"),
        BadInput(what: "a class with an empty task list", yaml: "users:\n  - name: A\n    tasks: []\n", line: 3, column: 12,
                 message: "user class 'A' has no tasks; expected a list of at least one task, got an empty list"),
        BadInput(what: "a class with tasks: and nothing", yaml: "users:\n  - name: A\n    tasks:\n", line: 3, column: 11,
                 message: "user class 'A' has no tasks; expected a list of at least one task, got nothing"),
        BadInput(what: "all task weights 0",
                 yaml: "users:\n  - name: A\n    tasks:\n      - {path: /a, weight: 0}\n      - {path: /b, weight: 0}\n",
                 line: 4, column: 7,
                 message: "all task weights of user class 'A' are 0; expected at least one task with weight ≥ 1"),

        // Wait times.
        BadInput(what: "a misspelt wait function", yaml: userClass("wait: betwen(1, 5)"),
                 line: 3, column: 11,
                 message: "invalid wait time 'betwen(1, 5)': unknown function 'betwen' (did you mean 'between'?); "
                     + "expected seconds (2), a range (1-5), constant(2), between(1, 5), constant_pacing(3) "
                     + "or constant_throughput(0.5)"),
        BadInput(what: "a wait range upside down", yaml: userClass("wait: between(5, 1)"),
                 line: 3, column: 11, message: "invalid wait time 'between(5, 1)': the minimum 5 is above the maximum 1"),
        BadInput(what: "an unquoted comma in a flow mapping", yaml: "users:\n  - {name: A, wait: between(1, 5), tasks: [{path: /}]}\n",
                 line: 2, column: 32, message: "unknown key '5)' in a user class; A comma ends a value inside { }: quote it, "
                     + "as in wait: \"between(1, 5)\". Allowed: name, weight"),
        BadInput(what: "a wait as a mapping", yaml: userClass("wait: {between: [1, 5]}"),
                 line: 3, column: 11, message: "expected a wait time; expected seconds (2), a range (1-5)"),
        BadInput(what: "a wait that overflowed nanoseconds", yaml: userClass("wait: 99999999999"),
                 line: 3, column: 11,
                 message: "invalid wait time '99999999999': '99999999999 s' is not a wait from 0 to 720h (30 days); expected seconds (2)"),
        BadInput(what: "a wait range past 30 days", yaml: userClass("wait: between(1, 721h)"),
                 line: 3, column: 11, message: "'2595600 s' is not a wait from 0 to 720h (30 days)"),
        BadInput(what: "pacing past 30 days", yaml: userClass("wait: constant_pacing(721h)"),
                 line: 3, column: 11, message: "'2595600 s' is not a wait from 0 to 720h (30 days)"),
        BadInput(what: "a throughput below the bound",
                 yaml: userClass("wait: constant_throughput(0.0000001)"),
                 line: 3, column: 11, message: "'0.0000001' is not a rate from 0.000001 to 1000000 tasks per second"),
        BadInput(what: "a throughput above the bound",
                 yaml: userClass("wait: constant_throughput(1000001)"),
                 line: 3, column: 11, message: "'1000001' is not a rate from 0.000001 to 1000000 tasks per second"),
        BadInput(what: "a weight past Int", yaml: userClass("weight: 99999999999999999999"),
                 line: 3, column: 13, message: "expected an integer weight from 0 to 1000000, got '99999999999999999999'"),

        // Tasks and requests.
        BadInput(what: "a misspelt task key", yaml: task("path: /\nwieght: 3"), line: 5, column: 9,
                 message: "unknown key 'wieght' in a task; did you mean 'weight'? Allowed: name, weight, tags, endpoint, method, "
                     + "path, headers, body, json, form, multipart, body_file, close, capture, check, if, unless, on_failure, "
                     + "repeat, steps"),
        BadInput(what: "a task weight that is a word", yaml: task("path: /\nweight: many"), line: 5, column: 17,
                 message: "expected an integer weight from 0 to 1000000, got 'many'"),
        BadInput(what: "a task without a path", yaml: task("name: t\nmethod: GET"), line: 4, column: 9,
                 message: "missing key 'path' in a task: expected the request path, such as /api/v1/files"),
        BadInput(what: "a path without a slash", yaml: task("path: api/v1/files"), line: 4, column: 15,
                 message: "expected a path starting with '/', such as /api/v1/files?page=2, got 'api/v1/files'"),
        BadInput(what: "a full URL as the path", yaml: task("path: http://h/x"), line: 4, column: 15,
                 message: "expected a path starting with '/'"),
        BadInput(what: "a path with a space", yaml: task("path: /files/my song.wav"), line: 4, column: 15,
                 message: "the path '/files/my song.wav' has a space; percent-encode it (a space is %20)"),
        BadInput(what: "a path with a fragment", yaml: task("path: \"/page#top\""), line: 4, column: 15,
                 message: "has '#'; a fragment ('#') is never sent"),
        BadInput(what: "a method with a space", yaml: task("path: /\nmethod: \"GE T\""), line: 5, column: 17,
                 message: "expected a method token such as GET or POST (RFC 9110 §9), got 'GE T'"),
        BadInput(what: "a lowercase method", yaml: task("path: /\nmethod: post"), line: 5, column: 17,
                 message: "methods are case-sensitive; did you mean 'POST'?"),
        BadInput(what: "a header value with CR LF", yaml: task("path: /\nheaders: {X-A: \"a\\r\\nInjected: 1\"}"),
                 line: 5, column: 24,
                 message: "the value of header 'X-A' has a carriage return (CR); expected one line of text without "
                     + "control characters (RFC 9110 §5.5)"),
        BadInput(what: "a header value with LF", yaml: task("path: /\nheaders:\n  - {name: X-A, value: \"a\\nb\"}"),
                 line: 6, column: 32, message: "the value of header 'X-A' has a line feed (LF)"),
        BadInput(what: "a header name with a colon", yaml: task("path: /\nheaders:\n  - {name: \"X-A:\", value: b}"),
                 line: 6, column: 20,
                 message: "expected a header name made of letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 §5.1), "
                     + "got 'X-A:' (it has ':')"),
        BadInput(what: "a header name with a newline", yaml: task("path: /\nheaders: {\"X-A\\nB\": b}"),
                 line: 5, column: 19, message: "got 'X-A\\nB' (it has a line feed (LF))"),
        BadInput(what: "Content-Length set by hand", yaml: task("path: /\nheaders: {Content-Length: 5}"),
                 line: 5, column: 19, message: "the header 'Content-Length' cannot be set: Cicada sets Content-Length from the body"),
        BadInput(what: "Connection set by hand", yaml: task("path: /\nheaders: {Connection: close}"),
                 line: 5, column: 19, message: "use `close: true` on the request"),
        BadInput(what: "a header value as a list", yaml: task("path: /\nheaders: {Accept: [a, b]}"),
                 line: 5, column: 27, message: "expected the value of header 'Accept' as text, got a list"),
        BadInput(what: "headers as text", yaml: task("path: /\nheaders: \"Accept: */*\""),
                 line: 5, column: 18,
                 message: "expected headers as a mapping (Name: value) or a list of {name, value}, got 'Accept: */*'"),
        BadInput(what: "a header entry without a value", yaml: task("path: /\nheaders:\n  - {name: Accept}"),
                 line: 6, column: 13, message: "missing key 'value' in a header: expected the header value"),
        BadInput(what: "body and json together", yaml: task("path: /\nbody: x\njson: {a: 1}"), line: 6, column: 9,
                 message: "'body' and 'json' both give the body; expected one of body, json, form, multipart, body_file"),
        BadInput(what: "a body as a mapping", yaml: task("path: /\nbody: {a: 1}"), line: 5, column: 15,
                 message: "expected the body as text, got a mapping; for a JSON body use 'json:'"),
        BadInput(what: "NaN in json", yaml: task("path: /\njson: {x: .nan}"), line: 5, column: 19,
                 message: "JSON has no NaN or infinity, got '.nan'"),
        BadInput(what: "close as a word", yaml: task("path: /\nclose: please"), line: 5, column: 16,
                 message: "expected true or false for 'close', got 'please'"),
        BadInput(what: "a step list and a path", yaml: task("name: t\npath: /\nsteps: [{path: /a}]"), line: 5, column: 9,
                 message: "a task with 'steps' takes its requests from the steps; move 'path' into a step, or remove 'steps'"),
        BadInput(what: "an empty step list", yaml: task("name: t\nsteps: []"), line: 5, column: 16,
                 message: "expected 'steps' to be a list of at least one request, got an empty list"),
        BadInput(what: "a step with a task key", yaml: task("name: t\nsteps:\n  - {path: /a, weight: 2}"), line: 6, column: 24,
                 message: "unknown key 'weight' in a step; Allowed: name, endpoint, method, path"),
        BadInput(what: "a step named twice", yaml: task("name: t\nsteps:\n  - {path: /a, name: a, endpoint: b}"),
                 line: 6, column: 33, message: "'name' and 'endpoint' both name the endpoint; expected one of them"),
        BadInput(what: "a weight on on_start",
                 yaml: userClass("on_start: {path: /login, weight: 2}"),
                 line: 3, column: 30, message: "unknown key 'weight' in 'on_start'; Allowed: name, endpoint, method"),
        BadInput(what: "an empty endpoint name", yaml: task("path: /\nendpoint: \"\""), line: 5, column: 19,
                 message: "expected a non-empty endpoint name"),

        // run: and host:.
        BadInput(what: "a negative run time", yaml: "run: {run_time: -5s}\nusers: []\n", line: 1, column: 17,
                 message: "invalid duration '-5s': a duration cannot be negative; expected seconds (90, 1.5) or a "
                     + "duration such as 250ms, 30s, 5m, 1h, 1h30m"),
        BadInput(what: "a negative timeout in seconds", yaml: "run:\n  timeout: -1\nusers: []\n", line: 2, column: 12,
                 message: "invalid duration '-1': a duration cannot be negative"),
        BadInput(what: "a zero timeout", yaml: "run:\n  timeout: 0s\nusers: []\n", line: 2, column: 12,
                 message: "expected a timeout from 1ms to 720h (30 days), got '0s'"),
        BadInput(what: "an unknown duration unit", yaml: "run:\n  run_time: 5x\nusers: []\n", line: 2, column: 13,
                 message: "invalid duration '5x': unknown unit 'x'; expected seconds (90, 1.5)"),
        BadInput(what: "zero users", yaml: "run: {users: 0}\nusers: []\n", line: 1, column: 14,
                 message: "expected an integer number of users from 1 to 1000000, got '0'"),
        BadInput(what: "a spawn rate that is a word", yaml: "run: {spawn_rate: fast}\nusers: []\n", line: 1, column: 19,
                 message: "expected a spawn rate above 0 and at most 1000000 users per second, such as 10 or 0.5, got 'fast'"),
        BadInput(what: "a misspelt run key", yaml: "run: {spawnrate: 5}\nusers: []\n", line: 1, column: 7,
                 message: "unknown key 'spawnrate' in 'run'; did you mean 'spawn_rate'? "
                     + "Allowed: users, spawn_rate, run_time, timeout, connect_timeout"),
        BadInput(what: "an unknown saturation rule", yaml: "run: {arrival_rate: 5, on_saturation: wait}\nusers: []\n",
                 line: 1, column: 39, message: "expected drop or queue, got 'wait'"),
        BadInput(what: "an arrival rate of 0", yaml: "run: {arrival_rate: 0}\nusers: []\n", line: 1, column: 21,
                 message: "expected an arrival rate above 0 and at most 1000000 iterations per second, such as 200 or 0.5, got '0'"),
        BadInput(what: "a rate stage with users", yaml: "stages: [{name: a, arrival_rate: 5, users: 3, duration: 1s}]\nusers: []\n",
                 line: 1, column: 44, message: "a stage with arrival_rate runs iterations at that rate; expected no 'users' beside it"),
        BadInput(what: "users past the bound", yaml: "run: {users: 1000001}\nusers: []\n", line: 1, column: 14,
                 message: "expected an integer number of users from 1 to 1000000, got '1000001'"),
        BadInput(what: "users that wrapped the core's 32-bit sum", yaml: "run: {users: 4294967295}\nusers: []\n",
                 line: 1, column: 14, message: "expected an integer number of users from 1 to 1000000, got '4294967295'"),
        BadInput(what: "users past Int", yaml: "run: {users: 99999999999999999999}\nusers: []\n", line: 1, column: 14,
                 message: "expected an integer number of users from 1 to 1000000, got '99999999999999999999'"),
        BadInput(what: "a zero spawn rate", yaml: "run: {spawn_rate: 0}\nusers: []\n", line: 1, column: 19,
                 message: "expected a spawn rate above 0 and at most 1000000 users per second, such as 10 or 0.5, got '0'"),
        BadInput(what: "a NaN spawn rate", yaml: "run: {spawn_rate: .nan}\nusers: []\n", line: 1, column: 19,
                 message: "expected a spawn rate above 0 and at most 1000000 users per second, such as 10 or 0.5, got '.nan'"),
        BadInput(what: "an infinite spawn rate", yaml: "run: {spawn_rate: .inf}\nusers: []\n", line: 1, column: 19,
                 message: "got '.inf'"),
        BadInput(what: "a spawn rate past the bound", yaml: "run: {spawn_rate: 1000000.5}\nusers: []\n", line: 1, column: 19,
                 message: "at most 1000000 users per second, such as 10 or 0.5, got '1000000.5'"),
        BadInput(what: "a zero run time", yaml: "run: {run_time: 0}\nusers: []\n", line: 1, column: 17,
                 message: "expected a run time from 1ms to 720h (30 days), got '0'"),
        BadInput(what: "a run time past 30 days", yaml: "run: {run_time: 721h}\nusers: []\n", line: 1, column: 17,
                 message: "expected a run time from 1ms to 720h (30 days), got '721h'"),
        BadInput(what: "a timeout that overflowed nanoseconds", yaml: "run: {timeout: 99999999999}\nusers: []\n",
                 line: 1, column: 16, message: "expected a timeout from 1ms to 720h (30 days), got '99999999999'"),
        BadInput(what: "a timeout below libuv's millisecond", yaml: "run: {timeout: 0.5ms}\nusers: []\n",
                 line: 1, column: 16, message: "expected a timeout from 1ms to 720h (30 days), got '0.5ms'"),
        BadInput(what: "a zero connect timeout", yaml: "run: {connect_timeout: 0}\nusers: []\n", line: 1, column: 24,
                 message: "expected a connect timeout from 1ms to 720h (30 days), got '0'"),
        BadInput(what: "a timeout as a list", yaml: "run: {timeout: [1]}\nusers: []\n", line: 1, column: 16,
                 message: "expected a timeout from 1ms to 720h (30 days); expected seconds (90, 1.5) or a duration"),
        BadInput(what: "a host with a query", yaml: "host: http://h/api?key=1\nusers: []\n", line: 1, column: 7,
                 message: "invalid URL 'http://h/api?key=1': a host URL cannot have a query, which no request would "
                     + "send; put it in each request's path; expected http://host[:port][/path] or https://…"),
        BadInput(what: "a host with a fragment", yaml: "host: http://h/#top\nusers: []\n", line: 1, column: 7,
                 message: "invalid URL 'http://h/#top': a fragment ('#') is never sent; remove it"),
        BadInput(what: "an ftp host", yaml: "host: ftp://files.example\nusers: []\n", line: 1, column: 7,
                 message: "invalid URL 'ftp://files.example': unsupported scheme 'ftp'"),
        BadInput(what: "a host without a scheme", yaml: "host: 127.0.0.1:8080\nusers: []\n", line: 1, column: 7,
                 message: "invalid URL '127.0.0.1:8080': no scheme; expected http://host[:port][/path] or https://…"),

        // tls: keys and types. (The files' contents are tested in testTLSFileErrors, in a directory of files.)
        BadInput(what: "a misspelt tls key", yaml: tls("verfy: true"), line: 2, column: 3,
                 message: "unknown key 'verfy' in 'tls'; did you mean 'verify'? "
                     + "Allowed: verify, ca_file, cert, key, min_version, max_version, resume, server_name"),
        BadInput(what: "insecure, as on the command line", yaml: tls("insecure: true"), line: 2, column: 3,
                 message: "unknown key 'insecure' in 'tls'; did you mean 'verify: false'? Allowed: verify,"),
        BadInput(what: "ca-file with a dash", yaml: tls("ca-file: ca.pem"), line: 2, column: 3,
                 message: "unknown key 'ca-file' in 'tls'; did you mean 'ca_file'?"),
        BadInput(what: "curl's cacert", yaml: tls("cacert: ca.pem"), line: 2, column: 3,
                 message: "unknown key 'cacert' in 'tls'; did you mean 'ca_file'?"),
        BadInput(what: "sni", yaml: tls("sni: api.example.com"), line: 2, column: 3,
                 message: "unknown key 'sni' in 'tls'; did you mean 'server_name'?"),
        BadInput(what: "a tls key written twice", yaml: tls("verify: true\nverify: false"), line: 3, column: 3,
                 message: "duplicate key 'verify' in 'tls' (first at line 2, column 3); expected each key once"),
        BadInput(what: "tls as a word", yaml: "tls: on\nusers: []\n", line: 1, column: 6,
                 message: "expected 'tls' as a mapping of keys to values, got 'on'"),
        BadInput(what: "tls with nothing", yaml: "tls:\nusers: []\n", line: 1, column: 5,
                 message: "expected 'tls' as a mapping of keys to values, got nothing"),
        BadInput(what: "tls as a list", yaml: "tls: [verify]\nusers: []\n", line: 1, column: 6,
                 message: "expected 'tls' as a mapping of keys to values, got a list"),
        BadInput(what: "verify as a word", yaml: tls("verify: maybe"), line: 2, column: 11,
                 message: "expected true or false for 'verify', got 'maybe'"),
        BadInput(what: "verify quoted", yaml: tls("verify: \"false\""), line: 2, column: 11,
                 message: "expected true or false for 'verify', got 'false'"),
        BadInput(what: "resume as a number", yaml: tls("resume: 1"), line: 2, column: 11,
                 message: "expected true or false for 'resume', got '1'"),
        BadInput(what: "TLS 1.1", yaml: tls("min_version: 1.1"), line: 2, column: 16,
                 message: "invalid TLS version '1.1': TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered; "
                     + "expected 1.2 or 1.3, also written TLSv1.2, TLSv1.3, tls1.2 or tls1.3"),
        BadInput(what: "TLS 2.0", yaml: tls("max_version: \"2.0\""), line: 2, column: 16,
                 message: "invalid TLS version '2.0'; expected 1.2 or 1.3"),
        BadInput(what: "a version as a list", yaml: tls("min_version: [1.2, 1.3]"), line: 2, column: 16,
                 message: "expected a TLS version; expected 1.2 or 1.3, also written TLSv1.2, TLSv1.3, tls1.2 or tls1.3, "
                     + "got a list"),
        BadInput(what: "min_version above max_version", yaml: tls("min_version: \"1.3\"\nmax_version: TLSv1.2"),
                 line: 3, column: 16,
                 message: "min_version 1.3 is above max_version 1.2; expected min_version ≤ max_version"),
        BadInput(what: "a key without a cert", yaml: tls("verify: true\nkey: client.key"), line: 3, column: 3,
                 message: "'key' is given without 'cert'; expected the client certificate in 'cert' and its private "
                     + "key in 'key', or both in 'cert'"),
        BadInput(what: "a ca_file that is not there", yaml: tls("ca_file: certs/ca.pem"), line: 2, column: 12,
                 message: "cannot read ca_file './certs/ca.pem': no such file"),
        BadInput(what: "a cert that is not there", yaml: tls("cert: /nonexistent/client.pem"), line: 2, column: 9,
                 message: "cannot read cert '/nonexistent/client.pem': no such file"),
        BadInput(what: "a ca_file as a list", yaml: tls("ca_file: [a.pem, b.pem]"), line: 2, column: 12,
                 message: "expected a PEM file path, relative to the scenario file, got a list"),

        // tls: server_name.
        BadInput(what: "an empty server_name", yaml: tls("server_name: \"\""), line: 2, column: 16,
                 message: "expected a non-empty server_name: a host name such as api.example.com, or an IP address"),
        BadInput(what: "a server_name with nothing", yaml: tls("server_name:"), line: 2, column: 15,
                 message: "expected a server name such as api.example.com, or an IP address, got nothing"),
        BadInput(what: "a server_name with a space", yaml: tls("server_name: api example.com"), line: 2, column: 16,
                 message: "invalid server_name 'api example.com': it has a space; a host name has letters, digits, "
                     + "'-', '.' and '_'; expected a host name such as api.example.com, or an IP address"),
        BadInput(what: "a URL as server_name", yaml: tls("server_name: https://api.example.com"), line: 2, column: 16,
                 message: "invalid server_name 'https://api.example.com': it is a URL; give only its host name"),
        BadInput(what: "a server_name with a port", yaml: tls("server_name: api.example.com:8443"), line: 2, column: 16,
                 message: "a port does not belong in a server name"),
        BadInput(what: "a server_name with the root dot", yaml: tls("server_name: api.example.com."), line: 2, column: 16,
                 message: "it ends with '.'; SNI carries the name without the final dot (RFC 6066 §3)"),
        BadInput(what: "a server_name with an empty label", yaml: tls("server_name: api..example.com"), line: 2, column: 16,
                 message: "it has an empty label (a '.' at the start or two in a row)"),
        BadInput(what: "a server_name label with a leading dash", yaml: tls("server_name: -api.example.com"),
                 line: 2, column: 16, message: "the label '-api' starts or ends with '-' (RFC 1123 §2.1)"),
        BadInput(what: "a server_name label of 64 letters", yaml: tls("server_name: \(String(repeating: "a", count: 64)).com"),
                 line: 2, column: 16, message: "is longer than 63 characters (RFC 1035 §2.3.4)"),
        BadInput(what: "a server_name in Unicode", yaml: tls("server_name: bücher.example"), line: 2, column: 16,
                 message: "it has 'ü'; write an internationalized name in its xn-- form (RFC 5890)"),
        BadInput(what: "an IPv6 server_name in brackets", yaml: tls("server_name: \"[::1]\""), line: 2, column: 16,
                 message: "invalid server_name '[::1]': write an IPv6 address without brackets"),
        BadInput(what: "a server_name with a control character", yaml: tls("server_name: \"api\\texample\""),
                 line: 2, column: 16, message: "invalid server_name 'api\\texample': it has a tab"),
    ]

    func testEachBadInputFailsAtItsNode() {
        assertEachFailsAtItsNode(Self.badInputs)
    }

    func assertEachFailsAtItsNode(_ inputs: [BadInput]) {
        for bad in inputs {
            XCTAssertThrowsError(try Scenario.parse(yaml: bad.yaml, file: "t.yaml"), bad.what) { error in
                guard let error = error as? ScenarioError else {
                    return XCTFail("\(bad.what): \(error) is not a ScenarioError")
                }
                XCTAssertEqual(error.file, "t.yaml", bad.what)
                XCTAssertEqual("\(error.line):\(error.column)", "\(bad.line):\(bad.column)",
                               "\(bad.what): \(error.message)")
                XCTAssertTrue(error.message.contains(bad.message), "\(bad.what): \(error.message)")
                XCTAssertEqual(error.description, "t.yaml:\(bad.line):\(bad.column): \(error.message)", bad.what)
            }
        }
    }

    /// Every prefix of the examples is read to a scenario or to a ScenarioError inside the text, never
    /// a crash or another error: a file cut anywhere still gets a placed message.
    func testEveryPrefixOfTheExamplesFailsCleanly() throws {
        // samplemind.yaml is cut only before the characters where the scenario language's values start or
        // end (slots, flow collections, keys, line ends): every character of it takes longer than the rest.
        let cuts: Set<Character> = ["\n", "$", "{", "}", "[", "]", ":", ",", "(", "|", "'", "\""]
        for example in ["audio-api.yaml", "https.yaml", "samplemind.yaml"] {
            let text = try String(contentsOfFile: Self.examples + "/" + example, encoding: .utf8)
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            var index = text.startIndex
            while index < text.endIndex {
                defer { index = text.index(after: index) }
                if example == "samplemind.yaml", !cuts.contains(text[index]) { continue }
                let prefix = String(text[..<index])
                do {
                    _ = try Scenario.parse(yaml: prefix, file: "cut.yaml")
                } catch let error as ScenarioError {
                    XCTAssertTrue((1...lineCount).contains(error.line), "\(example) cut at \(prefix.count): \(error)")
                    XCTAssertGreaterThanOrEqual(error.column, 1, "\(example) cut at \(prefix.count): \(error)")
                } catch {
                    XCTFail("\(example) cut at \(prefix.count): \(error)")
                }
            }
        }
    }

    // MARK: validate() for scenarios built in code

    func testValidateAppliesTheFileRules() {
        func request(_ r: RequestTemplate) -> Scenario {
            Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [r])])])
        }
        func tls(_ settings: TLSSettings) -> Scenario {
            Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [RequestTemplate(path: "/")])])],
                     tls: settings)
        }
        let cases: [(Scenario, String)] = [
            (Scenario(userClasses: []), "expected at least one user class"),
            (request(RequestTemplate(method: "G T", path: "/")),
             "user class 'U', task 't': expected a method token such as GET or POST"),
            (request(RequestTemplate(path: "/", headers: [Header(name: "X", value: "a\r\nb")])),
             "user class 'U', task 't': the value of header 'X' has a carriage return (CR)"),
            (request(RequestTemplate(path: "x")), "expected a path starting with '/'"),
            (Scenario(userClasses: [UserClass(name: "U", wait: .between(3, 1), tasks: [
                UserTask(name: "t", requests: [RequestTemplate(path: "/")])])]), "invalid wait time 'between(3, 1)'"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [
                UserTask(name: "t", weight: 0, requests: [RequestTemplate(path: "/")])])]), "all task weights are 0"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [])]), "user class 'U': expected at least one task"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [
                RequestTemplate(path: "/"), RequestTemplate(path: "/b c")])])]), "task 't': step 2: the path '/b c' has a space"),
            (Scenario(host: "localhost", userClasses: []), "invalid URL 'localhost': no scheme"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [RequestTemplate(path: "/")])])],
                      run: RunDefaults(runTime: -1)), "run.run_time: expected a run time from 1ms to 720h (30 days), got '-1'"),
            (tls(TLSSettings(minVersion: .tls1_3, maxVersion: .tls1_2)),
             "tls: min_version 1.3 is above max_version 1.2; expected min_version ≤ max_version"),
            (tls(TLSSettings(keyFile: "client.key")), "tls: 'key' is given without 'cert'"),
            (tls(TLSSettings(serverName: "")), "tls: expected a non-empty server_name"),
            (tls(TLSSettings(serverName: "a b")), "tls: invalid server_name 'a b': it has a space"),
            (tls(TLSSettings(caFile: "/nonexistent/ca.pem")), "tls: cannot read ca_file '/nonexistent/ca.pem': no such file"),
            (tls(TLSSettings(certFile: "/nonexistent/c.pem", keyFile: "/nonexistent/c.key")),
             "tls: cannot read cert '/nonexistent/c.pem': no such file"),
        ]
        for (scenario, message) in cases {
            XCTAssertThrowsError(try scenario.validate(), message) { error in
                XCTAssertTrue((error as? InputError)?.message.contains(message) == true, "\(error) lacks \(message)")
            }
        }
    }

    func testOneEndpoint() throws {
        let url = try TargetURL("https://api.example:8443/v1/items?page=2")
        let scenario = Scenario.oneEndpoint(url: url, method: "POST", headers: [Header(name: "Accept", value: "*/*")],
                                            body: [1, 2], wait: .constant(0))
        XCTAssertNoThrow(try scenario.validate())
        XCTAssertEqual(scenario, Scenario(
            host: "https://api.example:8443",
            userClasses: [UserClass(name: "User", tasks: [UserTask(name: "/v1/items", requests: [RequestTemplate(
                method: "POST", path: "/v1/items?page=2", headers: [Header(name: "Accept", value: "*/*")], body: [1, 2])])])]))
        let bad = Scenario.oneEndpoint(url: url, method: "GET", headers: [Header(name: "X\n", value: "")], body: [],
                                       wait: .constant(0))
        XCTAssertThrowsError(try bad.validate())
    }

    // MARK: Durations

    func testParseDurationAcceptsLocustForms() throws {
        let table: [(String, Double)] = [
            ("90", 90), ("0", 0), ("1.5", 1.5), (".5", 0.5), ("30s", 30), ("1.5s", 1.5), ("250ms", 0.25),
            ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("1h30m15s", 5415), ("2m500ms", 120.5), ("1.5h", 5400),
            (" 10s ", 10), ("0s", 0),
        ]
        for (text, seconds) in table {
            XCTAssertEqual(try parseDuration(text), seconds, accuracy: 1e-9, text)
        }
    }

    func testParseDurationRejectsOtherForms() {
        let table: [(String, String)] = [
            ("", "invalid duration '': it is empty; expected seconds (90, 1.5) or a duration such as 250ms, 30s, 5m, 1h, 1h30m"),
            ("-5s", "invalid duration '-5s': a duration cannot be negative;"),
            ("-1", "a duration cannot be negative"),
            ("5x", "invalid duration '5x': unknown unit 'x';"),
            ("1h30", "a number without a unit"),
            ("30m1h", "units must go from largest to smallest, each once"),
            ("1m1m", "units must go from largest to smallest"),
            ("s", "expected a number at 's'"),
            ("1.2.3s", "invalid duration '1.2.3s': expected seconds"),
            ("1e3", "unknown unit 'e'"),
            ("inf", "expected a number at 'inf'"),
            ("1h 30m", "expected a number at ' 30m'"),
            ("5M", "unknown unit 'M'"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try parseDuration(text), text) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains("expected seconds (90, 1.5)"), "\(text): \(error)")
            }
        }
    }

    // MARK: Wait times

    func testParseWaitAcceptsEachSpelling() throws {
        let table: [(String, WaitTime)] = [
            ("2", .constant(2)), ("0", .constant(0)), ("0.5", .constant(0.5)), ("1-5", .between(1, 5)),
            ("0.5 - 2", .between(0.5, 2)), ("500ms-2s", .between(0.5, 2)), ("constant(2)", .constant(2)),
            ("between(1, 5)", .between(1, 5)), ("between(1,1)", .between(1, 1)), (" between( 1 , 5 ) ", .between(1, 5)),
            ("constant_pacing(3)", .constantPacing(3)), ("constant_throughput(0.5)", .constantThroughput(0.5)),
            ("constant(1m)", .constant(60)),
        ]
        for (text, wait) in table {
            XCTAssertEqual(try parseWait(text), wait, text)
        }
        // description is the YAML spelling and reads back to the same value.
        for wait in table.map(\.1) {
            XCTAssertEqual(try parseWait(wait.description), wait, wait.description)
        }
        XCTAssertEqual(WaitTime.between(0.5, 2).description, "between(0.5, 2)")
    }

    func testParseWaitRejectsOtherSpellings() {
        let table: [(String, String)] = [
            ("", "it is empty"),
            ("-1", "a wait cannot be negative"),
            ("5-1", "the minimum 5 is above the maximum 1"),
            ("1-", "'' is not a number of seconds"),
            ("a-b", "'a' is not a number of seconds"),
            ("betwen(1, 5)", "unknown function 'betwen' (did you mean 'between'?)"),
            ("uniform(1, 5)", "unknown function 'uniform';"),
            ("between(1)", "between takes two arguments, got 1"),
            ("constant(1, 2)", "constant takes one argument, got 2"),
            ("constant(-1)", "'-1' is negative"),
            ("between(1, 5", "no ')' at the end"),
            ("constant_throughput(0)", "'0' is not a rate from 0.000001 to 1000000 tasks per second"),
            ("constant_pacing(x)", "'x' is not a number of seconds"),
            ("fast", "'fast' is not a number of seconds"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try parseWait(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid wait time '\(text)': "), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasSuffix("; expected seconds (2), a range (1-5), constant(2), between(1, 5), "
                    + "constant_pacing(3) or constant_throughput(0.5)"), "\(text): \(error)")
            }
        }
    }

    // MARK: Target URLs

    func testTargetURLParsesHostsPortsAndPaths() throws {
        let table: [(String, TargetURL.Scheme, String, Int, String, String)] = [
            // url, scheme, host, port, Host header, path
            ("http://127.0.0.1:8080", .http, "127.0.0.1", 8080, "127.0.0.1:8080", "/"),
            ("http://host:8080/base?x", .http, "host", 8080, "host:8080", "/base?x"),
            ("http://example.com", .http, "example.com", 80, "example.com", "/"),
            ("http://example.com:80/", .http, "example.com", 80, "example.com", "/"),
            ("https://example.com", .https, "example.com", 443, "example.com", "/"),
            ("https://example.com:8443/a/b", .https, "example.com", 8443, "example.com:8443", "/a/b"),
            ("HTTPS://Example.COM/", .https, "Example.COM", 443, "Example.COM", "/"),
            ("http://h?q=1", .http, "h", 80, "h", "/?q=1"),
            ("http://h:/", .http, "h", 80, "h", "/"),
            ("http://[::1]:8080/", .http, "::1", 8080, "[::1]:8080", "/"),
            ("http://[::1]/", .http, "::1", 80, "[::1]", "/"),
            ("https://[2001:db8::8:800:200c:417a]", .https, "2001:db8::8:800:200c:417a", 443, "[2001:db8::8:800:200c:417a]", "/"),
            ("http://[::ffff:192.0.2.1]:81/x", .http, "::ffff:192.0.2.1", 81, "[::ffff:192.0.2.1]:81", "/x"),
            ("http://[1:2:3:4:5:6:7:8]", .http, "1:2:3:4:5:6:7:8", 80, "[1:2:3:4:5:6:7:8]", "/"),
            ("http://localhost:65535", .http, "localhost", 65535, "localhost:65535", "/"),
        ]
        for (text, scheme, host, port, hostHeader, path) in table {
            let url = try TargetURL(text)
            XCTAssertEqual(url.scheme, scheme, text)
            XCTAssertEqual(url.host, host, text)
            XCTAssertEqual(url.port, port, text)
            XCTAssertEqual(url.hostHeader, hostHeader, text)
            XCTAssertEqual(url.path, path, text)
            XCTAssertEqual(try TargetURL(url.description), url, text)
        }
        XCTAssertEqual(try TargetURL("http://[::1]:8080/x").origin, "http://[::1]:8080")
    }

    func testTargetURLRejectsBadURLs() {
        let table: [(String, String)] = [
            ("localhost:8080", "no scheme"),
            ("127.0.0.1", "no scheme"),
            ("://h", "no scheme"),
            ("ftp://h", "unsupported scheme 'ftp'"),
            ("ws://h", "unsupported scheme 'ws'"),
            ("http://", "no host"),
            ("http:///path", "no host"),
            ("http://h:0", "bad port '0', expected 1-65535"),
            ("http://h:65536", "bad port '65536'"),
            ("http://h:80a", "bad port '80a'"),
            ("http://h:-1", "bad port '-1'"),
            ("http://user:pw@h", "user information is not supported"),
            ("http://h o/", "the host 'h o' has characters other than"),
            ("http://[::1", "an IPv6 address without ']'"),
            ("http://[::1]x", "unexpected 'x' after the IPv6 address"),
            ("http://[1:2:3:4:5:6:7:8:9]", "is not an IPv6 address"),
            ("http://[1::2::3]", "is not an IPv6 address"),
            ("http://[::g]", "is not an IPv6 address"),
            ("http://[fe80::1%25eth0]", "is not an IPv6 address"),
            ("http://[::1.2.3.256]", "is not an IPv6 address"),
            ("http://::1/", "an IPv6 address must be in brackets, as in http://[::1]:8080/"),
            ("http://h/a b", "the path has a space"),
            ("http://h/p#frag", "a fragment ('#') is never sent; remove it"),
            ("http://h#", "a fragment ('#') is never sent"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try TargetURL(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid URL '\(text)': "), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasSuffix("expected http://host[:port][/path] or https://…"), "\(text): \(error)")
            }
        }
    }

    func testRequestTargetPutsTheBasePathFirst() throws {
        XCTAssertEqual(try TargetURL("http://h").requestTarget(for: "/a?b=1"), "/a?b=1")
        XCTAssertEqual(try TargetURL("http://h/").requestTarget(for: "/a"), "/a")
        XCTAssertEqual(try TargetURL("http://h/api").requestTarget(for: "/a"), "/api/a")
        XCTAssertEqual(try TargetURL("http://h/api/?k=v").requestTarget(for: "/a"), "/api/a")
    }

    func testEndpointNameDefaultsToThePathWithoutQuery() {
        XCTAssertEqual(RequestTemplate(path: "/a/b?c=d").endpointName, "/a/b")
        XCTAssertEqual(RequestTemplate(path: "/a").endpointName, "/a")
        XCTAssertEqual(RequestTemplate(name: "/a/:id", path: "/a/1").endpointName, "/a/:id")
    }

    func testScenarioErrorDescription() {
        XCTAssertEqual(ScenarioError(file: "s.yaml", line: 3, column: 9, message: "m").description, "s.yaml:3:9: m")
        XCTAssertEqual(ScenarioError(file: "s.yaml", line: 0, column: 0, message: "m").description, "s.yaml: m")
    }

    func testRunPipelineIsReadAndChecked() throws {
        let yaml = "run: {pipeline: 8}\nusers:\n  - name: U\n    tasks: [{path: /}]\n"
        XCTAssertEqual(try Scenario.parse(yaml: yaml, file: "p.yaml").run.pipeline, 8)
        for bad in ["0", "65", "two"] {
            let text = "run: {pipeline: \(bad)}\nusers:\n  - name: U\n    tasks: [{path: /}]\n"
            XCTAssertThrowsError(try Scenario.parse(yaml: text, file: "p.yaml")) { error in
                let error = error as! ScenarioError
                XCTAssertEqual(error.line, 1, "\(bad)")
                XCTAssertTrue(error.message.contains("a pipeline depth from 1 to 64"), error.message)
            }
        }
    }

    // MARK: Bounds on the YAML

    /// A valid rest of a scenario, after the lines a case is about.
    static let validRest = "users: [{name: A, tasks: [{path: /}]}]\n"

    /// `levels` lists, or mappings, inside each other: `[[[]]]`, `{a: {a: 1}}`.
    static func nested(_ levels: Int, open: String = "[", close: String = "]", inner: String = "") -> String {
        String(repeating: open, count: levels) + inner + String(repeating: close, count: levels)
    }

    /// Nine anchors, each a list of nine aliases of the one before: 9^9 nodes in 1.3 KB.
    static let billionLaughs: String = {
        var yaml = "x-a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        for level in 1...8 {
            let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
            let previous = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
            yaml += "x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        return yaml
    }()

    static let boundInputs: [BadInput] = [
        // The root mapping is level 1, so x-deep's list is level 2 and the 64th '[' (column 72) is level 65.
        BadInput(what: "65 levels of flow lists", yaml: "x-deep: " + nested(64) + "\n" + validRest, line: 1, column: 72,
                 message: "lists and mappings nest deeper than 64 levels here; expected at most 64 levels of nesting"),
        BadInput(what: "10,000 levels of flow lists, which overflowed the stack",
                 yaml: "x-deep: " + nested(10_000) + "\n" + validRest, line: 1, column: 72, message: "deeper than 64 levels"),
        BadInput(what: "flow mappings", yaml: "x-deep: " + nested(100, open: "{a: ", close: "}", inner: "1") + "\n" + validRest,
                 line: 1, column: 261, message: "deeper than 64 levels"),
        BadInput(what: "block mappings by indentation",
                 yaml: "x-deep:\n" + (1...70).map { String(repeating: " ", count: $0) + "k:\n" }.joined() + validRest,
                 line: 65, column: 65, message: "deeper than 64 levels"),
        BadInput(what: "block lists on one line", yaml: "x-deep:\n" + String(repeating: "- ", count: 3_000) + "a\n" + validRest,
                 line: 2, column: 127, message: "deeper than 64 levels"),
        BadInput(what: "deep inside the users", yaml: "users:\n  - name: A\n    tasks:\n      - path: /\n        json: "
                    + nested(70) + "\n", line: 5, column: 74, message: "deeper than 64 levels"),
        // 40 levels under the anchor, used inside 25 more lists under the root: 66.
        BadInput(what: "an alias that nests too deep", yaml: "x-a: &a " + nested(40) + "\nx-b: " + nested(25, inner: "*a") + "\n"
                    + validRest, line: 2, column: 31,
                 message: "the alias '*a' nests lists and mappings deeper than 64 levels; expected at most 64 levels of "
                     + "nesting, aliases included"),
        // Each level is nine times the one before; at the third alias of the seventh the total passes 16 Mi.
        BadInput(what: "billion laughs", yaml: billionLaughs + validRest, line: 7, column: 18,
                 message: "the alias '*f' expands the document past 16 Mi characters (16777216); expected at most that "
                     + "with each alias replaced by the node it names (aliases of aliases grow exponentially)"),
        BadInput(what: "one long text aliased many times",
                 yaml: "x-s: &s '" + String(repeating: "a", count: 1 << 20) + "'\nx-l: ["
                    + Array(repeating: "*s", count: 20).joined(separator: ", ") + "]\n" + validRest,
                 line: 2, column: 63, message: "the alias '*s' expands the document past 16 Mi characters"),
        BadInput(what: "billion laughs through merge keys",
                 yaml: "x-a: &a {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}\n"
                    + (1...9).map { "x-\($0): &m\($0) {<<: [" + Array(repeating: $0 == 1 ? "*a" : "*m\($0 - 1)", count: 9)
                        .joined(separator: ", ") + "]}\n" }.joined() + validRest,
                 line: 7, column: 31, message: "the alias '*m5' expands the document past 16 Mi characters"),
    ]

    func testYAMLNestingAndAliasesFailAtTheirPlace() {
        assertEachFailsAtItsNode(Self.boundInputs)
    }

    func testYAMLWithinTheBoundsLoads() throws {
        // 64 levels in all, written out and through an alias.
        XCTAssertNoThrow(try Scenario.parse(yaml: "x-deep: " + Self.nested(63) + "\n" + Self.validRest, file: "t.yaml"))
        XCTAssertNoThrow(try Scenario.parse(yaml: "x-a: &a " + Self.nested(40) + "\nx-b: " + Self.nested(23, inner: "*a")
            + "\n" + Self.validRest, file: "t.yaml"))
        // A JSON body 58 levels deep: root, users, class, tasks, task, then the body's own.
        let deepJSON = try Scenario.parse(yaml: "users:\n  - name: A\n    tasks:\n      - path: /\n        json: "
            + Self.nested(59) + "\n", file: "t.yaml")
        XCTAssertEqual(deepJSON.userClasses[0].tasks[0].requests[0].body.count, 118)
        // Aliases that add up to just under the bound: 14 uses of a 1 MiB text (the 15th would pass it).
        XCTAssertNoThrow(try Scenario.parse(yaml: "x-s: &s '" + String(repeating: "a", count: 1 << 20) + "'\nx-l: ["
            + Array(repeating: "*s", count: 14).joined(separator: ", ") + "]\n" + Self.validRest, file: "t.yaml"))
        // Six of the billion laughs' nine levels: 4.7 million characters expanded.
        let sixLevels = Self.billionLaughs.split(separator: "\n").prefix(6).joined(separator: "\n") + "\n"
        XCTAssertNoThrow(try Scenario.parse(yaml: sixLevels + Self.validRest, file: "t.yaml"))
    }

    func testTheDocumentSizeIsBounded() throws {
        let padding = String(repeating: "#" + String(repeating: "a", count: 1022) + "\n", count: 4096)
        let atTheBound = Self.validRest + padding.dropLast(Self.validRest.utf8.count)
        XCTAssertEqual(atTheBound.utf8.count, 4 << 20)
        XCTAssertNoThrow(try Scenario.parse(yaml: String(atTheBound), file: "t.yaml"))
        XCTAssertThrowsError(try Scenario.parse(yaml: atTheBound + "\n", file: "t.yaml")) { error in
            XCTAssertEqual("\(error)", "t.yaml: the scenario is larger than 4 MiB (4194304 bytes), the largest scenario "
                + "file; a large body belongs in body_file")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (atTheBound + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        for file in [path, "/dev/zero"] {
            XCTAssertThrowsError(try Scenario.load(path: file)) { error in
                XCTAssertEqual("\(error)", "\(file): cannot read the scenario file: it is larger than 4 MiB (4194304 bytes), "
                    + "the largest scenario file; a large body belongs in body_file")
            }
        }
    }

    func testAByteOrderMarkIsSkipped() throws {
        let yaml = "name: bom\n" + Self.validRest
        XCTAssertEqual(try Scenario.parse(yaml: "\u{FEFF}" + yaml, file: "t.yaml"), try Scenario.parse(yaml: yaml, file: "t.yaml"))
        // Columns on the first line are those an editor shows, which does not show the mark.
        XCTAssertThrowsError(try Scenario.parse(yaml: "\u{FEFF}users: []\n", file: "t.yaml")) { error in
            XCTAssertEqual("\(error)", "t.yaml:1:8: expected 'users' to be a list of at least one user class, got an empty list")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0xEF, 0xBB, 0xBF] + Array(yaml.utf8)).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try Scenario.load(path: path).name, "bom")
        // "Unicode" from a Windows editor is UTF-16 with its own mark.
        try (Data([0xFF, 0xFE]) + XCTUnwrap(yaml.data(using: .utf16LittleEndian))).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Scenario.load(path: path)) { error in
            XCTAssertEqual((error as? ScenarioError)?.message,
                           "the file is not UTF-8 text but UTF-16: save it as UTF-8; expected a UTF-8 YAML file")
        }
    }

    // MARK: Bounds on sizes

    func testBodyFilesAreBounded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = Self.task("path: /\nbody_file: body.bin")
        let body = directory.appendingPathComponent("body.bin").path
        try Data(count: 64 << 20).write(to: URL(fileURLWithPath: body))
        XCTAssertEqual(try Scenario.parse(yaml: yaml, file: directory.path + "/s.yaml")
            .userClasses[0].tasks[0].requests[0].body.count, 64 << 20)
        try Data(count: (64 << 20) + 1).write(to: URL(fileURLWithPath: body))
        for (file, shown) in [(yaml, body), (Self.task("path: /\nbody_file: /dev/zero"), "/dev/zero")] {
            XCTAssertThrowsError(try Scenario.parse(yaml: file, file: directory.path + "/s.yaml")) { error in
                XCTAssertEqual("\((error as? ScenarioError).map { "\($0.line):\($0.column): \($0.message)" } ?? "\(error)")",
                               "5:20: cannot read body_file '\(shown)': it is larger than 64 MiB (67108864 bytes), "
                                   + "the largest request body")
            }
        }
    }

    /// The plan holds every request rendered at 32-bit offsets; class headers are copied into each
    /// request, so a few MiB of them over a few hundred tasks passed 4 GiB.
    func testAllRequestsTogetherAreBounded() throws {
        let tasks = String(repeating: "      - {path: /}\n", count: 400)
        let yaml = "users:\n  - name: A\n    headers: {X-Big: '" + String(repeating: "a", count: 3 << 20) + "'}\n    tasks:\n"
            + tasks
        // Each request is 3 MiB of header and 9 bytes more: the 342nd passes 1 GiB. It is on line 4 + 342.
        assertEachFailsAtItsNode([BadInput(what: "class headers in 400 tasks", yaml: yaml, line: 346, column: 9,
                                           message: "the requests add up to more than 1 GiB (1073741824 bytes) of "
                                               + "bodies and headers; expected at most 1 GiB for all requests together")])
    }

    func testHostCannotHaveAQuery() throws {
        XCTAssertEqual(try TargetURL(base: "http://h:81/api").path, "/api")
        XCTAssertEqual(try TargetURL("http://h/api?x=1").path, "/api?x=1", "a target URL keeps its query: it is sent")
        for text in ["http://h/api?x=1", "http://h?", "https://h:8443/?a"] {
            XCTAssertThrowsError(try TargetURL(base: text)) { error in
                XCTAssertEqual("\(error)", "invalid URL '\(text)': a host URL cannot have a query, which no request would "
                    + "send; put it in each request's path; expected http://host[:port][/path] or https://…")
            }
        }
        let scenario = Scenario(host: "http://h/?x=1", userClasses: [UserClass(name: "U", tasks: [
            UserTask(name: "t", requests: [RequestTemplate(path: "/")])])])
        XCTAssertThrowsError(try scenario.validate()) { error in
            XCTAssertTrue("\(error)".contains("a host URL cannot have a query"), "\(error)")
        }
    }
}
