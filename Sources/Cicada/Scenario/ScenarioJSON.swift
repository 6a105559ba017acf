import Yams

extension ScenarioReader {
    /// Renders a `json:` value as compact JSON (RFC 8259), keeping the order of mapping keys as written.
    ///
    /// Scalars keep their YAML meaning: `true`, `3`, `1.5` and `null` stay JSON literals, while quoted
    /// scalars, dates and anything else become strings. NaN and infinities have no JSON form and are
    /// refused.
    func renderJSON(_ node: Node) throws -> String {
        var out = ""
        try renderJSON(node, into: &out)
        return out
    }

    private func renderJSON(_ node: Node, into out: inout String) throws {
        switch node {
        case .mapping:
            out += "{"
            for (index, entry) in try entries(of: node, what: "'json'").enumerated() {
                if index > 0 { out += "," }
                appendJSONString(entry.key, to: &out)
                out += ":"
                try renderJSON(entry.value, into: &out)
            }
            out += "}"
        case .sequence(let list):
            out += "["
            for (index, item) in list.enumerated() {
                if index > 0 { out += "," }
                try renderJSON(item, into: &out)
            }
            out += "]"
        case .scalar(let scalar):
            switch yamlTag(node) {
            case .null:
                out += "null"
            case .bool:
                out += node.bool == true ? "true" : "false"
            case .int:
                if isJSONInteger(scalar.string) {
                    out += scalar.string
                } else if let value = node.int {
                    out += String(value) // YAML spellings JSON lacks: 0x1F, 0o17, 1_000, +5.
                } else {
                    throw error(node, "the integer \(describe(node)) does not fit in 64 bits; quote it to send a string")
                }
            case .float:
                guard let value = node.float, value.isFinite else {
                    throw error(node, "JSON has no NaN or infinity, got \(describe(node)); quote it to send a string")
                }
                out += isJSONInteger(scalar.string) ? scalar.string : "\(value)"
            default:
                appendJSONString(scalar.string, to: &out)
            }
        }
    }
}

/// Whether `s` is already a JSON integer: `-?(0|[1-9][0-9]*)`.
private func isJSONInteger(_ s: String) -> Bool {
    var digits = Substring(s).utf8[...]
    if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
    guard let first = digits.first, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
    return first != UInt8(ascii: "0") || digits.count == 1
}

/// Appends `s` as a JSON string, escaping what RFC 8259 §7 requires.
func appendJSONString(_ s: String, to out: inout String) {
    out += "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if c.value < 0x20 {
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
    out += "\""
}

/// The resolved tag of a node: `!!str` for a quoted scalar, `!!int` for a plain `3`, an explicit tag as
/// written. (Yams keeps `Tag.name` internal; its default resolver is the one `compose` used.)
func yamlTag(_ node: Node) -> Tag.Name {
    Resolver.default.resolveTag(of: node)
}
