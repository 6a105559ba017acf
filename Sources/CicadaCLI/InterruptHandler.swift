import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into calls of a closure, one call per signal, on a queue of their own, for as
/// long as it lives; then the signals' default action is back. The closure runs outside signal context,
/// so it may lock and allocate.
final class InterruptHandler {
    private let sources: [DispatchSourceSignal]

    init(_ onSignal: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "cicada.signals")
        sources = [SIGINT, SIGTERM].map { signalNumber in
            // Ignored, so that the dispatch source sees the signal instead of the process dying of it.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            // Signals that arrive before the handler runs are merged into one event; `data` counts them.
            // The handler holds its source until cancel releases the handler.
            source.setEventHandler {
                for _ in 0..<max(1, source.data) { onSignal() }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
