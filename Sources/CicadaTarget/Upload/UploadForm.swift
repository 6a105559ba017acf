import Foundation
import Hummingbird
import MultipartKit

/// What `POST /api/v1/audio/upload` received: the `file` part's name, type and size, and the optional
/// `genre` and `tags` fields.
///
/// The body is parsed with MultipartKit's streaming parser as it arrives, chunk by chunk: the file's
/// bytes are counted and dropped, so an upload costs the parser's state and the small fields, never the
/// file, and the body bound is enforced before more than one chunk past it is read.
struct UploadForm: Equatable {
    var filename: String
    var contentType: String
    var size: Int
    var genre: String?
    var tags: [String]

    /// Bounds on what is kept per file (docs/demo-target.md, "Memory"); past them the upload is 422.
    static let maxFilenameBytes = 255
    static let maxGenreLength = 64
    static let maxTags = 20
    static let maxTagLength = 32
    /// A text field is kept up to this many bytes; a longer one is refused.
    static let maxFieldBytes = 1024

    /// Reads and checks the upload.
    ///
    /// - Throws: `APIError` 422 when the body is not multipart/form-data, has no `file` part with a
    ///   filename, the file is empty or a field is past its bound; 415 when the file's `Content-Type` is not
    ///   `audio/*`; 413 when the body passes `maxBytes`.
    static func read(_ request: Request, maxBytes: Int) async throws -> UploadForm {
        let contentType = HeaderParameters(request.headers[.contentType] ?? "")
        guard contentType.value == "multipart/form-data" else {
            throw APIError.unprocessable("the body must be multipart/form-data")
        }
        // RFC 2046 §5.1.1: a boundary is 1 to 70 characters.
        guard let boundary = contentType.parameters["boundary"], (1...70).contains(boundary.utf8.count) else {
            throw APIError.unprocessable("multipart/form-data needs a boundary parameter of 1 to 70 characters")
        }
        let collector = PartCollector()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name, value) }
        parser.onBody = { body in collector.body(&body) }
        parser.onPartComplete = { collector.partComplete() }
        var received = 0
        for try await chunk in request.body {
            received += chunk.readableBytes
            guard received <= maxBytes else {
                throw APIError(.contentTooLarge, "the upload is larger than \(maxBytes) bytes")
            }
            do {
                try parser.execute(chunk)
            } catch {
                throw APIError.unprocessable("malformed multipart body")
            }
        }
        return try collector.form()
    }
}

/// The parser's callbacks' state: the part being read and what was kept of the finished ones. Lives in
/// one request's task only.
private final class PartCollector {
    private var headers: [String: String] = [:]
    private var size = 0
    private var text: [UInt8] = []
    private var textTooLong = false

    private var file: (filename: String?, contentType: String, size: Int)?
    private var fields: [String: [UInt8]] = [:]
    private var overlongField: String?

    private var partName: String? {
        headers["content-disposition"].flatMap { HeaderParameters($0).parameters["name"] }
    }

    func header(_ name: String, _ value: String) {
        headers[name.lowercased()] = value
    }

    func body(_ buffer: inout ByteBuffer) {
        size += buffer.readableBytes
        if partName != "file" {
            let room = UploadForm.maxFieldBytes - text.count
            if buffer.readableBytes > room { textTooLong = true }
            text.append(contentsOf: buffer.readableBytesView.prefix(max(0, room)))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
    }

    func partComplete() {
        let name = partName
        if name == "file", file == nil {
            let disposition = HeaderParameters(headers["content-disposition"] ?? "")
            file = (disposition.parameters["filename"], headers["content-type"] ?? "", size)
        } else if let name, name == "genre" || name == "tags", fields[name] == nil {
            if textTooLong { overlongField = name }
            fields[name] = text
        }
        headers = [:]
        size = 0
        text = []
        textTooLong = false
    }

    func form() throws -> UploadForm {
        guard let file, let filename = file.filename, !filename.isEmpty else {
            throw APIError.unprocessable("no file part: send a part named \"file\" with a filename")
        }
        let type = HeaderParameters(file.contentType).value
        guard type.hasPrefix("audio/"), type.count > "audio/".count else {
            throw APIError(.unsupportedMediaType,
                           "the file's Content-Type must be audio/*, not \(file.contentType.isEmpty ? "none" : file.contentType)")
        }
        guard file.size > 0 else { throw APIError.unprocessable("the file is empty") }
        guard filename.utf8.count <= UploadForm.maxFilenameBytes else {
            throw APIError.unprocessable("the filename is longer than \(UploadForm.maxFilenameBytes) bytes")
        }
        if let overlongField { throw APIError.unprocessable("the \(overlongField) field is longer than \(UploadForm.maxFieldBytes) bytes") }
        let genre = try fields["genre"].map(Self.text).flatMap { $0.isEmpty ? nil : $0 }
        if let genre, genre.count > UploadForm.maxGenreLength {
            throw APIError.unprocessable("genre is longer than \(UploadForm.maxGenreLength) characters")
        }
        let tags = try fields["tags"].map(Self.text).map(Self.tags) ?? []
        guard tags.count <= UploadForm.maxTags else { throw APIError.unprocessable("at most \(UploadForm.maxTags) tags") }
        if let long = tags.first(where: { $0.count > UploadForm.maxTagLength }) {
            throw APIError.unprocessable("tag \"\(long.prefix(40))\" is longer than \(UploadForm.maxTagLength) characters")
        }
        return UploadForm(filename: filename, contentType: type, size: file.size, genre: genre, tags: tags)
    }

    private static func text(_ bytes: [UInt8]) throws -> String {
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw APIError.unprocessable("form fields must be UTF-8")
        }
        return text.trimmingSpaces
    }

    /// "rock, live,,demo" is ["rock", "live", "demo"]: split on commas, trimmed, empty ones dropped.
    private static func tags(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    }
}
