import CCicadaCore

/// An error that stops a run before or while it starts: bad configuration, an unresolvable host, a
/// resource limit. Failures of single requests are never errors; they are counted in the statistics.
public struct CicadaError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words a user can act on.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// Maps a core return code to an error. This is the one place where C error codes become Swift
    /// errors; `detail` is the reason the core wrote, when it wrote one.
    static func core(_ code: Int32, _ what: String, detail: String = "") -> CicadaError {
        let reason = detail.isEmpty ? String(cString: cc_strerror(code)) : detail
        return CicadaError("\(what): \(reason)")
    }
}

/// Turns the NUL-terminated contents of a C error buffer into a String.
func stringFromBuffer(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { pointer in
        String(cString: pointer.baseAddress!)
    }
}
