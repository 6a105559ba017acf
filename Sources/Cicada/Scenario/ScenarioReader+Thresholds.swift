import Yams

extension ScenarioReader {
    /// The keys of a threshold written as a mapping, in k6's spelling.
    static let thresholdKeys = ["threshold", "abortOnFail", "delayAbortEval"]
    /// The snake_case spellings a YAML author may reach for first.
    static let thresholdAliases = ["abort_on_fail": "abortOnFail", "delay_abort_eval": "delayAbortEval",
                                   "expression": "threshold"]

    /// Reads `thresholds:`, a mapping from a metric (with tags) to a list of expressions, each a string or
    /// `{threshold: "...", abortOnFail: true, delayAbortEval: 10s}` as k6 writes them. A metric's error is
    /// placed at its key, an expression's at the expression. Tags are checked against `endpoints`, and a
    /// `{stage:}` against `stages` when the scenario has some (without, `--stages` may name them).
    func readThresholds(_ node: Node, endpoints: [Endpoint], stages: [Stage]) throws -> [Threshold] {
        var thresholds: [Threshold] = []
        for entry in try entries(of: node, what: "'thresholds'") {
            let tags = try at(entry.keyNode) { try ThresholdRule.parseMetric(entry.key).1 }
            try at(entry.keyNode) { try ThresholdRule.checkTags(tags, endpoints: endpoints) }
            for case .stage(let name) in tags where !stages.isEmpty && !stages.contains(where: { $0.name == name }) {
                let names = stages.map(\.name)
                let hint = closestName(to: name, in: names).map { " did you mean '\($0)'?" } ?? ""
                throw error(entry.keyNode, "no stage is named '\(name.escapedForMessage)';\(hint) The scenario's stages: "
                    + names.joined(separator: ", "))
            }
            guard case .sequence(let list) = entry.value, !list.isEmpty else {
                throw error(entry.value, "expected a list of threshold expressions for '\(entry.key.escapedForMessage)', "
                    + "such as [\"p(95) < 500ms\"], got \(describe(entry.value))")
            }
            for item in list {
                var threshold = Threshold(entry.key, "")
                let expressionNode: Node
                if case .mapping = item {
                    let fields = try Fields(item, what: "a threshold", allowed: Self.thresholdKeys,
                                            aliases: Self.thresholdAliases, reader: self)
                    guard let node = fields["threshold"] else {
                        throw missing("threshold", in: fields, expected: "the expression, such as threshold: \"p(95) < 500ms\"")
                    }
                    expressionNode = node
                    if let node = fields["abortOnFail"] { threshold.abortOnFail = try bool(node, key: "abortOnFail") }
                    if let node = fields["delayAbortEval"] {
                        threshold.delayAbortEval = try duration(node, SettingBounds.abortDelay)
                    }
                } else {
                    expressionNode = item
                }
                threshold.expression = try scalarText(expressionNode, expected: "a threshold expression such as \"p(95) < 500ms\"")
                _ = try at(expressionNode) { try threshold.parsed() }
                thresholds.append(threshold)
            }
        }
        return thresholds
    }
}
