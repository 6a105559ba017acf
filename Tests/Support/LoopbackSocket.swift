import Foundation
import Glibc

/// Small wrappers over the POSIX socket calls the test servers need, all on 127.0.0.1.
///
/// Every descriptor is created close-on-exec, so an nginx (or any other child) spawned by another test thread
/// never inherits a test server's sockets and keeps a connection open after the server closed it.
enum LoopbackSocket {
    /// `accept4(2)`, found at run time: Swift's Glibc module does not define `_GNU_SOURCE`, so the declaration
    /// is hidden, but glibc always exports the symbol.
    private typealias Accept4 = @convention(c) (
        Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32
    ) -> Int32

    private static let accept4Function: Accept4? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "accept4") else { return nil }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    static let streamCloseOnExec = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    static let nonBlockingFlag = Int32(SOCK_NONBLOCK.rawValue)

    /// The address 127.0.0.1:`port`.
    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A TCP socket bound to 127.0.0.1:`port` (0 lets the kernel choose), not yet listening.
    static func bound(port: Int, nonBlocking: Bool) throws -> Int32 {
        let fd = socket(AF_INET, streamCloseOnExec | (nonBlocking ? nonBlockingFlag : 0), 0)
        guard fd >= 0 else { throw TestServerError.systemCall("socket", errno: errno) }
        var address = address(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let saved = errno
            close(fd)
            throw TestServerError.systemCall("bind(127.0.0.1:\(port))", errno: saved)
        }
        return fd
    }

    /// The port a bound socket has.
    static func localPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw TestServerError.systemCall("getsockname", errno: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port on 127.0.0.1 that was free a moment ago: bind port 0, read the port, close.
    ///
    /// Another process may take it before the caller does, so whoever binds it must be ready to retry.
    static func unusedPort() throws -> Int {
        let fd = try bound(port: 0, nonBlocking: false)
        defer { close(fd) }
        return try localPort(fd)
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket, or returns -1 with `errno` set.
    static func accept(_ listener: Int32) -> Int32 {
        if let accept4Function {
            return accept4Function(listener, nil, nil, nonBlockingFlag | Int32(SOCK_CLOEXEC.rawValue))
        }
        let fd = Glibc.accept(listener, nil, nil)
        if fd >= 0 {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return fd
    }

    /// Sets an integer socket option, ignoring failure (every use is an optimisation, not a requirement).
    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Closes `fd` so that the peer sees a reset (RST) rather than an orderly end (FIN).
    ///
    /// With `SO_LINGER` on and a zero timeout, Linux's `close(2)` discards unsent data and sends RST
    /// (tcp_close, "abort on close"), which a client reads as `ECONNRESET`.
    static func closeWithReset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }

    /// Connects to 127.0.0.1:`port` with a blocking socket, giving up after `timeout` seconds.
    ///
    /// Returns the connected descriptor, or nil when the port refused or did not answer in time.
    static func connect(port: Int, timeout: TimeInterval) -> Int32? {
        guard let fd = try? socketForConnect() else { return nil }
        var address = address(port: port)
        let started = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if started != 0 && errno != EINPROGRESS {
            close(fd)
            return nil
        }
        if started != 0 {
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard poll(&entry, 1, Int32(timeout * 1000)) == 1,
                  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0
            else {
                close(fd)
                return nil
            }
        }
        // Back to blocking for the simple request/response exchanges the callers do.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var receiveTimeout = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private static func socketForConnect() throws -> Int32 {
        let fd = socket(AF_INET, streamCloseOnExec | nonBlockingFlag, 0)
        guard fd >= 0 else { throw TestServerError.systemCall("socket", errno: errno) }
        return fd
    }

    /// Sends `request` on a fresh connection and reads until the server closes it or `timeout` passes.
    ///
    /// Returns the raw response bytes, or nil when the connection failed. For start-up probes, not for tests:
    /// tests exercise Cicada's own client.
    static func exchange(port: Int, request: String, timeout: TimeInterval) -> [UInt8]? {
        guard let fd = connect(port: port, timeout: timeout) else { return nil }
        defer { close(fd) }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return nil }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                response.append(contentsOf: buffer[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return n == 0 ? response : (response.isEmpty ? nil : response)
            }
        }
    }

    /// Nanoseconds on the monotonic clock.
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// A test server's poll loop: `run` serves until `requestStop` is called from another thread.
protocol ServerLoop: AnyObject, Sendable {
    func run()
    func requestStop()
}

/// Runs a ``ServerLoop`` on a thread of its own; ``stop()`` asks the loop to stop and waits for the thread.
final class ServingThread: Sendable {
    private let loop: any ServerLoop
    private let finished = DispatchSemaphore(value: 0)

    init(loop: any ServerLoop, name: String) {
        self.loop = loop
        let finished = self.finished
        let thread = Thread {
            loop.run()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        loop.requestStop()
        finished.wait()
    }
}
