import Logging

/// Everything `cicada target` can be told; the defaults are those of the command line.
public struct TargetConfiguration: Sendable {
    /// The address to listen on; loopback unless told otherwise.
    public var host = "127.0.0.1"
    /// 0 lets the kernel choose; `SampleMindTarget.run` reports the port it got.
    public var port = 8000
    /// Seconds a login token is valid (its `exp` claim); also the login answer's `expires_in`.
    public var tokenTTL = 3600
    /// Keys accepted in `X-API-Key`, besides `demo-api-key`.
    public var extraAPIKeys: [String] = []
    /// Seconds from a batch job's creation to `done`.
    public var jobSeconds = 3.0
    /// Multiplies every simulated latency; 0 turns them off.
    public var latencyScale = 1.0
    /// Each route's latency before `latencyScale`; routes missing here have none.
    public var latencyProfiles = LatencyProfile.defaults
    /// The fraction of `/api/v1` requests answered with an injected 500.
    public var errorRate = 0.0
    /// Requests in flight past which requests queue (0: no limit). See `CapacityGate`.
    public var capacity = 0
    /// Entries each store keeps at most (files, analyses, jobs, users), the oldest leaving first.
    public var storeLimit = 50_000
    /// Seconds an entry is kept at most.
    public var retention = 3600.0
    /// The largest upload body accepted (413 past it). Upload bytes are counted, never kept.
    public var maxUploadBytes = 16 << 20
    /// Hummingbird's and the target's log level; logs go to standard error, never standard output.
    public var logLevel = Logger.Level.warning

    public init() {}

    /// The key every target accepts, as the contract says.
    public static let demoAPIKey = "demo-api-key"

    public var apiKeys: Set<String> { Set([Self.demoAPIKey] + extraAPIKeys) }
}
