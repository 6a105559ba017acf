extension Scenario {
    /// The scenario with only some of its classes and tasks, as Locust's command line chooses them:
    /// classes by name (`cicada run FILE AdminUser APIUser`), tasks by tag (`--tags`, `--exclude-tags`).
    ///
    /// A task's tags are its own and its class's. With `tags`, a task runs when it has one of them; with
    /// `excludeTags`, a task that has one of those does not. A class left with no task of weight above 0
    /// is left out; `on_start` and `on_stop` stay with their class.
    ///
    /// ```swift
    /// let admins = try scenario.selecting(classes: ["AdminUser"], excludingTags: ["slow"])
    /// ```
    ///
    /// - Throws: ``InputError`` for a class name that is not in the scenario (with the names there), a
    ///   tag that no task or class has, or a selection that leaves nothing to run.
    public func selecting(classes names: [String] = [], tags: [String] = [], excludingTags excluded: [String] = [])
        throws -> Scenario {
        let known = userClasses.map(\.name)
        for name in names where !known.contains(name) {
            let hint = closestName(to: name, in: known).map { " did you mean '\($0)'?" } ?? ""
            throw InputError("no user class is named '\(name)';\(hint) the classes are \(known.joined(separator: ", "))")
        }
        let allTags = Set(userClasses.flatMap { $0.tags + $0.tasks.flatMap(\.tags) })
        for tag in tags + excluded where !allTags.contains(tag) {
            let hint = closestName(to: tag, in: allTags.sorted()).map { " did you mean '\($0)'?" } ?? ""
            throw InputError("no task or class has the tag '\(tag)';\(hint) the tags are "
                + (allTags.isEmpty ? "none" : allTags.sorted().joined(separator: ", ")))
        }
        var copy = self
        copy.userClasses = userClasses.compactMap { userClass in
            guard names.isEmpty || names.contains(userClass.name) else { return nil }
            var kept = userClass
            kept.tasks = userClass.tasks.filter { task in
                let taskTags = Set(task.tags + userClass.tags)
                if !tags.isEmpty, taskTags.isDisjoint(with: tags) { return false }
                return taskTags.isDisjoint(with: excluded)
            }
            guard kept.tasks.contains(where: { $0.weight > 0 }) else { return nil }
            return kept
        }
        guard copy.userClasses.contains(where: { $0.weight > 0 || ($0.fixedCount ?? 0) > 0 }) else {
            var what: [String] = []
            if !names.isEmpty { what.append("classes \(names.joined(separator: ", "))") }
            if !tags.isEmpty { what.append("--tags \(tags.joined(separator: " "))") }
            if !excluded.isEmpty { what.append("--exclude-tags \(excluded.joined(separator: " "))") }
            throw InputError("no user class has a task left to run with \(what.joined(separator: " and ")); "
                + "expected a selection that keeps at least one task of weight ≥ 1")
        }
        return copy
    }
}
