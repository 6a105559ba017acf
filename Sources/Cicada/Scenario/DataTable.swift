import CSV
import Foundation

/// The rows of a data file, read when the scenario loads: named columns and rows of text.
///
/// CSV (RFC 4180) is parsed by CSV.swift. That parser is lenient (it never reports an error), so the file
/// is first scanned here for what would make it mean something else than it seems: a quote that is never
/// closed, text after a closing quote, a row with more or fewer fields than the header. Each is an
/// error naming the file and the line, so that a mistake in row 40,000 is found before the run, not in it.
///
/// ```swift
/// let users = try DataTable(csvFile: "users.csv")    // username,password\nalice,demo\n...
/// users.columns                                      // ["username", "password"]
/// users.rows[0]                                      // ["alice", "demo"]
/// ```
public struct DataTable: Sendable, Equatable {
    /// The column names: the header row's fields, or `1`, `2`, ... for a file without a header.
    public var columns: [String]
    /// The rows, each with one field per column.
    public var rows: [[String]]

    /// The largest data file read.
    public static let largestFile = SettingBounds.bodyBytes
    /// The most rows a data file may have.
    public static let largestRowCount = 10_000_000

    /// Creates a table.
    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Reads a CSV file. Empty lines are skipped.
    /// - Parameter header: whether the first row names the columns; without one they are `1`, `2`, ...
    /// - Throws: ``InputError`` naming the file and, for a malformed one, the line.
    public init(csvFile path: String, header: Bool = true) throws {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path, limit: Self.largestFile, largest: "data file")
        } catch let error as InputError {
            throw InputError("cannot read the data file '\(path)': \(error.message)")
        }
        let text: String
        switch decodeUTF8(bytes) {
        case .success(let decoded): text = decoded
        case .failure(let place):
            throw InputError("the data file '\(path)' is not UTF-8 text at line \(place.line); expected a UTF-8 CSV file")
        }
        try self.init(csv: text, header: header, file: path)
    }

    /// Parses CSV text; `file` names it in errors.
    public init(csv text: String, header: Bool = true, file: String) throws {
        var body = Substring(text)
        if body.unicodeScalars.first == "\u{FEFF}" { body.unicodeScalars.removeFirst() }
        let records = try Self.scan(String(body), file: file)
        let reader: CSVReader
        do {
            reader = try CSVReader(string: String(body), hasHeaderRow: false)
        } catch {
            throw InputError("the data file '\(file)' cannot be parsed: \(error)")
        }
        var parsed: [[String]] = []
        while let row = reader.next() {
            if row == [""] { continue } // an empty line
            parsed.append(row)
        }
        // The scan and the parser read RFC 4180 alike; if they ever disagree, the scan's lines are wrong.
        guard parsed.count == records.count else {
            throw InputError("the data file '\(file)' has \(parsed.count) rows but \(records.count) records were found; "
                + "expected RFC 4180 CSV")
        }
        guard !parsed.isEmpty else {
            throw InputError("the data file '\(file)' has no rows; expected \(header ? "a header row and " : "")at least one row")
        }
        let columns: [String]
        var rows = parsed
        var lines = records.map(\.line)
        if header {
            columns = rows.removeFirst()
            lines.removeFirst()
            for (index, name) in columns.enumerated() {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else {
                    throw InputError("the data file '\(file)' line \(records[0].line): column \(index + 1) of the header "
                        + "has no name; expected a name for each column")
                }
                if let first = columns.firstIndex(of: name), first < index {
                    throw InputError("the data file '\(file)' line \(records[0].line): the header names column '\(name)' "
                        + "twice (columns \(first + 1) and \(index + 1)); expected unique column names")
                }
            }
            guard !rows.isEmpty else {
                throw InputError("the data file '\(file)' has a header but no rows; expected at least one row")
            }
        } else {
            columns = (1...parsed[0].count).map(String.init)
        }
        guard rows.count <= Self.largestRowCount else {
            throw InputError("the data file '\(file)' has \(rows.count) rows; expected at most \(Self.largestRowCount)")
        }
        for (index, row) in rows.enumerated() where row.count != columns.count {
            throw InputError("the data file '\(file)' line \(lines[index]): the row has \(row.count) "
                + "field\(row.count == 1 ? "" : "s") but the \(header ? "header has" : "first row has") \(columns.count); "
                + "expected \(columns.count) fields in every row (quote a field that holds a comma)")
        }
        self.columns = columns
        self.rows = rows
    }

    /// The line each record starts on, skipping empty lines, with RFC 4180's quoting checked.
    private static func scan(_ text: String, file: String) throws -> [(line: Int, fields: Int)] {
        var records: [(line: Int, fields: Int)] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quoteLine = 0
        var afterQuote = false
        var atFieldStart = true
        var recordEmpty = true
        var fields = 1
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func endRecord() {
            if !recordEmpty { records.append((recordLine, fields)) }
            recordEmpty = true
            fields = 1
            atFieldStart = true
            afterQuote = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" {
                        i += 2
                        continue
                    }
                    inQuotes = false
                    afterQuote = true
                } else if c == "\n" {
                    line += 1
                }
                i += 1
                continue
            }
            switch c {
            case "\"":
                guard atFieldStart else {
                    throw InputError("the data file '\(file)' line \(line): a quote inside an unquoted field; "
                        + "expected a field that holds quotes to be quoted, with each quote doubled (\"a \"\"b\"\"\")")
                }
                if recordEmpty { recordLine = line }
                inQuotes = true
                quoteLine = line
                recordEmpty = false
                atFieldStart = false
            case ",":
                if recordEmpty { recordLine = line }
                recordEmpty = false
                fields += 1
                atFieldStart = true
                afterQuote = false
            case "\r", "\n":
                if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                line += 1
            default:
                if afterQuote {
                    throw InputError("the data file '\(file)' line \(line): text after a closing quote; "
                        + "expected a comma or the end of the line after a quoted field")
                }
                if recordEmpty { recordLine = line }
                recordEmpty = false
                atFieldStart = false
            }
            i += 1
        }
        if inQuotes {
            throw InputError("the data file '\(file)' line \(quoteLine): a quoted field is not closed; "
                + "expected a closing quote")
        }
        endRecord()
        return records
    }
}
