import Foundation

/// Holds a value that only one thread may use: the thread that made the box, as the C engine requires of
/// its control thread. The box is Sendable so that the type holding it can be, and it checks the thread on
/// every use, so a mistake stops the process at the mistake instead of corrupting the engine.
final class ControlThreadBox<Value>: @unchecked Sendable {
    private let thread = pthread_self()
    private var stored: Value?

    init(_ value: Value) {
        stored = value
    }

    /// Whether the calling thread is the one that made the box.
    var isOwningThread: Bool { pthread_equal(thread, pthread_self()) != 0 }

    /// Removes the value and returns it, or nil when it was taken already. Owning thread only, so that the
    /// value is released there too.
    func take() -> Value? {
        precondition(isOwningThread, "used from a thread other than the one that made it (its control thread)")
        defer { stored = nil }
        return stored
    }
}
