import ArgumentParser
import Cicada
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a scenario file without sending anything, and print what it compiled to.",
        discussion: """
            Prints the thresholds, the user classes with their share of users at --users, the tasks with their share \
            within the class, each request with its templates (slots shown as written), captures and \
            checks, the variables with where each is set and used, and the data files with their rows. \
            Exit code 0 when the scenario is valid, 2 with the loader's file:line:column message when not.
            """)

    @Argument(help: "A scenario file (YAML, see docs/scenario.md).")
    var file: String

    @OptionGroup var selection: ClassSelectionOptions

    @Option(name: [.customShort("u"), .customLong("users")], parsing: .unconditional,
            help: "The user count to show the classes' shares at, \(SettingBounds.users.rangeText) (default: the scenario's largest stage, else its run.max_users or run.users, else 10).",
            transform: { try SettingBounds.users.parse($0) })
    var users: Int?

    @Option(help: "Target base URL; overrides the scenario's host (for the Host header in the plan).")
    var host: String?

    func run() throws {
        let scenario: Scenario
        do {
            scenario = try Scenario.load(path: file)
        } catch let error as ScenarioError {
            throw SetupError(error.description)
        }
        let selected = try selection.apply(to: scenario)
        let hostHeader: String
        var rebased = selected
        if let text = host ?? selected.host {
            do {
                let base = try TargetURL(base: text)
                hostHeader = base.hostHeader
                rebased = selected.rebased(onto: base)
            } catch {
                throw SetupError("host '\(text)': \(error)")
            }
        } else {
            hostHeader = "localhost"
        }
        let plan: CompiledPlan
        do {
            plan = try CompiledPlan(scenario: rebased, hostHeader: hostHeader)
        } catch let error as CicadaError {
            throw SetupError("\(file): \(error.description)")
        }
        // With stages, the shares that matter most are at the largest stage.
        let largestStage = Stage.areRateStages(selected.stages) ? nil : selected.stages.map(\.users).max().map { max(1, $0) }
        let count = users ?? largestStage ?? selected.run.maxUsers ?? selected.run.users ?? 10
        var text = "\(file): valid" + (selected.name.map { ", scenario \($0)" } ?? "")
        if let target = host ?? selected.host { text += ", host \(target)" }
        text += "\n"
        if !selected.thresholds.isEmpty {
            text += "thresholds (judged at the end of the run):\n"
            for threshold in selected.thresholds {
                text += "  \(threshold.description)" + (threshold.abortOnFail
                    ? ", abortOnFail from \(formatSeconds(threshold.delayAbortEval))" : "") + "\n"
            }
        }
        text += ScenarioSummary.render(rebased, users: count, plan: plan.specification)
        print(text, terminator: "")
    }
}

/// Seconds as `10s` or `1.5s`, for the validate summary.
private func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
}
