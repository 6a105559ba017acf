import Foundation
import Hummingbird

extension Request {
    /// The body decoded as JSON into `T`. A body that is not JSON, lacks a field or has one of the wrong
    /// type is the contract's 422, with the field named; a body past the context's bound is 413.
    func decodeJSON<T: Decodable>(as type: T.Type, context: TargetRequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.unprocessable(Self.describe(error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "field \(field(context.codingPath + [key])) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.isEmpty ? "the body must be a JSON object" : "field \(field(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "field \(field(context.codingPath)) is invalid"
        @unknown default:
            return "the body is not valid"
        }
    }
}

/// Checks shared by the JSON routes.
enum FieldRules {
    static let maxURLLength = 2048

    /// An absolute http or https URL with a host, at most 2048 bytes.
    static func isHTTPURL(_ text: String) -> Bool {
        guard text.utf8.count <= maxURLLength, let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else { return false }
        return true
    }
}
