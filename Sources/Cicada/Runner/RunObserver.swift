/// Live progress of a run, called on its control thread (the thread that runs ``LoadRun/run(observer:)``),
/// so an observer needs no lock of its own. Another thread reads ``LoadRun/progress`` instead.
public protocol RunObserver: AnyObject {
    func runStarted(target: String, threads: Int)
    /// Every report interval while the run goes on.
    func report(_ progress: RunProgress)
    func stopping(reason: String)
}
