import Foundation

/// A breaking-point search (`--find-limit`): the load rises step by step, each step held for ``every``
/// seconds, while the run's thresholds hold on each step's own figures; the run ends at the first step
/// that breaks one, and the report names the highest step that held, the step that broke and which
/// thresholds broke it.
///
/// ```swift
/// let search = try LimitSearch(parsing: "users:100..5000 step 100 every 30s")
/// // 50 steps: 100, 200, ... 5000 users, 30 s each, as stages named "100 users", "200 users", ...
/// var configuration = RunConfiguration(shape: search.shape(spawnRate: 100), runTime: nil)
/// configuration.stageVerdict = { stage, target in stage.statistics.aggregated.failures > 0 ? ["a request failed"] : [] }
/// ```
public struct LimitSearch: Sendable, Equatable {
    /// What rises.
    public enum Load: String, Sendable {
        /// Concurrent users (the closed model).
        case users
        /// Iterations per second (the open model, ``ArrivalModel``).
        case rate
    }

    public var load: Load
    public var from: Double
    public var to: Double
    public var step: Double
    /// How long each step lasts, in seconds.
    public var every: Double
    /// The text as written, for reports.
    public var text: String

    /// The form, for messages and help.
    public static let form = "users:FROM..TO step N every DURATION (such as users:100..5000 step 100 every 30s), or rate:FROM..TO step N every DURATION"

    /// Reads `users:100..5000 step 100 every 30s` or `rate:50..2000 step 50 every 1m`.
    /// - Throws: ``InputError`` naming the part that is wrong and the form expected.
    public init(parsing text: String) throws {
        self.text = text.trimmingCharacters(in: .whitespaces)
        let words = self.text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 5, words[1] == "step", words[3] == "every",
              let colon = words[0].firstIndex(of: ":"), let range = words[0].range(of: "..") else {
            throw InputError("expected \(Self.form), got '\(text.escapedForMessage)'")
        }
        guard let load = Load(rawValue: String(words[0][..<colon])) else {
            throw InputError("expected users or rate before ':', got '\(String(words[0][..<colon]).escapedForMessage)'")
        }
        self.load = load
        let low = String(words[0][words[0].index(after: colon)..<range.lowerBound])
        let high = String(words[0][range.upperBound...])
        switch load {
        case .users:
            from = Double(try located("from") { try SettingBounds.users.parse(low) })
            to = Double(try located("to") { try SettingBounds.users.parse(high) })
            step = Double(try located("step") { try SettingBounds.users.parse(words[2]) })
        case .rate:
            from = try located("from") { try SettingBounds.arrivalRate.parse(low) }
            to = try located("to") { try SettingBounds.arrivalRate.parse(high) }
            step = try located("step") { try SettingBounds.arrivalRate.parse(words[2]) }
        }
        every = try located("every") { try SettingBounds.stageDuration.parse(words[4]) }
        guard from <= to else {
            throw InputError("from \(formatNumber(from)) is above to \(formatNumber(to)); expected FROM..TO rising")
        }
        // Counted before the steps are listed, so that a range of millions is refused without listing it.
        let whole = ((to - from) / step + 1e-9).rounded(.down)
        let count = whole + 1 + (from + whole * step < to - 1e-9 ? 1 : 0)
        guard count <= Double(SettingBounds.stageCount.range.upperBound) else {
            throw InputError("\(formatNumber(count)) steps from \(formatNumber(from)) to \(formatNumber(to)) by \(formatNumber(step)); "
                + "expected at most \(SettingBounds.stageCount.range.upperBound) (each step keeps its own histograms): take a larger step")
        }
    }

    /// The load of each step: `from`, `from + step`, ... up to `to` (the last one `to` itself when the step
    /// does not land on it).
    public var steps: [Double] {
        var values: [Double] = []
        var value = from
        while value < to - 1e-9 {
            values.append(value)
            value += step
        }
        values.append(to)
        return values
    }

    /// A step's name, as its stage is called: `200 users` or `50/s`.
    public func name(of value: Double) -> String {
        load == .users ? "\(formatNumber(value)) users" : "\(formatNumber(value))/s"
    }

    /// The load shape that runs the steps; `spawnRate` for users (the next step's users start at it).
    public func shape(spawnRate: Double) -> LimitSearchShape {
        LimitSearchShape(search: self, spawnRate: spawnRate)
    }
}

/// The steps of a ``LimitSearch`` as a load shape: each step is a stage of ``LimitSearch/every`` seconds,
/// and the load jumps (or, for users, ramps at the spawn rate) to the step's value at its start.
public struct LimitSearchShape: LoadShape {
    public let search: LimitSearch
    public let spawnRate: Double
    private let steps: [Double]

    init(search: LimitSearch, spawnRate: Double) {
        self.search = search
        self.spawnRate = spawnRate
        self.steps = search.steps
    }

    public func tick(elapsed: Double) -> LoadTarget? {
        let index = Int(elapsed / search.every)
        guard index < steps.count else { return nil }
        let value = steps[index]
        let remaining = Double(index + 1) * search.every - elapsed
        let name = search.name(of: value)
        switch search.load {
        case .users:
            return LoadTarget(users: Int(value), spawnRate: spawnRate, stage: name, stageRemaining: remaining)
        case .rate:
            return LoadTarget(arrivalRate: value, stage: name, stageRemaining: remaining)
        }
    }
}

/// What a breaking-point search found, from the verdicts the run gave its steps (``RunResult/stageVerdicts``).
public struct LimitFinding: Sendable, Equatable, Codable {
    /// The search as written.
    public var search: String
    /// `users` or `rate`.
    public var load: String
    /// The highest step that held; `nil` when the first one broke.
    public var held: Double?
    /// The step that broke; `nil` when every step held (the limit is above the search's range) or the run
    /// ended before one broke.
    public var broke: Double?
    /// The thresholds that broke it, with what was observed.
    public var brokenBy: [String]
    /// Every step judged, in order.
    public var steps: [Step]

    public struct Step: Sendable, Equatable, Codable {
        public var stage: String
        public var value: Double
        public var held: Bool
    }

    /// Reads the verdicts of the steps that ran.
    public init(search: LimitSearch, verdicts: [StageVerdict]) {
        self.search = search.text
        self.load = search.load.rawValue
        let values = Dictionary(search.steps.map { (search.name(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        steps = verdicts.compactMap { verdict in
            values[verdict.stage].map { Step(stage: verdict.stage, value: $0, held: verdict.failures.isEmpty) }
        }
        held = steps.last(where: \.held)?.value
        let broken = verdicts.first { !$0.failures.isEmpty }
        broke = broken.flatMap { values[$0.stage] }
        brokenBy = broken?.failures ?? []
    }

    /// The console's words for it.
    public var sentence: String {
        let unit = load == "users" ? " users" : "/s"
        let heldText = held.map { "held up to \(formatNumber($0))\(unit)" } ?? "no step held"
        guard let broke else {
            return "Breaking point (\(search)): \(heldText); no step broke a threshold"
        }
        return "Breaking point (\(search)): \(heldText); broke at \(formatNumber(broke))\(unit): " + brokenBy.joined(separator: "; ")
    }
}

/// How a stage of the run was judged when it ended (``RunConfiguration/stageVerdict``).
public struct StageVerdict: Sendable, Equatable {
    public var stage: String
    /// The thresholds it broke, in words; empty when it held.
    public var failures: [String]

    public init(stage: String, failures: [String]) {
        self.stage = stage
        self.failures = failures
    }
}
