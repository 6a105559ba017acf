import CCicadaCore
@testable import Cicada
import CicadaTestSupport
import Foundation
import XCTest

/// The C engine's life in a long-lived process: engines made and destroyed again and again (as a web
/// UI will), failed creates, and ramp-downs of thousands of users, through the core's own API.
final class EngineLifecycleTests: XCTestCase {
    private static let certificates = Result { try TestCertificates() }


    private func plan(_ url: TargetURL, wait: WaitTime) throws -> CompiledPlan {
        let scenario = Scenario.oneEndpoint(url: url, method: "GET", headers: [], body: [], wait: wait)
        return try CompiledPlan(scenario: scenario, hostHeader: url.hostHeader)
    }

    /// Makes an engine on the C API; `configure` sets what the test needs.
    private func makeEngine(_ plan: CompiledPlan, _ url: TargetURL, maxUsers: UInt32, threads: UInt32 = 2,
                            configure: (inout cc_engine_options_t) -> Void = { _ in }) -> (OpaquePointer?, Int32, String) {
        var options = cc_engine_options_t()
        options.port = UInt16(url.port)
        options.threads = threads
        options.max_users = maxUsers
        options.connect_timeout_ns = 5_000_000_000
        options.request_timeout_ns = 10_000_000_000
        options.seed = 1
        configure(&options)
        var engine: OpaquePointer?
        var error = [CChar](repeating: 0, count: 512)
        let rc = url.host.withCString { host in
            options.host = host
            return cc_engine_create(plan.handle, &options, &engine, &error, error.count)
        }
        return (engine, rc, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    func testTLSWorkersReleaseTheirPooledBlocksWhenTheyExit() throws {
        let certificates = try Self.certificates.get()
        let nginx = NginxFixture(options: .init(keepaliveRequests: 100_000, tls: .init(certificates: certificates)))
        try nginx.start()
        defer { nginx.stop() }
        let url = try TargetURL(nginx.baseURL + "/")
        let plan = try plan(url, wait: .constant(0))
        var afterEachRun: [Int] = []
        var whileRunning: [Int] = []
        for _ in 0..<5 {
            let (engine, rc, message) = certificates.caCertificatePath.withCString { ca in
                makeEngine(plan, url, maxUsers: 8) {
                    $0.tls.enabled = 1
                    $0.tls.verify = 1
                    $0.tls.resume = 1
                    $0.tls.ca_file = ca
                }
            }
            let handle = try XCTUnwrap(engine, "\(rc): \(message)")
            var counters = cc_engine_counters_t()
            XCTAssertEqual(cc_engine_start(handle), 0)
            XCTAssertEqual(cc_engine_spawn(handle, 0, 8), 0)
            XCTAssertTrue(waitUntil(10) {
                cc_engine_counters(handle, &counters)
                return counters.requests_started >= 2000
            })
            whileRunning.append(cc_tls_pooled_blocks())
            XCTAssertEqual(cc_engine_stop(handle), 0)
            XCTAssertTrue(waitUntil(10) {
                cc_engine_counters(handle, &counters)
                return counters.users_active == 0
            })
            cc_engine_destroy(handle)
            afterEachRun.append(cc_tls_pooled_blocks())
            XCTAssertEqual(counters.events_ignored, 0)
        }
        // Each run's two workers pool blocks for their eight connections (a few thousand); had they kept
        // them after exiting, every run would add its workers' lists to the count. The first run also
        // makes OpenSSL's global state, which stays.
        let pooledByWorkers = whileRunning[1] - afterEachRun[1]
        XCTAssertGreaterThan(pooledByWorkers, 500, "the workers pooled blocks while they ran: \(whileRunning)")
        XCTAssertLessThan(afterEachRun[4] - afterEachRun[1], pooledByWorkers / 10,
                          "what dead workers pooled was freed: after each run \(afterEachRun), while running \(whileRunning)")
    }

    func testAFailedCreateClosesEverythingItOpened() throws {
        let url = try TargetURL("https://127.0.0.1:9/")
        let plan = try plan(url, wait: .constant(0))
        // The first TLS context loads what OpenSSL keeps open for the process's life.
        _ = "/nonexistent/ca.pem".withCString { ca in
            makeEngine(plan, url, maxUsers: 8) {
                $0.tls.enabled = 1
                $0.tls.ca_file = ca
            }
        }
        let before = openDescriptors()
        for _ in 0..<20 {
            let (engine, rc, message) = "/nonexistent/ca.pem".withCString { ca in
                makeEngine(plan, url, maxUsers: 8, threads: 4) {
                    $0.tls.enabled = 1
                    $0.tls.verify = 1
                    $0.tls.ca_file = ca
                }
            }
            XCTAssertNil(engine)
            XCTAssertEqual(rc, CC_EINVAL.rawValue)
            XCTAssertTrue(message.contains("cannot load the CA file '/nonexistent/ca.pem'"), message)
        }
        XCTAssertEqual(openDescriptors(), before, "each failed create closed its loops' descriptors")
    }

    func testTheUserBoundIsCheckedBeforeAnythingIsSized() throws {
        let url = try TargetURL("http://127.0.0.1:9/")
        let plan = try plan(url, wait: .constant(0))
        for users in [0, CC_ENGINE_MAX_USERS + 1, UInt32.max] {
            let (engine, rc, message) = makeEngine(plan, url, maxUsers: users)
            XCTAssertNil(engine)
            XCTAssertEqual(rc, CC_EINVAL.rawValue)
            XCTAssertEqual(message, "max_users must be 1 to \(CC_ENGINE_MAX_USERS), got \(users)")
        }
    }

    func testRetiringThousandsOfUsersAtOnceTakesOneCommandPerWorker() throws {
        let nginx = NginxFixture()
        try nginx.start()
        defer { nginx.stop() }
        let url = try TargetURL(nginx.baseURL + "/")
        let plan = try plan(url, wait: .between(0.5, 1))
        let users: UInt32 = 3000
        let (created, rc, message) = makeEngine(plan, url, maxUsers: users)
        let engine = try XCTUnwrap(created, "\(rc): \(message)")
        defer { cc_engine_destroy(engine) }
        var counters = cc_engine_counters_t()
        XCTAssertEqual(cc_engine_start(engine), 0)
        XCTAssertEqual(cc_engine_spawn(engine, 0, users), 0)
        XCTAssertTrue(waitUntil(20) {
            cc_engine_counters(engine, &counters)
            return counters.users_active == UInt64(users)
        }, "\(counters.users_active) users active")
        // More users than a worker's command queue holds commands: one call, one command per worker.
        XCTAssertEqual(cc_engine_retire(engine, 0, 2500), 0)
        XCTAssertTrue(waitUntil(20) {
            cc_engine_counters(engine, &counters)
            return counters.users_active == 500
        }, "\(counters.users_active) users active after retiring 2500")
        XCTAssertEqual(cc_engine_retire(engine, 0, 10_000), 0, "retiring more than are alive retires them all")
        XCTAssertTrue(waitUntil(20) {
            cc_engine_counters(engine, &counters)
            return counters.users_active == 0
        })
        XCTAssertEqual(cc_engine_spawn(engine, 0, users), 0, "the retired users' places are free again")
        XCTAssertTrue(waitUntil(20) {
            cc_engine_counters(engine, &counters)
            return counters.users_active == UInt64(users)
        })
        XCTAssertEqual(cc_engine_stop(engine), 0)
        XCTAssertTrue(waitUntil(20) {
            cc_engine_counters(engine, &counters)
            return counters.users_active == 0
        })
        XCTAssertEqual(cc_engine_join(engine), 0)
        cc_engine_counters(engine, &counters)
        XCTAssertEqual(counters.events_ignored, 0)
        XCTAssertEqual(counters.connections_open, 0)
        XCTAssertEqual(counters.connections_opened, 6000, "each of the 6000 users spawned opened one connection")
    }
}
