/// A part of a request that may vary per request: literal text and *slots* (`${token}`,
/// `${user.id}`, `${random.int(1, 100)}`), parsed from the text a scenario writes.
///
/// Paths, header values, `body:`, `json:` and `form:` values and multipart fields are templates. The
/// core renders the slots into each request as it starts, with no allocation; a template without a
/// slot is static text and costs what a request without templates costs.
///
/// | slot | value |
/// |---|---|
/// | `${name}` | the user's variable `name` (set by a capture); a list's newest item |
/// | `${last(name)}`, `${random(name)}` | a list variable's newest item, a random item |
/// | `${user.id}`, `${user.index}` | the user's run-unique number (from 1), its number within its class (from 0) |
/// | `${iteration}` | how many tasks the user began before this one |
/// | `${random.int(1, 100)}`, `${random.choice(a, b, c)}` | a uniform integer, one of the items |
/// | `${uuid}`, `${time.unix}`, `${time.unix_ms}` | a version 4 UUID, the wall clock in s or ms |
/// | `${row.COLUMN}` | the column of the user's row of its class's `data:` file |
/// | `${env.NAME}`, `${env.NAME:-default}` | the environment variable, resolved once when the scenario loads |
///
/// A slot may end with a filter: `${q|url}` percent-encodes the value, `${name|json}` escapes it for the
/// inside of a JSON string. `$${` is a literal `${`.
///
/// ```swift
/// let path = try Template(parsing: "/files/${last(file_ids)}?q=${query|url}")
/// print(path)                  // /files/${last(file_ids)}?q=${query|url}
/// print(path.isStatic)         // false
/// print(path.variables)        // ["file_ids", "query"]
/// ```
public struct Template: Sendable, Equatable, CustomStringConvertible {
    /// The pieces in order.
    public var pieces: [Piece]

    /// A piece of a template: literal text, or a slot filled when the request is sent.
    public enum Piece: Sendable, Equatable {
        /// Text sent as it is.
        case text(String)
        /// A value filled per request, with the filter applied to it.
        case slot(Slot, Filter)
    }

    /// What fills a slot.
    public enum Slot: Sendable, Equatable {
        /// `${name}`: the variable, or a list's newest item.
        case variable(String)
        /// `${last(name)}`: a list variable's newest item.
        case last(String)
        /// `${random(name)}`: a random item of a list variable.
        case randomItem(String)
        /// `${user.id}`: the user's run-unique number, from 1.
        case userID
        /// `${user.index}`: the user's number within its class, from 0.
        case userIndex
        /// `${iteration}`: the tasks the user began before this one, from 0.
        case iteration
        /// `${random.int(min, max)}`: uniform in `min...max`.
        case randomInt(Int64, Int64)
        /// `${random.choice(a, b, c)}`: one of the items, uniformly.
        case randomChoice([String])
        /// `${uuid}`: a random version 4 UUID (RFC 9562 §5.4), lower case.
        case uuid
        /// `${time.unix}`: seconds since 1970.
        case timeUnix
        /// `${time.unix_ms}`: milliseconds since 1970.
        case timeUnixMilliseconds
        /// `${row.COLUMN}`: a column of the user's data row.
        case row(String)
        /// `${env.NAME}` or `${env.NAME:-default}`: resolved once, before the run, into text.
        case environment(String, default: String?)

        /// The variable this slot reads, if any.
        public var variable: String? {
            switch self {
            case .variable(let name), .last(let name), .randomItem(let name): return name
            default: return nil
            }
        }
    }

    /// How a slot's value is written.
    public enum Filter: String, Sendable, Equatable {
        /// As it is.
        case none = ""
        /// Percent-encoded except RFC 3986's unreserved characters (`|url`).
        case url
        /// Escaped for the inside of a JSON string, RFC 8259 §7 (`|json`).
        case json
        /// A whole JSON value (`|json_value`): a variable captured from JSON as a number, `true`, `false`,
        /// `null`, an object or an array is written as it was; anything else as a quoted, escaped JSON
        /// string. A `json:` body's string that is one variable and nothing else gets it, so that an id the
        /// server sent as `12` goes back as `12`, not `"12"`.
        case jsonValue = "json_value"
    }

    /// A template of the given pieces.
    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// A template of static text, sent as written (no `${` is read as a slot).
    public init(text: String) {
        self.pieces = text.isEmpty ? [] : [.text(text)]
    }

    /// Parses `text`, such as `Bearer ${token}`.
    /// - Throws: ``InputError`` naming the slot at fault and the forms expected.
    public init(parsing text: String) throws {
        self.pieces = try TemplateParser(text: text).parse()
    }

    /// Whether the template has no slot: it is its ``staticText``.
    public var isStatic: Bool {
        !pieces.contains { if case .slot = $0 { return true } else { return false } }
    }

    /// The text pieces together: the whole template when it is static.
    public var staticText: String {
        pieces.reduce(into: "") { if case .text(let text) = $1 { $0 += text } }
    }

    /// The slots, in order.
    public var slots: [(slot: Slot, filter: Filter)] {
        pieces.compactMap { if case .slot(let slot, let filter) = $0 { return (slot, filter) } else { return nil } }
    }

    /// The variables the template reads, in order of first use.
    public var variables: [String] {
        var seen: [String] = []
        for (slot, _) in slots { if let name = slot.variable, !seen.contains(name) { seen.append(name) } }
        return seen
    }

    /// The data columns the template reads (`${row.NAME}`), in order of first use.
    public var rowColumns: [String] {
        var seen: [String] = []
        for (slot, _) in slots { if case .row(let name) = slot, !seen.contains(name) { seen.append(name) } }
        return seen
    }

    /// The template with adjacent text pieces merged and empty ones dropped.
    public var normalized: Template {
        var out: [Piece] = []
        for piece in pieces {
            if case .text(let text) = piece {
                if text.isEmpty { continue }
                if case .text(let previous)? = out.last {
                    out[out.count - 1] = .text(previous + text)
                    continue
                }
            }
            out.append(piece)
        }
        return Template(pieces: out)
    }

    /// The template with every `${env.…}` slot replaced by its value from `environment`.
    /// - Throws: ``InputError`` for a variable that is not set and has no default.
    public func resolvingEnvironment(_ environment: [String: String]) throws -> Template {
        var out: [Piece] = []
        for piece in pieces {
            if case .slot(.environment(let name, let fallback), let filter) = piece {
                guard let value = environment[name] ?? fallback else {
                    throw InputError("the environment variable '\(name)' is not set and '${env.\(name)}' has no default; "
                        + "set it, or give a default as in ${env.\(name):-value}")
                }
                out.append(.text(Self.apply(filter, to: value)))
            } else {
                out.append(piece)
            }
        }
        return Template(pieces: out).normalized
    }

    /// The slots as the scenario writes them, with `${` in text written `$${`: parsing the description
    /// gives the template back.
    public var description: String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text.replacingOccurrences(of: "${", with: "$${")
            case .slot(let slot, let filter): out += Self.describe(slot, filter)
            }
        }
        return out
    }

    /// A slot as written: `${user.id}`, `${random.int(1, 100)}`, `${q|url}`.
    public static func describe(_ slot: Slot, _ filter: Filter = .none) -> String {
        let inner: String
        switch slot {
        case .variable(let name): inner = name
        case .last(let name): inner = "last(\(name))"
        case .randomItem(let name): inner = "random(\(name))"
        case .userID: inner = "user.id"
        case .userIndex: inner = "user.index"
        case .iteration: inner = "iteration"
        case .randomInt(let low, let high): inner = "random.int(\(low), \(high))"
        case .randomChoice(let items):
            inner = "random.choice(" + items.map(describeChoice).joined(separator: ", ") + ")"
        case .uuid: inner = "uuid"
        case .timeUnix: inner = "time.unix"
        case .timeUnixMilliseconds: inner = "time.unix_ms"
        case .row(let column): inner = "row.\(column)"
        case .environment(let name, let fallback): inner = "env.\(name)" + (fallback.map { ":-\($0)" } ?? "")
        }
        return "${" + inner + (filter == .none ? "" : "|\(filter.rawValue)") + "}"
    }

    private static func describeChoice(_ item: String) -> String {
        let plain = !item.isEmpty && item.trimmingCharacters(in: .whitespaces) == item
            && !item.contains(where: { ",()}|'\"".contains($0) })
        return plain ? item : "'" + item.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `value` as `filter` writes it; for values known before the run (`${env.…}`).
    public static func apply(_ filter: Filter, to value: String) -> String {
        switch filter {
        case .none: return value
        case .url: return percentEncoded(value)
        case .json:
            var out = ""
            appendJSONString(value, to: &out)
            return String(out.dropFirst().dropLast())
        case .jsonValue:
            var out = ""
            appendJSONString(value, to: &out)
            return out
        }
    }

    /// `value` percent-encoded except RFC 3986 §2.3's unreserved characters, as the core's `|url` does.
    public static func percentEncoded(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}

extension Template: ExpressibleByStringLiteral {
    /// A template parsed from a literal, for scenarios written in Swift: `"Bearer ${token}"`. A literal
    /// that does not parse becomes static text, and ``Scenario/validate()`` reports it.
    public init(stringLiteral value: String) {
        self = (try? Template(parsing: value)) ?? Template(text: value)
    }
}

/// The forms of a slot, for messages.
let slotForms = "expected ${name}, ${last(name)}, ${random(name)}, ${user.id}, ${user.index}, ${iteration}, "
    + "${random.int(1, 100)}, ${random.choice(a, b)}, ${uuid}, ${time.unix}, ${time.unix_ms}, ${row.COLUMN}, "
    + "${env.NAME} or ${env.NAME:-default}, optionally with |url or |json; $${ for a literal ${"

/// The built-in names a variable cannot take: a capture into one would never be read.
let reservedVariableNames = ["user", "iteration", "uuid", "time", "random", "env", "row", "last"]

/// Whether `name` is a variable name: a letter or `_`, then letters, digits and `_`.
func isVariableName(_ name: String) -> Bool {
    func letter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    guard let first = name.unicodeScalars.first, letter(first) else { return false }
    return name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
}

/// Reads the template syntax, one slot at a time.
private struct TemplateParser {
    let text: String

    func fail(_ slot: String, _ problem: String) -> InputError {
        InputError("invalid slot '\(slot.escapedForMessage)': \(problem); \(slotForms)")
    }

    func parse() throws -> [Template.Piece] {
        var pieces: [Template.Piece] = []
        var literal = ""
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "$", i + 2 < scalars.count, scalars[i + 1] == "$", scalars[i + 2] == "{" {
                literal += "${"
                i += 3
                continue
            }
            if c == "$", i + 1 < scalars.count, scalars[i + 1] == "{" {
                // The slot ends at the first '}' outside quotes.
                var j = i + 2
                var quote: Unicode.Scalar?
                while j < scalars.count {
                    let d = scalars[j]
                    if let q = quote {
                        if d == q { quote = nil }
                    } else if d == "'" || d == "\"" {
                        quote = d
                    } else if d == "}" {
                        break
                    }
                    j += 1
                }
                let written = String(String.UnicodeScalarView(scalars[i..<min(j + 1, scalars.count)]))
                guard j < scalars.count else {
                    throw InputError("the slot '\(written.escapedForMessage)' has no closing '}'; \(slotForms)")
                }
                if !literal.isEmpty { pieces.append(.text(literal)); literal = "" }
                let inner = String(String.UnicodeScalarView(scalars[(i + 2)..<j]))
                pieces.append(try slot(inner, written: written))
                i = j + 1
                continue
            }
            literal.unicodeScalars.append(c)
            i += 1
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }

    func slot(_ inner: String, written: String) throws -> Template.Piece {
        var body = inner.trimmingCharacters(in: .whitespaces)
        var filter = Template.Filter.none
        // A filter follows the last '|' outside quotes and parentheses; an env default may hold '|' only quoted.
        if let bar = lastTopLevel("|", in: body) {
            let name = body[body.index(after: bar)...].trimmingCharacters(in: .whitespaces)
            guard let known = Template.Filter(rawValue: name), known != .none else {
                let hint = closestName(to: name, in: ["url", "json"]).map { " (did you mean '|\($0)'?)" } ?? ""
                throw fail(written, "unknown filter '|\(name)'\(hint); the filters are |url, |json and |json_value")
            }
            filter = known
            body = body[..<bar].trimmingCharacters(in: .whitespaces)
        }
        guard !body.isEmpty else { throw fail(written, "it is empty") }
        return .slot(try slotValue(body, written: written), filter)
    }

    func lastTopLevel(_ c: Character, in s: String) -> String.Index? {
        var depth = 0
        var quote: Character?
        var found: String.Index?
        var index = s.startIndex
        while index < s.endIndex {
            let d = s[index]
            if let q = quote {
                if d == q { quote = nil }
            } else if d == "'" || d == "\"" {
                quote = d
            } else if d == "(" {
                depth += 1
            } else if d == ")" {
                depth -= 1
            } else if d == c, depth == 0 {
                found = index
            }
            index = s.index(after: index)
        }
        return found
    }

    func slotValue(_ body: String, written: String) throws -> Template.Slot {
        switch body {
        case "user.id": return .userID
        case "user.index": return .userIndex
        case "iteration": return .iteration
        case "uuid": return .uuid
        case "time.unix": return .timeUnix
        case "time.unix_ms": return .timeUnixMilliseconds
        default: break
        }
        if body.hasPrefix("env.") {
            let rest = body.dropFirst(4)
            var name = String(rest)
            var fallback: String?
            if let range = rest.range(of: ":-") {
                name = String(rest[..<range.lowerBound])
                fallback = unquoted(String(rest[range.upperBound...]))
            }
            guard isEnvironmentName(name) else {
                throw fail(written, "'\(name)' is not an environment variable name (letters, digits and '_', not first a digit)")
            }
            return .environment(name, default: fallback)
        }
        if body.hasPrefix("row.") {
            let column = String(body.dropFirst(4))
            guard !column.isEmpty else { throw fail(written, "no column after 'row.'") }
            return .row(column)
        }
        if let open = body.firstIndex(of: "(") {
            guard body.hasSuffix(")") else { throw fail(written, "no ')' at the end of the call") }
            let function = String(body[..<open]).trimmingCharacters(in: .whitespaces)
            let argumentText = String(body[body.index(after: open)..<body.index(before: body.endIndex)])
            let arguments = try splitArguments(argumentText, written: written)
            switch function {
            case "random.int":
                guard arguments.count == 2, let low = Int64(arguments[0]), let high = Int64(arguments[1]) else {
                    throw fail(written, "random.int takes two integers, as in random.int(1, 100)")
                }
                guard low <= high else { throw fail(written, "the minimum \(low) is above the maximum \(high)") }
                return .randomInt(low, high)
            case "random.choice":
                guard !arguments.isEmpty, !(arguments.count == 1 && arguments[0].isEmpty) else {
                    throw fail(written, "random.choice takes at least one item, as in random.choice(rock, jazz)")
                }
                return .randomChoice(arguments)
            case "random", "last":
                guard arguments.count == 1, isVariableName(arguments[0]) else {
                    throw fail(written, "\(function)() takes the name of a list variable, as in \(function)(file_ids)")
                }
                return function == "random" ? .randomItem(arguments[0]) : .last(arguments[0])
            default:
                let known = ["random.int", "random.choice", "random", "last"]
                let hint = closestName(to: function, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                throw fail(written, "unknown function '\(function)'\(hint)")
            }
        }
        if isVariableName(body) {
            if reservedVariableNames.contains(body) {
                throw fail(written, "'\(body)' is a built-in's name, not a variable")
            }
            return .variable(body)
        }
        let builtIns = ["user.id", "user.index", "iteration", "uuid", "time.unix", "time.unix_ms"]
        let hint = closestName(to: body, in: builtIns).map { " (did you mean '${\($0)}'?)" } ?? ""
        throw fail(written, "'\(body)' is neither a variable name nor a built-in\(hint)")
    }

    /// Splits call arguments at commas outside quotes; quoted items lose their quotes (`''` is a quote).
    func splitArguments(_ text: String, written: String) throws -> [String] {
        var items: [String] = []
        var current = ""
        var quote: Character?
        var quoted = false
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let q = quote {
                if c == q {
                    let next = text.index(after: index)
                    if next < text.endIndex, text[next] == q {
                        current.append(q)
                        index = text.index(after: next)
                        continue
                    }
                    quote = nil
                } else {
                    current.append(c)
                }
            } else if c == "'" || c == "\"" {
                quote = c
                quoted = true
                current = current.trimmingCharacters(in: .whitespaces)
            } else if c == "," {
                items.append(quoted ? current : current.trimmingCharacters(in: .whitespaces))
                current = ""
                quoted = false
            } else if !(quoted && c == " ") {
                current.append(c)
            }
            index = text.index(after: index)
        }
        if quote != nil { throw fail(written, "a quote is not closed") }
        items.append(quoted ? current : current.trimmingCharacters(in: .whitespaces))
        return items
    }

    func unquoted(_ s: String) -> String {
        if s.count >= 2, let first = s.first, first == "'" || first == "\"", s.last == first {
            return String(s.dropFirst().dropLast())
        }
        return s
    }

    func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        }
    }
}
