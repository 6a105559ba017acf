/// The exit codes of `cicada run`, the one place they are numbered (README's table and `--help` say the same).
enum RunExitCode {
    /// No thresholds were given and at least one request failed.
    static let requestFailed: Int32 = 1
    /// A usage, scenario or setup error; no load was sent (``SetupError``).
    static let usage: Int32 = 2
    /// A threshold failed, or an `abortOnFail` threshold stopped the run.
    static let thresholdFailed: Int32 = 3
    /// The run ended but a report file (`--json`, `--junit`) could not be written.
    static let reportNotWritten: Int32 = 4
}
