import ArgumentParser
import Cicada

/// `--threshold` and `--junit`: the run's pass/fail criteria besides the scenario's, and the JUnit file
/// their verdicts go to.
struct ThresholdOptions: ParsableArguments {
    @Option(name: .customLong("threshold"),
            help: ArgumentHelp("A pass/fail criterion in k6's spelling, 'METRIC[{tag:value}]: EXPRESSION', e.g. 'http_req_duration: p(95) < 500ms'; repeatable, added to the scenario's (see docs/scenario.md#thresholds).",
                               valueName: "threshold"),
            transform: { try Threshold(commandLine: $0) })
    var thresholds: [Threshold] = []

    @Option(help: "Write the thresholds' verdicts as JUnit XML to this file, one test case per threshold; checked before the run.")
    var junit: String?

    /// The thresholds to judge: the scenario's (after a class or tag selection) and the command line's.
    /// A scenario threshold on an endpoint or method that the selection left out is not judged; it is in
    /// `skipped`, for a warning.
    /// - Throws: ``SetupError`` naming `--threshold` when one names an endpoint or method the run does not have.
    func thresholds(for scenario: Scenario) throws -> (judged: [Threshold], skipped: [Threshold]) {
        let outside = scenario.thresholdsOutsideScenario
        var judged = scenario.thresholds.filter { !outside.contains($0) }
        for threshold in thresholds {
            do {
                try scenario.checkThreshold(threshold)
            } catch let error as InputError {
                throw SetupError("--threshold '\(threshold.description)': \(error.message)")
            }
            judged.append(threshold)
        }
        return (judged, outside)
    }

    /// The JUnit file, checked now so that a path that cannot be written costs no load.
    func junitFile(thresholds: [Threshold]) throws -> ReportFile? {
        guard let junit else { return nil }
        guard !thresholds.isEmpty else {
            throw SetupError("--junit: the run has no thresholds to report; give --threshold or `thresholds:` in the scenario")
        }
        do { return try ReportFile(path: junit) } catch { throw SetupError("--junit: \(error)") }
    }
}
