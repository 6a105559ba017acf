import CCicadaCore
import XCTest
@testable import Cicada

/// k6's threshold grammar as Cicada reads it, and the evaluation on statistics: merged histograms, the
/// tags' endpoints, rates and counts.
final class ThresholdRuleTests: XCTestCase {
    func testExpressionsReadInTheMetricsUnit() throws {
        let cases: [(metric: String, expression: String, aggregation: ThresholdAggregation, comparison: ThresholdComparison, limit: Double)] = [
            ("http_req_duration", "p(95) < 500ms", .percentile(95), .less, 500),
            ("http_req_duration", "p(95)<500", .percentile(95), .less, 500),
            ("http_req_duration", "p(99.9) <= 2s", .percentile(99.9), .lessOrEqual, 2000),
            ("http_req_duration", "avg > 250us", .avg, .greater, 0.25),
            ("http_req_duration", "max >= 1m30s", .max, .greaterOrEqual, 90_000),
            ("http_req_duration", "med != 0", .med, .notEqual, 0),
            ("http_req_duration", "min === 1.5", .min, .equal, 1.5),
            ("http_req_failed", "rate < 0.1%", .rate, .less, 0.001),
            ("http_req_failed", "rate == 0", .rate, .equal, 0),
            ("checks", "rate > 0.99", .rate, .greater, 0.99),
            ("http_reqs", "rate > 100/s", .rate, .greater, 100),
            ("http_reqs", "count >= 1000", .count, .greaterOrEqual, 1000),
            ("generator_cpu", "avg < 80%", .avg, .less, 80),
            ("generator_cpu", "max < 150", .max, .less, 150),
            ("loop_lag", "p(99) < 10ms", .percentile(99), .less, 10),
            ("loop_lag", "max <= 0.5s", .max, .lessOrEqual, 500),
        ]
        for c in cases {
            let rule = try Threshold(c.metric, c.expression).parsed()
            XCTAssertEqual(rule.aggregation, c.aggregation, c.expression)
            XCTAssertEqual(rule.comparison, c.comparison, c.expression)
            XCTAssertEqual(rule.limit, c.limit, accuracy: 1e-9, c.expression)
        }
    }

    func testTagsAndTheCommandLineForm() throws {
        XCTAssertEqual(try ThresholdRule.parseMetric("http_req_duration{endpoint:/api/v1/audio/results/:id}").1,
                       [.endpoint("/api/v1/audio/results/:id")])
        XCTAssertEqual(try ThresholdRule.parseMetric("http_reqs{endpoint:\"/a,b\", method:GET}").1,
                       [.endpoint("/a,b"), .method("GET")])
        let line = try Threshold(commandLine: "http_req_duration{endpoint:/results/:id}: p(99) < 2s")
        XCTAssertEqual(line, Threshold("http_req_duration{endpoint:/results/:id}", "p(99) < 2s"))
        XCTAssertThrowsError(try Threshold(commandLine: "http_req_duration p(95) < 5")) { error in
            XCTAssertEqual((error as? InputError)?.message,
                           "expected 'METRIC: EXPRESSION' such as 'http_req_duration: p(95) < 500ms', got 'http_req_duration p(95) < 5'")
        }
    }

    /// The whole run's percentile is that of every sample, merged from the endpoints' histograms, never an
    /// average of their percentiles; a tag narrows to its endpoint.
    func testEvaluationMergesHistogramsAndFollowsTags() throws {
        let scenario = try Scenario.parse(yaml: """
            users:
              - name: A
                tasks:
                  - {path: /fast, check: {status: 200}}
                  - {path: /slow}
            """, file: "t.yaml")
        let plan = try CompiledPlan(scenario: scenario, hostHeader: "h")
        var statistics = RunStatistics(endpoints: plan.endpoints, failureNames: plan.failureNames)
        func record(_ endpoint: UInt32, ms: UInt64, failure: cc_failure_t = CC_FAIL_NONE, count: Int) {
            for _ in 0..<count {
                var sample = cc_sample_t()
                sample.endpoint = endpoint
                sample.failure = UInt8(failure.rawValue)
                sample.status = failure == CC_FAIL_NONE ? 200 : 500
                sample.start_ns = 1_000_000_000
                sample.intended_ns = sample.start_ns
                sample.first_byte_ns = sample.start_ns + ms * 1_000_000
                sample.end_ns = sample.first_byte_ns
                statistics.record(sample)
            }
        }
        record(0, ms: 1, count: 90)
        record(1, ms: 100, count: 10)
        record(0, ms: 1, failure: CC_FAIL_CHECK, count: 10)
        record(1, ms: 1, failure: CC_FAIL_HTTP_5XX, count: 10)
        let evaluator = try ThresholdEvaluator(thresholds: [
            Threshold("http_req_duration", "p(95) < 50"),
            Threshold("http_req_duration{endpoint:/fast}", "p(95) < 50"),
            Threshold("http_req_failed", "rate < 0.1"),
            Threshold("checks", "rate >= 0.9"),
            Threshold("http_reqs", "rate > 10"),
            Threshold("http_reqs{endpoint:/slow}", "count == 20"),
        ], plan: plan)
        let outcomes = evaluator.rules.indices.map {
            evaluator.outcome($0, statistics: statistics, elapsed: 10, generator: GeneratorHealth(cpuAveragePercent: 1))
        }
        XCTAssertEqual(outcomes[0].observed ?? 0, 100, accuracy: 0.1, "the p95 of all 100 successes is a slow one")
        XCTAssertFalse(outcomes[0].passed)
        XCTAssertEqual(outcomes[1].observed ?? 0, 1, accuracy: 0.01)
        XCTAssertTrue(outcomes[1].passed)
        XCTAssertEqual(outcomes[2].observed, 20.0 / 120, "failures over successes and failures")
        XCTAssertFalse(outcomes[2].passed)
        XCTAssertEqual(outcomes[3].observed, 0.9, "90 of /fast's 100 judged requests passed its check; /slow has none")
        XCTAssertTrue(outcomes[3].passed)
        XCTAssertEqual(outcomes[4].observed, 12)
        XCTAssertEqual(outcomes[5].observed, 20)
        XCTAssertTrue(outcomes[5].passed)
        let empty = RunStatistics(endpoints: plan.endpoints, failureNames: plan.failureNames)
        let none = evaluator.outcome(0, statistics: empty, elapsed: 1, generator: GeneratorHealth(cpuAveragePercent: 0))
        XCTAssertNil(none.observed)
        XCTAssertFalse(none.passed, "no samples cannot be shown to hold")
        XCTAssertEqual(none.observedText, "no samples")
    }

    /// `generator_cpu: max` judges the busiest second and `loop_lag` the recorder's p99 and max; a figure not
    /// measured (no second long enough, the p99 while the run goes on) is no sample, which fails.
    func testGeneratorHealthThresholdsJudgeTheirOwnFigures() throws {
        let plan = try CompiledPlan(scenario: try Scenario.parse(yaml: "users:\n  - name: A\n    tasks:\n      - {path: /}\n",
                                                                 file: "t.yaml"), hostHeader: "h")
        let evaluator = try ThresholdEvaluator(thresholds: [
            Threshold("generator_cpu", "avg < 50%"),
            Threshold("generator_cpu", "max < 50%"),
            Threshold("loop_lag", "p(99) < 10ms"),
            Threshold("loop_lag", "max < 10ms"),
        ], plan: plan)
        let statistics = RunStatistics(endpoints: plan.endpoints, failureNames: plan.failureNames)
        let busy = GeneratorHealth(cpuAveragePercent: 30, cpuMaxPercent: 95, loopLagP99Milliseconds: 4,
                                   loopLagMaxMilliseconds: 25)
        let outcomes = evaluator.rules.indices.map { evaluator.outcome($0, statistics: statistics, elapsed: 10, generator: busy) }
        XCTAssertEqual(outcomes.map(\.observed), [30, 95, 4, 25])
        XCTAssertEqual(outcomes.map(\.passed), [true, false, true, false],
                       "an average that holds does not hide the busiest second, nor a p99 the longest lag")
        XCTAssertEqual(outcomes[2].rule.unit, "ms")
        XCTAssertEqual(outcomes[3].observedText, "25.0 ms")
        let unmeasured = GeneratorHealth(cpuAveragePercent: 30)
        let none = evaluator.rules.indices.map { evaluator.outcome($0, statistics: statistics, elapsed: 10, generator: unmeasured) }
        XCTAssertEqual(none.map(\.observed), [30, nil, nil, nil])
        XCTAssertEqual(none.map(\.passed), [true, false, false, false])
    }

    /// The busiest second leaves out the part-second at the end, whose CPU over a few milliseconds says little,
    /// and outlives the history's coarsening, which averages CPU.
    func testGeneratorPeaksKeepTheBusiestFullSecond() {
        func point(_ elapsed: Double, length: Double, cpu: Double, lag: Double) -> HistoryPoint {
            HistoryPoint(elapsedS: elapsed, intervalS: length, stage: nil, users: 1, requests: 0, failures: 0,
                         responseTimeMs: IntervalLatency(p50: 0, p95: 0, p99: 0, max: 0),
                         fromIntendedStartMs: IntervalLatency(p50: 0, p95: 0, p99: 0, max: 0),
                         generatorCpuPercent: cpu, loopLagMaxMs: lag, generatorRssBytes: 0)
        }
        var history = RunHistory(capacity: 2)
        history.append(point(1, length: 1, cpu: 20, lag: 1))
        history.append(point(2, length: 1, cpu: 90, lag: 3))
        history.append(point(3, length: 1, cpu: 10, lag: 2))
        history.append(point(3.02, length: 0.02, cpu: 400, lag: 0))
        XCTAssertLessThan(history.points.map(\.generatorCpuPercent).max() ?? 0, 60,
                          "the coarsened points average the busiest second away")
        XCTAssertEqual(history.peaks.cpuMaxPercent, 90)
        XCTAssertEqual(history.peaks.loopLagMaxMilliseconds, 3)
    }
}
