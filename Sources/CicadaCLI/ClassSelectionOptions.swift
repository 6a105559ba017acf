import ArgumentParser
import Cicada

/// Locust's ways of choosing what runs: user classes by name after the file, tasks by tag.
struct ClassSelectionOptions: ParsableArguments {
    @Argument(help: "Run only these user classes of the scenario (Locust's `locust -f FILE AdminUser APIUser`).")
    var userClasses: [String] = []

    @Option(name: [.customShort("T"), .customLong("tags")], parsing: .upToNextOption,
            help: "Run only the tasks (and classes) with one of these tags; space- or comma-separated.")
    var tags: [String] = []

    @Option(name: [.customShort("E"), .customLong("exclude-tags")], parsing: .upToNextOption,
            help: "Leave out the tasks (and classes) with one of these tags; space- or comma-separated.")
    var excludeTags: [String] = []

    var isSelecting: Bool { !userClasses.isEmpty || !tags.isEmpty || !excludeTags.isEmpty }

    /// `scenario` with only the classes and tasks chosen.
    func apply(to scenario: Scenario) throws -> Scenario {
        guard isSelecting else { return scenario }
        func split(_ list: [String]) -> [String] {
            list.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        }
        do {
            return try scenario.selecting(classes: userClasses, tags: split(tags), excludingTags: split(excludeTags))
        } catch let error as InputError {
            throw SetupError(error.message)
        }
    }
}
