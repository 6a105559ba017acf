import Foundation

/// What `cicada validate` prints: a scenario as it compiled, for a person to check before a run. Classes
/// with their share of users at a user count, tasks with their share within the class, each request with
/// its templates (slots shown as written), captures and checks, the variables with where each is set and
/// used, and the data files with their rows.
public enum ScenarioSummary {
    /// The summary of `scenario` at `users` users; `plan` is its compiled specification. Stages, if the
    /// scenario has any, come first.
    public static func render(_ scenario: Scenario, users: Int, plan: PlanSpecification) -> String {
        var lines: [String] = []
        if !scenario.stages.isEmpty {
            let total = scenario.stages.reduce(0) { $0 + $1.duration }
            lines.append("stages, \(formatNumber(total)) s in all:")
            for (index, stage) in scenario.stages.enumerated() {
                let load = stage.arrivalRate.map { "to \(formatNumber($0)) iterations/s" }
                    ?? "\(stage.users) user\(stage.users == 1 ? "" : "s") at \(formatNumber(stage.spawnRate))/s"
                lines.append("  \(index + 1) \(stage.name): \(load) for \(formatNumber(stage.duration)) s")
            }
        } else if let rate = scenario.run.arrivalRate {
            lines.append("open model: \(formatNumber(rate)) iterations/s, on saturation \(scenario.run.onSaturation?.rawValue ?? "drop")")
        }
        let counts = distributeUsers(total: users, weights: scenario.userClasses.map(\.weight),
                                     fixedCounts: scenario.userClasses.map(\.fixedCount))
        lines.append("classes at \(users) user\(users == 1 ? "" : "s"):")
        for (index, userClass) in scenario.userClasses.enumerated() {
            let share = users > 0 ? Double(counts[index]) / Double(users) * 100 : 0
            var head = "  \(userClass.name): \(counts[index]) user\(counts[index] == 1 ? "" : "s") (\(percent(share)))"
            head += userClass.fixedCount.map { ", fixed_count \($0)" } ?? ", weight \(userClass.weight)"
            head += ", wait \(userClass.wait)"
            if !userClass.tags.isEmpty { head += ", tags \(userClass.tags.joined(separator: " "))" }
            if !userClass.cookies { head += ", no cookies" }
            if let data = userClass.data { head += ", data \(data.file) (\(data.mode.rawValue)\(data.recycle ? ", recycled" : ""))" }
            lines.append(head)
            if let warning = dataWarning(userClass, users: counts[index]) { lines.append("    warning: " + warning) }
            let taskWeights = userClass.tasks.reduce(0) { $0 + $1.weight }
            func task(_ title: String, _ task: UserTask) {
                lines.append("    \(title)")
                for step in task.steps {
                    switch step {
                    case .wait(let wait): lines.append("      wait \(wait)")
                    case .request(let request): lines += describe(request).map { "      " + $0 }
                    }
                }
            }
            if let onStart = userClass.onStart { task("on_start", onStart) }
            for t in userClass.tasks {
                let share = taskWeights > 0 ? Double(t.weight) / Double(taskWeights) * 100 : 0
                task("task \(t.name): weight \(t.weight) (\(percent(share)) of the class)"
                    + (t.tags.isEmpty ? "" : ", tags \(t.tags.joined(separator: " "))"), t)
            }
            if let onStop = userClass.onStop { task("on_stop", onStop) }
        }
        lines += variables(scenario)
        let data = scenario.userClasses.compactMap { c in c.data.map { (c.name, $0) } }
        if !data.isEmpty {
            lines.append("data files:")
            for (name, source) in data {
                lines.append("  \(source.file): \(source.table.rows.count) row\(source.table.rows.count == 1 ? "" : "s"), "
                    + "columns \(source.table.columns.joined(separator: ", ")) (user class \(name), \(source.mode.rawValue))")
            }
        }
        let templated = plan.requests.filter { $0.targetTemplate != nil || $0.bodyTemplate != nil || $0.headers.contains { $0.template != nil } }
        lines.append("plan: \(plan.requests.count) request\(plan.requests.count == 1 ? "" : "s") (\(templated.count) with templates), "
            + "\(plan.endpoints.count) endpoint\(plan.endpoints.count == 1 ? "" : "s"), "
            + "\(plan.captureDescriptions.count) capture\(plan.captureDescriptions.count == 1 ? "" : "s"), "
            + "\(plan.checkDescriptions.count) check\(plan.checkDescriptions.count == 1 ? "" : "s"), "
            + "\(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s"), \(plan.variables.count) variable\(plan.variables.count == 1 ? "" : "s")"
            + (plan.multipartBoundary.map { ", multipart boundary \($0)" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value) }

    /// With `per_user` rows and no `recycle`, the users past the last row fail their start: say so before
    /// the run.
    public static func dataWarning(_ userClass: UserClass, users: Int) -> String? {
        guard let data = userClass.data, data.mode == .perUser, !data.recycle, users > data.table.rows.count else { return nil }
        return "\(users) users of \(userClass.name) but \(data.table.rows.count) rows in \(data.file) (per_user): "
            + "\(users - data.table.rows.count) will fail their start; add rows, or set recycle: true or another mode"
    }

    /// A request in lines: the request line, then headers with slots, the body, captures and checks.
    static func describe(_ request: RequestTemplate) -> [String] {
        var head = "\(request.method) \(request.path)"
        if let name = request.name { head += "  [as \(name)]" }
        if let condition = request.condition { head += "  \(condition.description)" }
        if request.continueOnFailure { head += "  on_failure: continue" }
        if request.closeConnection { head += "  close" }
        var lines = [head]
        for header in request.headers where header.value.contains("${") {
            lines.append("  header \(header.name): \(header.value)")
        }
        switch request.content {
        case .bytes(let bytes):
            if !bytes.isEmpty {
                let text = String(decoding: bytes.prefix(120), as: UTF8.self)
                let printable = text.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\t" }
                lines.append("  body: " + (printable ? text + (bytes.count > 120 ? "…" : "") : "\(bytes.count) bytes"))
            }
        case .template(let template):
            let text = template.description
            lines.append("  body: " + (text.count > 160 ? String(text.prefix(160)) + "…" : text))
        case .multipart(let parts):
            lines.append("  multipart:")
            for part in parts {
                var line = "    \(part.name)"
                if let filename = part.filename { line += " filename=\(filename)" }
                if let contentType = part.contentType { line += " content_type=\(contentType)" }
                switch part.content {
                case .value(let value): line += " = \(value)"
                case .file(let path): line += " file \(path)"
                case .generated(let size): line += " \(size) generated bytes"
                }
                lines.append(line)
            }
        }
        for capture in request.captures {
            var line = "  capture \(capture.variable) <- \(capture.sourceDescription)"
            if capture.append { line += " (append, max \(capture.max ?? Capture.defaultListMax))" }
            if capture.optional { line += " (optional)" }
            if let value = capture.defaultValue { line += " (default \(quoted(value)))" }
            lines.append(line)
        }
        for check in request.checks { lines.append("  \(check.description)") }
        if let hook = request.hook {
            lines.append("  hook \(hook.name) (Swift, before each rendering) sets " + hook.sets.joined(separator: ", "))
        }
        if let repeatUntil = request.repeatUntil {
            lines.append("  repeat every \(formatDuration(repeatUntil.every)), at most \(repeatUntil.max) times, until "
                + repeatUntil.until.map(\.summary).joined(separator: " and "))
        }
        return lines
    }

    /// Each variable with where it is set and where it is used, per class.
    static func variables(_ scenario: Scenario) -> [String] {
        var lines: [String] = []
        for userClass in scenario.userClasses {
            var set: [String: [String]] = [:]
            var used: [String: [String]] = [:]
            var order: [String] = []
            func note(_ name: String) { if !order.contains(name) { order.append(name) } }
            for (place, task) in userClass.placedTasks {
                for request in task.requests {
                    let at = "\(place) \(request.method) \(request.endpointName)"
                    for capture in request.captures {
                        note(capture.variable)
                        set[capture.variable, default: []].append("\(at) (\(capture.sourceDescription))")
                    }
                    for name in request.hook?.sets ?? [] {
                        note(name)
                        set[name, default: []].append("\(at) (hook \(request.hook?.name ?? ""))")
                    }
                    for (part, template) in (try? request.templates()) ?? [] {
                        for name in template.variables {
                            note(name)
                            used[name, default: []].append("\(at) \(part)")
                        }
                    }
                    if let condition = request.condition {
                        note(condition.variable)
                        used[condition.variable, default: []].append("\(at) \(condition.description)")
                    }
                }
            }
            guard !order.isEmpty else { continue }
            if lines.isEmpty { lines.append("variables:") }
            lines.append("  \(userClass.name):")
            for name in order {
                lines.append("    \(name): set by " + (set[name]?.joined(separator: "; ") ?? "nothing"))
                lines.append("      used by " + (used[name]?.joined(separator: "; ") ?? "nothing"))
            }
        }
        return lines
    }
}
