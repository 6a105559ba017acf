import Foundation

/// Text written to a file descriptor (standard output, standard error) that a closed pipe or a full disk
/// cannot end. Writes go straight to write(2), never through `FileHandle.write`, which traps on an error.
/// The first failure ends the stream: later writes are dropped, ``failure`` keeps the error, and a warning
/// goes once to `warnings` (standard error), if that still works. A closed pipe fails a write only when
/// SIGPIPE is ignored; otherwise it ends the process, so the command line ignores it.
///
/// Not for several threads at once; a run writes its console from its control thread.
public final class ConsoleStream {
    public let fileDescriptor: Int32
    /// What the warning calls it: "standard output".
    public let name: String
    private let warnings: ConsoleStream?
    /// The `errno` of the write that failed, or nil while every write has worked.
    public private(set) var failure: Int32?

    public init(fileDescriptor: Int32, name: String, warnings: ConsoleStream? = nil) {
        self.fileDescriptor = fileDescriptor
        self.name = name
        self.warnings = warnings
    }

    /// Whether the descriptor is a terminal, which can redraw a table in place.
    public var isTerminal: Bool { isatty(fileDescriptor) != 0 }

    /// Writes `text` whole, or fails the stream.
    public func write(_ text: String) {
        guard failure == nil else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                fail(written < 0 ? errno : EIO)
                return
            }
        }
    }

    private func fail(_ error: Int32) {
        failure = error
        warnings?.write("cicada: warning: cannot write to \(name) (\(String(cString: strerror(error)))): "
            + "its report stops here; the run goes on, and its report files and exit code are kept\n")
    }
}
