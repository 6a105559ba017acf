// Yams does not export its copy of libyaml as a product, but SwiftPM makes a dependency's C modules
// visible to the targets above it. Reading the events of that same copy means the walk below sees the
// document exactly as Yams will compose it.
import CYaml

/// Bounds on a scenario file as YAML, checked before Yams composes it.
///
/// Yams composes recursively, one call per level of nesting, and the tree it builds is freed
/// recursively too, so a few thousand levels (`[[[[...`, even under an ignored `x-` key) overflow the
/// stack. An alias shares its node, but the reader walks it again at each use, so aliases of aliases
/// ("billion laughs": nine lists of nine aliases each, 1.3 KB) hold a billion nodes that the reader
/// would walk, render into JSON and check one by one. libyaml's parser keeps its state on the heap,
/// so its events can be read at any depth: ``check(_:file:)`` reads them once, measuring, before
/// anything recurses.
///
/// | bound | value | a scenario needs |
/// |---|---|---|
/// | the document | 4 MiB of text | tens of KiB; a large body belongs in `body_file` |
/// | nesting of lists and mappings, through aliases too | 64 levels | 5 to the request, plus a `json:` body's own |
/// | the document with every alias replaced by the node it names | 16 Mi characters | about its own size |
enum YAMLBounds {
    static let maximumBytes = 4 << 20
    static let maximumDepth = 64
    static let maximumExpandedCharacters = 16 << 20

    /// Throws at the first place where `yaml` passes a bound. Malformed YAML is left to the composer,
    /// which reports it with libyaml's own message and mark: the walk stops where libyaml stops.
    ///
    /// - Throws: ``ScenarioError`` in `file`, naming the bound, its value and the node or alias at fault.
    static func check(_ yaml: String, file: String) throws {
        guard yaml.utf8.count <= maximumBytes else {
            throw ScenarioError(file: file, line: 0, column: 0, message: tooLarge)
        }
        var text = yaml
        try text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, base, bytes.count)
            var walk = Walk(file: file)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return }
                try walk.step(event)
            }
        }
    }

    /// What the size bound is, after "the largest" in a message.
    static let largest = "scenario file; a large body belongs in body_file"
    static let tooLarge = "the scenario is larger than 4 MiB (\(maximumBytes) bytes), the largest \(largest)"

    /// What the walk knows about an open list or mapping.
    private struct Open {
        /// The character index where it starts, as libyaml counts.
        var start: Int
        var anchor: String?
        /// The characters that aliases inside it add when replaced by their nodes.
        var added: Int
        /// The deepest level reached inside it, aliases included.
        var deepest: Int
    }

    /// One pass over the events: the open collections, what each anchor expands to, and the totals.
    private struct Walk {
        let file: String
        var open: [Open] = []
        /// For each anchor: the characters of its node with its own aliases expanded, and how many
        /// levels of lists and mappings it holds.
        var anchors: [String: (characters: Int, levels: Int)] = [:]
        /// The characters that all aliases so far add.
        var added = 0

        init(file: String) {
            self.file = file
        }

        func error(_ mark: yaml_mark_t, _ message: String) -> ScenarioError {
            ScenarioError(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1, message: message)
        }

        mutating func step(_ event: yaml_event_t) throws {
            switch event.type {
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let level = open.count + 1
                guard level <= maximumDepth else {
                    throw error(event.start_mark, "lists and mappings nest deeper than \(maximumDepth) levels here; "
                        + "expected at most \(maximumDepth) levels of nesting")
                }
                let anchor = event.type == YAML_SEQUENCE_START_EVENT
                    ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                open.append(Open(start: Int(event.start_mark.index), anchor: anchor.map { String(cString: $0) },
                                 added: 0, deepest: level))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = open.popLast() else { return }
                if let anchor = closed.anchor {
                    anchors[anchor] = (Int(event.end_mark.index) - closed.start + closed.added, closed.deepest - open.count)
                }
                if !open.isEmpty {
                    open[open.count - 1].added += closed.added
                    open[open.count - 1].deepest = max(open[open.count - 1].deepest, closed.deepest)
                }
            case YAML_SCALAR_EVENT:
                if let anchor = event.data.scalar.anchor {
                    anchors[String(cString: anchor)] = (Int(event.end_mark.index - event.start_mark.index), 0)
                }
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                // An undefined alias is the composer's error to report.
                guard let node = anchors[name] else { return }
                let level = open.count + node.levels
                guard level <= maximumDepth else {
                    throw error(event.start_mark, "the alias '*\(name)' nests lists and mappings deeper than "
                        + "\(maximumDepth) levels; expected at most \(maximumDepth) levels of nesting, aliases included")
                }
                added += node.characters
                guard Int(event.end_mark.index) + added <= maximumExpandedCharacters else {
                    throw error(event.start_mark, "the alias '*\(name)' expands the document past 16 Mi characters "
                        + "(\(maximumExpandedCharacters)); expected at most that with each alias replaced by the "
                        + "node it names (aliases of aliases grow exponentially)")
                }
                if !open.isEmpty {
                    open[open.count - 1].added += node.characters
                    open[open.count - 1].deepest = max(open[open.count - 1].deepest, level)
                }
            default:
                return
            }
        }
    }
}
