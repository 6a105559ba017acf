import CCicadaCore
import Foundation

/// Builds a cc_plan_t from Swift values for the core's tests: C strings and arrays are kept alive
/// until the plan is compiled, then freed.
struct PlanFixture {
    struct Request {
        var method = "GET"
        var target = "/"
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var endpoint: UInt32 = 0
        var close = false
    }

    struct Class {
        var firstTask: UInt32
        var taskCount: UInt32
        var onStart: Int32 = -1
        var wait = cc_wait_spec_t(kind: CC_WAIT_CONSTANT, min_ns: 0, max_ns: 0)
    }

    var host = "example.test:8080"
    var requests: [Request] = []
    /// (first request, request count, weight)
    var tasks: [(UInt32, UInt32, UInt32)] = []
    var classes: [Class] = []

    /// Compiles the plan; returns it or the core's error code and message.
    func compile() -> (plan: OpaquePointer?, code: Int32, message: String) {
        var allocations: [UnsafeMutableRawPointer] = []
        defer { allocations.forEach { free($0) } }
        func cString(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            allocations.append(p)
            return UnsafePointer(p)
        }
        var requestSpecs: [cc_request_spec_t] = []
        for request in requests {
            var spec = cc_request_spec_t()
            spec.method = cString(request.method)
            spec.target = cString(request.target)
            if !request.headers.isEmpty {
                let raw = malloc(MemoryLayout<cc_header_spec_t>.stride * request.headers.count)!
                allocations.append(raw)
                let headers = raw.bindMemory(to: cc_header_spec_t.self, capacity: request.headers.count)
                for (i, h) in request.headers.enumerated() {
                    (headers + i).initialize(to: cc_header_spec_t(name: cString(h.0), value: cString(h.1), value_template: nil))
                }
                spec.headers = UnsafePointer(headers)
                spec.header_count = UInt32(request.headers.count)
            }
            if !request.body.isEmpty {
                let raw = malloc(request.body.count)!
                allocations.append(raw)
                raw.copyMemory(from: request.body, byteCount: request.body.count)
                spec.body = UnsafePointer(raw.assumingMemoryBound(to: UInt8.self))
                spec.body_length = UInt32(request.body.count)
            }
            spec.endpoint = request.endpoint
            spec.close_connection = request.close ? 1 : 0
            requestSpecs.append(spec)
        }
        let taskSpecs = tasks.map { task -> cc_task_spec_t in
            var spec = cc_task_spec_t()
            spec.first_request = task.0
            spec.request_count = task.1
            spec.weight = task.2
            return spec
        }
        let classSpecs = classes.map { userClass -> cc_user_class_spec_t in
            var spec = cc_user_class_spec_t()
            spec.first_task = userClass.firstTask
            spec.task_count = userClass.taskCount
            spec.on_start_task = userClass.onStart
            spec.wait = userClass.wait
            spec.on_stop_task = -1
            spec.data_table = -1
            return spec
        }
        var plan: OpaquePointer?
        var error = [CChar](repeating: 0, count: 256)
        let host = cString(self.host)
        let code = requestSpecs.withUnsafeBufferPointer { r in
            taskSpecs.withUnsafeBufferPointer { t in
                classSpecs.withUnsafeBufferPointer { c in
                    var spec = cc_plan_spec_t()
                    spec.host_header = host
                    spec.requests = r.baseAddress
                    spec.request_count = UInt32(r.count)
                    spec.tasks = t.baseAddress
                    spec.task_count = UInt32(t.count)
                    spec.classes = c.baseAddress
                    spec.class_count = UInt32(c.count)
                    return cc_plan_compile(&spec, &plan, &error, error.count)
                }
            }
        }
        let message = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (plan, code, message)
    }

    /// The rendered bytes of request `index` as a String.
    static func rendered(_ plan: OpaquePointer, _ index: UInt32) -> String {
        var length = 0
        let bytes = cc_plan_request_bytes(plan, index, &length)!
        return String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
    }
}
