import Foundation

/// A route's service time: log-normal with a given median and 99th percentile.
///
/// A log-normal is what measured service latencies look like (a floor, a hump, a long right tail). With
/// median m and 99th percentile q, ln(latency) is normal with mean ln m and standard deviation
/// σ = ln(q / m) / z₀.₉₉, where z₀.₉₉ = 2.3263 is the standard normal's 99th percentile. Draws are clipped
/// at 5 q, which only touches the tail beyond about the 99.9999th percentile for the table's ratios but
/// keeps one unlucky draw from holding a request for minutes.
public struct LatencyProfile: Sendable, Equatable {
    /// Seconds.
    public var median: Double
    /// Seconds; equal to `median` for a constant latency.
    public var p99: Double

    public init(medianMilliseconds: Double, p99Milliseconds: Double) {
        precondition(medianMilliseconds >= 0 && p99Milliseconds >= medianMilliseconds,
                     "a latency profile needs 0 <= median <= p99")
        self.median = medianMilliseconds / 1000
        self.p99 = p99Milliseconds / 1000
    }

    public static let zero = LatencyProfile(medianMilliseconds: 0, p99Milliseconds: 0)

    static let z99 = 2.326_347_874_040_841

    var sigma: Double { median > 0 && p99 > median ? log(p99 / median) / Self.z99 : 0 }

    /// One service time in seconds, multiplied by `scale`.
    public func sample(scale: Double, using generator: inout some RandomNumberGenerator) -> Double {
        guard scale > 0, median > 0 else { return 0 }
        let sigma = self.sigma
        guard sigma > 0 else { return median * scale }
        let draw = median * exp(sigma * Self.standardNormal(using: &generator))
        return min(draw, 5 * p99) * scale
    }

    /// Box-Muller: one standard normal from two uniforms; u1 is kept away from 0 so the log is finite.
    static func standardNormal(using generator: inout some RandomNumberGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

extension LatencyProfile {
    /// The table in docs/demo-target.md: what an audio-analysis service's routes might take. Analysis is
    /// the slow route (it decodes and runs models), listings and look-ups are index reads, health is a
    /// constant answer. `/metrics` has no simulated latency.
    public static let defaults: [Endpoint: LatencyProfile] = [
        .login: .init(medianMilliseconds: 40, p99Milliseconds: 200),
        .me: .init(medianMilliseconds: 3, p99Milliseconds: 20),
        .upload: .init(medianMilliseconds: 60, p99Milliseconds: 400),
        .analyze: .init(medianMilliseconds: 120, p99Milliseconds: 600),
        .result: .init(medianMilliseconds: 8, p99Milliseconds: 50),
        .listFiles: .init(medianMilliseconds: 5, p99Milliseconds: 30),
        .searchFiles: .init(medianMilliseconds: 15, p99Milliseconds: 90),
        .batch: .init(medianMilliseconds: 20, p99Milliseconds: 120),
        .job: .init(medianMilliseconds: 4, p99Milliseconds: 25),
        .dashboard: .init(medianMilliseconds: 25, p99Milliseconds: 150),
        .listUsers: .init(medianMilliseconds: 10, p99Milliseconds: 60),
        .createUser: .init(medianMilliseconds: 15, p99Milliseconds: 80),
        .adminHealth: .init(medianMilliseconds: 2, p99Milliseconds: 10),
        .health: .init(medianMilliseconds: 1, p99Milliseconds: 5),
        .metrics: .zero,
    ]

    /// Requests that matched no route: as cheap as `/health`.
    public static let unmatched = LatencyProfile(medianMilliseconds: 1, p99Milliseconds: 5)
}
