import HTTPTypes
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import CicadaTarget

final class UploadTests: XCTestCase {
    func testUploadAnswersTheFieldsAndTheSizeOfTheFile() async throws {
        // 300 KiB crosses many of the live connection's reads and the parser's chunks.
        let bytes = (0..<300 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await withTarget(.live) { client, target in
            let token = try await client.token()
            var form = MultipartForm()
            form.field("genre", "techno")
            form.file(filename: "kick loop (v2).wav", contentType: "audio/wav", bytes: bytes)
            form.field("tags", " drums, 128bpm,, loop ")
            let response = try await client.execute(uri: "/api/v1/audio/upload", method: .post,
                                                    headers: form.headers(token: token), body: form.body)
            XCTAssertEqual(response.status, .created, response.text)
            let body = response.json()
            XCTAssertEqual(body["filename"] as? String, "kick loop (v2).wav")
            XCTAssertEqual(body["size"] as? Int, bytes.count)
            XCTAssertEqual(body["genre"] as? String, "techno")
            XCTAssertEqual(body["tags"] as? [String], ["drums", "128bpm", "loop"])
            let id = try XCTUnwrap(body["file_id"] as? String)
            XCTAssertEqual(target.state.files.file(id, ownedBy: "user:alice")?.size, bytes.count)
        }
    }

    func testOptionalFieldsMayBeAbsent() async throws {
        try await withTarget { client, _ in
            let token = try await client.token()
            var form = MultipartForm()
            form.file(filename: "a.mp3", contentType: "audio/mpeg", bytes: [1, 2, 3])
            let response = try await client.execute(uri: "/api/v1/audio/upload", method: .post,
                                                    headers: form.headers(token: token), body: form.body)
            XCTAssertEqual(response.status, .created)
            let body = response.json()
            XCTAssertTrue(body["genre"] is NSNull, "genre is null when not given")
            XCTAssertEqual(body["tags"] as? [String], [])
            XCTAssertEqual(body["size"] as? Int, 3)
        }
    }

    func testUploadRefusals() async throws {
        try await withTarget(configure: { $0.maxUploadBytes = 64 * 1024 }) { client, _ in
            let token = try await client.token()
            func send(_ form: MultipartForm, body: ByteBuffer? = nil, contentType: String? = nil) async throws -> TestResponse {
                var headers = form.headers(token: token)
                if let contentType { headers[.contentType] = contentType }
                return try await client.execute(uri: "/api/v1/audio/upload", method: .post, headers: headers, body: body ?? form.body)
            }
            var text = MultipartForm()
            text.file(filename: "notes.txt", contentType: "text/plain", bytes: [1])
            var untyped = MultipartForm()
            untyped.file(filename: "a.wav", contentType: nil, bytes: [1])
            var audioPrefixOnly = MultipartForm()
            audioPrefixOnly.file(filename: "a.wav", contentType: "audio/", bytes: [1])
            var noFile = MultipartForm()
            noFile.field("genre", "rock")
            var wrongName = MultipartForm()
            wrongName.file(name: "upload", filename: "a.wav", contentType: "audio/wav", bytes: [1])
            var noFilename = MultipartForm()
            noFilename.file(filename: nil, contentType: "audio/wav", bytes: [1])
            var empty = MultipartForm()
            empty.file(filename: "a.wav", contentType: "audio/wav", bytes: [])
            var longGenre = MultipartForm()
            longGenre.file(filename: "a.wav", contentType: "audio/wav", bytes: [1])
            longGenre.field("genre", String(repeating: "g", count: 65))
            var manyTags = MultipartForm()
            manyTags.file(filename: "a.wav", contentType: "audio/wav", bytes: [1])
            manyTags.field("tags", (1...21).map(String.init).joined(separator: ","))
            var huge = MultipartForm()
            huge.file(filename: "a.wav", contentType: "audio/wav", bytes: [UInt8](repeating: 0, count: 65 * 1024))
            var truncated = MultipartForm()
            truncated.file(filename: "a.wav", contentType: "audio/wav", bytes: [1, 2, 3])

            let cases: [(String, HTTPResponse.Status, TestResponse)] = [
                ("text/plain file", .unsupportedMediaType, try await send(text)),
                ("file without a type", .unsupportedMediaType, try await send(untyped)),
                ("audio/ without subtype", .unsupportedMediaType, try await send(audioPrefixOnly)),
                ("no file part", .unprocessableContent, try await send(noFile)),
                ("file part under another name", .unprocessableContent, try await send(wrongName)),
                ("file part without filename", .unprocessableContent, try await send(noFilename)),
                ("empty file", .unprocessableContent, try await send(empty)),
                ("genre of 65", .unprocessableContent, try await send(longGenre)),
                ("21 tags", .unprocessableContent, try await send(manyTags)),
                ("past the body bound", .contentTooLarge, try await send(huge)),
                ("cut before the file part ends", .unprocessableContent,
                 try await send(truncated, body: truncated.unterminatedBody)),
                ("JSON body", .unprocessableContent, try await send(text, body: ByteBuffer(string: "{}"), contentType: "application/json")),
                ("multipart without boundary", .unprocessableContent, try await send(text, contentType: "multipart/form-data")),
                ("no Content-Type", .unprocessableContent, try await send(text, contentType: "")),
            ]
            for (name, status, response) in cases {
                XCTAssertEqual(response.status, status, "\(name): \(response.text)")
                XCTAssertNotNil(response.detail, name)
            }
            let anonymous = try await client.execute(uri: "/api/v1/audio/upload", method: .post,
                                                     headers: [.contentType: "multipart/form-data; boundary=\(text.boundary)"], body: text.body)
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testHeaderParameters() {
        let cases: [(String, String, [String: String])] = [
            ("multipart/form-data; boundary=abc", "multipart/form-data", ["boundary": "abc"]),
            ("Multipart/Form-Data;BOUNDARY=\"a b;c\"", "multipart/form-data", ["boundary": "a b;c"]),
            (#"form-data; name="file"; filename="x \"y\".wav""#, "form-data", ["name": "file", "filename": #"x "y".wav"#]),
            ("form-data; name=genre ; other", "form-data", ["name": "genre"]),
            ("audio/wav", "audio/wav", [:]),
            ("", "", [:]),
            ("a; =x; b=", "a", ["b": ""]),
        ]
        for (header, value, parameters) in cases {
            let parsed = HeaderParameters(header)
            XCTAssertEqual(parsed.value, value, header)
            XCTAssertEqual(parsed.parameters, parameters, header)
        }
    }
}
