/// A header value with parameters, as in `Content-Type` (RFC 9110 §8.3.1) and `Content-Disposition`
/// (RFC 6266 §4.1): a token, then `; name=value` pairs whose value is a token or a quoted string.
struct HeaderParameters: Equatable {
    /// The value before the first ';', lowercased ("multipart/form-data", "form-data").
    var value: String
    /// Parameters by lowercased name; quoted values are unquoted (RFC 9110 §5.6.4).
    var parameters: [String: String]

    init(_ header: String) {
        var index = header.startIndex
        func skipSpaces() {
            while index < header.endIndex, header[index] == " " || header[index] == "\t" { index = header.index(after: index) }
        }
        let valueEnd = header.firstIndex(of: ";") ?? header.endIndex
        value = header[..<valueEnd].trimmingSpaces.lowercased()
        parameters = [:]
        index = valueEnd
        while index < header.endIndex {
            index = header.index(after: index)  // past ';'
            skipSpaces()
            let nameEnd = header[index...].firstIndex { $0 == "=" || $0 == ";" } ?? header.endIndex
            let name = header[index..<nameEnd].trimmingSpaces.lowercased()
            index = nameEnd
            guard index < header.endIndex, header[index] == "=" else { continue }
            index = header.index(after: index)
            skipSpaces()
            var parameterValue = ""
            if index < header.endIndex, header[index] == "\"" {
                index = header.index(after: index)
                while index < header.endIndex, header[index] != "\"" {
                    if header[index] == "\\", header.index(after: index) < header.endIndex {
                        index = header.index(after: index)
                    }
                    parameterValue.append(header[index])
                    index = header.index(after: index)
                }
                if index < header.endIndex { index = header.index(after: index) }
                index = header[index...].firstIndex(of: ";") ?? header.endIndex
            } else {
                let end = header[index...].firstIndex(of: ";") ?? header.endIndex
                parameterValue = header[index..<end].trimmingSpaces
                index = end
            }
            if !name.isEmpty, parameters[name] == nil { parameters[name] = parameterValue }
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs, CRs and LFs.
    var trimmingSpaces: String {
        func isSpace(_ character: Character) -> Bool { character == " " || character == "\t" || character == "\r\n" || character == "\n" || character == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
