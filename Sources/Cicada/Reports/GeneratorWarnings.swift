/// Signs that the generator, not the target, may have limited the result.
public func generatorWarnings(_ result: RunResult) -> [String] {
    var warnings: [String] = []
    let generator = result.generator
    if generator.samplesDropped > 0 {
        warnings.append("\(generator.samplesDropped) samples were dropped because the statistics thread fell behind; totals undercount")
    }
    if generator.loopLagP99Milliseconds > 20 {
        warnings.append(String(format: "event-loop lag p99 was %.1f ms: the generator was busy and latencies include its delay", generator.loopLagP99Milliseconds))
    }
    let cpu = generator.cpuPercent(duration: result.duration)
    if cpu > Double(generator.threads) * 90 {
        warnings.append(String(format: "the generator used %.0f%% CPU with %d threads: it may be the bottleneck", cpu, generator.threads))
    }
    let started = result.requestsStarted
    let counted = result.statistics.aggregated.requests
    if started != counted + generator.samplesDropped {
        warnings.append("the core started \(started) requests but \(counted) were counted")
    }
    return warnings
}
