import CCicadaCore
import Foundation

/// One metrics group: the requests that share a method and a name are reported together, as in Locust.
public struct Endpoint: Hashable, Sendable {
    public var method: String
    public var name: String

    public init(method: String, name: String) {
        self.method = method
        self.name = name
    }
}

/// A scenario compiled into the core's plan: the rendered request bytes, the task tables and the
/// endpoints that samples refer to by index. Immutable; owns the C plan and frees it on deinit.
public final class CompiledPlan: @unchecked Sendable {
    /// The endpoints, indexed as in samples.
    public let endpoints: [Endpoint]
    /// The user classes, in the order the core knows them.
    public let userClassNames: [String]
    /// The user classes' weights, in the same order.
    public let userClassWeights: [Int]
    let handle: OpaquePointer

    /// Compiles `scenario` for a target whose Host header is `hostHeader`.
    ///
    /// Sizes, weights and waits are checked again here, against ``SettingBounds``, before they become the
    /// core's 32- and 64-bit fields: a scenario built in code without ``Scenario/validate()`` gets an error,
    /// not a trap or a value cut short.
    /// - Throws: `CicadaError` naming the request, header or class the core rejected.
    public init(scenario: Scenario, hostHeader: String) throws {
        let strings = CStringArena()
        var endpointIndex: [Endpoint: UInt32] = [:]
        var endpoints: [Endpoint] = []
        var requestSpecs: [cc_request_spec_t] = []
        var taskSpecs: [cc_task_spec_t] = []
        var classSpecs: [cc_user_class_spec_t] = []
        var planBytes = 0

        func addRequest(_ request: RequestTemplate) throws {
            try SettingBounds.checkBody(request)
            try SettingBounds.count(request, into: &planBytes)
            let name = request.endpointName
            let endpoint = Endpoint(method: request.method, name: name)
            let index: UInt32
            if let known = endpointIndex[endpoint] {
                index = known
            } else {
                index = UInt32(endpoints.count)
                endpointIndex[endpoint] = index
                endpoints.append(endpoint)
            }
            var spec = cc_request_spec_t()
            spec.method = strings.copy(request.method)
            spec.target = strings.copy(request.path)
            let headers = strings.headers(request.headers)
            spec.headers = headers.pointer
            spec.header_count = UInt32(headers.count)
            spec.body = strings.bytes(request.body)
            spec.body_length = UInt32(request.body.count) // at most SettingBounds.bodyBytes, checked above
            spec.endpoint = index
            spec.close_connection = request.closeConnection ? 1 : 0
            requestSpecs.append(spec)
        }

        func addTask(_ task: UserTask, weight: Int) throws {
            _ = try SettingBounds.weight.check(weight)
            var spec = cc_task_spec_t()
            spec.first_request = UInt32(requestSpecs.count)
            spec.request_count = UInt32(task.requests.count)
            spec.weight = UInt32(weight)
            try task.requests.forEach(addRequest)
            taskSpecs.append(spec)
        }

        for userClass in scenario.userClasses {
            var spec = cc_user_class_spec_t()
            spec.first_task = UInt32(taskSpecs.count)
            spec.task_count = UInt32(userClass.tasks.count)
            spec.on_stop_task = -1
            spec.data_table = -1
            do {
                for task in userClass.tasks { try addTask(task, weight: task.weight) }
                if let onStart = userClass.onStart {
                    spec.on_start_task = Int32(taskSpecs.count)
                    try addTask(onStart, weight: 0)
                } else {
                    spec.on_start_task = -1
                }
                spec.wait = try Self.waitSpec(userClass.wait)
            } catch let error as InputError {
                throw CicadaError("the scenario cannot be compiled: user class '\(userClass.name)': \(error.message)")
            }
            classSpecs.append(spec)
        }

        var plan: OpaquePointer?
        var error = [CChar](repeating: 0, count: 512)
        let rc = requestSpecs.withUnsafeBufferPointer { requests in
            taskSpecs.withUnsafeBufferPointer { tasks in
                classSpecs.withUnsafeBufferPointer { classes in
                    var spec = cc_plan_spec_t()
                    spec.host_header = strings.copy(hostHeader)
                    spec.requests = requests.baseAddress
                    spec.request_count = UInt32(requests.count)
                    spec.tasks = tasks.baseAddress
                    spec.task_count = UInt32(tasks.count)
                    spec.classes = classes.baseAddress
                    spec.class_count = UInt32(classes.count)
                    return cc_plan_compile(&spec, &plan, &error, error.count)
                }
            }
        }
        guard rc == 0, let plan else {
            throw CicadaError.core(rc, "the scenario cannot be compiled", detail: stringFromBuffer(error))
        }
        self.handle = plan
        self.endpoints = endpoints
        self.userClassNames = scenario.userClasses.map(\.name)
        self.userClassWeights = scenario.userClasses.map(\.weight)
    }

    deinit {
        cc_plan_free(handle)
    }

    /// The bytes the core sends for request `index`, for inspection and tests.
    public func requestBytes(_ index: Int) -> [UInt8]? {
        var length = 0
        guard let bytes = cc_plan_request_bytes(handle, UInt32(index), &length) else { return nil }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    /// The core's form of `wait`, in nanoseconds.
    /// - Throws: ``InputError`` from ``SettingBounds/checkWait(_:written:)`` for a wait out of its bounds.
    static func waitSpec(_ wait: WaitTime) throws -> cc_wait_spec_t {
        try SettingBounds.checkWait(wait)
        // Within the bounds, every time is at most 30 days: nanoseconds(_:) cannot fail.
        func ns(_ seconds: Double) -> UInt64 { nanoseconds(seconds) ?? 0 }
        var spec = cc_wait_spec_t()
        switch wait {
        case .constant(let seconds):
            spec.kind = CC_WAIT_CONSTANT
            spec.min_ns = ns(seconds)
        case .between(let low, let high):
            spec.kind = CC_WAIT_BETWEEN
            spec.min_ns = ns(low)
            spec.max_ns = ns(high)
        case .constantPacing(let seconds):
            spec.kind = CC_WAIT_PACING
            spec.min_ns = ns(seconds)
        case .constantThroughput(let tasksPerSecond):
            // Locust: constant_throughput(x) is constant_pacing(1 / x).
            spec.kind = CC_WAIT_PACING
            spec.min_ns = ns(1 / tasksPerSecond)
        }
        return spec
    }
}

/// C strings and buffers that must live while a plan is compiled; freed together afterwards.
final class CStringArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    func copy(_ string: String) -> UnsafePointer<CChar> {
        let pointer = strdup(string)!
        allocations.append(pointer)
        return UnsafePointer(pointer)
    }

    func bytes(_ bytes: [UInt8]) -> UnsafePointer<UInt8>? {
        guard !bytes.isEmpty else { return nil }
        let raw = malloc(bytes.count)!
        allocations.append(raw)
        let pointer = raw.bindMemory(to: UInt8.self, capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(pointer)
    }

    func headers(_ headers: [Header]) -> (pointer: UnsafePointer<cc_header_spec_t>?, count: Int) {
        guard !headers.isEmpty else { return (nil, 0) }
        let raw = malloc(MemoryLayout<cc_header_spec_t>.stride * headers.count)!
        allocations.append(raw)
        let pointer = raw.bindMemory(to: cc_header_spec_t.self, capacity: headers.count)
        for (i, header) in headers.enumerated() {
            (pointer + i).initialize(to: cc_header_spec_t(name: copy(header.name), value: copy(header.value), value_template: nil))
        }
        return (UnsafePointer(pointer), headers.count)
    }

    deinit {
        for pointer in allocations { free(pointer) }
    }
}
