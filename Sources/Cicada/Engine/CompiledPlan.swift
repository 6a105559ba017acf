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
    /// - Throws: `CicadaError` naming the request, header or class the core rejected.
    public init(scenario: Scenario, hostHeader: String) throws {
        let strings = CStringArena()
        var endpointIndex: [Endpoint: UInt32] = [:]
        var endpoints: [Endpoint] = []
        var requestSpecs: [cc_request_spec_t] = []
        var taskSpecs: [cc_task_spec_t] = []
        var classSpecs: [cc_user_class_spec_t] = []

        func addRequest(_ request: RequestTemplate) {
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
            spec.body_length = UInt32(request.body.count)
            spec.endpoint = index
            spec.close_connection = request.closeConnection ? 1 : 0
            requestSpecs.append(spec)
        }

        func addTask(_ task: UserTask, weight: UInt32) {
            var spec = cc_task_spec_t()
            spec.first_request = UInt32(requestSpecs.count)
            spec.request_count = UInt32(task.requests.count)
            spec.weight = weight
            task.requests.forEach(addRequest)
            taskSpecs.append(spec)
        }

        for userClass in scenario.userClasses {
            var spec = cc_user_class_spec_t()
            spec.first_task = UInt32(taskSpecs.count)
            spec.task_count = UInt32(userClass.tasks.count)
            for task in userClass.tasks { addTask(task, weight: UInt32(task.weight)) }
            if let onStart = userClass.onStart {
                spec.on_start_task = Int32(taskSpecs.count)
                addTask(onStart, weight: 0)
            } else {
                spec.on_start_task = -1
            }
            spec.wait = Self.waitSpec(userClass.wait)
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

    static func waitSpec(_ wait: WaitTime) -> cc_wait_spec_t {
        func ns(_ seconds: Double) -> UInt64 { UInt64((max(0, seconds) * 1e9).rounded()) }
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
            spec.min_ns = tasksPerSecond > 0 ? ns(1 / tasksPerSecond) : 0
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
            (pointer + i).initialize(to: cc_header_spec_t(name: copy(header.name), value: copy(header.value)))
        }
        return (UnsafePointer(pointer), headers.count)
    }

    deinit {
        for pointer in allocations { free(pointer) }
    }
}
