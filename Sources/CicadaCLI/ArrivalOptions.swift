import ArgumentParser
import Cicada

/// The open model's options (k6's arrival-rate executors): iterations at a rate instead of users in a loop.
struct ArrivalOptions: ParsableArguments {
    @Option(name: .customLong("arrival-rate"), parsing: .unconditional,
            help: "The open model: start this many iterations (one task each) per second, whatever the target's speed, \(SettingBounds.arrivalRate.rangeText); not with -u or -r (default: the scenario's run.arrival_rate).",
            transform: { try SettingBounds.arrivalRate.parse($0) })
    var arrivalRate: Double?

    @Option(name: .customLong("max-users"), parsing: .unconditional,
            help: "The open model: the most users alive at once, \(SettingBounds.maxUsers.rangeText) (default: the pre-allocated users).",
            transform: { try SettingBounds.maxUsers.parse($0) })
    var maxUsers: Int?

    @Option(name: .customLong("pre-allocated-users"), parsing: .unconditional,
            help: "The open model: users started before the first iteration, \(SettingBounds.preAllocatedUsers.rangeText) (default: a second's iterations at the highest rate, at most --max-users).",
            transform: { try SettingBounds.preAllocatedUsers.parse($0) })
    var preAllocatedUsers: Int?

    @Option(name: .customLong("on-saturation"),
            help: "The open model: an iteration that finds no free user is dropped and counted (drop, k6's rule) or waits for one (queue, wrk2's rule; its latency counts from its due time) (default: drop).",
            transform: { try ArrivalModel.Saturation.parse($0) })
    var onSaturation: ArrivalModel.Saturation?

    @Option(name: .customLong("queue-limit"), parsing: .unconditional,
            help: "With --on-saturation queue: iterations that may wait, \(SettingBounds.queueLimit.rangeText); past it they are dropped (default \(ArrivalModel.defaultQueueLimit)).",
            transform: { try SettingBounds.queueLimit.parse($0) })
    var queueLimit: Int?

    /// Whether any of these options was given.
    var isGiven: Bool {
        arrivalRate != nil || maxUsers != nil || preAllocatedUsers != nil || onSaturation != nil || queueLimit != nil
    }

    /// The run's open model from these options over the scenario's `run:`, or `nil` for a run of users.
    /// - Parameters:
    ///   - defaults: the scenario's `run:` settings.
    ///   - stages: the run's stages; rate stages make an open-model run.
    ///   - usersGiven: whether -u or -r was given, which a run of the open model cannot take.
    /// - Throws: ``SetupError`` for a model that cannot run.
    ///   - searchPeak: a breaking-point search of rates (`--find-limit rate:...`): its highest rate; the run
    ///     is then of the open model, its rate given by the search.
    func model(defaults: RunDefaults, stages: [Stage], usersGiven: Bool, searchPeak: Double? = nil) throws -> (ArrivalModel, rate: Double?)? {
        let rateStages = Stage.areRateStages(stages) || searchPeak != nil
        if usersGiven, arrivalRate != nil {
            throw SetupError("--arrival-rate starts iterations at a rate; give it without -u/--users and -r/--spawn-rate")
        }
        if rateStages, arrivalRate != nil {
            throw SetupError("the stages give the arrival rate; give --arrival-rate or rate stages, not both")
        }
        if !stages.isEmpty, !rateStages, arrivalRate != nil {
            throw SetupError("the stages are stages of users; --arrival-rate needs rate stages (NAME:RATE/s/DURATION) or none")
        }
        let rate = rateStages ? nil : arrivalRate ?? (usersGiven || !stages.isEmpty ? nil : defaults.arrivalRate)
        guard rateStages || rate != nil else {
            if isGiven {
                throw SetupError("--max-users, --pre-allocated-users, --on-saturation and --queue-limit shape the open model; "
                    + "give --arrival-rate or rate stages too")
            }
            return nil
        }
        let saturation = onSaturation ?? defaults.onSaturation ?? .drop
        let limit = queueLimit ?? defaults.queueLimit
        if limit != nil, saturation != .queue {
            throw SetupError("--queue-limit bounds the queue of --on-saturation queue; the run drops what finds no user")
        }
        let peak = searchPeak ?? rate ?? stages.compactMap(\.arrivalRate).max() ?? 0
        let model = ArrivalModel.sized(peakRate: peak, preAllocated: preAllocatedUsers ?? defaults.preAllocatedUsers,
                                       maxUsers: maxUsers ?? defaults.maxUsers, saturation: saturation, queueLimit: limit)
        do { try model.validate() } catch let error as InputError { throw SetupError(error.message) }
        return (model, rate)
    }
}
