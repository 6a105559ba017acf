import Foundation

/// A file that a report goes to. It is checked when the run is set up, so that a path that cannot be
/// written costs no load, and written when the run has ended through a temporary file in the same
/// directory and a rename (atomic in POSIX), so that a reader never sees half a report and a write that
/// fails leaves the file as it was.
///
/// A path to something other than a regular file (`/dev/stdout` on a pipe or a terminal, a FIFO,
/// `/dev/null`), or to the file that this process's standard output or error already goes to, is
/// appended to in place instead: renaming over it would replace the device or lose the console's text.
///
/// ```swift
/// let report = try ReportFile(path: "out/summary.json")   // before the run: throws if it cannot be written
/// // ... the run ...
/// try report.write(summary.encoded())
/// ```
public struct ReportFile: Sendable {
    public let path: String
    private let destination: Destination

    private enum Destination: Sendable {
        /// Write a temporary file beside `target` and rename it over `target`.
        case replace(target: String)
        /// Open the path and append.
        case inPlace
    }

    /// Checks that a report can be written to `path`: that it is not a directory, that its directory
    /// exists, and that a file can be created there (one is created and removed).
    /// - Throws: ``CicadaError`` naming the path and what is wrong with it.
    public init(path: String) throws {
        self.path = path
        guard !path.isEmpty else { throw CicadaError("the report path is empty") }
        var info = stat()
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                throw CicadaError("'\(path)' is a directory")
            case S_IFREG where !Self.isStandardStream(info):
                // Through symbolic links: the link stays, and the file it names is replaced.
                guard let resolved = realpath(path, nil) else { throw Self.error(errno, "cannot resolve '\(path)'") }
                defer { free(resolved) }
                let target = String(cString: resolved)
                try Self.probe(directory: Self.directory(of: target))
                destination = .replace(target: target)
            default:
                guard access(path, W_OK) == 0 else { throw Self.error(errno, "cannot write to '\(path)'") }
                destination = .inPlace
            }
            return
        }
        let statError = errno
        var link = stat()
        if statError == ENOENT && lstat(path, &link) == 0 {
            throw CicadaError("'\(path)' is a symbolic link to a file that does not exist")
        }
        guard statError == ENOENT else { throw Self.error(statError, "cannot write to '\(path)'") }
        let directory = Self.directory(of: path)
        var directoryInfo = stat()
        guard stat(directory, &directoryInfo) == 0 else {
            throw errno == ENOENT ? CicadaError("the directory '\(directory)' does not exist")
                : Self.error(errno, "cannot use the directory '\(directory)'")
        }
        guard directoryInfo.st_mode & S_IFMT == S_IFDIR else { throw CicadaError("'\(directory)' is not a directory") }
        try Self.probe(directory: directory)
        destination = .replace(target: path)
    }

    /// Writes `data` whole, or throws and leaves the file as it was (when it is replaced, not appended to).
    /// - Throws: ``CicadaError`` naming the path and the system's reason.
    public func write(_ data: Data) throws {
        switch destination {
        case .inPlace:
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw Self.error(errno, "cannot open '\(path)'") }
            defer { close(fd) }
            try Self.writeAll(data, to: fd, path: path)
        case let .replace(target):
            let (fd, temporary) = try Self.createTemporary(beside: target)
            do {
                try Self.writeAll(data, to: fd, path: target)
                // On disk before the rename, so that a crash leaves the old file or the new one.
                guard fsync(fd) == 0 else { throw Self.error(errno, "cannot write '\(target)'") }
                let closed = close(fd)
                guard closed == 0 else { throw Self.error(errno, "cannot write '\(target)'") }
                guard rename(temporary, target) == 0 else { throw Self.error(errno, "cannot replace '\(target)'") }
            } catch {
                close(fd)
                unlink(temporary)
                throw error
            }
        }
    }

    /// Opens the report for writing as the run goes on (a history of a row a second), for ``ReportStream``:
    /// the rows go to a temporary file that replaces the report on ``ReportStream/commit()``, or straight
    /// into a FIFO or device.
    /// - Throws: ``CicadaError`` when the file cannot be opened.
    public func stream() throws -> ReportStream {
        switch destination {
        case .inPlace:
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw Self.error(errno, "cannot open '\(path)'") }
            return ReportStream(fd: fd, path: path, temporary: nil)
        case let .replace(target):
            let (fd, temporary) = try Self.createTemporary(beside: target)
            return ReportStream(fd: fd, path: target, temporary: temporary)
        }
    }

    /// Writes `data` whole to `fd`, or throws naming `path`.
    static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw error(written < 0 ? errno : EIO, "cannot write '\(path)'") }
                offset += written
            }
        }
    }

    static func error(_ code: Int32, _ what: String) -> CicadaError {
        CicadaError("\(what): \(String(cString: strerror(code)))")
    }

    /// The directory that `path` names a file in: "." for a bare name.
    private static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// Whether `info` is the file that this process's standard output or error is.
    private static func isStandardStream(_ info: stat) -> Bool {
        [STDOUT_FILENO, STDERR_FILENO].contains { fd in
            var stream = stat()
            return fstat(fd, &stream) == 0 && stream.st_dev == info.st_dev && stream.st_ino == info.st_ino
        }
    }

    /// Creates and removes a file in `directory`, which is the one test that answers for every reason a
    /// file cannot be made there (permissions, a read-only mount, /proc).
    private static func probe(directory: String) throws {
        let (fd, temporary) = try createTemporary(beside: directory + "/report")
        close(fd)
        unlink(temporary)
    }

    /// Creates a new file beside `target`, named after it and hidden, with the mode a new file gets from the
    /// umask, and returns its descriptor and path.
    private static func createTemporary(beside target: String) throws -> (Int32, String) {
        let name = (target as NSString).lastPathComponent
        let directory = directory(of: target)
        while true {
            let temporary = "\(directory)/.\(name).\(String(UInt32.random(in: .min ... .max), radix: 16)).tmp"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 { return (fd, temporary) }
            if errno != EEXIST { throw error(errno, "cannot create a file in '\(directory)'") }
        }
    }

}
