import CCicadaCore
import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// The engine driven through the library: users added and stopped at run time, and timeouts that
/// need a server which never answers a connect.
final class EngineControlTests: XCTestCase {
    func testUsersAreAddedAndRetiredAtRunTimeAndEveryRequestIsAccounted() throws {
        let nginx = NginxFixture()
        try nginx.start()
        defer { nginx.stop() }
        let url = try TargetURL(nginx.baseURL + "/")
        let scenario = Scenario.oneEndpoint(url: url, method: "GET", headers: [], body: [], wait: .between(0.01, 0.02))
        let plan = try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
        let engine = try LoadEngine(plan: plan, options: EngineOptions(host: url.host, port: url.port, threads: 2, maxUsers: 20))
        try engine.start()
        try engine.spawn(userClass: 0, count: 10)
        XCTAssertTrue(waitUntil { engine.counters().users_active == 10 })
        try engine.retire(userClass: 0, count: 4)
        XCTAssertTrue(waitUntil { engine.counters().users_active == 6 }, "retired users stop after their request")
        try engine.spawn(userClass: 0, count: 14)
        XCTAssertTrue(waitUntil { engine.counters().users_active == 20 })
        XCTAssertThrowsError(try engine.spawn(userClass: 0, count: 1), "max_users is enforced")
        usleep(300_000)
        engine.stop()
        XCTAssertTrue(waitUntil { engine.counters().users_active == 0 }, "a graceful stop ends every user")
        engine.join()
        var statistics = RunStatistics(endpoints: plan.endpoints)
        engine.drain { statistics.record($0) }
        let counters = engine.counters()
        let total = statistics.aggregated
        XCTAssertEqual(total.requests, counters.requests_started, "one sample per request started")
        XCTAssertEqual(total.failures, 0)
        XCTAssertEqual(counters.samples_dropped, 0)
        XCTAssertEqual(nginx.accessLogLines(atLeast: Int(total.requests)).count, Int(total.requests))
        XCTAssertEqual(counters.connections_opened, 24, "each of the 24 users spawned opened one connection, kept to the end")
    }

    func testConnectTimeoutAgainstAListenerThatNeverAccepts() throws {
        // A listener with a backlog of 0 that never accepts: once its queue holds one connection, the
        // kernel drops further SYNs, so connects hang until Cicada's connect timeout.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        XCTAssertEqual(listen(fd, 0), 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) } }
            fillers.append(filler)
        }
        usleep(100_000)
        let run = try CicadaBinary.run(["http://127.0.0.1:\(port)/", "-u", "2", "-r", "100", "-t", "1200ms",
                                        "--connect-timeout", "0.5", "--stop-timeout", "0.1"], timeout: 30)
        XCTAssertEqual(run.exitCode, 1, run.stdout)
        XCTAssertGreaterThanOrEqual(run.failures("connect_timeout"), 2, "\(run.failureKinds)")
        XCTAssertEqual(run.total("requests"), run.failures("connect_timeout") + run.total("cancelled"), "\(run.failureKinds)")
        XCTAssertTrue(run.stdout.contains("connect timeout"), run.stdout)
    }

    /// The signals blocked by each thread of this process, by thread id, from /proc.
    private func blockedSignals() throws -> [String: UInt64] {
        var masks: [String: UInt64] = [:]
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") {
            let status = try String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)
            let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
            masks[task] = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return masks
    }

    func testWorkersStartWithSIGPIPEBlockedAndTheCallersMaskIsKept() throws {
        let url = try TargetURL("http://127.0.0.1:\(FaultServer.closedPort())/")
        let scenario = Scenario.oneEndpoint(url: url, method: "GET", headers: [], body: [], wait: .constant(1))
        let plan = try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
        let engine = try LoadEngine(plan: plan, options: EngineOptions(host: url.host, port: url.port, threads: 2, maxUsers: 2))
        let me = (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self") as NSString).lastPathComponent
        let before = try blockedSignals()
        try engine.start()
        let after = try blockedSignals()
        engine.stop()
        engine.join()
        let pipeBit = UInt64(1) << (SIGPIPE - 1)
        // The workers are among the threads that are new (Foundation may have started one of its own).
        let new = after.filter { before[$0.key] == nil }
        XCTAssertGreaterThanOrEqual(new.filter { $0.value & pipeBit != 0 }.count, engine.workerCount,
                                    "every worker blocks SIGPIPE: \(new)")
        XCTAssertEqual(after[me], before[me], "the calling thread's mask is as it was")
    }
}
