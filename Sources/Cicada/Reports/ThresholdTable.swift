/// The PASS/FAIL table of a run's thresholds, as the console prints it at the end.
public enum ThresholdTable {
    /// One row per threshold: the threshold as written, the value observed and the verdict; an aborting
    /// failure says when it stopped the run. Empty when there are no thresholds.
    public static func render(_ outcomes: [ThresholdOutcome]) -> String {
        guard !outcomes.isEmpty else { return "" }
        let width = max(40, outcomes.map { $0.rule.threshold.description.count }.max() ?? 0)
        var lines = ["Thresholds", StatsTable.pad("Threshold", width) + "  " + StatsTable.pad("Observed", 24) + "  Verdict"]
        lines.append(String(repeating: "-", count: width + 36))
        for outcome in outcomes {
            var verdict = outcome.passed ? "PASS" : "FAIL"
            if let abort = outcome.aborted {
                verdict += " (aborted the run at \(StatsTable.fixed(abort.elapsed, 1)) s: observed "
                    + "\(ThresholdOutcome.format(abort.observed, of: outcome.rule)))"
            }
            let observed = outcome.rule.aggregation.text + " = " + outcome.observedText
            lines.append(StatsTable.pad(outcome.rule.threshold.description, width) + "  "
                + StatsTable.pad(observed, 24) + "  " + verdict)
        }
        let failed = outcomes.filter { !$0.passed }.count
        lines.append("Thresholds: \(outcomes.count - failed) passed, \(failed) failed")
        return lines.joined(separator: "\n")
    }
}
