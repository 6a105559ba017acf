import CCicadaCore
import Foundation

/// The C engine's live counters, summed over the workers.
public typealias EngineCounters = cc_engine_counters_t

/// A thin owner of the C engine. Every method must be called from the thread that created it (the
/// control thread); the engine's own worker threads never call into Swift.
public final class LoadEngine {
    public let plan: CompiledPlan
    private let handle: OpaquePointer
    private var drainBuffer: UnsafeMutableBufferPointer<cc_sample_t>

    /// Resolves the host and prepares the workers.
    /// - Throws: `CicadaError` when the host does not resolve or an option is out of range.
    public init(plan: CompiledPlan, options: EngineOptions) throws {
        guard (1...65535).contains(options.port) else { throw CicadaError("port \(options.port) is out of range 1-65535") }
        var engine: OpaquePointer?
        var error = [CChar](repeating: 0, count: 512)
        var c = cc_engine_options_t()
        c.port = UInt16(options.port)
        c.threads = try engineValue("threads", options.threads, 0...SettingBounds.threads.range.upperBound)
        c.max_users = try engineValue("maxUsers", max(options.maxUsers, options.arrival?.maxUsers ?? 0), SettingBounds.users.range)
        if let arrival = options.arrival {
            try arrival.validate()
            c.open_model = 1
            c.saturation = UInt8(arrival.saturation == .queue ? CC_SATURATION_QUEUE.rawValue : CC_SATURATION_DROP.rawValue)
            c.queue_limit = UInt32(arrival.queueLimit)
        }
        c.connect_timeout_ns = try engineNanoseconds("connectTimeout", options.connectTimeout, SettingBounds.connectTimeout)
        c.request_timeout_ns = try engineNanoseconds("requestTimeout", options.requestTimeout, SettingBounds.timeout)
        c.seed = options.seed
        c.pipeline_depth = try engineValue("pipelineDepth", options.pipelineDepth, SettingBounds.pipeline.range)
        let strings = CStringArena()
        c.host = strings.copy(options.host)
        if let tls = options.tls {
            func version(_ v: TLSVersion) -> UInt8 {
                switch v {
                case .tls1_2: UInt8(CC_TLS_VERSION_1_2.rawValue)
                case .tls1_3: UInt8(CC_TLS_VERSION_1_3.rawValue)
                }
            }
            // The defaults that TLSSettings documents for its unset fields, applied here and nowhere else.
            c.tls.enabled = 1
            c.tls.verify = tls.verify ?? true ? 1 : 0
            c.tls.resume = tls.resume ?? true ? 1 : 0
            c.tls.min_version = version(tls.minVersion ?? .tls1_2)
            c.tls.max_version = version(tls.maxVersion ?? .tls1_3)
            c.tls.server_name = tls.serverName.map(strings.copy)
            c.tls.ca_file = tls.caFile.map(strings.copy)
            c.tls.cert_file = tls.certFile.map(strings.copy)
            c.tls.key_file = tls.keyFile.map(strings.copy)
        }
        let rc = cc_engine_create(plan.handle, &c, &engine, &error, error.count)
        guard rc == 0, let engine else {
            throw CicadaError.core(rc, "cannot prepare the load engine", detail: stringFromBuffer(error))
        }
        self.plan = plan
        self.handle = engine
        self.drainBuffer = .allocate(capacity: 16384)
    }

    deinit {
        cc_engine_destroy(handle)
        drainBuffer.deallocate()
    }

    /// The number of worker threads.
    public var workerCount: Int { Int(cc_engine_worker_count(handle)) }

    /// The resolved address, as "127.0.0.1:8080".
    public var targetDescription: String {
        var buffer = [CChar](repeating: 0, count: 80)
        cc_engine_describe_target(handle, &buffer, buffer.count)
        return stringFromBuffer(buffer)
    }

    /// Starts the worker threads. The core blocks SIGPIPE on them, so that a write to a connection the
    /// server has reset fails with EPIPE, which is counted, instead of ending the process.
    public func start() throws {
        try check(cc_engine_start(handle), "cannot start the workers")
    }

    public func spawn(userClass: Int, count: Int) throws {
        guard count > 0 else { return }
        try check(cc_engine_spawn(handle, UInt32(userClass), UInt32(count)), "cannot add \(count) users")
    }

    public func retire(userClass: Int, count: Int) throws {
        guard count > 0 else { return }
        try check(cc_engine_retire(handle, UInt32(userClass), UInt32(count)), "cannot stop \(count) users")
    }

    /// Open model: sets a class's iterations per second and the most users it may have.
    public func setArrival(userClass: Int, perSecond: Double, maxUsers: Int) throws {
        try check(cc_engine_set_arrival(handle, UInt32(userClass), perSecond, UInt32(maxUsers)),
                  "cannot set an arrival rate of \(formatNumber(perSecond))/s")
    }

    /// Open model: the schedule's figures of one class, or of every class together when `userClass` is nil.
    public func arrivalCounters(userClass: Int? = nil) -> cc_arrival_counters_t {
        var counters = cc_arrival_counters_t()
        cc_engine_arrival_counters(handle, userClass.map(UInt32.init) ?? UInt32.max, &counters)
        return counters
    }

    /// No new request starts after this; users stop when their request in flight ends.
    public func stop() { _ = cc_engine_stop(handle) }

    /// Abandons the requests still in flight, each counted as cancelled.
    public func cancel() { _ = cc_engine_cancel(handle) }

    /// Closes everything and joins the worker threads.
    public func join() { _ = cc_engine_join(handle) }

    public func counters() -> EngineCounters {
        var counters = cc_engine_counters_t()
        cc_engine_counters(handle, &counters)
        return counters
    }

    /// Hands every sample waiting in the workers' rings to `body`, in batches, without copying them
    /// into Swift arrays.
    public func drain(_ body: (UnsafeBufferPointer<cc_sample_t>) -> Void) {
        while true {
            let count = cc_engine_drain(handle, drainBuffer.baseAddress, drainBuffer.count)
            if count == 0 { return }
            body(UnsafeBufferPointer(rebasing: drainBuffer[0..<count]))
            if count < drainBuffer.count { return }
        }
    }

    private func check(_ rc: Int32, _ what: String) throws {
        if rc != 0 { throw CicadaError.core(rc, what) }
    }
}
