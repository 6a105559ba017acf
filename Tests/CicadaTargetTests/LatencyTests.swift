import XCTest
@testable import CicadaTarget

/// A deterministic generator for the distribution tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class LatencyTests: XCTestCase {
    func testDrawsHaveTheProfilesMedianAndP99() {
        var generator = SplitMix64(state: 42)
        for profile in [LatencyProfile.defaults[.analyze]!, LatencyProfile.defaults[.listFiles]!, LatencyProfile.defaults[.health]!] {
            let draws = (0..<40_000).map { _ in profile.sample(scale: 1, using: &generator) }.sorted()
            let median = draws[draws.count / 2]
            let p99 = draws[draws.count * 99 / 100]
            XCTAssertEqual(median / profile.median, 1, accuracy: 0.05, "median of \(profile)")
            XCTAssertEqual(p99 / profile.p99, 1, accuracy: 0.08, "p99 of \(profile)")
            XCTAssertLessThanOrEqual(draws.last!, 5 * profile.p99)
            XCTAssertGreaterThan(draws.first!, 0)
        }
    }

    func testScaleMultipliesAndZeroTurnsLatencyOff() {
        var generator = SplitMix64(state: 7)
        let constant = LatencyProfile(medianMilliseconds: 10, p99Milliseconds: 10)
        XCTAssertEqual(constant.sample(scale: 1, using: &generator), 0.010, accuracy: 1e-12)
        XCTAssertEqual(constant.sample(scale: 3, using: &generator), 0.030, accuracy: 1e-12)
        XCTAssertEqual(LatencyProfile.defaults[.analyze]!.sample(scale: 0, using: &generator), 0)
        XCTAssertEqual(LatencyProfile.zero.sample(scale: 1, using: &generator), 0)
    }

    func testEveryRouteHasAProfileAndTheTableLooksLikeAnAudioService() {
        let table = LatencyProfile.defaults
        XCTAssertEqual(Set(table.keys), Set(Endpoint.allCases))
        XCTAssertEqual(table[.analyze], LatencyProfile(medianMilliseconds: 120, p99Milliseconds: 600))
        XCTAssertEqual(table[.listFiles], LatencyProfile(medianMilliseconds: 5, p99Milliseconds: 30))
        XCTAssertEqual(table[.metrics], .zero)
        XCTAssertTrue(table.values.allSatisfy { $0.median <= table[.analyze]!.median })
    }

    func testLatencyIsAppliedToRequests() async throws {
        try await withTarget(configure: {
            $0.latencyScale = 2
            $0.latencyProfiles = [.health: LatencyProfile(medianMilliseconds: 50, p99Milliseconds: 50)]
        }) { client, _ in
            let start = ContinuousClock.now
            _ = try await client.get("/health")
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(100), "50 ms times --latency-scale 2")
        }
    }
}
