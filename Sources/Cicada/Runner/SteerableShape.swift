import Synchronization

/// Changes a running load from another thread (the web UI's scale and skip): a new user count and spawn
/// rate, or a new arrival rate, for the rest of the current stage (for the whole run when it has no
/// stages), and skipping to the next stage. ``SteerableShape`` reads it at each tick, on the control thread;
/// any thread may steer. The numbers are checked by the caller with ``SettingBounds``, as the command line's.
///
/// ```swift
/// let control = LoadControl()
/// let shape = SteerableShape(base: try StagedShape(stages), control: control)
/// // … while the run goes on, from the web server's thread:
/// control.scale(users: 50, spawnRate: 10)
/// control.skipStage()
/// ```
public final class LoadControl: Sendable {
    private struct State {
        var users: (count: Int, spawnRate: Double)?
        var arrivalRate: Double?
        /// The stage the override was given in; a new stage drops it. `nil` with no stages.
        var overriddenStage: String??
        var skipRequested = false
        /// Seconds added to the run's elapsed time before the base shape is asked: the stages skipped.
        var offset = 0.0
    }

    private let state = Mutex(State())

    public init() {}

    /// Aims for `users` at `spawnRate` from the next tick on, until the stage ends. Any thread.
    public func scale(users: Int, spawnRate: Double) {
        state.withLock {
            $0.users = (users, spawnRate)
            $0.overriddenStage = .none
        }
    }

    /// The open model: `perSecond` iterations from the next tick on, until the stage ends. Any thread.
    public func scale(arrivalRate perSecond: Double) {
        state.withLock {
            $0.arrivalRate = perSecond
            $0.overriddenStage = .none
        }
    }

    /// Ends the current stage at the next tick; the next stage starts then, from its own beginning (a
    /// skipped last stage ends the run). Any thread.
    public func skipStage() {
        state.withLock { $0.skipRequested = true }
    }

    /// The base shape's target at `elapsed` with the overrides applied. Control thread.
    fileprivate func target(of base: any LoadShape, elapsed: Double) -> LoadTarget? {
        state.withLock { state in
            guard var target = base.tick(elapsed: elapsed + state.offset) else { return nil }
            if state.skipRequested {
                state.skipRequested = false
                if let remaining = target.stageRemaining {
                    // Just past the stage's end, so that the next tick lands in the next stage.
                    state.offset += remaining + 1e-6
                    state.users = nil
                    state.arrivalRate = nil
                    guard let next = base.tick(elapsed: elapsed + state.offset) else { return nil }
                    target = next
                }
            }
            if case .none = state.overriddenStage {
                state.overriddenStage = .some(target.stage)
            } else if case let .some(stage) = state.overriddenStage, stage != target.stage {
                state.users = nil
                state.arrivalRate = nil
                state.overriddenStage = .none
            }
            if let (users, spawnRate) = state.users, target.arrivalRate == nil {
                target.users = users
                target.spawnRate = spawnRate
            }
            if let rate = state.arrivalRate, target.arrivalRate != nil {
                target.arrivalRate = rate
                target.arrivalRateTarget = rate
            }
            return target
        }
    }
}

/// A shape that a ``LoadControl`` steers: `base`'s targets, with the control's overrides and skips.
public struct SteerableShape: LoadShape {
    public let base: any LoadShape
    public let control: LoadControl

    public init(base: any LoadShape, control: LoadControl) {
        self.base = base
        self.control = control
    }

    public func tick(elapsed: Double) -> LoadTarget? {
        control.target(of: base, elapsed: elapsed)
    }
}
