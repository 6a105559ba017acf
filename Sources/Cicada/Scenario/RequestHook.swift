import CCicadaCore
import Foundation

/// Swift code that fills a request's variables just before the core renders it, for what the
/// declarative forms cannot express (a body signed with HMAC over other fields, a nonce of a server's
/// own format).
///
/// A hook is opt-in per request and is the only Swift call the core makes per request: a request
/// without one never leaves C. It runs on the worker thread of the user whose request it is, on that
/// worker's event loop, so it must not block and must be safe to call from several threads at once
/// (one per worker). It reads variables with ``RequestHookCall/value(_:)`` and sets the ones it
/// declares in `sets` with ``RequestHookCall/set(_:to:)``; the request's templates then read them as
/// `${name}`. A hook that throws fails that request as a `template` failure whose reason is the
/// error's description (cut at the sample's 30 bytes of evidence), and the user goes on as after any
/// failed request.
///
/// ```swift
/// Request.post("/api/v1/orders", json: ["id": "${order_id}", "signature": "${signature}"])
///     .hook("sign", sets: ["signature"]) { call in
///         try call.set("signature", to: hmacHex(key, call.value("order_id") ?? ""))
///     }
/// ```
///
/// Hooks exist only in scenarios written in Swift: a YAML file cannot name code. Two hooks are equal
/// when they are the same value (the same `RequestHook` passed to several requests), whatever their
/// names.
public struct RequestHook: Sendable, Equatable {
    /// The hook's name, for `cicada validate`'s summary and the plan's description.
    public var name: String { box.name }
    /// The variables the hook may set; each counts as set for the scenario's "used but never set" rule.
    public var sets: [String] { box.sets }
    let box: RequestHookBox

    /// A hook named `name` that may set the variables `sets`, running `body` per request.
    public init(_ name: String, sets: [String], _ body: @escaping @Sendable (RequestHookCall) throws -> Void) {
        box = RequestHookBox(name: name, sets: sets, body: body)
    }

    public static func == (a: RequestHook, b: RequestHook) -> Bool { a.box === b.box }
}

/// The closure of a ``RequestHook``, shared by every copy of it.
final class RequestHookBox: Sendable {
    let name: String
    let sets: [String]
    let body: @Sendable (RequestHookCall) throws -> Void

    init(name: String, sets: [String], body: @escaping @Sendable (RequestHookCall) throws -> Void) {
        self.name = name
        self.sets = sets
        self.body = body
    }
}

/// The reason a hook gives when it fails a request: `throw RequestHookFailure("no key for tenant 7")`.
public struct RequestHookFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ reason: String) { description = reason }
}

/// One call of a hook: the user's variables, readable and (those the hook declares) settable. Valid only
/// during the call; do not keep it.
public struct RequestHookCall {
    let raw: OpaquePointer
    let binding: RequestHookBinding

    /// The run-unique number of the user (`${user.id}`).
    public var userID: UInt64 { cc_hook_user_id(raw) }
    /// How many tasks the user has begun (`${iteration}`).
    public var iteration: UInt64 { cc_hook_iteration(raw) }

    /// The variable's bytes (a list's newest item), or `nil` when it is unset or the plan has no such variable.
    public func bytes(_ name: String) -> [UInt8]? {
        guard let index = binding.variables[name] else { return nil }
        var value: UnsafePointer<UInt8>?
        var length = 0
        guard cc_hook_get(raw, index, &value, &length) == 0 else { return nil }
        guard let value, length > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: value, count: length))
    }

    /// The variable as UTF-8 text (invalid bytes repaired), or `nil` when it is unset.
    public func value(_ name: String) -> String? {
        bytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sets one of the variables the hook declared in `sets`.
    /// - Throws: ``RequestHookFailure`` for a variable the hook did not declare, or a value longer than the
    ///   user's variable arena holds; thrown on, it fails the request with that reason.
    public func set(_ name: String, bytes: [UInt8]) throws {
        guard binding.settable.contains(name), let index = binding.variables[name] else {
            throw RequestHookFailure("hook '\(binding.name)' sets '\(name)', not in its sets")
        }
        let rc = bytes.withUnsafeBufferPointer { buffer in cc_hook_set(raw, index, buffer.baseAddress, buffer.count) }
        guard rc == 0 else { throw RequestHookFailure("'\(name)': \(bytes.count) bytes do not fit") }
    }

    /// Sets one of the variables the hook declared in `sets` to `text`'s UTF-8 bytes.
    public func set(_ name: String, to text: String) throws {
        try set(name, bytes: Array(text.utf8))
    }
}

/// A hook bound to one compiled plan: its closure and the plan's variable indices. The core holds an
/// unretained pointer to it as the request's `hook_context`; the ``CompiledPlan`` keeps it alive.
final class RequestHookBinding: Sendable {
    let name: String
    let body: @Sendable (RequestHookCall) throws -> Void
    let variables: [String: UInt32]
    let settable: Set<String>

    init(hook: RequestHook, variables: [String: UInt32]) {
        name = hook.name
        body = hook.box.body
        self.variables = variables
        settable = Set(hook.sets)
    }

    /// The `cc_request_hook_cb` for every binding: calls the closure, and turns a thrown error into the
    /// request's failure with the error's words. Worker threads.
    static let callback: cc_request_hook_cb = { context, hook in
        guard let context, let hook else { return 1 }
        let binding = Unmanaged<RequestHookBinding>.fromOpaque(context).takeUnretainedValue()
        do {
            try binding.body(RequestHookCall(raw: hook, binding: binding))
            return 0
        } catch {
            String(describing: error).withCString { cc_hook_fail(hook, $0) }
            return 1
        }
    }
}
