import Foundation

/// A report written as the run goes on (``ReportFile/stream()``): rows are appended to a temporary file,
/// and ``commit()`` puts it in the report's place whole, as ``ReportFile/write(_:)`` does. A write that
/// fails mid-run is kept and thrown by ``commit()``, so that the run goes on and the failure is reported
/// with the other reports'. Used on one thread (the run's control thread, then the one that commits).
public final class ReportStream {
    public let path: String
    private var fd: Int32
    private let temporary: String?
    private var failure: (any Error)?

    init(fd: Int32, path: String, temporary: String?) {
        self.fd = fd
        self.path = path
        self.temporary = temporary
    }

    deinit {
        // Never committed (the run failed to start): leave no temporary file behind.
        if fd >= 0 {
            close(fd)
            if let temporary { unlink(temporary) }
        }
    }

    /// Appends `text`; after a failure, does nothing (``commit()`` throws it).
    public func append(_ text: String) {
        guard failure == nil, fd >= 0 else { return }
        do { try ReportFile.writeAll(Data(text.utf8), to: fd, path: path) } catch { failure = error }
    }

    /// Ends the report: on disk, then renamed over the report's path.
    /// - Throws: ``CicadaError`` for the first write that failed, or for the sync or the rename; the report's
    ///   path is then left as it was.
    public func commit() throws {
        guard fd >= 0 else { return }
        let descriptor = fd
        fd = -1
        var open = true
        do {
            if let failure { throw failure }
            guard let temporary else {
                open = false
                close(descriptor)
                return
            }
            guard fsync(descriptor) == 0 else { throw ReportFile.error(errno, "cannot write '\(path)'") }
            open = false
            guard close(descriptor) == 0 else { throw ReportFile.error(errno, "cannot write '\(path)'") }
            guard rename(temporary, path) == 0 else { throw ReportFile.error(errno, "cannot replace '\(path)'") }
        } catch {
            if open { close(descriptor) }
            if let temporary { unlink(temporary) }
            throw error
        }
    }
}
