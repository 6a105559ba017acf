import Foundation

/// Above this share of the cores it could use, the generator is taken to be the limit.
public let generatorCPULimitShare = 0.9
/// Above this event-loop lag p99, in milliseconds, the generator is taken to be late with its own work: a
/// 10 ms late timer is a 10 ms late request, which the latencies then include.
public let generatorLoopLagLimitMilliseconds = 10.0

/// Signs that the generator, not the target, may have limited the result, in words: what the console's
/// final report and the HTML report print as warnings.
///
/// The CPU is judged against the cores the generator could use: one per worker thread (each runs one event
/// loop), at most the machine's online processors. It is judged over the run and over its busiest second,
/// since a saturated stage hides in a long run's average.
public func generatorWarnings(_ result: RunResult) -> [String] {
    var warnings: [String] = []
    let generator = result.generator
    if generator.samplesDropped > 0 {
        warnings.append("\(generator.samplesDropped) samples were dropped because the statistics thread fell behind; totals undercount")
    }
    if generator.loopLagP99Milliseconds > generatorLoopLagLimitMilliseconds {
        warnings.append(String(format: "event-loop lag p99 was %.1f ms (above %.0f ms): the generator was busy and latencies include its delay; the result may be limited by the generator itself",
                               generator.loopLagP99Milliseconds, generatorLoopLagLimitMilliseconds))
    }
    let cores = max(1, min(generator.threads, ProcessInfo.processInfo.activeProcessorCount))
    let limit = Double(cores) * 100 * generatorCPULimitShare
    let cpu = generator.cpuPercent(duration: result.duration)
    let coreWords = "\(cores) core\(cores == 1 ? "" : "s")"
    if cpu > limit {
        warnings.append(String(format: "the generator used %.0f%% CPU over the run, above %.0f%% of the %@ its %d worker thread%@ could use: the result may be limited by the generator itself",
                               cpu, generatorCPULimitShare * 100, coreWords, generator.threads, generator.threads == 1 ? "" : "s"))
    } else if let busiest = result.history.peaks.cpuMaxPercent, busiest > limit {
        warnings.append(String(format: "the generator used %.0f%% CPU in its busiest second, above %.0f%% of the %@ its %d worker thread%@ could use: that part of the result may be limited by the generator itself",
                               busiest, generatorCPULimitShare * 100, coreWords, generator.threads, generator.threads == 1 ? "" : "s"))
    }
    let started = result.requestsStarted
    let counted = result.statistics.aggregated.requests
    if started != counted + generator.samplesDropped {
        warnings.append("the core started \(started) requests but \(counted) were counted")
    }
    return warnings
}
