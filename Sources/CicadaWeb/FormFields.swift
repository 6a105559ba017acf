import Foundation
import Hummingbird

/// The fields of a request body: `application/x-www-form-urlencoded` (Locust's `/swarm`, an HTML form)
/// or a JSON object of strings, numbers, booleans and arrays of them (the REST API). A repeated form key
/// and a JSON array both give a list (`user_classes`). Bounded: at most ``maxBytes`` of body, ``maxFields``
/// fields and ``maxValues`` values in all.
struct FormFields {
    static let maxBytes = 64 << 10
    static let maxFields = 64
    static let maxValues = 1_024

    private(set) var values: [String: [String]] = [:]

    /// The field's one value, or `nil` when absent or empty.
    func value(_ name: String) -> String? {
        guard let value = values[name]?.first?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// The field's values, a comma-separated value split too; `nil` when absent.
    func list(_ name: String) -> [String]? {
        values[name].map { $0.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty } }
    }

    /// Reads the body by its content type; a request without a body has no fields.
    /// - Throws: ``WebError`` 413 past the size bound, 400 for a body that is not what its type says, 415
    ///   for another type.
    static func read(_ request: Request) async throws -> FormFields {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch {
            throw WebError(.contentTooLarge, "the request body is larger than \(maxBytes >> 10) KiB")
        }
        let text = String(buffer: buffer)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return FormFields() }
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json":
            return try json(text)
        case "application/x-www-form-urlencoded", "":
            return try urlEncoded(text)
        default:
            throw WebError(.unsupportedMediaType, "expected a body of application/json or application/x-www-form-urlencoded, got \(type)")
        }
    }

    /// Reads `a=1&b=2` (a query string or a form body); `+` is a space.
    static func urlEncoded(_ text: String) throws -> FormFields {
        var fields = FormFields()
        var count = 0
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) throws -> String {
                guard let decoded = part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw WebError.badInput("the form field '\(String(part.prefix(40)))' is not percent-encoded correctly")
                }
                return decoded
            }
            let name = try decode(parts[0])
            try fields.add(name, try decode(parts.count > 1 ? parts[1] : ""), count: &count)
        }
        return fields
    }

    static func json(_ text: String) throws -> FormFields {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw WebError.badInput("expected a JSON object of fields, such as {\"users\": 10, \"spawn_rate\": 2}")
        }
        var fields = FormFields()
        var count = 0
        func scalar(_ value: Any, _ name: String) throws -> String {
            switch value {
            case let string as String: return string
            case let number as NSNumber: return number.stringValue
            case is NSNull: return ""
            default: throw WebError.badInput("the field '\(name)' must be a string, a number or a list of them", field: name)
            }
        }
        for (name, value) in object {
            if let array = value as? [Any] {
                for item in array { try fields.add(name, try scalar(item, name), count: &count) }
                if array.isEmpty { fields.values[name, default: []] = [] }
            } else {
                try fields.add(name, try scalar(value, name), count: &count)
            }
        }
        return fields
    }

    private mutating func add(_ name: String, _ value: String, count: inout Int) throws {
        count += 1
        guard count <= Self.maxValues, values[name] != nil || values.count < Self.maxFields else {
            throw WebError.badInput("more than \(Self.maxFields) fields or \(Self.maxValues) values")
        }
        values[name, default: []].append(value)
    }
}
