import ArgumentParser
import Cicada
import CicadaWeb
import Foundation

extension RunCommand {
    /// Ends a run that has run: prints the final report, writes the report files it was given and judges
    /// it. Each file that cannot be written is an error on standard error; the others are still written.
    /// - Parameter keepReports: also render the reports for the web UI's downloads, whether or not files
    ///   were asked for (the HTML needs `chartLibrary`).
    /// - Returns: the exit code (`nil`: 0), and with `keepReports` the rendered reports.
    /// - Parameter startedFrom: the web UI's form, for a run started there: the report's settings say so.
    func finish(_ prepared: PreparedRun, result: RunResult, keepReports: Bool, chartLibrary: String? = nil,
                startedFrom: StartFields? = nil) -> (exitCode: Int32?, reports: RunReports?) {
        let errors = prepared.errors
        let outcomes = prepared.evaluator.verdict(result, aborted: prepared.watcher.aborted)
        let limit = prepared.findLimit.map { LimitFinding(search: $0, verdicts: result.stageVerdicts) }
        prepared.reporter.finish(result: result, thresholds: outcomes, limit: limit)
        var reportsWritten = true
        // One summary for the JSON file and the HTML report, which embeds it.
        var summary = JSONSummary(result: result, version: cicadaVersion, thresholds: outcomes)
        summary.limit = limit
        let summaryData = try? summary.encoded()
        if let jsonFile = prepared.jsonFile {
            do {
                guard let summaryData else { throw CicadaError("the summary could not be encoded") }
                try jsonFile.write(summaryData)
            } catch {
                errors.write("cicada: error: the JSON summary was not written: \(error)\n")
                reportsWritten = false
            }
        }
        if let junitFile = prepared.junitFile {
            do {
                try junitFile.write(Data(JUnitReport.render(outcomes, duration: result.duration, target: result.target).utf8))
            } catch {
                errors.write("cicada: error: the JUnit report was not written: \(error)\n")
                reportsWritten = false
            }
        }
        func htmlPage(_ chartLibrary: String) throws -> String {
            var settings = [("Command", CommandLine.arguments.map(shellQuoted).joined(separator: " ")),
                            ("Started", ISO8601DateFormatter().string(from: result.startedAt)),
                            ("Target", result.target), ("Cicada", cicadaVersion)]
            if let startedFrom { settings.insert(("Started from the web UI with", startedFrom.description), at: 1) }
            return try HTMLReport.render(summary: summary, thresholds: outcomes, settings: settings,
                                         warnings: generatorWarnings(result), chartLibrary: chartLibrary)
        }
        if let (file, chartLibrary) = prepared.htmlFile {
            do {
                try file.write(Data(try htmlPage(chartLibrary).utf8))
            } catch {
                errors.write("cicada: error: the HTML report was not written: \(error)\n")
                reportsWritten = false
            }
        }
        if let csvFiles = prepared.csvFiles {
            do {
                try csvFiles.finish(result)
            } catch {
                errors.write("cicada: error: the CSV files were not all written: \(error)\n")
                reportsWritten = false
            }
        }
        if let hdrLog = prepared.hdrLog {
            do {
                try hdrLog.finish()
            } catch {
                errors.write("cicada: error: the HdrHistogram log was not written: \(error)\n")
                reportsWritten = false
            }
        }
        let exitCode = Self.exitCode(reportsWritten: reportsWritten, limit: limit, outcomes: outcomes, result: result,
                                     onError: exitCodeOnError)
        guard keepReports else { return (exitCode, nil) }
        let html = (try? htmlPage(chartLibrary ?? "")) ?? "<p>the HTML report could not be rendered</p>"
        let reports = RunReports(summaryJSON: summaryData ?? Data("{}".utf8),
                                 statsCSV: LocustCSV.stats(result.statistics, duration: result.statisticsDuration),
                                 failuresCSV: LocustCSV.failures(result.statistics, startedAt: result.startedAt),
                                 html: html, exitCode: exitCode ?? 0)
        return (exitCode, reports)
    }

    /// The run's exit code (README, "Exit codes"); `nil` for 0.
    static func exitCode(reportsWritten: Bool, limit: LimitFinding?, outcomes: [ThresholdOutcome], result: RunResult,
                         onError: Int32?) -> Int32? {
        if !reportsWritten { return RunExitCode.reportNotWritten }
        // A breaking-point search uses its thresholds to find the limit: that a step broke one is its
        // finding, not a failure of the run.
        if limit != nil { return nil }
        if !outcomes.isEmpty {
            // With thresholds, they alone judge the run: failed requests count only through them.
            return outcomes.contains(where: { !$0.passed }) ? RunExitCode.thresholdFailed : nil
        }
        if result.statistics.aggregated.failures > 0 { return onError ?? RunExitCode.requestFailed }
        return nil
    }
}

/// `word` as a POSIX shell reads it back: bare when it holds only safe characters, else in single quotes.
func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")
    if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
