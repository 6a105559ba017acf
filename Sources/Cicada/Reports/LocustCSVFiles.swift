import Foundation

/// Locust's four CSV files for `--csv PREFIX` (``LocustCSV``): `PREFIX_stats.csv`, `PREFIX_failures.csv`
/// and `PREFIX_exceptions.csv` written when the run ends, `PREFIX_stats_history.csv` a row (or, with
/// `fullHistory`, a row per endpoint and one for all) each second as the run goes on. Every path is
/// checked when this is made, before any load; each file appears whole when the run ends (``ReportStream``).
/// An observer in a chain: it hands every event on to `next`. Used on the run's control thread.
public final class LocustCSVFiles: RunObserver {
    private let stats: ReportFile
    private let failures: ReportFile
    private let exceptions: ReportFile
    private let history: ReportStream
    private let fullHistory: Bool
    /// The observer that every event is handed on to.
    public var next: (any RunObserver)?

    /// - Throws: ``CicadaError`` naming the first file that cannot be written.
    public init(prefix: String, fullHistory: Bool, next: (any RunObserver)? = nil) throws {
        // An empty prefix would put `_stats.csv` and its siblings, hidden-looking, in the current directory.
        guard !prefix.isEmpty else { throw CicadaError("the CSV prefix is empty: give a path prefix such as out/run") }
        stats = try ReportFile(path: prefix + "_stats.csv")
        failures = try ReportFile(path: prefix + "_failures.csv")
        exceptions = try ReportFile(path: prefix + "_exceptions.csv")
        history = try ReportFile(path: prefix + "_stats_history.csv").stream()
        self.fullHistory = fullHistory
        self.next = next
        history.append(LocustCSV.historyHeader())
    }

    /// The file names, for messages.
    public var paths: [String] { [stats.path, history.path, failures.path, exceptions.path] }

    public func runStarted(target: String, threads: Int) { next?.runStarted(target: target, threads: threads) }

    public func report(_ progress: RunProgress) { next?.report(progress) }

    public func stopping(reason: String) { next?.stopping(reason: reason) }

    public func intervalClosed(_ tick: HistoryTick) {
        history.append(LocustCSV.historyRows(tick, fullHistory: fullHistory))
        next?.intervalClosed(tick)
    }

    /// Writes the three end-of-run files and puts the history in place.
    /// - Throws: the first file that could not be written; the others are still written.
    public func finish(_ result: RunResult) throws {
        var first: (any Error)?
        func attempt(_ write: () throws -> Void) {
            do { try write() } catch { first = first ?? error }
        }
        attempt { try stats.write(Data(LocustCSV.stats(result.statistics, duration: result.statisticsDuration).utf8)) }
        attempt { try failures.write(Data(LocustCSV.failures(result.statistics, startedAt: result.startedAt).utf8)) }
        attempt { try exceptions.write(Data(LocustCSV.exceptions().utf8)) }
        attempt { try history.commit() }
        if let first { throw first }
    }
}
