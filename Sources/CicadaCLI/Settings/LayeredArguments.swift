import Foundation

/// A subcommand's arguments from three places, as Locust takes `LOCUST_*` variables and a config file:
/// the command line over the environment (`CICADA_USERS=500`) over a config file (`--config cicada.toml`).
/// They are merged into one argument list that ArgumentParser then reads, so every option is checked by
/// the same rules and messages wherever it came from.
///
/// An option takes its values from the highest place that gives it: a repeatable option's values from the
/// command line replace the environment's and the file's rather than adding to them. A flag is true or
/// false in the environment and the file (`CICADA_HEADLESS=true`, `headless = true`); false leaves it
/// unset. The scenario (the command line's positional target) is `locustfile` in the file and
/// `CICADA_LOCUSTFILE` in the environment, read as `-f`.
struct LayeredArguments {
    let options: CommandOptions

    /// One setting given in the environment or the file: an option, its values as command-line text, and
    /// where it was written, for messages (`CICADA_USERS`, `cicada.toml:3`).
    struct Setting: Equatable {
        var option: CommandOptions.Option
        var values: [String]
        var source: String
    }

    /// The argument list for the subcommand: the file's and the environment's settings that the command
    /// line does not give, then the command line's arguments as typed; and for each option taken from the
    /// environment or the file, where it was written.
    /// - Parameters:
    ///   - commandLine: the arguments after the subcommand's name.
    ///   - file: the config file's settings, already read.
    /// - Throws: ``SetupError`` for an environment variable that cannot be read as its option.
    func merge(commandLine: [String], environment: [String: String], file: [Setting]) throws -> (arguments: [String], sources: [String: String]) {
        let given = optionsGiven(in: commandLine)
        var chosen: [String: Setting] = [:]
        for setting in file { chosen[setting.option.name] = setting }
        for setting in try environmentSettings(environment) { chosen[setting.option.name] = setting }
        var arguments: [String] = []
        var sources: [String: String] = [:]
        for option in options.options {
            guard let setting = chosen[option.name], !given.contains(option.name) else { continue }
            sources[option.name] = setting.source
            switch option.kind {
            case .flag:
                if setting.values == ["true"] { arguments.append("--\(option.name)") }
            case .option:
                for value in setting.values { arguments.append("--\(option.name)=\(value)") }
            }
        }
        return (arguments + commandLine, sources)
    }

    /// The `CICADA_*` variables that name an option. A repeatable option's values are one per line.
    func environmentSettings(_ environment: [String: String]) throws -> [Setting] {
        var settings: [Setting] = []
        for option in options.options {
            let name = CommandOptions.environmentName(option.name)
            guard let text = environment[name], option.name != "config" else { continue }
            switch option.kind {
            case .flag:
                guard let value = Self.flagValue(text) else {
                    throw SetupError("\(name)='\(text)': expected true or false (also 1/0, yes/no)")
                }
                settings.append(Setting(option: option, values: [value ? "true" : "false"], source: name))
            case .option:
                let values = option.repeating ? text.split(separator: "\n").map(String.init).filter { !$0.isEmpty } : [text]
                settings.append(Setting(option: option, values: values, source: name))
            }
        }
        return settings
    }

    static func flagValue(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default: return nil
        }
    }

    /// The long names of the options that `arguments` gives: `--name`, `--name=value` and short names,
    /// alone or run together (`-kv`). Values are skipped, so a value that looks like an option name is
    /// not taken for one; after `--` everything is positional.
    func optionsGiven(in arguments: [String]) -> Set<String> {
        var given: Set<String> = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" { break }
            var found: [CommandOptions.Option] = []
            var valueInline = false
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? String(body)
                valueInline = body.contains("=")
                if let option = options.named(name) { found = [option] }
            } else if argument.hasPrefix("-"), argument.count > 1, !argument.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }) {
                // Short names run together; the first that takes a value takes the rest of the word, if any.
                for (offset, character) in argument.dropFirst().enumerated() {
                    guard let option = options.short(character) else { break }
                    found.append(option)
                    if case .option = option.kind {
                        valueInline = offset < argument.count - 2
                        break
                    }
                }
            }
            for option in found { given.insert(option.name) }
            guard let last = found.last, case .option(_, let upToNext) = last.kind, !valueInline else { continue }
            if upToNext {
                while index < arguments.count, !arguments[index].hasPrefix("-") { index += 1 }
            } else {
                index += 1
            }
        }
        return given
    }
}
