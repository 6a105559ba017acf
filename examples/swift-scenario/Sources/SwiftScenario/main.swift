// The SampleMind suite written in Swift and run through Cicada's library: no YAML, no `cicada` process.
//
//   swift run --package-path examples/swift-scenario swift-scenario [HOST] [USERS] [SECONDS]
//   swift run --package-path examples/swift-scenario swift-scenario --validate
import Cicada
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let scenario = sampleMindScenario()
do {
    try scenario.validate()
} catch {
    FileHandle.standardError.write(Data("the scenario is not valid: \(error)\n".utf8))
    exit(2)
}

let host = try TargetURL(base: arguments.first(where: { $0.contains("://") }) ?? scenario.host ?? "http://127.0.0.1:8000")
let numbers = arguments.compactMap(Int.init)
let users = numbers.first ?? scenario.run.users ?? 10
let seconds = Double(numbers.dropFirst().first ?? 10)
let targeted = scenario.rebased(onto: host)
let plan = try CompiledPlan(scenario: targeted, hostHeader: host.hostHeader)

if arguments.contains("--validate") {
    print(ScenarioSummary.render(targeted, users: users, plan: plan.specification), terminator: "")
    exit(0)
}

let run = try LoadRun(
    plan: plan,
    engine: EngineOptions(host: host.host, port: host.port, maxUsers: users, connectTimeout: 5, requestTimeout: 10),
    configuration: RunConfiguration(users: users, spawnRate: Double(users), runTime: seconds, stopTimeout: 5))
// The scenario's thresholds (the seed's success criteria), judged as `cicada run` judges them: abortOnFail
// ones during the run through the watcher, all of them on the whole run at the end.
let evaluator = try ThresholdEvaluator(thresholds: scenario.thresholds, plan: plan)
let watcher = ThresholdWatcher(evaluator: evaluator, next: nil) { run.stop(reason: $0) }
let result = try run.run(observer: watcher)
print(StatsTable.render(result.statistics, duration: result.duration, live: false))
let failures = StatsTable.renderFailures(result.statistics)
if !failures.isEmpty { print(failures) }
let outcomes = evaluator.verdict(result, aborted: watcher.aborted)
if !outcomes.isEmpty { print(ThresholdTable.render(outcomes)) }
// The exit codes of `cicada run`: 3 when a threshold failed, else 1 when a request failed.
if outcomes.isEmpty { exit(result.statistics.aggregated.failures > 0 ? 1 : 0) }
exit(outcomes.allSatisfy(\.passed) ? 0 : 3)
