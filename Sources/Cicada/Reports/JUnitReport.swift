import Foundation

/// The thresholds of a run as a JUnit XML report (`--junit FILE`), which CI systems read as tests: one
/// test case per threshold, named by the threshold as written, with a `<failure>` that gives the value
/// observed when it failed. The format is the common subset that Jenkins, GitLab and GitHub read
/// (`testsuites` > `testsuite` > `testcase` > `failure`).
public enum JUnitReport {
    /// The XML document. `duration` is the run's, in seconds.
    public static func render(_ outcomes: [ThresholdOutcome], duration: Double, target: String) -> String {
        let failures = outcomes.filter { !$0.passed }.count
        let time = String(format: "%.3f", duration)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"cicada\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" time=\"\(time)\">\n"
        xml += "  <testsuite name=\"cicada thresholds\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"0\" "
            + "skipped=\"0\" time=\"\(time)\" hostname=\"\(Markup.escape(target))\">\n"
        for outcome in outcomes {
            let threshold = outcome.rule.threshold
            xml += "    <testcase classname=\"cicada.thresholds.\(Markup.escape(outcome.rule.metric.rawValue))\" "
                + "name=\"\(Markup.escape(threshold.description))\""
            if outcome.passed {
                xml += "/>\n"
                continue
            }
            var message = "observed \(outcome.rule.aggregation.text) = \(outcome.observedText)"
            if let abort = outcome.aborted {
                message += "; aborted the run at \(StatsTable.fixed(abort.elapsed, 1)) s, observed then "
                    + ThresholdOutcome.format(abort.observed, of: outcome.rule)
            }
            xml += ">\n      <failure message=\"\(Markup.escape(message))\" type=\"threshold\">"
                + "\(Markup.escape(threshold.description)) does not hold: \(Markup.escape(message))</failure>\n    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
