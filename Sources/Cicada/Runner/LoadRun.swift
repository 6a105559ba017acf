import Dispatch
import Foundation
import Synchronization

/// One run of a plan against a target. It runs on one thread, its *control thread*: the thread that
/// made it, which made the C engine and alone drives it. Any thread may watch its ``progress``, ask it
/// to ``stop(reason:)`` and ``wait()`` for its result. Runs share nothing, so a process may make as many
/// as it likes, one after another or side by side.
///
/// On the calling thread, as the command line runs it:
///
/// ```swift
/// let run = try LoadRun(plan: plan, engine: options, configuration: configuration)
/// signalSource.setEventHandler { run.stop(reason: "interrupted") }   // from another thread
/// let result = try run.run(observer: reporter)                     // returns when the run has ended
/// ```
///
/// On a thread of its own, as a web UI starts one:
///
/// ```swift
/// let run = try LoadRun.start(plan: plan, engine: options, configuration: configuration)
/// let requests = run.progress.statistics.aggregated.requests     // any thread, any time
/// run.stop()
/// let result = try run.wait()
/// ```
public final class LoadRun: Sendable {
    public let configuration: RunConfiguration
    /// The engine and everything fed from it, on the control thread; taken by ``run(observer:)``.
    private let driver: ControlThreadBox<RunDriver>
    private let state: Mutex<State>
    /// Signalled once, when the run has ended; each waiter passes the signal on.
    private let ended = DispatchSemaphore(value: 0)

    private struct State {
        var stopReason: String?
        var resetRequested = false
        var progress: RunProgress
        var outcome: Result<RunResult, CicadaError>?
    }

    /// Prepares a run on the calling thread, which becomes its control thread: resolves the target and
    /// prepares the workers (reading any TLS files), so that a bad target fails here, before any load.
    /// Run it with ``run(observer:)`` on the same thread. A run that is never run should be released on
    /// that thread too, since releasing it frees the engine.
    /// - Throws: ``CicadaError`` when the host does not resolve or an option is out of range.
    public init(plan: CompiledPlan, engine options: EngineOptions, configuration: RunConfiguration) throws {
        let engine = try LoadEngine(plan: plan, options: options)
        self.configuration = configuration
        self.driver = ControlThreadBox(RunDriver(engine: engine, configuration: configuration))
        self.state = Mutex(State(progress: RunProgress(phase: .ready, elapsed: 0, usersActive: 0,
                                                       statistics: RunStatistics(endpoints: plan.endpoints, failureNames: plan.failureNames))))
    }

    /// Prepares a run on a new thread and runs it there, returning as soon as it is prepared.
    /// - Parameter observer: called on the run's thread, which it is handed to.
    /// - Throws: what ``init(plan:engine:configuration:)`` throws; the run has then not started.
    public static func start(plan: CompiledPlan, engine options: EngineOptions, configuration: RunConfiguration,
                             observer: sending (any RunObserver)? = nil) throws -> LoadRun {
        let handoff = Handoff(observer: observer)
        let thread = Thread {
            let prepared = Result { try LoadRun(plan: plan, engine: options, configuration: configuration) }
            let observer = handoff.hand(prepared)
            _ = try? prepared.get().run(observer: observer)
        }
        thread.name = "cicada run"
        thread.start()
        return try handoff.receive().get()
    }

    /// Runs to the end on the control thread and returns what happened; ``wait()`` returns it too. A run
    /// runs once.
    /// - Parameter observer: called on this thread with the run's progress.
    /// - Throws: ``CicadaError`` when the engine refuses a command (a spawn beyond its capacity).
    @discardableResult
    public func run(observer: (any RunObserver)? = nil) throws -> RunResult {
        guard let driver = driver.take() else { preconditionFailure("a LoadRun runs once; make another for another run") }
        let outcome: Result<RunResult, CicadaError>
        do {
            outcome = .success(try driver.run(
                observer: observer,
                stopRequest: { state.withLock { $0.stopReason } },
                resetRequest: { state.withLock { state in defer { state.resetRequested = false }; return state.resetRequested } },
                publish: { progress in state.withLock { $0.progress = progress } }))
        } catch let error as CicadaError {
            outcome = .failure(error)
        }
        state.withLock { state in
            state.outcome = outcome
            state.progress.phase = .finished
            if case let .success(result) = outcome {
                state.progress.statistics = result.statistics
                state.progress.stages = result.stages
                state.progress.elapsed = result.duration
                state.progress.usersActive = 0
                state.progress.statisticsSince = result.statisticsSince
            }
        }
        ended.signal()
        return try outcome.get()
    }

    /// Asks the run to stop as if its run time had ended: no new request starts, and requests in flight
    /// have the stop timeout to finish. Any thread; returns at once. Before the run starts, it makes the
    /// run end as soon as it starts.
    /// - Returns: true when this was the first request to stop, false when one came before.
    @discardableResult
    public func stop(reason: String = "stop requested") -> Bool {
        state.withLock { state in
            guard state.stopReason == nil else { return false }
            state.stopReason = reason
            return true
        }
    }

    /// Starts the whole run's statistics again at the next tick, as Locust's reset: the table counts from
    /// then on (its dropped iterations too); the history and the stages keep theirs. Any thread; returns at once.
    public func resetStatistics() {
        state.withLock { $0.resetRequested = true }
    }

    /// The run's phase and its statistics as of the last report interval (the whole run once finished).
    /// Any thread.
    public var progress: RunProgress {
        state.withLock { $0.progress }
    }

    /// Waits until the run has ended and returns its result, or throws what ended it. Any thread but the
    /// control thread, which would wait for itself; several threads may wait at once.
    public func wait() throws -> RunResult {
        precondition(!driver.isOwningThread, "the control thread waits for its own run to end")
        ended.wait()
        ended.signal()
        return try state.withLock { $0.outcome! }.get()
    }
}

/// Passes the observer to a new run's thread and the prepared run (or the reason it failed) back.
private final class Handoff: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    // Written by one thread before `ready` is signalled, read by the other after: the semaphore orders them.
    private var observer: (any RunObserver)?
    private var prepared: Result<LoadRun, any Error>?

    init(observer: sending (any RunObserver)?) {
        self.observer = observer
    }

    /// On the run's thread: hands back the prepared run and takes the observer.
    func hand(_ prepared: Result<LoadRun, any Error>) -> (any RunObserver)? {
        let observer = self.observer
        self.observer = nil
        self.prepared = prepared
        ready.signal()
        return observer
    }

    /// On the starting thread: waits for the run to be prepared.
    func receive() -> Result<LoadRun, any Error> {
        ready.wait()
        return prepared!
    }
}
