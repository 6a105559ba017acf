import Foundation
import Yams

/// The keys of the scenario language beyond plain requests: templates, captures, checks, conditions,
/// repeats, bodies (`form:`, `multipart:`), tags and data files. Each value is checked at its node.
extension ScenarioReader {
    static let captureKeys = ["var", "json", "header", "regex", "status", "cookie", "optional", "default", "append", "max"]
    static let captureSources = ["json", "header", "regex", "status", "cookie"]
    static let checkKinds = ["status", "body_contains", "json", "header", "max_duration"]
    static let dataKeys = ["file", "mode", "header", "recycle"]
    static let repeatKeys = ["until", "every", "max"]
    static let partKeys = ["name", "value", "filename", "content_type", "file", "size"]

    // MARK: Templates

    /// Parses the template `text` written at `node`, with `${env.…}` resolved now, and notes each slot's
    /// use for the class's variable check.
    func template(_ node: Node, _ text: String) throws -> Template {
        let parsed = try at(node) { try Template(parsing: text) }
        let resolved = try at(node) { try parsed.resolvingEnvironment(environment) }
        for (slot, _) in resolved.slots { uses.slots.append((slot, node)) }
        return resolved
    }

    /// Renders a `json:` value as a template of compact JSON (RFC 8259), keeping the order of mapping keys:
    /// the text of strings is escaped now, and each slot in a string gets the `|json` filter, so that a
    /// captured value with a quote in it still makes valid JSON.
    func renderJSONTemplate(_ node: Node) throws -> Template {
        var pieces: [Template.Piece] = []
        try renderJSON(node, into: &pieces)
        return Template(pieces: pieces).normalized
    }

    private func renderJSON(_ node: Node, into pieces: inout [Template.Piece]) throws {
        func text(_ s: String) { pieces.append(.text(s)) }
        func string(_ s: String) {
            var out = ""
            appendJSONString(s, to: &out)
            text(out)
        }
        switch node {
        case .mapping:
            text("{")
            for (index, entry) in try entries(of: node, what: "'json'").enumerated() {
                if index > 0 { text(",") }
                string(entry.key)
                text(":")
                try renderJSON(entry.value, into: &pieces)
            }
            text("}")
        case .sequence(let list):
            text("[")
            for (index, item) in list.enumerated() {
                if index > 0 { text(",") }
                try renderJSON(item, into: &pieces)
            }
            text("]")
        case .scalar(let scalar):
            switch yamlTag(node) {
            case .null, .bool, .int, .float:
                text(try renderJSON(node))
            default:
                pieces += jsonStringPieces(try template(node, scalar.string))
            }
        }
    }

    /// `form: {k: v}` as an `application/x-www-form-urlencoded` template: names and text percent-encoded
    /// now, slots with the `|url` filter.
    func readForm(_ node: Node) throws -> Template {
        var pieces: [Template.Piece] = []
        for (index, entry) in try entries(of: node, what: "'form'").enumerated() {
            guard case .scalar(let scalar) = entry.value else {
                throw error(entry.value, "expected the value of form field '\(entry.key)' as text, got \(describe(entry.value))")
            }
            pieces += formFieldPieces(entry.key, try template(entry.value, scalar.string), first: index == 0)
        }
        return Template(pieces: pieces).normalized
    }

    /// `multipart:` parts: fields `{name, value}` and files `{name, filename, content_type, file | size}`.
    func readMultipart(_ node: Node) throws -> [MultipartPart] {
        guard case .sequence(let list) = node, !list.isEmpty else {
            throw error(node, "expected 'multipart' to be a list of parts such as {name: genre, value: rock} or "
                + "{name: file, filename: a.wav, content_type: audio/wav, size: 256KiB}, got \(describe(node))")
        }
        var parts: [MultipartPart] = []
        for item in list {
            let fields = try Fields(item, what: "a multipart part", allowed: Self.partKeys, reader: self)
            guard let nameNode = fields["name"] else {
                throw missing("name", in: fields, expected: "the form field's name, such as file")
            }
            let name = try scalarText(nameNode, expected: "the form field's name, such as file")
            let sources = ["value", "file", "size"].filter(fields.has)
            guard let source = sources.first else {
                throw error(fields.node, "multipart part '\(name)' has no content; expected one of value, file or size")
            }
            if sources.count > 1, let second = fields.keyNode(sources[1]) {
                throw error(second, "'\(sources[0])' and '\(sources[1])' both give the content of multipart part '\(name)'; "
                    + "expected one of value, file, size")
            }
            var part = MultipartPart(name: name, content: .generated(size: 0))
            if let node = fields["filename"] { part.filename = try scalarText(node, expected: "a file name such as sample.wav") }
            if let node = fields["content_type"] {
                part.contentType = try scalarText(node, expected: "a media type such as audio/wav")
            }
            let contentNode = fields[source]!
            switch source {
            case "value":
                guard case .scalar(let scalar) = contentNode else {
                    throw error(contentNode, "expected the value of multipart part '\(name)' as text, got \(describe(contentNode))")
                }
                part.content = .value(try template(contentNode, scalar.string).description)
            case "file":
                let path = resolve(try scalarText(contentNode, expected: "a file path, relative to the scenario file"))
                try at(contentNode) {
                    do { _ = try SettingBounds.readBody(path: path) } catch let inputError as InputError {
                        throw InputError("cannot read the file of multipart part '\(name)' '\(path)': \(inputError.message)")
                    }
                }
                part.content = .file(path: path)
                if part.filename == nil { part.filename = String(path.split(separator: "/").last ?? "") }
            default:
                let text = try scalarText(contentNode, expected: "a size such as 256KiB")
                part.content = .generated(size: try at(contentNode) { try parseByteSize(text) })
            }
            try at(item) { try ScenarioRules.checkMultipart([part], headers: []) }
            parts.append(part)
        }
        return parts
    }

    // MARK: Captures and checks

    /// A list of captures, or one.
    func readCaptures(_ node: Node) throws -> [Capture] {
        let items: [Node]
        switch node {
        case .sequence(let list) where !list.isEmpty: items = Array(list)
        case .mapping: items = [node]
        default:
            throw error(node, "expected 'capture' to be a list of captures such as {var: token, json: access_token}, "
                + "got \(describe(node))")
        }
        return try items.map { item in
            let fields = try Fields(item, what: "a capture", allowed: Self.captureKeys, reader: self)
            guard let varNode = fields["var"] else {
                throw missing("var", in: fields, expected: "the variable to set, as in {var: token, json: access_token}")
            }
            let variable = try scalarText(varNode, expected: "a variable name such as token")
            try at(varNode) { try checkVariableName(variable, what: "capture into") }
            let sources = Self.captureSources.filter(fields.has)
            guard let sourceKey = sources.first else {
                throw error(fields.node, "capture '\(variable)' has no source; expected one of json, header, regex, "
                    + "status, cookie, as in {var: \(variable), json: access_token}")
            }
            if sources.count > 1, let second = fields.keyNode(sources[1]) {
                throw error(second, "capture '\(variable)' has two sources, '\(sources[0])' and '\(sources[1])'; expected one")
            }
            let sourceNode = fields[sourceKey]!
            let source: Capture.Source
            switch sourceKey {
            case "status":
                guard try bool(sourceNode, key: "status") else {
                    throw error(sourceNode, "expected status: true to capture the status code, got \(describe(sourceNode))")
                }
                source = .status
            default:
                let text = try scalarText(sourceNode, expected: sourceKey == "json" ? "a JSON path such as data.items[0].id"
                    : sourceKey == "regex" ? "a regex such as 'id=\"(\\w+)\"'" : "a \(sourceKey) name")
                switch sourceKey {
                case "json": try at(sourceNode) { try JSONPath.check(text) }; source = .json(text)
                case "header": try at(sourceNode) { try ScenarioRules.checkHeaderName(text, owned: false) }; source = .header(text)
                case "regex": try at(sourceNode) { try PosixRegex.check(text) }; source = .regex(text)
                default: source = .cookie(text)
                }
            }
            var capture = Capture(variable, from: source)
            if let node = fields["optional"] { capture.optional = try bool(node, key: "optional") }
            if let node = fields["default"] {
                guard case .scalar(let scalar) = node else {
                    throw error(node, "expected the default of capture '\(variable)' as text, got \(describe(node))")
                }
                capture.defaultValue = scalar.string
            }
            if let node = fields["append"] { capture.append = try bool(node, key: "append") }
            if let node = fields["max"] {
                capture.max = try number(node, SettingBound.integer("a list length", 1...Capture.largestListMax))
            }
            try at(item) { try capture.validate() }
            uses.captures.append((capture, item))
            return capture
        }
    }

    /// A list of checks, or one; each has exactly one kind.
    func readChecks(_ node: Node, what: String) throws -> [Check] {
        let items: [Node]
        switch node {
        case .sequence(let list) where !list.isEmpty: items = Array(list)
        case .mapping: items = [node]
        default:
            throw error(node, "expected \(what) to be a check such as {status: 201} or a list of checks, got \(describe(node))")
        }
        return try items.map(readCheck)
    }

    func readCheck(_ node: Node) throws -> Check {
        let fields = try Fields(node, what: "a check", allowed: Self.checkKinds, reader: self)
        let kinds = Self.checkKinds.filter(fields.has)
        guard let kind = kinds.first else {
            throw error(node, "a check needs one of \(Self.checkKinds.joined(separator: ", ")), got an empty mapping")
        }
        if kinds.count > 1, let second = fields.keyNode(kinds[1]) {
            throw error(second, "a check has one kind, but this one has '\(kinds[0])' and '\(kinds[1])'; "
                + "expected each in its own check: check: [{\(kinds[0]): ...}, {\(kinds[1]): ...}]")
        }
        let value = fields[kind]!
        switch kind {
        case "status":
            let items: [Node]
            if case .sequence(let list) = value, !list.isEmpty { items = Array(list) } else { items = [value] }
            return .status(try items.map { item in
                let text = try scalarText(item, expected: "a status such as 201, a class such as 2xx, or a list of them")
                return try at(item) { try StatusRange.parse(text) }
            })
        case "body_contains":
            guard case .scalar(let scalar) = value, !scalar.string.isEmpty else {
                throw error(value, "expected the text the body must contain, got \(describe(value))")
            }
            return .bodyContains(scalar.string)
        case "max_duration":
            return .maxDuration(try duration(value, SettingBounds.timeout))
        case "header":
            let header = try Fields(value, what: "a header check", allowed: ["name", "equals"], reader: self)
            guard let nameNode = header["name"] else {
                throw missing("name", in: header, expected: "the header's name, as in {name: Content-Type, equals: application/json}")
            }
            guard let equalsNode = header["equals"] else {
                throw missing("equals", in: header, expected: "the value the header must have")
            }
            let name = try scalarText(nameNode, expected: "a header name such as Content-Type")
            try at(nameNode) { try ScenarioRules.checkHeaderName(name, owned: false) }
            guard case .scalar(let scalar) = equalsNode else {
                throw error(equalsNode, "expected the header's value as text, got \(describe(equalsNode))")
            }
            return .headerEquals(name: name, value: scalar.string)
        default:
            let json = try Fields(value, what: "a json check", allowed: ["path", "equals", "exists", "matches"], reader: self)
            guard let pathNode = json["path"] else {
                throw missing("path", in: json, expected: "a JSON path, as in {path: status, equals: done}")
            }
            let path = try scalarText(pathNode, expected: "a JSON path such as status or data.items[0].id")
            try at(pathNode) { try JSONPath.check(path) }
            let tests = ["equals", "exists", "matches"].filter(json.has)
            guard let test = tests.first else {
                throw error(value, "the json check of '\(path)' has no test; expected one of equals, exists, matches")
            }
            if tests.count > 1, let second = json.keyNode(tests[1]) {
                throw error(second, "a json check has one test, but this one has '\(tests[0])' and '\(tests[1])'; "
                    + "expected one of equals, exists, matches")
            }
            let testNode = json[test]!
            switch test {
            case "equals":
                guard case .scalar(let scalar) = testNode else {
                    throw error(testNode, "expected the value to compare with as a string, number or literal, got \(describe(testNode))")
                }
                return .jsonEquals(path: path, value: yamlTag(testNode) == .null ? "null" : scalar.string)
            case "exists":
                guard try bool(testNode, key: "exists") else {
                    throw error(testNode, "expected exists: true; to check that a path is absent there is no check yet")
                }
                return .jsonExists(path: path)
            default:
                let pattern = try scalarText(testNode, expected: "a regex such as '^(done|running)$'")
                try at(testNode) { try PosixRegex.check(pattern) }
                return .jsonMatches(path: path, pattern: pattern)
            }
        }
    }

    // MARK: Flow

    /// `if: ${file_id}` or `unless: ${file_id}`: one variable slot.
    func readCondition(_ node: Node, key: String) throws -> StepCondition {
        let text = try scalarText(node, expected: "a variable as in \(key): ${file_id}")
        let parsed = try at(node) { try Template(parsing: text) }
        guard parsed.pieces.count == 1, case .slot(.variable(let name), .none) = parsed.pieces[0] else {
            throw error(node, "expected '\(key)' to be one variable, as in \(key): ${file_id}, got \(describe(node))")
        }
        let condition: StepCondition = key == "if" ? .ifSet(name) : .unlessSet(name)
        uses.conditions.append((condition, node))
        return condition
    }

    /// `repeat: {until: <check>, every: 1s, max: 30}`.
    func readRepeat(_ node: Node) throws -> Repeat {
        let fields = try Fields(node, what: "'repeat'", allowed: Self.repeatKeys, reader: self)
        guard let untilNode = fields["until"] else {
            throw missing("until", in: fields, expected: "the check that ends the repeat, as in "
                + "repeat: {until: {json: {path: status, equals: done}}, every: 1s, max: 30}")
        }
        var repeatUntil = Repeat(until: try readChecks(untilNode, what: "'until'"))
        if let node = fields["every"] { repeatUntil.every = try duration(node, SettingBounds.wait) }
        if let node = fields["max"] {
            repeatUntil.max = try number(node, SettingBound.integer("a number of attempts", 1...Repeat.largestMax))
        }
        return repeatUntil
    }

    /// `tags: [upload, slow]` or `tags: upload`.
    func readTags(_ node: Node) throws -> [String] {
        let items: [Node]
        if case .sequence(let list) = node { items = Array(list) } else { items = [node] }
        return try items.map { item in
            let tag = try scalarText(item, expected: "a tag such as upload")
            try at(item) { try ScenarioRules.checkTags([tag]) }
            return tag
        }
    }

    /// `data: {file: users.csv, mode: per_user, header: true, recycle: false}`; the file is read now.
    func readData(_ node: Node) throws -> DataSource {
        let fields = try Fields(node, what: "'data'", allowed: Self.dataKeys, reader: self)
        guard let fileNode = fields["file"] else {
            throw missing("file", in: fields, expected: "a CSV file, relative to the scenario file, as in data: {file: users.csv}")
        }
        let path = resolve(try scalarText(fileNode, expected: "a CSV file path, relative to the scenario file"))
        var mode = DataSource.Mode.perUser
        if let node = fields["mode"] {
            let text = try scalarText(node, expected: "per_user, round_robin or random")
            let names = DataSource.Mode.allCases.map(\.rawValue)
            guard let known = DataSource.Mode(rawValue: text) else {
                let hint = closestName(to: text, in: names).map { " did you mean '\($0)'?" } ?? ""
                throw error(node, "unknown data mode '\(text.escapedForMessage)';\(hint) expected per_user, round_robin or random")
            }
            mode = known
        }
        let header = try fields["header"].map { try bool($0, key: "header") } ?? true
        let recycle = try fields["recycle"].map { try bool($0, key: "recycle") } ?? false
        if recycle, mode != .perUser, let keyNode = fields.keyNode("recycle") {
            throw error(keyNode, "'recycle' applies to mode per_user; mode \(mode.rawValue) already reuses rows")
        }
        let table = try at(fileNode) { try DataTable(csvFile: path, header: header) }
        return DataSource(file: path, table: table, mode: mode, recycle: recycle)
    }
}

/// Reads a size in bytes: `1000`, `256KiB`, `1MiB`, `64KB` (KB and MB are powers of 1000).
public func parseByteSize(_ text: String) throws -> Int {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Int)] = [("KiB", 1024), ("MiB", 1 << 20), ("KB", 1000), ("MB", 1_000_000), ("B", 1), ("", 1)]
    for (unit, factor) in units where t.hasSuffix(unit) {
        let number = t.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
        if let value = Int(number), value >= 0, value <= SettingBounds.bodyBytes / factor {
            guard value * factor >= 1 else { break }
            return value * factor
        }
        break
    }
    throw InputError("expected a size from 1 byte to 64MiB, such as 1000, 256KiB or 1MiB, got '\(text.escapedForMessage)'")
}

/// A JSON string whose text is `value`: quotes around, text escaped now (RFC 8259 §7), slots with the
/// `|json` filter unless they name one. A string that is one variable and nothing else is that
/// variable's JSON value instead (`|json_value`): a captured number goes back as a number.
func jsonStringPieces(_ value: Template) -> [Template.Piece] {
    if value.pieces.count == 1, case .slot(let slot, .none) = value.pieces[0], slot.variable != nil {
        return [.slot(slot, .jsonValue)]
    }
    var pieces: [Template.Piece] = [.text("\"")]
    for piece in value.pieces {
        switch piece {
        case .text(let t):
            var out = ""
            appendJSONString(t, to: &out)
            pieces.append(.text(String(out.dropFirst().dropLast())))
        case .slot(let slot, let filter):
            pieces.append(.slot(slot, filter == .none ? .json : filter))
        }
    }
    pieces.append(.text("\""))
    return pieces
}

/// One `name=value` of an `application/x-www-form-urlencoded` body: the name and text percent-encoded
/// now, slots with the `|url` filter.
func formFieldPieces(_ name: String, _ value: Template, first: Bool) -> [Template.Piece] {
    var pieces: [Template.Piece] = [.text((first ? "" : "&") + Template.percentEncoded(name) + "=")]
    for piece in value.pieces {
        switch piece {
        case .text(let t): pieces.append(.text(Template.percentEncoded(t)))
        case .slot(let slot, _): pieces.append(.slot(slot, .url))
        }
    }
    return pieces
}
