import Foundation

/// Reads samples out of Prometheus's text exposition format (version 0.0.4, also what OpenMetrics' text
/// form shares with it): `# HELP` and `# TYPE` lines are comments; a sample is `NAME`, optional
/// `{label="value",...}` (a value may hold `\"`, `\\`, `\n`, spaces, braces and commas), a value (a Go
/// float: `1.5`, `2e-3`, `+Inf`, `-Inf`, `NaN`) and an optional timestamp.
///
/// ```swift
/// let text = "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n"
/// PrometheusText.sums(of: ["process_cpu_seconds_total"], in: text)   // ["process_cpu_seconds_total": 12.5]
/// ```
public enum PrometheusText {
    /// One sample line.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// Every sample of `text` whose name is in `names` (every sample when `names` is nil). Lines that do not
    /// parse are skipped: a scrape is read for what it has, and one odd line of another metric must not
    /// hide the ones asked for.
    public static func samples(in text: String, named names: Set<String>? = nil) -> [Sample] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            guard let sample = sample(line), names?.contains(sample.name) ?? true else { return nil }
            return sample
        }
    }

    /// The sum of each named metric's finite samples over all its label sets (one, for the `process_*`
    /// series); a name with no sample is absent.
    public static func sums(of names: Set<String>, in text: String) -> [String: Double] {
        var sums: [String: Double] = [:]
        for sample in samples(in: text, named: names) where sample.value.isFinite {
            sums[sample.name, default: 0] += sample.value
        }
        return sums
    }

    /// The sum of metric `name`'s finite samples whose labels include every pair of `labels`.
    public static func sum(_ name: String, labels: [String: String] = [:], in samples: [Sample]) -> Double {
        samples.reduce(0) { total, sample in
            guard sample.name == name, sample.value.isFinite,
                  labels.allSatisfy({ sample.labels[$0.key] == $0.value }) else { return total }
            return total + sample.value
        }
    }

    /// One sample line, or `nil` for a comment, a blank or a malformed line.
    static func sample(_ line: Substring) -> Sample? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        guard let first = rest.first, first != "#" else { return nil }
        let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
        guard let initial = name.first, !initial.isNumber else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            guard let (parsed, after) = self.labels(rest.dropFirst()) else { return nil }
            labels = parsed
            rest = after
        }
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard (1...2).contains(fields.count), let value = goFloat(fields[0]) else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }

    /// `name="value",...}` and what follows the `}`; `nil` when malformed.
    private static func labels(_ text: Substring) -> ([String: String], Substring)? {
        var labels: [String: String] = [:]
        var rest = text
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            if rest.first == "}" { return (labels, rest.dropFirst()) }
            let key = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard !key.isEmpty else { return nil }
            rest = rest.dropFirst(key.count)
            guard rest.hasPrefix("=\"") else { return nil }
            rest = rest.dropFirst(2)
            var value = ""
            var escaped = false, closed = false
            while let c = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    closed = true
                    break
                } else {
                    value.append(c)
                }
            }
            guard closed else { return nil }
            labels[String(key)] = value
        }
    }

    /// A value as Prometheus writes it: a decimal or exponent number, `+Inf`, `-Inf` or `NaN`.
    static func goFloat(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(text)
        }
    }
}
