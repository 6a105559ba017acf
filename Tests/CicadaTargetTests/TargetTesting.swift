import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

/// Runs `body` against a fresh target built from the defaults, with the latency off unless `configure`
/// turns it back on, through HummingbirdTesting (`.router` by default, `.live` for a real socket).
func withTarget<Value: Sendable>(
    _ setup: TestingSetup = .router,
    configure: (inout TargetConfiguration) -> Void = { _ in },
    _ body: @Sendable (any TestClientProtocol, SampleMindTarget) async throws -> Value
) async throws -> Value {
    var configuration = TargetConfiguration()
    configuration.port = 0
    configuration.latencyScale = 0
    configure(&configuration)
    let target = await SampleMindTarget(configuration: configuration)
    return try await target.makeApplication().test(setup) { client in try await body(client, target) }
}

extension HTTPField.Name {
    static let apiKey = HTTPField.Name("X-API-Key")!
}

extension TestResponse {
    /// The body as a JSON object; fails the test when it is not one.
    func json(file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        guard let dictionary = object as? [String: Any] else {
            XCTFail("not a JSON object: \(String(buffer: body))", file: file, line: line)
            return [:]
        }
        return dictionary
    }

    var text: String { String(buffer: body) }

    /// The contract's error body's `detail`.
    var detail: String? { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["detail"] as? String }
}

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }

    func post(_ uri: String, json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    /// Logs in and returns the token; fails the test unless the log-in succeeds.
    func token(_ username: String = "alice", password: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let password = password ?? (username == "admin" ? "admin" : "demo")
        let response = try await post("/api/v1/auth/login", json: #"{"username": "\#(username)", "password": "\#(password)"}"#)
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
        return response.json()["access_token"] as? String ?? ""
    }

    /// Uploads `bytes` as an audio file and returns the answer's `file_id`.
    func upload(token: String, filename: String = "loop.wav", bytes: Int = 64, genre: String? = nil, tags: String? = nil,
                file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        var form = MultipartForm()
        form.file(filename: filename, contentType: "audio/wav", bytes: [UInt8](repeating: 7, count: bytes))
        if let genre { form.field("genre", genre) }
        if let tags { form.field("tags", tags) }
        let response = try await execute(uri: "/api/v1/audio/upload", method: .post, headers: form.headers(token: token), body: form.body)
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        return response.json()["file_id"] as? String ?? ""
    }
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

/// A multipart/form-data body (RFC 7578), built part by part.
struct MultipartForm {
    var boundary = "----cicada-test-\(UInt32.random(in: 0 ... .max))"
    /// The parts so far, without the closing delimiter.
    private(set) var unterminatedBody = ByteBuffer()

    mutating func file(name: String = "file", filename: String?, contentType: String?, bytes: [UInt8]) {
        var disposition = "form-data; name=\"\(name)\""
        if let filename { disposition += "; filename=\"\(filename)\"" }
        var head = "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        unterminatedBody.writeString(head + "\r\n")
        unterminatedBody.writeBytes(bytes)
        unterminatedBody.writeString("\r\n")
    }

    mutating func field(_ name: String, _ value: String) {
        unterminatedBody.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    /// The body with its closing delimiter.
    var body: ByteBuffer {
        var closed = unterminatedBody
        closed.writeString("--\(boundary)--\r\n")
        return closed
    }

    func headers(token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "multipart/form-data; boundary=\(boundary)"]
    }
}
