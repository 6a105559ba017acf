import ArgumentParser
import Foundation

/// The options of a subcommand as ArgumentParser itself describes them (its `--experimental-dump-help`
/// description), so that the config file and the environment accept exactly the command line's options,
/// with no second list to keep in step.
struct CommandOptions {
    enum Kind: Equatable {
        /// Takes no value: present or not.
        case flag
        /// Takes one value per occurrence; `repeating` ones may occur more than once.
        case option(repeating: Bool, upToNextOption: Bool)
    }

    struct Option: Equatable {
        /// The long name without its dashes: `spawn-rate`.
        var name: String
        var shortNames: [Character]
        var kind: Kind
        var repeating: Bool {
            if case .option(let repeating, _) = kind { return repeating }
            return false
        }
    }

    var options: [Option]

    /// The options of `subcommand` of ``CicadaCommand``, from ArgumentParser's own description.
    static func of(_ subcommand: String) -> CommandOptions {
        let text: String
        do {
            _ = try CicadaCommand.parseAsRoot([subcommand, "--experimental-dump-help"])
            text = ""
        } catch {
            text = CicadaCommand.fullMessage(for: error)
        }
        return CommandOptions(dumpHelp: Data(text.utf8))
    }

    /// Reads ArgumentParser's tool description (`ToolInfoV0`'s JSON); options without a long name and the
    /// help and version flags are left out.
    init(dumpHelp: Data) {
        var options: [Option] = []
        let root = (try? JSONSerialization.jsonObject(with: dumpHelp)) as? [String: Any]
        let arguments = (root?["command"] as? [String: Any])?["arguments"] as? [[String: Any]] ?? []
        for argument in arguments {
            let names = argument["names"] as? [[String: Any]] ?? []
            guard let long = names.first(where: { $0["kind"] as? String == "long" })?["name"] as? String,
                  !["help", "version", "experimental-dump-help"].contains(long) else { continue }
            let shorts = names.filter { $0["kind"] as? String == "short" }.compactMap { ($0["name"] as? String)?.first }
            let repeating = argument["isRepeating"] as? Bool ?? false
            switch argument["kind"] as? String {
            case "flag":
                options.append(Option(name: long, shortNames: shorts, kind: .flag))
            case "option":
                options.append(Option(name: long, shortNames: shorts, kind: .option(
                    repeating: repeating, upToNextOption: argument["parsingStrategy"] as? String == "upToNextOption")))
            default:
                continue
            }
        }
        self.options = options
    }

    func named(_ name: String) -> Option? { options.first { $0.name == name } }
    func short(_ character: Character) -> Option? { options.first { $0.shortNames.contains(character) } }

    /// The environment variable of an option: `CICADA_` and its long name in capitals, `-` as `_`.
    static func environmentName(_ name: String) -> String {
        "CICADA_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
