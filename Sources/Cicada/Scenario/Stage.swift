import Foundation

/// One stage of a staged run: for ``duration`` seconds the user count moves towards ``users`` at
/// ``spawnRate`` users per second, up or down, and holds there. Stages run one after another
/// (``StagedShape``); the scenario's `stages:` and the command line's `--stages` both make them.
///
/// A *rate stage* (``arrivalRate`` set) belongs to the open model instead: over its duration the arrival
/// rate moves in a straight line from the previous stage's rate (the first stage's from 0) to its own, as
/// k6's `ramping-arrival-rate` stages do; a stage with the same rate as the one before holds it. A run's
/// stages are all of one kind.
///
/// ```swift
/// let stages = try Stage.parseList("baseline:100@10/1m,peak:1000@50/10m")
/// // [Stage("baseline", users: 100, spawnRate: 10, duration: 60), Stage("peak", users: 1000, spawnRate: 50, duration: 600)]
/// ```
public struct Stage: Sendable, Equatable {
    /// The stage's name in tables and reports (`name:`); unique within a run.
    public var name: String
    /// The user count to reach and hold (`users:`); 0 retires every user.
    public var users: Int
    /// Users started (or retired) per second on the way to ``users`` (`spawn_rate:`).
    public var spawnRate: Double
    /// How long the stage lasts, in seconds, its ramp included (`duration:`).
    public var duration: Double
    /// A rate stage's arrival rate at its end, in iterations per second (`arrival_rate:`); `nil` for a
    /// stage of users.
    public var arrivalRate: Double?

    /// Creates a stage; ``Stage/checkList(_:)`` (and ``Scenario/validate()``) checks it.
    public init(_ name: String, users: Int, spawnRate: Double, duration: Double) {
        self.name = name
        self.users = users
        self.spawnRate = spawnRate
        self.duration = duration
    }

    /// Creates a rate stage of the open model, reaching `arrivalRate` iterations per second at its end.
    public init(_ name: String, arrivalRate: Double, duration: Double) {
        self.init(name, users: 0, spawnRate: 0, duration: duration)
        self.arrivalRate = arrivalRate
    }

    /// This stage with its duration multiplied by `factor` (`--time-factor`).
    public func scaled(by factor: Double) -> Stage {
        var stage = self
        stage.duration = duration * factor
        return stage
    }

    /// The stage as ``parseList(_:)`` reads it back (`peak:1000@50/600s`, `peak:2000/s/600s`): how a form
    /// shows a scenario's stages for editing.
    public var written: String {
        func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        if let arrivalRate { return "\(name):\(number(arrivalRate))/s/\(number(duration))s" }
        return "\(name):\(users)@\(number(spawnRate))/\(number(duration))s"
    }

    /// The command line's form of one stage, for messages and help.
    public static let form = "NAME:USERS@RATE/DURATION (such as peak:1000@50/10m), or NAME:RATE/s/DURATION for the open model (such as peak:2000/s/10m)"

    /// Reads the command line's list of stages: `NAME:USERS@RATE/DURATION` separated by commas, as in
    /// `baseline:100@10/1m,normal:500@20/5m`. USERS is an integer (0 retires everyone), RATE users per
    /// second (a decimal), DURATION a duration such as `90`, `30s`, `5m` or `1h30m`.
    ///
    /// - Throws: ``InputError`` naming the stage (by position and text), the part that is wrong and what
    ///   was expected there.
    public static func parseList(_ text: String) throws -> [Stage] {
        var stages: [Stage] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for (index, item) in items.enumerated() {
            let written = item.trimmingCharacters(in: .whitespaces)
            let place = "stage \(index + 1) '\(written.escapedForMessage)'"
            if let stage = try parseRateStage(written, place: place) {
                stages.append(stage)
                continue
            }
            guard let colon = written.lastIndex(of: ":"), let at = written.lastIndex(of: "@"),
                  let slash = written.lastIndex(of: "/"), colon < at, at < slash else {
                throw InputError("\(place): expected \(form)")
            }
            let name = written[..<colon].trimmingCharacters(in: .whitespaces)
            do {
                try ScenarioRules.checkLabel(name, what: "stage name")
                let users = try located("users") { try SettingBounds.stageUsers.parse(String(written[written.index(after: colon)..<at])) }
                let rate = try located("spawn rate") { try SettingBounds.spawnRate.parse(String(written[written.index(after: at)..<slash])) }
                let duration = try located("duration") { try SettingBounds.stageDuration.parse(String(written[written.index(after: slash)...])) }
                stages.append(Stage(name, users: users, spawnRate: rate, duration: duration))
            } catch let error as InputError {
                throw InputError("\(place): \(error.message)")
            }
        }
        try checkList(stages)
        return stages
    }

    /// Reads `NAME:RATE/s/DURATION`, or returns `nil` when `written` is not of that form.
    private static func parseRateStage(_ written: String, place: String) throws -> Stage? {
        guard let colon = written.firstIndex(of: ":"), let unit = written.range(of: "/s/"),
              colon < unit.lowerBound, !written[colon...].contains("@") else { return nil }
        let name = written[..<colon].trimmingCharacters(in: .whitespaces)
        do {
            try ScenarioRules.checkLabel(name, what: "stage name")
            let rate = try located("arrival rate") {
                try SettingBounds.stageArrivalRate.parse(String(written[written.index(after: colon)..<unit.lowerBound]))
            }
            let duration = try located("duration") { try SettingBounds.stageDuration.parse(String(written[unit.upperBound...])) }
            return Stage(name, arrivalRate: rate, duration: duration)
        } catch let error as InputError {
            throw InputError("\(place): \(error.message)")
        }
    }

    /// Whether these are the open model's stages (each has an ``arrivalRate``).
    public static func areRateStages(_ stages: [Stage]) -> Bool {
        stages.first?.arrivalRate != nil
    }

    /// Checks a list of stages as every path into a run does: at least one and at most
    /// ``SettingBounds/stageCount``, unique names, each number in its bound.
    /// - Throws: ``InputError`` naming the stage.
    public static func checkList(_ stages: [Stage]) throws {
        guard SettingBounds.stageCount.contains(stages.count) else {
            throw InputError("\(stages.count) stages; expected \(SettingBounds.stageCount.expected)")
        }
        var seen: Set<String> = []
        for (index, stage) in stages.enumerated() {
            try located("stage \(index + 1) '\(stage.name.escapedForMessage)'") {
                try ScenarioRules.checkLabel(stage.name, what: "stage name")
                guard seen.insert(stage.name).inserted else {
                    throw InputError("another stage has this name; expected unique stage names")
                }
                guard (stage.arrivalRate != nil) == areRateStages(stages) else {
                    throw InputError("the stages mix user counts and arrival rates; expected all of one kind")
                }
                if let rate = stage.arrivalRate {
                    _ = try located("arrival rate") { try SettingBounds.stageArrivalRate.check(rate) }
                    _ = try located("duration") { try SettingBounds.stageDuration.check(stage.duration) }
                    return
                }
                _ = try located("users") { try SettingBounds.stageUsers.check(stage.users) }
                _ = try located("spawn rate") { try SettingBounds.spawnRate.check(stage.spawnRate) }
                _ = try located("duration") { try SettingBounds.stageDuration.check(stage.duration) }
            }
        }
    }
}
