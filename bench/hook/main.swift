// cicada-hook-bench: bench/run's case 8 row for a request hook. It runs a scenario file as `cicada run`
// would, through the library, and with --hook gives every task request a Swift hook that reads the
// variable `token` and sets it again to the same bytes: the same requests on the wire, plus one call
// into Swift per request (a get, a set and the copies they make). The ratio of this row to the
// scenario's `cicada run` row is what a hook costs per request.
//
//   cicada-hook-bench SCENARIO BASE_URL USERS SECONDS JSON_OUT [--hook]
//
// One worker thread, every user started at once, as cicada_argv runs `cicada run --threads 1`. Writes
// the JSON summary `cicada run --json` writes; exits 0, 1 when a request failed, 2 on bad arguments.
import Cicada
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("cicada-hook-bench: \(message)\n".utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let positional = arguments.filter { $0 != "--hook" }
guard positional.count == 5 else { fail("usage: cicada-hook-bench SCENARIO BASE_URL USERS SECONDS JSON_OUT [--hook]") }
guard let users = Int(positional[2]), (1...100_000).contains(users) else { fail("USERS: expected 1 to 100000, got \(positional[2])") }
guard let seconds = Double(positional[3]), seconds > 0, seconds <= 3600 else { fail("SECONDS: expected 0 to 3600, got \(positional[3])") }
let withHook = arguments.contains("--hook")

do {
    let host = try TargetURL(base: positional[1])
    var scenario = try Scenario.load(path: positional[0])
    if withHook {
        let hook = RequestHook("bench", sets: ["token"]) { call in
            guard let token = call.bytes("token") else { throw RequestHookFailure("no token yet") }
            try call.set("token", bytes: token)
        }
        for c in scenario.userClasses.indices {
            for t in scenario.userClasses[c].tasks.indices {
                scenario.userClasses[c].tasks[t].requests = scenario.userClasses[c].tasks[t].requests.map {
                    var request = $0
                    request.hook = hook
                    return request
                }
            }
        }
    }
    try scenario.validate()
    let plan = try CompiledPlan(scenario: scenario.rebased(onto: host), hostHeader: host.hostHeader)
    let run = try LoadRun(
        plan: plan,
        engine: EngineOptions(host: host.host, port: host.port, threads: 1, maxUsers: users, connectTimeout: 5, requestTimeout: 10),
        configuration: RunConfiguration(users: users, spawnRate: 0, runTime: seconds, stopTimeout: 2))
    let result = try run.run()
    try JSONSummary(result: result, version: cicadaVersion).encoded().write(to: URL(fileURLWithPath: positional[4]))
    print("\(result.statistics.aggregated.requests) requests, \(result.statistics.aggregated.failures) failures in \(result.duration) s")
    exit(result.statistics.aggregated.failures > 0 ? 1 : 0)
} catch {
    fail("\(error)")
}
