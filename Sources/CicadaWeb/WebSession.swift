import Cicada
import Foundation
import Synchronization

/// The web UI's one run at a time: starts it through the ``RunLauncher``, steers it (scale, skip a stage,
/// reset the statistics, stop) and keeps the last finished run's reports for download. Any thread; every
/// action returns at once. Numbers from the page or the API are read by ``SettingBounds``, as the command
/// line's, and refused with its messages.
public final class WebSession: Sendable {
    public let launcher: any RunLauncher
    /// The per-process token the page carries on each control request (``WebGuard``).
    public let token: String

    private struct State {
        var current: StartedRun?
        /// Runs started so far; the current one's number.
        var runNumber = 0
        var reports: RunReports?
        /// What went wrong with the last run, when it failed.
        var message: String?
        /// Whether the current run's reports (or its failure) are in: its thread is done.
        var finished = true
    }

    private let state = Mutex(State())
    /// Signalled each time a run's thread is done (``waitForFinish(timeout:)``).
    private let finishedSignal = DispatchSemaphore(value: 0)

    public init(launcher: any RunLauncher, token: String = WebSession.makeToken()) {
        self.launcher = launcher
        self.token = token
    }

    /// 32 random hex digits.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// The run in progress or the last one, with its number and whether its thread is done.
    public var snapshot: (run: StartedRun?, number: Int, finished: Bool, message: String?, reports: RunReports?) {
        state.withLock { ($0.current, $0.runNumber, $0.finished, $0.message, $0.reports) }
    }

    /// Starts a run; returns its number.
    /// - Throws: ``WebError`` 409 while a run goes on; 400 for what the command line would refuse.
    @discardableResult
    public func start(_ fields: StartFields) throws -> Int {
        let number = try state.withLock { state -> Int in
            guard state.finished else { throw WebError.conflict("a run is going on: stop it before starting another") }
            state.finished = false
            state.runNumber += 1
            // The last run's reports go with it: the next run's come when it ends.
            state.reports = nil
            state.message = nil
            return state.runNumber
        }
        do {
            let started = try launcher.launch(fields) { [self] outcome in
                state.withLock { state in
                    guard state.runNumber == number else { return }
                    switch outcome {
                    case .success(let reports):
                        state.reports = reports
                    case .failure(let error):
                        state.message = error.message
                    }
                    state.finished = true
                }
                finishedSignal.signal()
            }
            state.withLock { state in
                state.current = started
                state.message = nil
            }
        } catch {
            state.withLock { state in
                state.finished = true
                state.runNumber -= 1
            }
            throw error
        }
        return number
    }

    /// The run going on, or 409.
    private func running() throws -> StartedRun {
        try state.withLock { state in
            guard !state.finished, let run = state.current, run.run.progress.phase != .finished else {
                throw WebError.conflict("no run is going on")
            }
            return run
        }
    }

    /// Stops the run as its run time would. Returns whether one was going on.
    @discardableResult
    public func stop(reason: String = "stopped from the web UI") -> Bool {
        guard let run = try? running() else { return false }
        run.run.stop(reason: reason)
        return true
    }

    /// Changes the load for the rest of the current stage (the whole run without stages).
    /// - Throws: ``WebError`` 409 with no run; 400 for a number out of bounds, a user count above the
    ///   run's capacity, users for an open-model run or a rate for a run of users.
    public func scale(users: String?, spawnRate: String?, arrivalRate: String?) throws {
        let run = try running()
        func read<Value>(_ bound: SettingBound<Value>, _ text: String, _ field: String) throws -> Value {
            do { return try bound.parse(text) } catch let error as InputError { throw WebError.badInput("\(field): \(error.message)", field: field) }
        }
        if run.isOpenModel {
            guard users == nil, spawnRate == nil else {
                throw WebError.badInput("this run follows an arrival rate: change arrival_rate, not users", field: "users")
            }
            guard let arrivalRate else { throw WebError.badInput("give arrival_rate, in iterations per second", field: "arrival_rate") }
            run.control.scale(arrivalRate: try read(SettingBounds.stageArrivalRate, arrivalRate, "arrival_rate"))
            return
        }
        guard arrivalRate == nil else {
            throw WebError.badInput("this run is of users: change users and spawn_rate; an arrival rate needs a run started with one", field: "arrival_rate")
        }
        guard let users else { throw WebError.badInput("give users, the user count to move to", field: "users") }
        let count = try read(SettingBounds.stageUsers, users, "users")
        guard count <= run.userCapacity else {
            throw WebError.badInput("users: expected at most \(run.userCapacity), the most this run was prepared for", field: "users")
        }
        let rate = try spawnRate.map { try read(SettingBounds.spawnRate, $0, "spawn_rate") } ?? Double(max(count, 1))
        run.control.scale(users: count, spawnRate: rate)
    }

    /// Ends the current stage now.
    /// - Throws: ``WebError`` 409 with no run or a run without stages.
    public func skipStage() throws {
        let run = try running()
        guard run.hasStages else { throw WebError.conflict("this run has no stages to skip") }
        run.control.skipStage()
    }

    /// Starts the whole run's statistics again (Locust's reset). Returns whether a run was going on.
    @discardableResult
    public func resetStatistics() -> Bool {
        guard let run = try? running() else { return false }
        run.run.resetStatistics()
        return true
    }

    /// Waits until the current run's thread is done (its reports written); true when it is.
    public func waitForFinish(timeout: Double) -> Bool {
        if state.withLock({ $0.finished }) { return true }
        guard finishedSignal.wait(timeout: .now() + timeout) == .success else { return false }
        finishedSignal.signal()
        return state.withLock { $0.finished }
    }
}
