/// Where and how the engine connects.
public struct EngineOptions: Sendable {
    public var host: String
    public var port: Int
    public var threads: Int
    public var maxUsers: Int
    public var connectTimeout: Double
    public var requestTimeout: Double
    public var seed: UInt64
    /// TLS settings, validated (``TLSSettings/validate()``); nil for plain HTTP. The engine gives the fields
    /// left unset their defaults.
    public var tls: TLSSettings?
    /// Requests each user keeps in flight on its connection (HTTP/1.1 pipelining); 1 for none.
    public var pipelineDepth: Int
    /// The open model's users and saturation rule (``ArrivalModel``); `nil` for a run of users. The engine
    /// then holds up to the larger of ``maxUsers`` and its ``ArrivalModel/maxUsers``.
    public var arrival: ArrivalModel?

    public init(host: String, port: Int, threads: Int = 0, maxUsers: Int, connectTimeout: Double = 5,
                requestTimeout: Double = 60, seed: UInt64 = 0x5EED, tls: TLSSettings? = nil, pipelineDepth: Int = 1,
                arrival: ArrivalModel? = nil) {
        self.arrival = arrival
        self.tls = tls
        self.pipelineDepth = pipelineDepth
        self.host = host
        self.port = port
        self.threads = threads
        self.maxUsers = maxUsers
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.seed = seed
    }
}
