import Foundation

/// The forms ``parseDuration(_:)`` accepts, for error messages.
let durationForms = "expected seconds (90, 1.5) or a duration such as 250ms, 30s, 5m, 1h, 1h30m"

/// The forms ``parseWait(_:)`` accepts, for error messages.
let waitForms = "expected seconds (2), a range (1-5), constant(2), between(1, 5), constant_pacing(3) "
    + "or constant_throughput(0.5)"

/// Parses a duration as Locust's `--run-time` does, into seconds.
///
/// A bare number is seconds: `90`, `1.5`. Otherwise it is numbers with units, largest first, each unit at
/// most once: `h`, `m`, `s`, `ms`. So `1h30m` is 5400, `1.5s` is 1.5 and `250ms` is 0.25.
///
/// - Throws: ``InputError`` naming the value and these forms; negative durations are refused.
public func parseDuration(_ s: String) throws -> Double {
    let text = s.trimmingCharacters(in: .whitespaces)
    func fail(_ problem: String? = nil) -> InputError {
        InputError("invalid duration '\(s)': " + (problem.map { $0 + "; " } ?? "") + durationForms)
    }
    if text.hasPrefix("-") { throw fail("a duration cannot be negative") }
    guard !text.isEmpty else { throw fail("it is empty") }

    let units: [(name: String, seconds: Double)] = [("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001)]
    var scalars = Substring(text).unicodeScalars[...]
    var total = 0.0
    var nextUnit = 0 // Units must come largest first, so only units from this index on may follow.
    while !scalars.isEmpty {
        let number = scalars.prefix(while: { ("0"..."9").contains($0) || $0 == "." })
        scalars = scalars.dropFirst(number.count)
        guard let value = parseDecimal(String(number)) else {
            throw fail(number.isEmpty ? "expected a number at '\(String(scalars))'" : nil)
        }
        let unit = String(scalars.prefix(while: { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }))
        scalars = scalars.dropFirst(unit.unicodeScalars.count)
        if unit.isEmpty {
            // A bare number is seconds, but only on its own: "1h30" is ambiguous.
            guard scalars.isEmpty, total == 0, nextUnit == 0 else { throw fail("a number without a unit") }
            total = value
            break
        }
        guard let index = units.firstIndex(where: { $0.name == unit }) else {
            throw fail("unknown unit '\(unit)'")
        }
        guard index >= nextUnit else { throw fail("units must go from largest to smallest, each once") }
        total += value * units[index].seconds
        nextUnit = index + 1
    }
    guard total.isFinite else { throw fail("it is too large") }
    return total
}

/// Parses a wait time: `2` (constant), `1-5` (between), or Locust's names `constant(2)`,
/// `between(1, 5)`, `constant_pacing(3)` and `constant_throughput(0.5)`.
///
/// Times are seconds and may carry units as ``parseDuration(_:)`` reads them (`between(500ms, 2s)`);
/// the argument of `constant_throughput` is tasks per second. Each is checked against
/// ``SettingBounds/wait`` or ``SettingBounds/throughput``.
///
/// - Throws: ``InputError`` naming the value and these forms.
public func parseWait(_ s: String) throws -> WaitTime {
    let wait = try parseWaitForm(s)
    try SettingBounds.checkWait(wait, written: s)
    return wait
}

/// The wait that `s` spells, before its times are checked against their bounds.
private func parseWaitForm(_ s: String) throws -> WaitTime {
    let text = s.trimmingCharacters(in: .whitespaces)
    func fail(_ problem: String) -> InputError { invalidWait(s, problem) }
    func seconds(_ arg: Substring) throws -> Double {
        let arg = arg.trimmingCharacters(in: .whitespaces)
        do {
            return try parseDuration(arg)
        } catch {
            throw fail(arg.hasPrefix("-") ? "'\(arg)' is negative" : "'\(arg)' is not a number of seconds")
        }
    }
    func between(_ low: Substring, _ high: Substring) throws -> WaitTime {
        .between(try seconds(low), try seconds(high))
    }

    if let open = text.firstIndex(of: "(") {
        let name = text[..<open].trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix(")") else { throw fail("no ')' at the end") }
        let args = text[text.index(after: open)..<text.index(before: text.endIndex)]
            .split(separator: ",", omittingEmptySubsequences: false)
        let arity = name == "between" ? 2 : 1
        let known = ["constant", "between", "constant_pacing", "constant_throughput"]
        guard known.contains(name) else {
            let hint = closestName(to: name, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            throw fail("unknown function '\(name)'\(hint)")
        }
        guard args.count == arity else {
            throw fail("\(name) takes \(arity == 1 ? "one argument" : "two arguments"), got \(args.count)")
        }
        switch name {
        case "constant": return .constant(try seconds(args[0]))
        case "between": return try between(args[0], args[1])
        case "constant_pacing": return .constantPacing(try seconds(args[0]))
        default:
            let arg = args[0].trimmingCharacters(in: .whitespaces)
            guard let rate = parseDecimal(arg), SettingBounds.throughput.contains(rate) else {
                throw fail("'\(arg)' is not \(SettingBounds.throughput.expected)")
            }
            return .constantThroughput(rate)
        }
    }
    if text.hasPrefix("-") { throw fail("a wait cannot be negative") }
    if let dash = text.firstIndex(of: "-") {
        return try between(text[..<dash], text[text.index(after: dash)...])
    }
    guard !text.isEmpty else { throw fail("it is empty") }
    return .constant(try seconds(Substring(text)))
}

/// The error for a wait time written as `written`: what is wrong with it, then the forms.
func invalidWait(_ written: String, _ problem: String) -> InputError {
    InputError("invalid wait time '\(written)': \(problem); \(waitForms)")
}

/// The forms ``parseTLSVersion(_:)`` accepts, for error messages.
let tlsVersionForms = "expected 1.2 or 1.3, also written TLSv1.2, TLSv1.3, tls1.2 or tls1.3"

/// Parses a TLS version as people write it: `1.2`, `1.3`, OpenSSL's `TLSv1.2` and `TLSv1.3`, or `tls1.2`,
/// `TLS 1.3`, in any case.
///
/// - Throws: ``InputError`` naming the value and these forms. TLS 1.0 and 1.1 are refused with their
///   reason: RFC 8996 deprecates them, and Cicada does not offer them.
public func parseTLSVersion(_ s: String) throws -> TLSVersion {
    let trimmed = s.trimmingCharacters(in: .whitespaces)
    var text = Substring(trimmed.lowercased())
    if text.hasPrefix("tlsv") {
        text = text.dropFirst(4)
    } else if text.hasPrefix("tls") {
        text = text.dropFirst(3)
        if text.first == " " { text = text.dropFirst() }
    }
    if let version = TLSVersion(rawValue: String(text)) { return version }
    let problem: String
    switch text {
    case _ where trimmed.isEmpty: problem = ": it is empty"
    case "1", "1.0", "1.1": problem = ": TLS 1.0 and 1.1 are deprecated (RFC 8996) and not offered"
    case _ where text.hasPrefix("ssl"): problem = ": SSL is insecure (RFC 7568) and not offered"
    default: problem = ""
    }
    throw InputError("invalid TLS version '\(s)'\(problem); \(tlsVersionForms)")
}

/// Reads an unsigned decimal such as `12`, `1.5` or `.5`; `nil` for anything else (signs, exponents,
/// `inf`, `nan`, hex), which `Double.init(_:)` would accept.
func parseDecimal(_ s: String) -> Double? {
    var digits = 0
    var dots = 0
    for c in s.utf8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "."): dots += 1
        default: return nil
        }
    }
    guard digits > 0, dots <= 1 else { return nil }
    return Double(s)
}

/// Formats seconds or a rate for a message or a description: `1`, `0.5`, `1.25`.
public func formatNumber(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}

/// The candidate nearest to a misspelt `name`, if it is near enough to be a typo: at most one edit in
/// three letters, where an edit is an insertion, a deletion, a substitution or a swap of neighbours
/// (`wieght` is one edit from `weight`).
public func closestName(to name: String, in candidates: [String]) -> String? {
    let a = Array(name.lowercased())
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let b = Array(candidate.lowercased())
        // d[i][j] is the distance between the first i characters of a and the first j of b.
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        let distance = d[a.count][b.count]
        if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    guard let best, best.distance <= max(1, best.name.count / 3) else { return nil }
    return best.name
}
