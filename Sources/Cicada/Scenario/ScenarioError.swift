/// A scenario file that cannot be run, with the place in the file and what was expected there.
///
/// Its description is the form compilers and editors understand, `file:line:column: message`:
///
/// ```
/// audio-api.yaml:12:9: unknown key 'wieght' in a task; did you mean 'weight'? Allowed: name, weight, ...
/// ```
public struct ScenarioError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file's path as it was given, or the `file` argument of ``Scenario/parse(yaml:file:)``.
    public var file: String
    /// The 1-based line of the offending YAML node; 0 when the error has no place (an unreadable file).
    public var line: Int
    /// The 1-based column, counted in Unicode scalars as libyaml counts them; 0 when ``line`` is 0.
    public var column: Int
    /// What is wrong and the expected form, such as `expected an integer weight ≥ 0, got 'abc'`.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, or `file: message` when the error has no place.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// A value that does not have the expected form: a duration, a wait time, a URL, a header, a method.
///
/// The message names the value and the form expected, such as
/// `invalid duration '5x': expected seconds (90, 1.5) or a duration such as 250ms, 30s, 5m, 1h30m`.
/// The YAML loader turns it into a ``ScenarioError`` at the value's place; the command line prints it
/// for an option.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, naming the value and the expected form.
    public var message: String

    /// Creates an error with a message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
