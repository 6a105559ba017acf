import Cicada
import Foundation
import Synchronization

/// The web UI's one run at a time: starts it through the ``RunLauncher``, steers it (scale, skip a stage,
/// reset the statistics, stop) and keeps the last finished run's reports for download. Any thread; every
/// action but ``start(_:)`` (which prepares the run) returns at once. Numbers from the page or the API are
/// read by ``SettingBounds``, as the command line's, and refused with its messages. The rules of the slot
/// are ``RunSlot``'s.
public final class WebSession: Sendable {
    public let launcher: any RunLauncher
    /// The per-process token the page carries on each control request (``WebGuard``).
    public let token: String

    private let slot = Mutex(RunSlot())
    /// Woken each time a run's thread is done (``waitForFinish(timeout:)``).
    private let ended = NSCondition()

    public init(launcher: any RunLauncher, token: String = WebSession.makeToken()) {
        self.launcher = launcher
        self.token = token
    }

    /// 32 random hex digits.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// One consistent view of the slot: the current (or last) run, its number, whether its thread is done,
    /// what went wrong and its reports.
    public struct Snapshot: Sendable {
        public var run: StartedRun?
        public var number: Int
        public var finished: Bool
        public var message: String?
        public var reports: RunReports?
    }

    public var snapshot: Snapshot {
        slot.withLock { Snapshot(run: $0.current, number: $0.runNumber, finished: $0.finished, message: $0.message, reports: $0.reports) }
    }

    /// Prepares and starts a run; returns its number once it runs. Blocks while the run is prepared (the
    /// host resolved, the workers made): call it off the server's event loops.
    /// - Throws: ``WebError`` 409 while a run goes on, 503 once the UI is quitting; 400 for what the command
    ///   line would refuse.
    @discardableResult
    public func start(_ fields: StartFields) throws -> Int {
        let number: Int
        do {
            number = try slot.withLock { slot throws(RunSlot.Refusal) in try slot.begin() }
        } catch .busy {
            throw WebError.conflict("a run is going on: stop it before starting another")
        } catch {
            throw WebError(.serviceUnavailable, "the web UI is quitting")
        }
        do {
            let started = try launcher.launch(fields) { [self] outcome in
                slot.withLock { $0.ended(number, outcome) }
                ended.lock()
                ended.broadcast()
                ended.unlock()
            }
            let late = slot.withLock { slot in
                slot.started(started, number: number)
                return slot.closed
            }
            // Quitting began while this run was prepared: it stops at once and writes its reports.
            if late { started.run.stop(reason: "interrupted") }
        } catch {
            slot.withLock { $0.launchFailed(number) }
            throw error
        }
        return number
    }

    /// The run going on, or 409.
    private func running() throws -> StartedRun {
        try slot.withLock { slot in
            guard !slot.finished, let run = slot.current, run.run.progress.phase != .finished else {
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

    /// The UI is quitting: refuses new starts and stops the run going on. Returns whether one was.
    @discardableResult
    public func close() -> Bool {
        guard let run = slot.withLock({ $0.close() }) else { return false }
        run.run.stop(reason: "interrupted")
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
        // Without a spawn rate the users move at once (LoadTarget's 0), as a stage of spawn rate 0 would.
        let rate = try spawnRate.map { try read(SettingBounds.spawnRate, $0, "spawn_rate") } ?? 0
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

    /// Waits until the current run's thread is done (its reports written), at most `timeout` seconds;
    /// true when it is.
    public func waitForFinish(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        ended.lock()
        defer { ended.unlock() }
        while !slot.withLock({ $0.finished }) {
            guard ended.wait(until: deadline) else { return slot.withLock { $0.finished } }
        }
        return true
    }
}
