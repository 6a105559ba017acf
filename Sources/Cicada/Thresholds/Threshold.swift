/// A pass/fail criterion of a run, in k6's spelling: a metric (optionally narrowed by tags) and an
/// expression over one of its aggregations, such as `http_req_duration{endpoint:/api/v1/files}` and
/// `p(95) < 500ms`.
///
/// The value keeps the text as written, so that a scenario loaded from YAML and the same one built in
/// Swift are equal, and so that reports show the threshold as its author wrote it. ``parsed()`` reads it
/// by the one grammar (``ThresholdRule``); ``Scenario/validate()`` checks every threshold of a scenario,
/// its tags against the scenario's endpoints included.
///
/// ```swift
/// let p95 = Threshold("http_req_duration", "p(95) < 500ms")
/// let errors = Threshold("http_req_failed", "rate < 0.001", abortOnFail: true, delayAbortEval: 10)
/// ```
public struct Threshold: Sendable, Equatable {
    /// The metric and its tags as written: `http_req_duration`, `http_req_duration{endpoint:/login}`.
    public var metric: String
    /// The expression as written: `p(95) < 500ms`, `rate < 0.001`.
    public var expression: String
    /// Whether a failure seen while the run goes on (at a report interval) stops the run (`abortOnFail`).
    public var abortOnFail: Bool
    /// Seconds from the start of the run before ``abortOnFail`` is first judged (`delayAbortEval`), so
    /// that a warm-up does not abort the run; 0 judges from the first report.
    public var delayAbortEval: Double

    /// Creates a threshold; call ``Scenario/validate()`` (or ``parsed()``) to check it.
    public init(_ metric: String, _ expression: String, abortOnFail: Bool = false, delayAbortEval: Double = 0) {
        self.metric = metric
        self.expression = expression
        self.abortOnFail = abortOnFail
        self.delayAbortEval = delayAbortEval
    }

    /// `METRIC: EXPR`, as `--threshold` takes it and reports print it.
    public var description: String { "\(metric): \(expression)" }

    /// The threshold read by the grammar.
    /// - Throws: ``InputError`` saying what is wrong with the metric, a tag or the expression.
    public func parsed() throws -> ThresholdRule {
        try ThresholdRule(self)
    }
}

/// A metric that thresholds can judge. Each has its aggregations and its unit.
public enum ThresholdMetric: String, Sendable, CaseIterable {
    /// Response times of successful requests, in milliseconds (the statistics' response time).
    case httpReqDuration = "http_req_duration"
    /// The share of requests that failed: failures / (successes + failures); cancelled ones are neither.
    case httpReqFailed = "http_req_failed"
    /// Requests ended (cancelled ones included): their `count`, and their `rate` per second of the run.
    case httpReqs = "http_reqs"
    /// The share of requests judged by a check that passed: over the endpoints that carry a check,
    /// successes / (successes + `check` failures).
    case checks
    /// The generator's own CPU time as a percentage of one core: `avg` from the start of the run, or `max`,
    /// its busiest second (``GeneratorPeaks``).
    case generatorCPU = "generator_cpu"
    /// The watched target's CPU (`--monitor-pid`, every watched process added up), percent of one core:
    /// `avg` over the run (CPU seconds over seconds, exact) or the highest one-second `max`.
    case targetCPU = "target_cpu"
    /// The watched target's resident memory (every watched process added up): its `max` in MiB, or its
    /// `slope` in MiB per minute (least squares over every reading of the run), the leak figure.
    case targetRSS = "target_rss"
    /// The open model's iterations that found no user (``ArrivalModel``): their `count`, and their `rate`
    /// per second of the run (or of the stage). 0 in a run of users, which has no schedule to fall behind.
    case droppedIterations = "dropped_iterations"
    /// How late the workers' event-loop timer fired, in milliseconds (``LoopLagRecorder``): `p(99)` over the
    /// run's windows, judged when it ends, or `max`. A busy generator shows here first.
    case loopLag = "loop_lag"

    /// The aggregations this metric has, as written in an expression.
    var aggregations: [String] {
        switch self {
        case .httpReqDuration: return ["avg", "min", "max", "med", "p(N)"]
        case .httpReqFailed, .checks: return ["rate"]
        case .httpReqs: return ["count", "rate"]
        case .generatorCPU: return ["avg", "max"]
        case .loopLag: return ["p(99)", "max"]
        case .targetCPU: return ["avg", "max"]
        case .targetRSS: return ["max", "slope"]
        case .droppedIterations: return ["count", "rate"]
        }
    }

    /// Whether tags may narrow it to endpoints or methods: the generator's and the target's own figures
    /// belong to no endpoint.
    var takesTags: Bool { !isProcessFigure && self != .droppedIterations }
    /// Whether `{stage:NAME}` may narrow it: the requests' metrics and the target's, not the generator's
    /// CPU and loop lag (measured over the whole run only).
    var takesStage: Bool { !isGeneratorFigure }

    /// The generator's or the target's own figures, not the requests'.
    var isProcessFigure: Bool { isGeneratorFigure || isTargetFigure }

    /// The generator's own health: its CPU and its event loops' lag.
    public var isGeneratorFigure: Bool { self == .generatorCPU || self == .loopLag }

    /// The target's figures, which need `--monitor-pid`.
    public var isTargetFigure: Bool { self == .targetCPU || self == .targetRSS }
}

/// How an expression aggregates its metric.
public enum ThresholdAggregation: Sendable, Equatable {
    case avg, min, max, med, rate, count, slope
    /// A percentile, 0 to 100: `p(95)`, `p(99.9)`.
    case percentile(Double)

    /// As written in an expression.
    public var text: String {
        switch self {
        case .avg: return "avg"
        case .min: return "min"
        case .max: return "max"
        case .med: return "med"
        case .rate: return "rate"
        case .count: return "count"
        case .slope: return "slope"
        case .percentile(let p): return "p(\(formatNumber(p)))"
        }
    }
}

/// The comparison of an expression; k6's `===` reads as `==`.
public enum ThresholdComparison: String, Sendable, CaseIterable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

    /// Whether `observed` compared with `limit` holds.
    public func holds(_ observed: Double, _ limit: Double) -> Bool {
        switch self {
        case .less: return observed < limit
        case .lessOrEqual: return observed <= limit
        case .greater: return observed > limit
        case .greaterOrEqual: return observed >= limit
        case .equal: return observed == limit
        case .notEqual: return observed != limit
        }
    }
}

/// A tag that narrows a metric to some requests.
public enum ThresholdTag: Sendable, Equatable {
    /// Requests of the endpoint with this name (the name in the statistics table).
    case endpoint(String)
    /// Requests with this method.
    case method(String)
    /// The stage with this name (a run with stages): the threshold is judged on that stage's figures, at
    /// the end of the run.
    case stage(String)
}
