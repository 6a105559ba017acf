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

/// A scenario compiled into the core's plan: the request bytes and templates, the task, step and class
/// tables, and the names of what samples refer to by index (endpoints, checks, captures, variables).
/// Immutable; owns the C plan and frees it on deinit.
public final class CompiledPlan: @unchecked Sendable {
    /// The plan as it was handed to the core, with ``PlanSpecification/canonicalDescription``.
    public let specification: PlanSpecification
    /// The endpoints, indexed as in samples.
    public let endpoints: [Endpoint]
    /// The user classes, in the order the core knows them.
    public let userClassNames: [String]
    /// The user classes' weights, in the same order.
    public let userClassWeights: [Int]
    /// The user classes' `fixed_count`s, in the same order; `nil` for a class shared by weight.
    public let userClassFixedCounts: [Int?]
    /// Each check in words, indexed as a `check` failure's detail: `check json status == "done"`.
    public var checkDescriptions: [String] { specification.checkDescriptions }
    /// Each capture's failure in words, indexed as a `capture` failure's detail:
    /// `capture 'token' found nothing at json access_token`.
    public var captureDescriptions: [String] { specification.captureDescriptions }
    /// The variables' names, indexed as a `template` failure's detail.
    public var variableNames: [String] { specification.variables.map(\.name) }
    /// The words for the failures of this plan's samples.
    public var failureNames: FailureNames {
        let checks = specification.requests.flatMap { request in request.checks.enumerated().map { (request.firstCheck + $0.offset, $0.element) } }
        return FailureNames(checks: checkDescriptions, captures: captureDescriptions, variables: variableNames,
                            dataFiles: specification.dataFiles,
                            statusChecks: Set(checks.filter { $0.1.kind == UInt8(CC_CHECK_STATUS.rawValue) }.map(\.0)))
    }
    let handle: OpaquePointer
    /// The request hooks' bindings, which the C plan points at: alive as long as the plan.
    private let hookBindings: [RequestHookBinding?]

    /// Compiles `scenario` for a target whose Host header is `hostHeader`.
    ///
    /// Sizes, weights and waits are checked again here, against ``SettingBounds``, before they become the
    /// core's 32- and 64-bit fields: a scenario built in code without ``Scenario/validate()`` gets an error,
    /// not a trap or a value cut short.
    /// - Throws: `CicadaError` naming the request, header or class the core rejected.
    public convenience init(scenario: Scenario, hostHeader: String) throws {
        let specification: PlanSpecification
        do {
            specification = try PlanSpecification(scenario: scenario, hostHeader: hostHeader)
        } catch let error as InputError {
            throw CicadaError("the scenario cannot be compiled: \(error.message)")
        }
        try self.init(specification: specification)
    }

    /// Compiles a plan specification.
    /// - Throws: `CicadaError` with the core's reason.
    public init(specification: PlanSpecification) throws {
        let arena = CStringArena()
        var plan: OpaquePointer?
        var error = [CChar](repeating: 0, count: 512)
        // The variables by name, for the hooks' look-ups; a plan without hooks needs none.
        var bindings: [RequestHookBinding?] = []
        if specification.requests.contains(where: { $0.hook != nil }) {
            let variableIndex = Dictionary(specification.variables.enumerated().map { ($0.element.name, UInt32($0.offset)) },
                                           uniquingKeysWith: { first, _ in first })
            bindings = specification.requests.map { request in
                request.hook.map { RequestHookBinding(hook: $0, variables: variableIndex) }
            }
        }
        var spec = specification.cSpec(in: arena, hooks: bindings)
        let rc = cc_plan_compile(&spec, &plan, &error, error.count)
        guard rc == 0, let plan else {
            throw CicadaError.core(rc, "the scenario cannot be compiled", detail: stringFromBuffer(error))
        }
        self.handle = plan
        self.hookBindings = bindings
        self.specification = specification
        self.endpoints = specification.endpoints
        self.userClassNames = specification.classes.map(\.name)
        self.userClassWeights = specification.classes.map(\.weight)
        self.userClassFixedCounts = specification.classes.map(\.fixedCount)
    }

    /// Every part of the plan in words; see ``PlanSpecification/canonicalDescription``.
    public var canonicalDescription: String { specification.canonicalDescription }

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

    /// A C array of `items`, or NULL for none; freed with the arena.
    func array<T>(_ items: [T]) -> UnsafePointer<T>? {
        guard !items.isEmpty else { return nil }
        let raw = malloc(MemoryLayout<T>.stride * items.count)!
        allocations.append(raw)
        let pointer = raw.bindMemory(to: T.self, capacity: items.count)
        pointer.initialize(from: items, count: items.count)
        return UnsafePointer(pointer)
    }

    /// One value in C memory; freed with the arena.
    func value<T>(_ item: T) -> UnsafePointer<T> {
        array([item])!
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
