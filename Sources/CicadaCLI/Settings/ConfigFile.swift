import Foundation
import Cicada
import TOMLKit

/// A config file of settings (`--config cicada.toml`): TOML, one key per command-line option, named as
/// its long name (`spawn-rate` or `spawn_rate`), a string, number or boolean, or a list for a repeatable
/// option. `locustfile` (or `target`) is the scenario or URL.
///
/// ```toml
/// locustfile = "examples/samplemind.yaml"
/// host = "http://127.0.0.1:8000"
/// stages = "baseline:100@10/1m,normal:500@20/5m"
/// threshold = ["http_req_duration: p(95) < 500ms", "http_req_failed: rate < 0.001"]
/// json = "summary.json"
/// ```
enum ConfigFile {
    /// The largest config file read: settings, not data.
    static let maximumBytes = 1 << 20

    /// Reads `path` against `options`.
    /// - Throws: ``SetupError`` naming the file, the line when known, and what was expected.
    static func read(path: String, options: CommandOptions) throws -> [LayeredArguments.Setting] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, let data = FileManager.default.contents(atPath: path) else {
            throw SetupError("--config \(path): cannot read the file")
        }
        guard size <= maximumBytes else {
            throw SetupError("--config \(path): \(size) bytes; expected a config file of at most \(maximumBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SetupError("--config \(path): not UTF-8 text")
        }
        return try parse(text, path: path, options: options)
    }

    static func parse(_ text: String, path: String, options: CommandOptions) throws -> [LayeredArguments.Setting] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SetupError("\(path):\(error.source.begin.line):\(error.source.begin.column): invalid TOML: \(error.description)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        /// `path:LINE` for the line that sets `key`, found by its text (TOMLKit keeps no positions).
        func location(_ key: String) -> String {
            let line = lines.firstIndex { line in
                let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
                return trimmed.hasPrefix(key) || trimmed.hasPrefix("\"\(key)\"")
            }
            return line.map { "\(path):\($0 + 1)" } ?? path
        }
        func place(_ key: String) -> String { location(key) + ": " }
        var settings: [LayeredArguments.Setting] = []
        for key in table.keys {
            let value = table[key]!.tomlValue
            let name = ["target", "locustfile"].contains(key) ? "locustfile" : key.replacingOccurrences(of: "_", with: "-")
            guard let option = options.named(name), name != "config" else {
                let known = options.options.map(\.name).filter { $0 != "config" }
                let hint = closestName(to: name, in: known).map { " did you mean '\($0)'?" } ?? ""
                throw SetupError("\(place(key))unknown setting '\(key)';\(hint) A config file takes the long names of "
                    + "`cicada run`'s options, such as users, spawn-rate, host, stages, threshold")
            }
            let texts: [String]
            if value.type == .array, let array = value.array {
                guard option.repeating else {
                    throw SetupError("\(place(key))'\(key)' takes one value, not a list")
                }
                texts = try array.map { try scalar($0.tomlValue, key: key, at: place(key)) }
            } else {
                texts = [try scalar(value, key: key, at: place(key))]
            }
            if option.kind == .flag {
                guard value.type == .bool else {
                    throw SetupError("\(place(key))'\(key)' is a flag; expected true or false")
                }
            }
            settings.append(LayeredArguments.Setting(option: option, values: texts, source: location(key)))
        }
        return settings
    }

    /// A string, number or boolean as the command line would write it.
    private static func scalar(_ value: TOMLValue, key: String, at place: String) throws -> String {
        switch value.type {
        case .string: return value.string!
        case .int: return String(value.int!)
        case .double: return formatDouble(value.double!)
        case .bool: return value.bool! ? "true" : "false"
        default:
            throw SetupError("\(place)'\(key)': expected a string, a number or true/false, got a TOML \(value.type)")
        }
    }

    private static func formatDouble(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
