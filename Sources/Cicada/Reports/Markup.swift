/// Escaping for the reports written as markup: the JUnit XML file and the HTML report.
enum Markup {
    /// Text for an XML or HTML attribute or element (XML 1.0 section 2.4): the five special characters
    /// escaped, and control characters, which XML 1.0 cannot hold, as U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(scalar.value < 0x20 ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }
}
