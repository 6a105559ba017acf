import Cicada

/// The web UI's one run at a time, as a value: which run is current, whether its thread is done, its
/// reports or what went wrong, and whether the UI is quitting. ``WebSession`` keeps it under a lock and
/// applies each event to it; the rules are here, where a test drives them without a server.
struct RunSlot {
    enum Refusal: Error, Equatable {
        /// A run is going on (or its reports are being written).
        case busy
        /// The UI is quitting: no new run.
        case closed
    }

    /// Runs started so far; the current one's number.
    private(set) var runNumber = 0
    private(set) var current: StartedRun?
    private(set) var reports: RunReports?
    /// What went wrong with the current run, when it failed.
    private(set) var message: String?
    /// Whether the current run's thread is done: its reports are in, or its failure.
    private(set) var finished = true
    private(set) var closed = false

    /// A start is asked for: the new run's number, or why not. The last run's reports go with it.
    mutating func begin() throws(Refusal) -> Int {
        guard !closed else { throw .closed }
        guard finished else { throw .busy }
        finished = false
        runNumber += 1
        reports = nil
        message = nil
        current = nil
        return runNumber
    }

    /// The launch of run `number` failed before it started: the slot is free again, and the number unused.
    mutating func launchFailed(_ number: Int) {
        guard number == runNumber, current == nil, !finished else { return }
        runNumber -= 1
        finished = true
    }

    /// Run `number` is running: it becomes current (its thread may have ended already: that is kept).
    mutating func started(_ run: StartedRun, number: Int) {
        guard number == runNumber else { return }
        current = run
    }

    /// Run `number`'s thread is done, with its reports or what went wrong.
    mutating func ended(_ number: Int, _ outcome: Result<RunReports, WebError>) {
        guard number == runNumber else { return }
        switch outcome {
        case .success(let done): reports = done
        case .failure(let error): message = error.message
        }
        finished = true
    }

    /// The UI is quitting: no run starts from now on. Returns the run still going on, to stop.
    mutating func close() -> StartedRun? {
        closed = true
        return finished ? nil : current
    }
}
