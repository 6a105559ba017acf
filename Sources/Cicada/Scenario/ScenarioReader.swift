import Foundation
import Yams

extension Scenario {
    /// Reads and validates a scenario file; see `docs/scenario.md` for the format.
    ///
    /// `body_file:` and `tls:` file paths are read relative to the directory of `path`.
    ///
    /// - Throws: ``ScenarioError`` with `path`, the line and column of the offending node and the form
    ///   expected there. Everything a run needs is checked here, so a run never starts on a bad file.
    public static func load(path: String) throws -> Scenario {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path, limit: YAMLBounds.maximumBytes, largest: YAMLBounds.largest)
        } catch let error as InputError {
            throw ScenarioError(file: path, line: 0, column: 0, message: "cannot read the scenario file: \(error.message)")
        }
        switch decodeUTF8(bytes) {
        case .success(let text):
            return try parse(yaml: text, file: path)
        case .failure(let place):
            // Editors on Windows save "Unicode" as UTF-16, which starts with a byte-order mark.
            let utf16 = bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
            throw ScenarioError(file: path, line: place.line, column: place.column,
                                message: "the file is not UTF-8 text" + (utf16 ? " but UTF-16: save it as UTF-8" : "")
                                    + "; expected a UTF-8 YAML file")
        }
    }

    /// Parses and validates a scenario from YAML text.
    ///
    /// A byte-order mark at the start (U+FEFF, which some editors write) is skipped: libyaml would read it
    /// as part of the first key. ``YAMLBounds`` limits the text's size, nesting and alias expansion.
    ///
    /// - Parameters:
    ///   - yaml: The YAML document.
    ///   - file: The name errors carry; `body_file:` and `tls:` file paths are relative to its directory.
    /// - Throws: ``ScenarioError``, as ``load(path:)``.
    public static func parse(yaml: String, file: String) throws -> Scenario {
        try parse(yaml: yaml, file: file, environment: ProcessInfo.processInfo.environment)
    }

    /// Parses and validates a scenario from YAML text, resolving `${env.NAME}` from `environment`.
    public static func parse(yaml: String, file: String, environment: [String: String]) throws -> Scenario {
        // The directory by hand: NSString.deletingLastPathComponent traps on one-character names in
        // swift-corelibs-foundation 6.3.
        let directory: String
        if let slash = file.lastIndex(of: "/") {
            directory = slash == file.startIndex ? "/" : String(file[..<slash])
        } else {
            directory = "."
        }
        let reader = ScenarioReader(file: file, directory: directory, environment: environment)
        var text = Substring(yaml)
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        return try reader.read(yaml: String(text))
    }
}

/// Turns a composed YAML tree into a ``Scenario``, checking each node where it stands so that an error
/// carries that node's line and column. Yams' `Node` keeps those marks; Codable would lose them.
struct ScenarioReader {
    let file: String
    let directory: String
    /// Where `${env.NAME}` comes from.
    let environment: [String: String]
    /// The bytes of the requests read so far, against ``SettingBounds/requestBytes``.
    let planBytes = Tally()
    /// The slots and conditions of the class being read, each with its node, checked once the class's
    /// captures are all known.
    let uses = UseLog()

    final class Tally {
        var total = 0
    }

    final class UseLog {
        var slots: [(slot: Template.Slot, node: Node)] = []
        var conditions: [(condition: StepCondition, node: Node)] = []
        var captures: [(capture: Capture, node: Node)] = []
    }

    static let rootKeys = ["name", "host", "run", "stages", "tls", "users", "thresholds"]
    static let stageKeys = ["name", "users", "spawn_rate", "duration", "arrival_rate"]
    static let runKeys = ["users", "spawn_rate", "run_time", "timeout", "connect_timeout", "pipeline", "arrival_rate",
                          "max_users", "pre_allocated_users", "on_saturation", "queue_limit"]
    static let tlsKeys = ["verify", "ca_file", "cert", "key", "min_version", "max_version", "resume", "server_name"]
    /// Other tools' names for the `tls:` keys, too far from ours for ``closestName(to:in:)`` to catch.
    static let tlsAliases = [
        "insecure": "verify: false", "verify_peer": "verify", "ca": "ca_file", "cacert": "ca_file",
        "ca_cert": "ca_file", "cafile": "ca_file", "certificate": "cert", "cert_file": "cert", "certfile": "cert",
        "client_cert": "cert", "key_file": "key", "keyfile": "key", "client_key": "key", "private_key": "key",
        "sni": "server_name", "tls_server_name": "server_name", "min": "min_version", "tls_min": "min_version",
        "max": "max_version", "tls_max": "max_version", "session_resumption": "resume", "tls_resume": "resume",
    ]
    static let classKeys = ["name", "weight", "fixed_count", "wait", "headers", "on_start", "on_stop", "tasks", "tags",
                            "cookies", "data"]
    static let requestKeys = ["method", "path", "headers", "body", "json", "form", "multipart", "body_file", "close",
                              "capture", "check", "if", "unless", "on_failure", "repeat"]
    static let taskKeys = ["name", "weight", "tags", "endpoint"] + requestKeys + ["steps"]
    static let onStartKeys = ["name", "endpoint"] + requestKeys + ["steps"]
    static let stepKeys = ["name", "endpoint"] + requestKeys + ["wait"]

    // MARK: Errors

    func error(_ node: Node?, _ message: String) -> ScenarioError {
        let mark = node?.mark
        return ScenarioError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message)
    }

    /// Runs `body`, turning an ``InputError`` into a ``ScenarioError`` at `node`.
    func at<T>(_ node: Node, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let inputError as InputError {
            throw error(node, inputError.message)
        }
    }

    /// How a node looks, for "got ..." in a message.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.string.isEmpty && scalar.style == .plain { return "nothing" }
            let text = scalar.string.escapedForMessage
            return "'\(text.count > 60 ? text.prefix(57) + "..." : text)'"
        case .mapping(let mapping): return mapping.isEmpty ? "an empty mapping" : "a mapping"
        case .sequence(let list): return list.isEmpty ? "an empty list" : "a list"
        }
    }

    /// Maps Yams' errors, which carry libyaml's marks, to a ``ScenarioError``.
    func syntaxError(_ error: Error, yaml: String) -> ScenarioError {
        func located(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ScenarioError {
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            if mark.line <= lines.count, lines[mark.line - 1].unicodeScalars.dropFirst(mark.column - 1).first == "\t" {
                message += "; YAML indents with spaces, not tabs"
            }
            return ScenarioError(file: file, line: mark.line, column: mark.column, message: message)
        }
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return located(context, problem, mark)
        case .reader(let problem, let offset, _, _):
            let place = offset.map { lineAndColumn(ofCharacter: $0, in: yaml) } ?? (line: 1, column: 1)
            return ScenarioError(file: file, line: place.line, column: place.column, message: "invalid YAML: \(problem)")
        default:
            return ScenarioError(file: file, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }

    // MARK: Mappings

    /// The entries of a mapping node, with `<<` merge keys (YAML 1.1) expanded: keys written in the mapping
    /// win over merged ones, and earlier merged mappings over later ones. A key written twice is an error.
    func entries(of node: Node, what: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw error(node, "expected \(what) as a mapping of keys to values, got \(describe(node))")
        }
        var written: [(key: String, keyNode: Node, value: Node)] = []
        var merged: [(key: String, keyNode: Node, value: Node)] = []
        var seen: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw error(keyNode, "expected a key name in \(what), got \(describe(keyNode))")
            }
            if yamlTag(keyNode) == .merge {
                let sources: [Node]
                switch value {
                case .mapping: sources = [value]
                case .sequence(let list): sources = Array(list)
                default: sources = []
                }
                guard !sources.isEmpty else {
                    throw error(value, "expected a mapping or a list of mappings to merge with '<<', got \(describe(value))")
                }
                for source in sources {
                    for entry in try entries(of: source, what: "a merged mapping")
                    where !merged.contains(where: { $0.key == entry.key }) {
                        merged.append(entry)
                    }
                }
                continue
            }
            let key = keyScalar.string
            if let first = seen[key] {
                let place = first.mark.map { " (first at line \($0.line), column \($0.column))" } ?? ""
                throw error(keyNode, "duplicate key '\(key.escapedForMessage)' in \(what)\(place); expected each key once")
            }
            seen[key] = keyNode
            written.append((key, keyNode, value))
        }
        return written + merged.filter { seen[$0.key] == nil }
    }

    /// Checked access to the keys of a mapping node.
    struct Fields {
        let node: Node
        let what: String
        private var byKey: [String: (keyNode: Node, value: Node)] = [:]

        /// Reads `node` as a mapping whose keys all belong to `allowed`, or start with `x-` when
        /// `extensions` is set: such keys are skipped, to hold YAML anchors for reuse. `aliases` maps
        /// other spellings of a key to the one meant, for the message.
        init(_ node: Node, what: String, allowed: [String], extensions: Bool = false, aliases: [String: String] = [:],
             reader: ScenarioReader) throws {
            self.node = node
            self.what = what
            for entry in try reader.entries(of: node, what: what) {
                if extensions && entry.key.hasPrefix("x-") { continue }
                guard allowed.contains(entry.key) else {
                    var hint = (aliases[entry.key] ?? closestName(to: entry.key, in: allowed))
                        .map { " did you mean '\($0)'?" } ?? ""
                    if entry.key.hasSuffix(")") {
                        // `{wait: between(1, 5)}` splits at the comma, leaving a key `5)`.
                        hint += " A comma ends a value inside { }: quote it, as in wait: \"between(1, 5)\"."
                    }
                    throw reader.error(entry.keyNode, "unknown key '\(entry.key.escapedForMessage)' in \(what);"
                        + "\(hint) Allowed: \(allowed.joined(separator: ", "))")
                }
                byKey[entry.key] = (entry.keyNode, entry.value)
            }
        }

        subscript(key: String) -> Node? { byKey[key]?.value }
        func keyNode(_ key: String) -> Node? { byKey[key]?.keyNode }
        func has(_ key: String) -> Bool { byKey[key] != nil }
    }

    func missing(_ key: String, in fields: Fields, expected: String) -> ScenarioError {
        error(fields.node, "missing key '\(key)' in \(fields.what): expected \(expected)")
    }

    // MARK: Scalars

    func scalarText(_ node: Node, expected: String) throws -> String {
        guard case .scalar(let scalar) = node, !(scalar.string.isEmpty && scalar.style == .plain) else {
            throw error(node, "expected \(expected), got \(describe(node))")
        }
        return scalar.string
    }

    /// An integer in the bound's range; the message names the range.
    func number(_ node: Node, _ bound: SettingBound<Int>) throws -> Int {
        let text = try scalarText(node, expected: bound.expected)
        return try at(node) { try bound.parse(text) }
    }

    /// A duration such as `run_time: 1m` in the bound's range; a plain YAML number is seconds.
    func duration(_ node: Node, _ bound: SettingBound<Double>) throws -> Double {
        let text = try scalarText(node, expected: "\(bound.expected); \(durationForms)")
        return try at(node) { try bound.parse(text) }
    }

    /// A YAML boolean (`true`, `false`, and YAML 1.1's `yes`, `no`, `on`, `off`); a quoted one is text.
    func bool(_ node: Node, key: String) throws -> Bool {
        guard case .scalar = node, yamlTag(node) == .bool, let value = node.bool else {
            throw error(node, "expected true or false for '\(key)', got \(describe(node))")
        }
        return value
    }

    /// A path from the scenario file, relative to the file's directory unless it is absolute.
    func resolve(_ name: String) -> String {
        name.hasPrefix("/") ? name : directory + (directory.hasSuffix("/") ? "" : "/") + name
    }

    func weight(_ fields: Fields) throws -> Int {
        guard let node = fields["weight"] else { return 1 }
        return try number(node, SettingBounds.weight)
    }

    func label(_ node: Node, what: String, example: String) throws -> String {
        let text = try scalarText(node, expected: "a \(what) such as \(example)")
        try at(node) { try ScenarioRules.checkLabel(text, what: what) }
        return text
    }

    // MARK: The scenario

    func read(yaml: String) throws -> Scenario {
        try YAMLBounds.check(yaml, file: file)
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: yaml)
        } catch {
            throw syntaxError(error, yaml: yaml)
        }
        guard let root = composed else {
            throw ScenarioError(file: file, line: 1, column: 1,
                                message: "the file is empty; expected a mapping with a 'users:' list of user classes")
        }
        let fields = try Fields(root, what: "the scenario", allowed: Self.rootKeys, extensions: true, reader: self)

        var scenario = Scenario(userClasses: [])
        if let node = fields["name"] {
            scenario.name = try label(node, what: "scenario name", example: "audio-api")
        }
        if let node = fields["host"] {
            let text = try scalarText(node, expected: "a URL such as http://127.0.0.1:8080")
            _ = try at(node) { try TargetURL(base: text) }
            scenario.host = text
        }
        if let node = fields["run"] {
            scenario.run = try readRun(node)
        }
        if let node = fields["stages"] {
            scenario.stages = try readStages(node)
        }
        if let node = fields["tls"] {
            scenario.tls = try readTLS(node)
        }
        guard let usersNode = fields["users"] else {
            throw missing("users", in: fields, expected: "a list of user classes, each with a name and tasks")
        }
        guard case .sequence(let list) = usersNode, !list.isEmpty else {
            throw error(usersNode, "expected 'users' to be a list of at least one user class, got \(describe(usersNode))")
        }
        var names: [String: Node] = [:]
        for classNode in list {
            let (userClass, nameNode) = try readUserClass(classNode)
            if let first = names[userClass.name], let mark = first.mark {
                throw error(nameNode, "another user class is named '\(userClass.name)' (line \(mark.line)); "
                    + "expected unique user class names")
            }
            names[userClass.name] = nameNode
            scenario.userClasses.append(userClass)
        }
        guard scenario.userClasses.contains(where: { $0.weight > 0 || ($0.fixedCount ?? 0) > 0 }) else {
            throw error(usersNode, "all user class weights are 0; expected at least one user class with weight ≥ 1")
        }
        if let node = fields["thresholds"] {
            scenario.thresholds = try readThresholds(node, endpoints: scenario.endpoints, stages: scenario.stages)
        }
        // Every rule was checked at its node above; this re-check of the whole value guards the loader
        // and `validate()` against drifting apart.
        try at(root) { try scenario.validate() }
        return scenario
    }

    func readRun(_ node: Node) throws -> RunDefaults {
        let fields = try Fields(node, what: "'run'", allowed: Self.runKeys, reader: self)
        var run = RunDefaults()
        if let node = fields["users"] { run.users = try number(node, SettingBounds.users) }
        if let node = fields["spawn_rate"] {
            let text = try scalarText(node, expected: SettingBounds.spawnRate.expected)
            run.spawnRate = try at(node) { try SettingBounds.spawnRate.parse(text) }
        }
        if let node = fields["run_time"] { run.runTime = try duration(node, SettingBounds.runTime) }
        if let node = fields["timeout"] { run.timeout = try duration(node, SettingBounds.timeout) }
        if let node = fields["connect_timeout"] { run.connectTimeout = try duration(node, SettingBounds.connectTimeout) }
        if let node = fields["pipeline"] { run.pipeline = try number(node, SettingBounds.pipeline) }
        if let node = fields["arrival_rate"] {
            let text = try scalarText(node, expected: SettingBounds.arrivalRate.expected)
            run.arrivalRate = try at(node) { try SettingBounds.arrivalRate.parse(text) }
        }
        if let node = fields["max_users"] { run.maxUsers = try number(node, SettingBounds.maxUsers) }
        if let node = fields["pre_allocated_users"] { run.preAllocatedUsers = try number(node, SettingBounds.preAllocatedUsers) }
        if let node = fields["queue_limit"] { run.queueLimit = try number(node, SettingBounds.queueLimit) }
        if let node = fields["on_saturation"] {
            let text = try scalarText(node, expected: ArrivalModel.Saturation.expected)
            run.onSaturation = try at(node) { try ArrivalModel.Saturation.parse(text) }
        }
        return run
    }

    /// Reads `stages:`, a list of `{name, users, spawn_rate, duration}`, each value checked at its node.
    func readStages(_ node: Node) throws -> [Stage] {
        guard case .sequence(let list) = node, !list.isEmpty else {
            throw error(node, "expected 'stages' to be a list of at least one stage, each with name, users, "
                + "spawn_rate and duration, got \(describe(node))")
        }
        guard list.count <= SettingBounds.stageCount.range.upperBound else {
            throw error(node, "\(list.count) stages; expected \(SettingBounds.stageCount.expected)")
        }
        var stages: [Stage] = []
        var names: [String: Node] = [:]
        for stageNode in list {
            let fields = try Fields(stageNode, what: "a stage", allowed: Self.stageKeys,
                                    aliases: ["spawnrate": "spawn_rate", "rate": "spawn_rate", "time": "duration",
                                              "run_time": "duration", "user_count": "users", "target": "users"],
                                    reader: self)
            func required(_ key: String, _ expected: String) throws -> Node {
                guard let value = fields[key] else { throw missing(key, in: fields, expected: expected) }
                return value
            }
            let nameNode = try required("name", "the stage's name, such as baseline")
            let name = try label(nameNode, what: "stage name", example: "baseline")
            if let first = names[name], let mark = first.mark {
                throw error(nameNode, "another stage is named '\(name.escapedForMessage)' (line \(mark.line)); "
                    + "expected unique stage names")
            }
            names[name] = nameNode
            if let rateNode = fields["arrival_rate"] {
                // A rate stage of the open model: no users or spawn rate of its own.
                for key in ["users", "spawn_rate"] where fields[key] != nil {
                    throw error(fields[key]!, "a stage with arrival_rate runs iterations at that rate; expected no '\(key)' beside it")
                }
                let rateText = try scalarText(rateNode, expected: SettingBounds.stageArrivalRate.expected)
                let rate = try at(rateNode) { try SettingBounds.stageArrivalRate.parse(rateText) }
                let duration = try duration(try required("duration", "the stage's duration, such as 30s, 5m or 1h30m"),
                                            SettingBounds.stageDuration)
                stages.append(Stage(name, arrivalRate: rate, duration: duration))
                continue
            }
            let users = try number(try required("users", "the stage's user count, such as 100"), SettingBounds.stageUsers)
            let rateNode = try required("spawn_rate", "the stage's spawn rate in users per second, such as 10")
            let rateText = try scalarText(rateNode, expected: SettingBounds.spawnRate.expected)
            let rate = try at(rateNode) { try SettingBounds.spawnRate.parse(rateText) }
            let duration = try duration(try required("duration", "the stage's duration, such as 30s, 5m or 1h30m"),
                                        SettingBounds.stageDuration)
            stages.append(Stage(name, users: users, spawnRate: rate, duration: duration))
        }
        return stages
    }

    /// Reads `tls:`, checking each value at its node: the files are read here, so that a missing or wrong
    /// certificate is reported at its line before the run starts rather than by OpenSSL in every worker.
    func readTLS(_ node: Node) throws -> TLSSettings {
        let fields = try Fields(node, what: "'tls'", allowed: Self.tlsKeys, aliases: Self.tlsAliases, reader: self)
        var tls = TLSSettings()
        if let node = fields["verify"] { tls.verify = try bool(node, key: "verify") }
        func file(_ key: String, holds content: ScenarioRules.PEMContent) throws -> String? {
            guard let node = fields[key] else { return nil }
            let path = resolve(try scalarText(node, expected: "a PEM file path, relative to the scenario file"))
            try at(node) { try ScenarioRules.checkPEMFile(path, key: key, holds: content) }
            return path
        }
        tls.caFile = try file("ca_file", holds: .caCertificates)
        if let keyNode = fields.keyNode("key"), !fields.has("cert") {
            throw error(keyNode, ScenarioRules.keyWithoutCertificate)
        }
        tls.certFile = try file("cert", holds: fields.has("key") ? .certificate : .certificateAndKey)
        tls.keyFile = try file("key", holds: .privateKey)
        func version(_ key: String) throws -> TLSVersion? {
            guard let node = fields[key] else { return nil }
            let text = try scalarText(node, expected: "a TLS version; \(tlsVersionForms)")
            return try at(node) { try parseTLSVersion(text) }
        }
        tls.minVersion = try version("min_version")
        tls.maxVersion = try version("max_version")
        if let min = tls.minVersion, let max = tls.maxVersion, let node = fields["max_version"] {
            try at(node) { try ScenarioRules.checkTLSVersions(min: min, max: max) }
        }
        if let node = fields["resume"] { tls.resume = try bool(node, key: "resume") }
        if let node = fields["server_name"] {
            let name = try scalarText(node, expected: "a server name such as api.example.com, or an IP address")
            try at(node) { try ScenarioRules.checkServerName(name) }
            tls.serverName = name
        }
        return tls
    }

    func readUserClass(_ node: Node) throws -> (UserClass, nameNode: Node) {
        let fields = try Fields(node, what: "a user class", allowed: Self.classKeys, reader: self)
        guard let nameNode = fields["name"] else {
            throw missing("name", in: fields, expected: "the user class's name, such as AudioAnalysisUser")
        }
        let name = try label(nameNode, what: "user class name", example: "AudioAnalysisUser")
        uses.slots = []
        uses.conditions = []
        uses.captures = []
        var userClass = UserClass(name: name, weight: try weight(fields), tasks: [])
        if let node = fields["fixed_count"] { userClass.fixedCount = try number(node, SettingBounds.fixedCount) }
        if let node = fields["wait"] {
            let text = try scalarText(node, expected: "a wait time; \(waitForms)")
            userClass.wait = try at(node) { try parseWait(text) }
        }
        if let node = fields["tags"] { userClass.tags = try readTags(node) }
        if let node = fields["cookies"] { userClass.cookies = try bool(node, key: "cookies") }
        if let node = fields["data"] { userClass.data = try readData(node) }
        let headers = try fields["headers"].map(readHeaders) ?? []
        if let node = fields["on_start"] {
            userClass.onStart = try readTask(node, kind: .onStart, classHeaders: headers)
        }
        guard let tasksNode = fields["tasks"] else {
            throw missing("tasks", in: fields, expected: "a list of tasks for user class '\(name)'; a class with no tasks has nothing to do")
        }
        guard case .sequence(let list) = tasksNode, !list.isEmpty else {
            throw error(tasksNode, "user class '\(name)' has no tasks; expected a list of at least one task, "
                + "got \(describe(tasksNode))")
        }
        userClass.tasks = try list.map { try readTask($0, kind: .task, classHeaders: headers) }
        guard userClass.tasks.contains(where: { $0.weight > 0 }) else {
            throw error(tasksNode, "all task weights of user class '\(name)' are 0; expected at least one task with weight ≥ 1")
        }
        if let node = fields["on_stop"] {
            userClass.onStop = try readTask(node, kind: .onStop, classHeaders: headers)
        }
        try checkVariables(of: userClass)
        return (userClass, nameNode)
    }

    /// Checks each use of a variable, at its node, against the captures of the whole class.
    func checkVariables(of userClass: UserClass) throws {
        var variables = try ClassVariables(className: userClass.name, captures: [], data: userClass.data)
        for (capture, node) in uses.captures {
            try at(node) { try variables.add(capture) }
        }
        for (slot, node) in uses.slots {
            try at(node) { try variables.check(slot) }
        }
        for (condition, node) in uses.conditions {
            try at(node) { try variables.checkCondition(condition) }
        }
    }

    // MARK: Tasks and requests

    enum TaskKind {
        case task, onStart, onStop
    }

    func readTask(_ node: Node, kind: TaskKind, classHeaders: [Header]) throws -> UserTask {
        let what: String
        switch kind {
        case .task: what = "a task"
        case .onStart: what = "'on_start'"
        case .onStop: what = "'on_stop'"
        }
        let fields = try Fields(node, what: what, allowed: kind == .task ? Self.taskKeys : Self.onStartKeys, reader: self)
        var steps: [Step]
        if let stepsNode = fields["steps"] {
            for key in ["endpoint"] + Self.requestKeys {
                if let keyNode = fields.keyNode(key) {
                    throw error(keyNode, "\(what) with 'steps' takes its requests from the steps; "
                        + "move '\(key)' into a step, or remove 'steps'")
                }
            }
            guard case .sequence(let list) = stepsNode, !list.isEmpty else {
                throw error(stepsNode, "expected 'steps' to be a list of at least one request, got \(describe(stepsNode))")
            }
            steps = try list.map { step in
                let stepFields = try Fields(step, what: "a step", allowed: Self.stepKeys, reader: self)
                if let waitNode = stepFields["wait"] {
                    if let other = Self.stepKeys.first(where: { $0 != "wait" && stepFields.has($0) }), let keyNode = stepFields.keyNode(other) {
                        throw error(keyNode, "a wait step has only 'wait'; expected '\(other)' in a step of its own")
                    }
                    let text = try scalarText(waitNode, expected: "a wait such as 2s or between(1, 2)")
                    let wait = try at(waitNode) { try parseWait(text) }
                    try at(waitNode) { try ScenarioRules.checkWaitStep(wait) }
                    return .wait(wait)
                }
                return .request(try readRequest(stepFields, nameKeys: ["name", "endpoint"], classHeaders: classHeaders))
            }
            guard steps.contains(where: { if case .request = $0 { return true } else { return false } }) else {
                throw error(stepsNode, "\(what) has only wait steps; expected at least one request")
            }
        } else {
            steps = [.request(try readRequest(fields, nameKeys: ["endpoint"], classHeaders: classHeaders))]
        }
        let requests = steps.compactMap { if case .request(let r) = $0 { return r } else { return nil } }
        let defaultName: String
        switch kind {
        case .task: defaultName = requests[0].endpointName
        case .onStart: defaultName = "on_start"
        case .onStop: defaultName = "on_stop"
        }
        let name = try fields["name"].map { try label($0, what: "task name", example: "analyze_audio") } ?? defaultName
        let taskWeight = try kind == .task ? weight(fields) : 1
        let tags = try fields["tags"].map(readTags) ?? []
        return UserTask(name: name, weight: taskWeight, steps: steps, tags: tags)
    }

    /// Reads the request keys of a task or a step. `nameKeys` are the keys that name the endpoint: a
    /// step's `name` is its endpoint name, while a task's `name` is the task's.
    func readRequest(_ fields: Fields, nameKeys: [String], classHeaders: [Header]) throws -> RequestTemplate {
        let given = nameKeys.filter(fields.has)
        if given.count > 1, let second = fields.keyNode(given[1]) {
            throw error(second, "'\(given[0])' and '\(given[1])' both name the endpoint; expected one of them")
        }
        var request = RequestTemplate(path: "/")
        if let key = given.first, let node = fields[key] {
            request.name = try label(node, what: "endpoint name", example: "/api/v1/files/:id")
        }
        if let node = fields["method"] {
            let method = try scalarText(node, expected: "a method such as GET or POST")
            try at(node) { try ScenarioRules.checkMethod(method) }
            request.method = method
        }
        guard let pathNode = fields["path"] else {
            throw missing("path", in: fields, expected: "the request path, such as /api/v1/files")
        }
        let pathText = try scalarText(pathNode, expected: "a path starting with '/', such as /api/v1/files")
        let path = try template(pathNode, pathText).description
        try at(pathNode) { try ScenarioRules.checkPathTemplate(path) }
        request.path = path

        let own = try fields["headers"].map(readHeaders) ?? []
        request.headers = classHeaders.filter { header in
            !own.contains(where: { $0.name.lowercased() == header.name.lowercased() })
        } + own

        let bodyKeys = ["body", "json", "form", "multipart", "body_file"].filter(fields.has)
        if bodyKeys.count > 1, let second = fields.keyNode(bodyKeys[1]) {
            throw error(second, "'\(bodyKeys[0])' and '\(bodyKeys[1])' both give the body; "
                + "expected one of body, json, form, multipart, body_file")
        }
        func contentType(_ value: String) {
            if !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                request.headers.append(Header(name: "Content-Type", value: value))
            }
        }
        if let node = fields["body"] {
            guard case .scalar(let scalar) = node else {
                throw error(node, "expected the body as text, got \(describe(node)); for a JSON body use 'json:'")
            }
            request.content = Self.content(try template(node, scalar.string))
        }
        if let node = fields["json"] {
            request.content = Self.content(try renderJSONTemplate(node))
            contentType("application/json")
        }
        if let node = fields["form"] {
            request.content = Self.content(try readForm(node))
            contentType("application/x-www-form-urlencoded")
        }
        if let node = fields["multipart"] {
            if let header = request.headers.first(where: { $0.name.lowercased() == "content-type" }) {
                throw error(node, "a multipart body has the Content-Type multipart/form-data with the plan's boundary, "
                    + "but the header '\(header.name)' sets one; expected no Content-Type header on a multipart request")
            }
            request.content = .multipart(try readMultipart(node))
        }
        if let node = fields["body_file"] {
            let path = resolve(try scalarText(node, expected: "a file path, relative to the scenario file"))
            request.body = try at(node) {
                do {
                    return try SettingBounds.readBody(path: path)
                } catch let inputError as InputError {
                    throw InputError("cannot read body_file '\(path)': \(inputError.message)")
                }
            }
        }
        if let node = fields["close"] {
            request.closeConnection = try bool(node, key: "close")
        }
        if let node = fields["capture"] { request.captures = try readCaptures(node) }
        if let node = fields["check"] { request.checks = try readChecks(node, what: "'check'") }
        let conditions = ["if", "unless"].filter(fields.has)
        if conditions.count > 1, let second = fields.keyNode(conditions[1]) {
            throw error(second, "'if' and 'unless' both give the step's condition; expected one of them")
        }
        if let key = conditions.first, let node = fields[key] { request.condition = try readCondition(node, key: key) }
        if let node = fields["on_failure"] {
            let text = try scalarText(node, expected: "on_failure: continue or stop")
            switch text {
            case "continue": request.continueOnFailure = true
            case "stop": request.continueOnFailure = false
            default:
                throw error(node, "expected 'continue' (the task goes on after a failure of this step) or 'stop' "
                    + "(the default: a failure ends the task), got \(describe(node))")
            }
        }
        if let node = fields["repeat"] { request.repeatUntil = try readRepeat(node) }
        try at(fields.node) { try SettingBounds.count(request, into: &planBytes.total) }
        return request
    }

    /// A body template as the model keeps it: static bytes when it has no slot.
    static func content(_ template: Template) -> RequestBody {
        template.isStatic ? .bytes(Array(template.staticText.utf8)) : .template(template)
    }

    /// Headers as a mapping (`Accept: text/html`) or as a list of `{name, value}`, which allows a name
    /// twice.
    func readHeaders(_ node: Node) throws -> [Header] {
        func header(name: String, nameNode: Node, valueNode: Node) throws -> Header {
            try at(nameNode) { try ScenarioRules.checkHeaderName(name) }
            guard case .scalar(let scalar) = valueNode else {
                throw error(valueNode, "expected the value of header '\(name)' as text, got \(describe(valueNode))")
            }
            let value = try template(valueNode, scalar.string).description
            try at(valueNode) { try ScenarioRules.checkHeaderValueTemplate(value, name: name) }
            return Header(name: name, value: value)
        }
        switch node {
        case .mapping:
            return try entries(of: node, what: "'headers'").map {
                try header(name: $0.key, nameNode: $0.keyNode, valueNode: $0.value)
            }
        case .sequence(let list):
            return try list.map { item in
                let fields = try Fields(item, what: "a header", allowed: ["name", "value"], reader: self)
                guard let nameNode = fields["name"] else {
                    throw missing("name", in: fields, expected: "the header name, such as Accept")
                }
                guard let valueNode = fields["value"] else {
                    throw missing("value", in: fields, expected: "the header value")
                }
                let name = try scalarText(nameNode, expected: "a header name such as Accept")
                return try header(name: name, nameNode: nameNode, valueNode: valueNode)
            }
        case .scalar:
            throw error(node, "expected headers as a mapping (Name: value) or a list of {name, value}, got \(describe(node))")
        }
    }
}

/// Reads a whole file of at most `limit` bytes; the error says why in words (`no such file`, `it is a
/// directory`, `it is larger than 64 MiB (67108864 bytes), the largest request body`). No more than
/// `limit + 1` bytes are read, so a file that never ends (`/dev/zero`) is refused, not read forever.
func readFile(_ path: String, limit: Int = SettingBounds.bodyBytes, largest: String = "file Cicada reads") throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw InputError("no such file")
    }
    guard !isDirectory.boolValue else { throw InputError("it is a directory") }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw InputError("it cannot be read (permissions?)")
    }
    defer { try? handle.close() }
    let bytes: [UInt8]
    do {
        bytes = [UInt8](try handle.read(upToCount: limit + 1) ?? Data())
    } catch {
        throw InputError("it cannot be read: \(error.localizedDescription)")
    }
    guard bytes.count <= limit else {
        throw InputError("it is larger than \(limit >> 20) MiB (\(limit) bytes), the largest \(largest)")
    }
    return bytes
}

/// Decodes UTF-8, or gives the 1-based line and column (in Unicode scalars) of the first invalid byte.
func decodeUTF8(_ bytes: [UInt8]) -> Result<String, UTF8Place> {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var place = UTF8Place(line: 1, column: 1)
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let encoded):
            if encoded.count == 1 && encoded.first == UInt8(ascii: "\n") {
                place.line += 1
                place.column = 1
            } else {
                place.column += 1
            }
        case .error:
            return .failure(place)
        case .emptyInput:
            return .success(String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// A place in a text file, for ``decodeUTF8(_:)``.
struct UTF8Place: Error {
    var line: Int
    var column: Int
}

/// The 1-based line and column of the character at `offset` (counted in Characters, as Yams counts).
func lineAndColumn(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
    var line = 1
    var column = 1
    for c in text.prefix(offset) {
        if c == "\n" || c == "\r\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }
    return (line, column)
}
