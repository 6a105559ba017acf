import Foundation

/// A ``Threshold`` read by k6's grammar, ready to judge statistics.
///
/// The metric is `NAME` or `NAME{tag:value,...}`; a value may be quoted (`{endpoint:"/a,b"}`) and is
/// taken up to the next comma otherwise, so a name with colons (`/results/:id`) needs no quotes. The
/// expression is `AGGREGATION OPERATOR VALUE` (k6's `aggregation_method whitespace* operator whitespace*
/// float`): `p(95) < 500ms`, `rate<0.001`. Times are milliseconds when plain, as in k6, or carry a unit
/// (`us`, `ms`, `s`, `m`); rates are shares (`0.001`) or percentages (`0.1%`).
public struct ThresholdRule: Sendable, Equatable {
    public var threshold: Threshold
    public var metric: ThresholdMetric
    /// The tags that narrow the metric, all of which a request must have.
    public var tags: [ThresholdTag]
    public var aggregation: ThresholdAggregation
    public var comparison: ThresholdComparison
    /// The limit in the metric's unit: milliseconds for `http_req_duration`, a share from 0 to 1 for
    /// rates of requests, requests per second or a count for `http_reqs`, percent of one core for
    /// `generator_cpu`, milliseconds for `loop_lag`.
    public var limit: Double

    /// Reads `threshold`.
    /// - Throws: ``InputError`` naming what is wrong and the forms expected.
    public init(_ threshold: Threshold) throws {
        self.threshold = threshold
        (metric, tags) = try Self.parseMetric(threshold.metric)
        (aggregation, comparison, limit) = try Self.parseExpression(threshold.expression, of: metric)
        _ = try SettingBounds.abortDelay.check(threshold.delayAbortEval)
        if stage != nil, threshold.abortOnFail {
            throw InputError("a {stage:} threshold is judged when the run ends, on the stage's figures; it cannot abortOnFail")
        }
        if metric == .loopLag, aggregation != .max, threshold.abortOnFail {
            throw InputError("loop_lag's p(99) is judged when the run ends, over all its windows; it cannot abortOnFail "
                + "(loop_lag: max can)")
        }
    }

    /// The stage the threshold is narrowed to, if any.
    public var stage: String? {
        for tag in tags { if case .stage(let name) = tag { return name } }
        return nil
    }

    /// Checks that each threshold's stage is one of the run's `stages` (names in order).
    /// - Throws: ``InputError`` naming the stage, the nearest one and the run's stages.
    public static func checkStages(_ rules: [ThresholdRule], stages: [String]) throws {
        for rule in rules {
            guard let stage = rule.stage, !stages.contains(stage) else { continue }
            guard !stages.isEmpty else {
                throw InputError("threshold '\(rule.threshold.description.escapedForMessage)': the run has no stages; "
                    + "{stage:} needs stages (`stages:` or --stages)")
            }
            let hint = closestName(to: stage, in: stages).map { " did you mean '\($0)'?" } ?? ""
            throw InputError("threshold '\(rule.threshold.description.escapedForMessage)': no stage is named "
                + "'\(stage.escapedForMessage)';\(hint) The run's stages: \(stages.joined(separator: ", "))")
        }
    }

    /// The unit of ``limit`` and of the value observed, as the JSON summary names it: `ms`, `ratio`
    /// (0 to 1), `count`, `per_second`, `percent_of_one_core`.
    public var unit: String {
        switch metric {
        case .httpReqDuration, .loopLag: return "ms"
        case .httpReqFailed, .checks: return "ratio"
        case .httpReqs: return aggregation == .count ? "count" : "per_second"
        case .generatorCPU, .targetCPU: return "percent_of_one_core"
        case .targetRSS: return aggregation == .slope ? "mib_per_minute" : "mib"
        case .droppedIterations: return aggregation == .count ? "count" : "per_second"
        }
    }

    /// The metrics a threshold may name, for messages.
    static let knownMetrics = ThresholdMetric.allCases.map(\.rawValue)
    /// The tags a threshold may use, for messages.
    static let knownTags = ["endpoint", "method", "stage"]
    /// Other tools' names for Cicada's tags, too far for ``closestName(to:in:)``.
    static let tagAliases = ["name": "endpoint", "url": "endpoint", "path": "endpoint"]

    /// Reads `NAME` or `NAME{tag:value,...}`.
    static func parseMetric(_ text: String) throws -> (ThresholdMetric, [ThresholdTag]) {
        let written = text.trimmingCharacters(in: .whitespaces)
        var name = Substring(written)
        var tagText: Substring?
        if let open = written.firstIndex(of: "{") {
            guard written.hasSuffix("}"), written.firstIndex(of: "}")! > open else {
                throw InputError("expected a metric as NAME or NAME{tag:value}, with one pair of braces at its end, "
                    + "got '\(written.escapedForMessage)'")
            }
            name = written[..<open]
            tagText = written[written.index(after: open)..<written.index(before: written.endIndex)]
        } else if written.contains("}") {
            throw InputError("expected a metric as NAME or NAME{tag:value}, got '\(written.escapedForMessage)'")
        }
        let trimmedName = name.trimmingCharacters(in: .whitespaces)
        guard let metric = ThresholdMetric(rawValue: trimmedName) else {
            let hint = closestName(to: trimmedName, in: knownMetrics).map { " did you mean '\($0)'?" } ?? ""
            throw InputError("unknown metric '\(trimmedName.escapedForMessage)';\(hint) Known metrics: "
                + knownMetrics.joined(separator: ", "))
        }
        guard let tagText else { return (metric, []) }
        let tags = try parseTags(tagText)
        for tag in tags {
            if case .stage = tag {
                guard metric.takesStage else {
                    throw InputError("the metric '\(metric.rawValue)' is measured over the whole run only and takes no {stage:} tag")
                }
            } else if !metric.takesTags {
                throw InputError("the metric '\(metric.rawValue)' belongs to no endpoint and takes no endpoint or method tags; "
                    + "expected '\(metric.rawValue)'" + (metric.takesStage ? " or '\(metric.rawValue){stage:NAME}'" : ""))
            }
        }
        guard tags.filter({ if case .stage = $0 { true } else { false } }).count <= 1 else {
            throw InputError("a threshold names at most one stage")
        }
        return (metric, tags)
    }

    /// Reads `tag:value,tag:"value"` between the braces.
    static func parseTags(_ text: Substring) throws -> [ThresholdTag] {
        var tags: [ThresholdTag] = []
        var rest = text[...]
        while true {
            rest = rest.drop(while: { $0 == " " })
            guard let colon = rest.firstIndex(of: ":") else {
                throw InputError("expected tag:value inside the braces, such as {endpoint:/login} or {method:GET}, "
                    + "got '\(String(rest).escapedForMessage)'")
            }
            let key = rest[..<colon].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: colon)...].drop(while: { $0 == " " })
            let value: String
            if let quote = rest.first, quote == "\"" || quote == "'" {
                let body = rest.dropFirst()
                guard let close = body.firstIndex(of: quote) else {
                    throw InputError("the tag '\(key.escapedForMessage)' has a value that opens a quote and does not close it")
                }
                value = String(body[..<close])
                rest = body[body.index(after: close)...].drop(while: { $0 == " " })
                guard rest.isEmpty || rest.first == "," else {
                    throw InputError("expected a comma or the closing brace after the quoted value of '\(key.escapedForMessage)'")
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            tags.append(try tag(key, value))
            guard let comma = rest.first, comma == "," else { return tags }
            rest = rest.dropFirst()
        }
    }

    static func tag(_ key: String, _ value: String) throws -> ThresholdTag {
        guard !value.isEmpty else { throw InputError("the tag '\(key.escapedForMessage)' has no value; expected \(key):VALUE") }
        switch key {
        case "endpoint": return .endpoint(value)
        case "method": return .method(value)
        case "stage": return .stage(value)
        default:
            let hint = (tagAliases[key] ?? closestName(to: key, in: knownTags)).map { " did you mean '\($0)'?" } ?? ""
            throw InputError("unknown tag '\(key.escapedForMessage)';\(hint) Known tags: \(knownTags.joined(separator: ", "))")
        }
    }

    /// k6's operators, the longer first so that `<=` is not read as `<`.
    static let operators: [(String, ThresholdComparison)] = [
        ("<=", .lessOrEqual), ("<", .less), (">=", .greaterOrEqual), (">", .greater), ("===", .equal),
        ("==", .equal), ("!=", .notEqual),
    ]

    /// Reads `AGGREGATION OPERATOR VALUE` for `metric`.
    static func parseExpression(_ text: String, of metric: ThresholdMetric)
        throws -> (ThresholdAggregation, ThresholdComparison, Double) {
        let forms = "expected AGGREGATION OPERATOR VALUE such as 'p(95) < 500ms' or 'rate < 0.001', with an "
            + "operator of <, <=, >, >=, ==, !="
        guard let found = operators.first(where: { text.contains($0.0) }), let range = text.range(of: found.0) else {
            let hint = text.contains("=") ? " ('==' compares; '=' alone is not an operator)" : ""
            throw InputError("\(forms), got '\(text.escapedForMessage)'\(hint)")
        }
        let left = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        let right = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !left.isEmpty, !right.isEmpty else { throw InputError("\(forms), got '\(text.escapedForMessage)'") }
        let aggregation = try parseAggregation(left, of: metric)
        return (aggregation, found.1, try parseLimit(right, of: metric, aggregation: aggregation))
    }

    static func parseAggregation(_ text: String, of metric: ThresholdMetric) throws -> ThresholdAggregation {
        let named: [String: ThresholdAggregation] = ["avg": .avg, "min": .min, "max": .max, "med": .med,
                                                     "rate": .rate, "count": .count, "slope": .slope]
        let aggregation: ThresholdAggregation
        if let simple = named[text] {
            aggregation = simple
        } else if text.hasPrefix("p("), text.hasSuffix(")") {
            let number = String(text.dropFirst(2).dropLast()).trimmingCharacters(in: .whitespaces)
            do {
                aggregation = .percentile(try SettingBounds.percentile.parse(number))
            } catch let error as InputError {
                throw InputError("in '\(text.escapedForMessage)': \(error.message)")
            }
        } else {
            let hint = text.hasPrefix("p") && text.dropFirst().allSatisfy(\.isNumber) && text.count > 1
                ? " did you mean 'p(\(text.dropFirst()))'?" : ""
            throw InputError("unknown aggregation '\(text.escapedForMessage)';\(hint) '\(metric.rawValue)' has "
                + metric.aggregations.joined(separator: ", "))
        }
        let allowed: Bool
        switch (metric, aggregation) {
        case (.httpReqDuration, .avg), (.httpReqDuration, .min), (.httpReqDuration, .max), (.httpReqDuration, .med),
             (.httpReqDuration, .percentile), (.httpReqFailed, .rate), (.checks, .rate), (.httpReqs, .count),
             (.httpReqs, .rate), (.generatorCPU, .avg), (.generatorCPU, .max), (.targetCPU, .avg), (.targetCPU, .max),
             (.targetRSS, .max), (.targetRSS, .slope), (.loopLag, .max), (.loopLag, .percentile(99)),
             (.droppedIterations, .count), (.droppedIterations, .rate):
            allowed = true
        default:
            allowed = false
        }
        guard allowed else {
            var why = ""
            if metric == .loopLag {
                why = " (the run keeps the p99 and the max of its lag windows)"
            }
            throw InputError("the metric '\(metric.rawValue)' has no aggregation '\(text.escapedForMessage)'; expected "
                + metric.aggregations.joined(separator: ", ") + why)
        }
        return aggregation
    }

    /// The limit in the metric's unit; see ``limit``.
    static func parseLimit(_ text: String, of metric: ThresholdMetric, aggregation: ThresholdAggregation) throws -> Double {
        switch metric {
        case .httpReqDuration, .loopLag:
            return try SettingBounds.thresholdTime.check(try milliseconds(text))
        case .httpReqFailed, .checks:
            if text.hasSuffix("%") {
                let percent = String(text.dropLast()).trimmingCharacters(in: .whitespaces)
                guard let value = parseDecimal(percent) else {
                    throw InputError("expected \(SettingBounds.thresholdShare.expected), such as 0.001 or 0.1%, got '\(text.escapedForMessage)'")
                }
                return try SettingBounds.thresholdShare.check(value / 100)
            }
            return try SettingBounds.thresholdShare.parse(text)
        case .httpReqs, .droppedIterations:
            // `rate > 100/s` reads as `rate > 100`.
            let number = aggregation == .rate && text.hasSuffix("/s") ? String(text.dropLast(2)) : text
            return try SettingBounds.thresholdAmount.parse(number)
        case .generatorCPU, .targetCPU:
            let number = text.hasSuffix("%") ? String(text.dropLast()) : text
            return try SettingBounds.thresholdAmount.parse(number)
        case .targetRSS:
            return try SettingBounds.thresholdAmount.check(try mebibytes(text, perMinute: aggregation == .slope))
        }
    }

    /// The binary units of memory a `target_rss` limit may carry, in MiB.
    static let memoryUnits: [(String, Double)] = [("KiB", 1.0 / 1024), ("MiB", 1), ("GiB", 1024), ("B", 1.0 / 1_048_576)]

    /// A memory size in MiB (`512MiB`, `2GiB`, plain MiB), or with `perMinute` a growth in MiB per minute
    /// (`1MiB/min`, `64KiB/min`, `10MiB/h`, plain MiB per minute).
    static func mebibytes(_ text: String, perMinute: Bool) throws -> Double {
        let example = perMinute ? "such as 1MiB/min, 64KiB/min, 10MiB/h or 1 (MiB per minute)"
            : "such as 512MiB, 2GiB or 512 (MiB)"
        let bad = InputError("expected a \(perMinute ? "memory growth" : "memory size") \(example), got '\(text.escapedForMessage)'")
        var amount = Substring(text.trimmingCharacters(in: .whitespaces))
        var perTime = 1.0
        if perMinute {
            for (suffix, minutes) in [("/min", 1.0), ("/m", 1.0), ("/h", 60.0), ("/s", 1.0 / 60)] where amount.hasSuffix(suffix) {
                amount = amount.dropLast(suffix.count)
                perTime = minutes
                break
            }
        } else if amount.contains("/") {
            throw bad
        }
        var scale = 1.0
        for (unit, mib) in memoryUnits where amount.hasSuffix(unit) {
            amount = amount.dropLast(unit.count)
            scale = mib
            break
        }
        guard let number = parseDecimal(amount.trimmingCharacters(in: .whitespaces)) else { throw bad }
        return number * scale / perTime
    }

    /// A time as milliseconds: a plain number is milliseconds, as in k6; `us` (or `µs`), `ms`, `s`, `m`, `h`
    /// and their sums (`1m30s`) are read as durations.
    static func milliseconds(_ text: String) throws -> Double {
        let bad = InputError("expected \(SettingBounds.thresholdTime.expected), such as 500ms, 2s, 250us or 500 "
            + "(milliseconds), got '\(text.escapedForMessage)'")
        if let plain = parseDecimal(text) { return plain }
        for suffix in ["us", "µs"] where text.hasSuffix(suffix) {
            guard let micro = parseDecimal(String(text.dropLast(suffix.count))) else { throw bad }
            return micro / 1000
        }
        guard let seconds = try? parseDuration(text) else { throw bad }
        return seconds * 1000
    }

    /// Checks the tags' values against the endpoints a scenario has.
    /// - Throws: ``InputError`` naming the value, the nearest known one and the known ones.
    static func checkTags(_ tags: [ThresholdTag], endpoints: [Endpoint]) throws {
        func check(_ value: String, among all: [String], missing: String, known: String) throws {
            var distinct: [String] = []
            for candidate in all where !distinct.contains(candidate) { distinct.append(candidate) }
            guard !distinct.contains(value) else { return }
            let hint = closestName(to: value, in: distinct).map { " did you mean '\($0)'?" } ?? ""
            throw InputError("\(missing) '\(value.escapedForMessage)';\(hint) \(known): " + distinct.joined(separator: ", "))
        }
        for tag in tags {
            switch tag {
            case .endpoint(let name):
                try check(name, among: endpoints.map(\.name), missing: "no endpoint is named", known: "Known endpoints")
            case .method(let method):
                try check(method, among: endpoints.map(\.method), missing: "no request uses the method", known: "Methods used")
            case .stage:
                break // checked against the run's stages (``checkStages(_:stages:)``)
            }
        }
    }
}

extension Threshold {
    /// Reads `--threshold`'s `METRIC[{tag:value}]: EXPR`. The metric ends at the first colon after its
    /// braces, so an endpoint name's colons (`{endpoint:/results/:id}`) stay in it.
    /// - Throws: ``InputError`` naming what is wrong.
    public init(commandLine text: String) throws {
        let searchFrom = text.lastIndex(of: "}").map { text.index(after: $0) } ?? text.startIndex
        guard let colon = text[searchFrom...].firstIndex(of: ":") else {
            throw InputError("expected 'METRIC: EXPRESSION' such as 'http_req_duration: p(95) < 500ms', got '\(text.escapedForMessage)'")
        }
        self.init(String(text[..<colon]).trimmingCharacters(in: .whitespaces),
                  String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        _ = try parsed()
    }
}

extension Scenario {
    /// The endpoints the scenario's requests are counted under, in the order first met.
    var endpoints: [Endpoint] {
        var seen: [Endpoint] = []
        for userClass in userClasses {
            for (_, task) in userClass.placedTasks {
                for request in task.requests {
                    let endpoint = Endpoint(method: request.method, name: request.endpointName)
                    if !seen.contains(endpoint) { seen.append(endpoint) }
                }
            }
        }
        return seen
    }

    /// Checks every threshold: its grammar and its tags against the scenario's endpoints.
    /// - Throws: ``InputError`` starting with `thresholds 'METRIC'`.
    func checkThresholds() throws {
        for threshold in thresholds {
            try located("thresholds '\(threshold.metric.escapedForMessage)'") { try checkThreshold(threshold) }
        }
    }
}

extension Scenario {
    /// The thresholds whose tags name an endpoint or a method that no request of this scenario has: after
    /// a class or tag selection (``selecting(classes:tags:excludingTags:)``), those that the selection
    /// left without requests. The command line warns about them and does not judge them.
    public var thresholdsOutsideScenario: [Threshold] {
        thresholds.filter { (try? checkThreshold($0)) == nil }
    }

    /// Checks one threshold against this scenario: its grammar and its tags' endpoints and methods.
    /// - Throws: ``InputError`` saying what is wrong.
    public func checkThreshold(_ threshold: Threshold) throws {
        try ThresholdRule.checkTags(try threshold.parsed().tags, endpoints: endpoints)
    }

}
