import Cicada
import Foundation

/// What the start form and `POST /api/start` (or Locust's `POST /swarm`) give: each as typed, read by
/// the launcher with the command line's own rules. `nil`: the scenario's value (or the command line's).
public struct StartFields: Sendable, Equatable, CustomStringConvertible {
    public var users: String?
    public var spawnRate: String?
    public var host: String?
    public var runTime: String?
    /// Stages in the command line's form (`--stages`); not with `users` or `spawnRate`.
    public var stages: String?
    public var arrivalRate: String?
    /// The user classes to run; `nil` or empty: those of the command line (all the scenario's when it
    /// names none).
    public var userClasses: [String]?

    /// The fields given, as `name=value` pairs (`users=10 stages=…`), or `the command line's values`.
    public var description: String {
        let given: [(String, String?)] = [("users", users), ("spawn_rate", spawnRate), ("host", host), ("run_time", runTime),
                                          ("stages", stages), ("arrival_rate", arrivalRate),
                                          ("user_classes", userClasses?.joined(separator: ","))]
        let pairs = given.compactMap { name, value in value.map { "\(name)=\($0)" } }
        return pairs.isEmpty ? "the command line's values" : pairs.joined(separator: " ")
    }

    public init(users: String? = nil, spawnRate: String? = nil, host: String? = nil, runTime: String? = nil,
                stages: String? = nil, arrivalRate: String? = nil, userClasses: [String]? = nil) {
        self.users = users
        self.spawnRate = spawnRate
        self.host = host
        self.runTime = runTime
        self.stages = stages
        self.arrivalRate = arrivalRate
        self.userClasses = userClasses
    }
}

/// The form's values before anything is typed: the scenario's and the command line's.
public struct FormDefaults: Sendable, Encodable {
    public var scenario: String
    public var users: Int?
    public var spawnRate: Double?
    public var host: String?
    /// The run time as the command line writes it (`90s`); `nil`: until stopped.
    public var runTime: String?
    /// The stages in the command line's form (``Stage/written``), comma-separated; `nil`: none.
    public var stages: String?
    public var arrivalRate: Double?
    /// Every user class of the scenario, in its order.
    public var userClasses: [String]
    /// The classes the command line chose (all of them when it named none).
    public var selectedUserClasses: [String]

    public init(scenario: String, users: Int?, spawnRate: Double?, host: String?, runTime: String?, stages: String?,
                arrivalRate: Double?, userClasses: [String], selectedUserClasses: [String]) {
        self.scenario = scenario
        self.users = users
        self.spawnRate = spawnRate
        self.host = host
        self.runTime = runTime
        self.stages = stages
        self.arrivalRate = arrivalRate
        self.userClasses = userClasses
        self.selectedUserClasses = selectedUserClasses
    }

    enum CodingKeys: String, CodingKey {
        case scenario, users, spawnRate = "spawn_rate", host, runTime = "run_time", stages, arrivalRate = "arrival_rate"
        case userClasses = "user_classes", selectedUserClasses = "selected_user_classes"
    }
}

/// A run the launcher started: the run itself and what steers and watches it.
public struct StartedRun: Sendable {
    public let run: LoadRun
    public let control: LoadControl
    public let feed: LiveFeed
    public let evaluator: ThresholdEvaluator
    /// The target, as the run reports it.
    public let target: String
    /// The most users a scale may ask for: the engine's capacity, fixed when the run was prepared.
    public let userCapacity: Int
    public let isOpenModel: Bool
    public let hasStages: Bool
    public let workerThreads: Int

    public init(run: LoadRun, control: LoadControl, feed: LiveFeed, evaluator: ThresholdEvaluator, target: String,
                userCapacity: Int, isOpenModel: Bool, hasStages: Bool, workerThreads: Int) {
        self.run = run
        self.control = control
        self.feed = feed
        self.evaluator = evaluator
        self.target = target
        self.userCapacity = userCapacity
        self.isOpenModel = isOpenModel
        self.hasStages = hasStages
        self.workerThreads = workerThreads
    }
}

/// The files of a finished run, as the headless run writes them, for the UI's downloads.
public struct RunReports: Sendable {
    public var summaryJSON: Data
    /// Locust's `_stats.csv` and `_failures.csv`.
    public var statsCSV: String
    public var failuresCSV: String
    public var html: String
    /// The exit code the headless run would have ended with.
    public var exitCode: Int32

    public init(summaryJSON: Data, statsCSV: String, failuresCSV: String, html: String, exitCode: Int32) {
        self.summaryJSON = summaryJSON
        self.statsCSV = statsCSV
        self.failuresCSV = failuresCSV
        self.html = html
        self.exitCode = exitCode
    }
}

/// Starts runs for the web UI: the command line implements it, so that a run started from the page is
/// checked, prepared and reported exactly as `cicada run --headless` with the same values.
public protocol RunLauncher: Sendable {
    var defaults: FormDefaults { get }

    /// Checks `fields`, prepares the run on a thread of its own and starts it there; returns once it is
    /// running. Called on one of the web server's threads.
    /// - Parameter finished: called on the run's thread once it has ended and its files are written,
    ///   with the reports, or with the message of what ended it when it failed.
    /// - Throws: ``WebError`` 400 with the command line's message (and the field it is about) for input
    ///   it would refuse; nothing has started then.
    func launch(_ fields: StartFields, finished: @escaping @Sendable (Result<RunReports, WebError>) -> Void) throws -> StartedRun
}
