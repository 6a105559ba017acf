import Cicada
import CicadaWeb

/// A run made ready by ``RunCommand/prepare(web:)`` on its control thread: the run, what steers and
/// watches it, and the report files it writes when it ends
/// (``RunCommand/finish(_:result:keepReports:chartLibrary:startedFrom:)``).
struct PreparedRun {
    let run: LoadRun
    /// The target's base URL, as the run was given it.
    let target: String
    /// Steers the run's shape; only a web run's shape reads it.
    let control: LoadControl
    /// The page's seconds; in the observer chain only of a web run.
    let feed: LiveFeed
    /// The head of the observer chain, handed to ``LoadRun/run(observer:)``.
    let observer: any RunObserver
    let watcher: ThresholdWatcher
    let reporter: ConsoleReporter
    let evaluator: ThresholdEvaluator
    let console: ConsoleStream
    let errors: ConsoleStream
    let findLimit: LimitSearch?
    let jsonFile: ReportFile?
    let junitFile: ReportFile?
    let htmlFile: (ReportFile, String)?
    let csvFiles: LocustCSVFiles?
    let hdrLog: HdrIntervalLog?
    /// The most users the engine was prepared for.
    let userCapacity: Int
    let isOpenModel: Bool
    let hasStages: Bool
}
