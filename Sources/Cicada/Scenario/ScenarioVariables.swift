import Foundation

/// The variables of a scenario: which captures set each one, whether it is a list, and the rules its uses
/// obey. A variable is the user's own, so a use is checked against the captures of its own class (its
/// `on_start`, tasks and `on_stop`): a variable that no capture of the class sets, that is no data column
/// and no built-in, would fail every request that reads it, and is refused when the scenario loads.
struct ClassVariables {
    /// The variables the class's captures set, with whether each is a list and its length.
    private(set) var captured: [String: (isList: Bool, max: Int)] = [:]
    /// The data file's columns, or `nil` without `data:`.
    let columns: [String]?
    let dataFile: String?
    let className: String

    /// Gathers the captures of `userClass`; `captures` in the order they appear.
    init(className: String, captures: [Capture], data: DataSource?) throws {
        self.className = className
        self.columns = data?.table.columns
        self.dataFile = data?.file
        for capture in captures { try add(capture) }
    }

    init(_ userClass: UserClass) throws {
        try self.init(className: userClass.name, captures: userClass.allRequests.flatMap(\.captures), data: userClass.data)
        for hook in userClass.allRequests.compactMap(\.hook) {
            for name in hook.sets { try addHookVariable(name, hook: hook.name) }
        }
    }

    /// Records a variable that a request hook sets: one value, never a list.
    mutating func addHookVariable(_ name: String, hook: String) throws {
        try checkVariableName(name, what: "set from hook '\(hook)'")
        if let known = captured[name], known.isList {
            throw InputError("hook '\(hook)' sets '\(name)', which a capture appends to as a list; "
                + "expected a variable of one value")
        }
        captured[name] = (false, 0)
    }

    /// Records a capture; every capture into one variable must agree on whether it is a list.
    mutating func add(_ capture: Capture) throws {
        let max = capture.append ? capture.max ?? Capture.defaultListMax : 0
        if let known = captured[capture.variable] {
            guard known.isList == capture.append else {
                throw InputError("capture '\(capture.variable)' \(capture.append ? "appends to a list" : "sets one value") "
                    + "but another capture into '\(capture.variable)' \(known.isList ? "appends" : "sets one value"); "
                    + "expected every capture into a variable to append (append: true) or none")
            }
            guard !capture.append || capture.max == nil || known.max == max else {
                throw InputError("capture '\(capture.variable)' keeps \(max) items but another keeps \(known.max); "
                    + "expected one 'max' for a list")
            }
            return
        }
        captured[capture.variable] = (capture.append, max)
    }

    /// Checks one slot's use.
    func check(_ slot: Template.Slot) throws {
        switch slot {
        case .variable(let name):
            try checkSet(name, as: "${\(name)}")
        case .last(let name), .randomItem(let name):
            let written = Template.describe(slot)
            try checkSet(name, as: written)
            if captured[name]?.isList == false {
                throw InputError("\(written) picks from a list, but the captures into '\(name)' set one value; "
                    + "expected append: true on its capture, or ${\(name)}")
            }
        case .row(let column):
            guard let columns, let dataFile else {
                throw InputError("${row.\(column)} reads a data row, but user class '\(className)' has no 'data:' file; "
                    + "expected data: {file: users.csv} on the class")
            }
            guard columns.contains(column) else {
                let hint = closestName(to: column, in: columns).map { " did you mean '\($0)'?" } ?? ""
                throw InputError("the data file '\(dataFile)' has no column '\(column)';\(hint) "
                    + "Columns: \(columns.joined(separator: ", "))")
            }
        default:
            break
        }
    }

    /// Checks the variable of an `if:` or `unless:`.
    func checkCondition(_ condition: StepCondition) throws {
        try checkSet(condition.variable, as: "${\(condition.variable)}")
    }

    private func checkSet(_ name: String, as written: String) throws {
        guard captured[name] == nil else { return }
        let hint = closestName(to: name, in: Array(captured.keys).sorted()).map { " (did you mean '\($0)'?)" } ?? ""
        throw InputError("\(written) is used but never set in user class '\(className)'\(hint): no capture of the class "
            + "sets '\(name)'; expected a capture such as {var: \(name), json: \(name)} on a request of the class, "
            + "a data column (${row.NAME}) or a built-in (${user.id}, ${user.index}, ${iteration}, ${uuid}, "
            + "${time.unix}, ${random.int(1, 100)})")
    }
}

extension UserClass {
    /// Every request of the class: `on_start`'s, the tasks', `on_stop`'s.
    var allRequests: [RequestTemplate] {
        ([onStart].compactMap { $0 } + tasks + [onStop].compactMap { $0 }).flatMap(\.requests)
    }

    /// The class's tasks with their place, for messages: `task 'x'`, `on_start`, `on_stop`.
    var placedTasks: [(place: String, task: UserTask)] {
        var out: [(String, UserTask)] = []
        if let onStart { out.append(("on_start", onStart)) }
        out += tasks.map { ("task '\($0.name)'", $0) }
        if let onStop { out.append(("on_stop", onStop)) }
        return out
    }
}

extension RequestTemplate {
    /// The request's templates, parsed, with the part each is: `path`, `header 'X'`, `body`, `multipart 'genre'`.
    func templates() throws -> [(part: String, template: Template)] {
        func parse(_ text: String, _ part: String) throws -> (String, Template) {
            do { return (part, try Template(parsing: text)) } catch let error as InputError {
                throw InputError("\(part): \(error.message)")
            }
        }
        var out = [try parse(path, "path")]
        for header in headers { out.append(try parse(header.value, "header '\(header.name)'")) }
        switch content {
        case .bytes: break
        case .template(let template): out.append(("body", template))
        case .multipart(let parts):
            for part in parts {
                if case .value(let value) = part.content { out.append(try parse(value, "multipart part '\(part.name)'")) }
            }
        }
        return out
    }
}
