import Foundation
import Hummingbird

/// An answer other than success from the web UI's API: the status and `{"error": "...", "field": "..."}`,
/// where `error` is the message the command line gives for the same input and `field` names the form
/// field it is about (absent when it is about none).
public struct WebError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    public let field: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    /// 400: input the command line would refuse, with its message.
    public static func badInput(_ message: String, field: String? = nil) -> WebError {
        WebError(.badRequest, message, field: field)
    }

    /// 409: an action that the run's phase does not allow (a start while a run goes on, a stop with none).
    public static func conflict(_ message: String) -> WebError {
        WebError(.conflict, message)
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        var body: [String: String] = ["error": message]
        if let field { body["field"] = field }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":"error"}"#.utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
