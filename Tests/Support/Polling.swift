import Foundation

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass, and returns its last value.
/// For tests that wait on another thread or process (an engine's workers, a server) without a callback
/// to wait on; the timeout bounds a failing test, it is not a measurement.
public func waitUntil(_ timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
