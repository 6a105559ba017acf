import Foundation
import Hummingbird

/// An answer other than success, sent with the contract's error body `{"detail": "..."}`.
///
/// Handlers and middleware throw it; `TrafficMiddleware` turns it (and any other error) into the response,
/// so that every answer is counted with the status the client saw.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let detail: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(status.code) \(detail)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    /// The response, without a request: the error body never depends on it.
    var response: Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let body = (try? encoder.encode(["detail": detail])) ?? Data(#"{"detail":"error"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// 401 with the challenge that RFC 9110 §11.6.1 requires of every 401.
    static func unauthorized(_ detail: String) -> APIError {
        APIError(.unauthorized, detail, headers: [.wwwAuthenticate: "Bearer"])
    }

    /// 422, the contract's answer to a body or query that does not have the required form.
    static func unprocessable(_ detail: String) -> APIError {
        APIError(.unprocessableContent, detail)
    }

    static func notFound(_ detail: String) -> APIError {
        APIError(.notFound, detail)
    }
}
