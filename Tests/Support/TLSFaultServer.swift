import COpenSSL
import Foundation
import Glibc

/// A TLS server on 127.0.0.1 that breaks the handshake on purpose, in one way per server chosen at init.
///
/// | mode | what a client sees |
/// |---|---|
/// | ``Mode/handshakeThenClose(certificatePath:keyPath:)`` | A complete, real TLS handshake (OpenSSL, TLS 1.2 or 1.3, with the given certificate; in TLS 1.3 the two session tickets as well), then end of stream: no HTTP response and no `close_notify`. OpenSSL 3 clients report `unexpected eof while reading`. |
/// | ``Mode/garbage`` | Once its ClientHello has arrived, ``garbageResponse`` (a plain-HTTP `400`, what an HTTP server on the port would say) instead of a ServerHello, then end of stream. OpenSSL reports `wrong version number`. |
/// | ``Mode/stallMidHandshake`` | Its ClientHello is read, then nothing is sent: the connection stays open until the client closes it or the server stops. Only a client-side timeout ends the handshake. |
/// | ``Mode/acceptAndClose`` | The connection is accepted and at once closed: end of stream before any ServerHello. |
///
/// One mode per server keeps the contract as simple as a port: a test that needs two faults starts two servers.
///
/// Every close is orderly: the server shuts down its sending side (FIN) and reads and discards until the client
/// closes, for at most 2 s. Closing at once would turn into a reset (RST) whenever the client's ClientHello or
/// request was still unread (Linux's `tcp_close` aborts a socket with unread data), and which of EOF or
/// `ECONNRESET` a client saw would depend on timing.
///
/// All connections are served by one thread with a `poll(2)` loop; ``stop()`` closes the listener and every
/// connection and joins that thread, without waiting on any client.
///
/// ```swift
/// let certificates = try TestCertificates()
/// let server = TLSFaultServer(mode: .handshakeThenClose(certificates))
/// try server.start()
/// defer { server.stop() }
/// // ... run Cicada against server.baseURL with --ca-file certificates.caCertificatePath ...
/// XCTAssertEqual(server.handshakesCompleted, server.connectionsAccepted)
/// ```
public final class TLSFaultServer: @unchecked Sendable {
    /// How the server breaks the handshake.
    public enum Mode: Sendable, Equatable {
        /// Complete the handshake with this certificate (PEM, optionally followed by intermediates) and key,
        /// then close without `close_notify` and without reading the request.
        case handshakeThenClose(certificatePath: String, keyPath: String)
        /// Answer the ClientHello with ``TLSFaultServer/garbageResponse``, then close.
        case garbage
        /// Read the ClientHello and send nothing, ever.
        case stallMidHandshake
        /// Close every connection as soon as it is accepted.
        case acceptAndClose

        /// ``handshakeThenClose(certificatePath:keyPath:)`` with the server certificate of `certificates`, valid
        /// for `localhost`, `127.0.0.1` and `::1`: a client trusting their CA verifies it.
        public static func handshakeThenClose(_ certificates: TestCertificates) -> Mode {
            .handshakeThenClose(
                certificatePath: certificates.serverCertificatePath, keyPath: certificates.serverKeyPath
            )
        }
    }

    /// What ``Mode/garbage`` sends in place of a ServerHello.
    public static let garbageResponse = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    /// The mode every connection is served in.
    public let mode: Mode

    private let lock = NSLock()
    private var serving: ServingThread?
    private var boundPort = 0
    private let counters = TLSFaultServerCounters()

    /// Creates a stopped server. Call ``start()`` to listen.
    public init(mode: Mode) {
        self.mode = mode
    }

    deinit {
        stop()
    }

    /// The port the server listens on, on 127.0.0.1: the port of the last ``start()``, 0 before one.
    public var port: Int {
        lock.withLock { boundPort }
    }

    /// `https://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String {
        "https://127.0.0.1:\(port)"
    }

    /// Loads the certificate (in ``Mode/handshakeThenClose(certificatePath:keyPath:)``), binds 127.0.0.1 on a port
    /// the kernel chooses and starts serving on a thread of its own.
    ///
    /// Calling it on a running server does nothing. After ``stop()`` it starts again on a new port; the counts
    /// carry over unless ``resetCounts()`` is called.
    /// - Throws: ``TestServerError/tlsSetupFailed(reason:)`` when OpenSSL refuses the certificate or key, with
    ///   OpenSSL's reason; ``TestServerError/systemCall(_:errno:)`` when a socket cannot be set up.
    public func start() throws {
        try lock.withLock {
            guard serving == nil else { return }
            var context: OpaquePointer?
            if case let .handshakeThenClose(certificatePath, keyPath) = mode {
                context = try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath)
            }
            let (listener, port): (Int32, Int)
            do {
                (listener, port) = try Self.listeningSocket()
            } catch {
                SSL_CTX_free(context)
                throw error
            }
            let loop = try TLSFaultServerLoop(mode: mode, listener: listener, context: context, counters: counters)
            serving = ServingThread(loop: loop, name: "TLSFaultServer \(port)")
            boundPort = port
        }
    }

    /// Closes the listener and every open connection, and waits for the serving thread to finish.
    ///
    /// Safe to call more than once, and from `deinit`.
    public func stop() {
        let stopping = lock.withLock {
            defer { serving = nil }
            return serving
        }
        stopping?.stop()
    }

    /// How many connections the server accepted.
    public var connectionsAccepted: Int {
        counters.accepted
    }

    /// How many TLS handshakes completed (only ``Mode/handshakeThenClose(certificatePath:keyPath:)`` completes
    /// any). A handshake the client aborts, say because it does not trust the certificate, is not counted.
    public var handshakesCompleted: Int {
        counters.handshakes
    }

    /// How many connections are open now, on the server's side. It falls to 0 once clients have closed theirs,
    /// so a test can tell that a client gave up on a stalled handshake.
    public var openConnections: Int {
        counters.open
    }

    /// Sets ``connectionsAccepted`` and ``handshakesCompleted`` to zero.
    public func resetCounts() {
        counters.reset()
    }

    /// A non-blocking listener on 127.0.0.1 at a port the kernel chooses, and that port.
    private static func listeningSocket() throws -> (Int32, Int) {
        let listener = try LoopbackSocket.bound(port: 0, nonBlocking: true)
        do {
            let port = try LoopbackSocket.localPort(listener)
            // The backlog FaultServer uses: a burst of connects beyond it would wait for SYN retries.
            guard listen(listener, 4096) == 0 else { throw TestServerError.systemCall("listen", errno: errno) }
            return (listener, port)
        } catch {
            close(listener)
            throw error
        }
    }

    /// An `SSL_CTX` for the server side with the certificate chain and key, checked against each other.
    private static func makeContext(certificatePath: String, keyPath: String) throws -> OpaquePointer {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TestServerError.tlsSetupFailed(reason: "SSL_CTX_new: \(openSSLErrors())")
        }
        guard SSL_CTX_use_certificate_chain_file(context, certificatePath) == 1 else {
            SSL_CTX_free(context)
            throw TestServerError.tlsSetupFailed(reason: "certificate \(certificatePath): \(openSSLErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyPath, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(context) == 1
        else {
            SSL_CTX_free(context)
            throw TestServerError.tlsSetupFailed(reason: "key \(keyPath): \(openSSLErrors())")
        }
        return context
    }

    /// This thread's OpenSSL error queue in words, emptied.
    static func openSSLErrors() -> String {
        var reasons: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    }
}

/// The counters a ``TLSFaultServer`` shares between its serving thread and the test.
final class TLSFaultServerCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var acceptedConnections = 0
    private var openConnections = 0
    private var completedHandshakes = 0

    func recordAccept() {
        lock.withLock {
            acceptedConnections += 1
            openConnections += 1
        }
    }

    func recordHandshake() {
        lock.withLock { completedHandshakes += 1 }
    }

    func recordClose() {
        lock.withLock { openConnections -= 1 }
    }

    var accepted: Int { lock.withLock { acceptedConnections } }
    var handshakes: Int { lock.withLock { completedHandshakes } }
    var open: Int { lock.withLock { openConnections } }

    func reset() {
        lock.withLock {
            acceptedConnections = 0
            completedHandshakes = 0
        }
    }
}

/// The serving thread's state: the listener, the `SSL_CTX` (in handshake mode), the connections and a socket pair
/// that wakes `poll` to stop.
///
/// Only the serving thread touches it after `run()` starts, except `requestStop()`, which writes one byte to a
/// socket; hence `@unchecked Sendable`. It owns the listener and the context and frees both when `run()` ends.
final class TLSFaultServerLoop: ServerLoop, @unchecked Sendable {
    private let mode: TLSFaultServer.Mode
    private let listener: Int32
    private let context: OpaquePointer?
    private let wakeReceiver: Int32
    private let wakeSender: Int32
    private let counters: TLSFaultServerCounters
    private var connections: [TLSFaultConnection] = []
    private var acceptPausedUntil: UInt64 = 0
    private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)

    /// Takes ownership of `listener` and `context`, freeing them if it throws.
    init(mode: TLSFaultServer.Mode, listener: Int32, context: OpaquePointer?, counters: TLSFaultServerCounters) throws {
        var pair: [Int32] = [-1, -1]
        let flags = LoopbackSocket.streamCloseOnExec | LoopbackSocket.nonBlockingFlag
        guard socketpair(AF_UNIX, flags, 0, &pair) == 0 else {
            let saved = errno
            close(listener)
            SSL_CTX_free(context)
            throw TestServerError.systemCall("socketpair", errno: saved)
        }
        self.mode = mode
        self.listener = listener
        self.context = context
        self.wakeReceiver = pair[0]
        self.wakeSender = pair[1]
        self.counters = counters
    }

    /// Wakes the loop, which then closes everything and returns from `run()`.
    func requestStop() {
        var byte: UInt8 = 1
        _ = send(wakeSender, &byte, 1, Int32(MSG_NOSIGNAL))
    }

    func run() {
        // OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL), so a client that has gone would
        // raise SIGPIPE and kill the test process. SIGPIPE from a write is sent to the writing thread; blocked
        // here, it stays pending on this thread alone and the write fails with EPIPE.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)

        var pollSet: [pollfd] = []
        serving: while true {
            let now = LoopbackSocket.monotonicNanoseconds()
            for connection in connections where connection.deadline.map({ $0 <= now }) ?? false {
                connection.close()
            }
            if connections.contains(where: { $0.isClosed }) {
                connections.removeAll { $0.isClosed }
            }

            pollSet.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wakeReceiver, events: Int16(POLLIN), revents: 0))
            // poll(2) ignores entries with a negative descriptor: that is how accepting pauses.
            let accepting = now >= acceptPausedUntil
            pollSet.append(pollfd(fd: accepting ? listener : -1, events: Int16(POLLIN), revents: 0))
            var nextDeadline: UInt64? = accepting ? nil : acceptPausedUntil
            for connection in connections {
                pollSet.append(pollfd(fd: connection.fd, events: connection.pollEvents, revents: 0))
                if let deadline = connection.deadline {
                    nextDeadline = min(nextDeadline ?? deadline, deadline)
                }
            }
            let timeout = nextDeadline.map { Int32(($0 - min($0, now)) / 1_000_000 + 1) } ?? -1

            let ready = poll(&pollSet, nfds_t(pollSet.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                break serving
            }
            if ready == 0 { continue }
            if pollSet[0].revents != 0 { break serving }

            let polledCount = connections.count
            if pollSet[1].revents != 0 { acceptAll(now: LoopbackSocket.monotonicNanoseconds()) }
            for index in 0..<polledCount where pollSet[index + 2].revents != 0 {
                connections[index].handle(buffer: &readBuffer)
            }
        }
        for connection in connections { connection.close() }
        connections.removeAll()
        close(listener)
        close(wakeReceiver)
        close(wakeSender)
        SSL_CTX_free(context)
        // Leave nothing of this thread's failed handshakes in its error queue.
        ERR_clear_error()
    }

    private func acceptAll(now: UInt64) {
        while true {
            let fd = LoopbackSocket.accept(listener)
            if fd >= 0 {
                counters.recordAccept()
                let connection = TLSFaultConnection(fd: fd, mode: mode, context: context, counters: counters)
                connections.append(connection)
                connection.start()
                continue
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO:
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: stop accepting for a moment instead of spinning on a listener that stays
                // readable. The pending connections wait in the backlog.
                acceptPausedUntil = now + 50_000_000
                return
            default:
                return
            }
        }
    }
}

/// One accepted connection: a small state machine driven by `poll` readiness and a drain deadline.
final class TLSFaultConnection {
    /// What the connection waits for.
    enum Phase {
        /// Reading until the first TLS record, the ClientHello, is complete.
        case readingHello
        /// `SSL_accept` wants to read (`POLLIN`) or to write (`POLLOUT`).
        case handshaking(wantsWrite: Bool)
        /// Sending nothing, reading and discarding until the client closes.
        case stalled
        /// Our side is shut down (FIN sent); reading and discarding until the client closes or `deadline`.
        case draining
    }

    /// How long an orderly close waits for the client's FIN before closing anyway.
    static let drainNanoseconds: UInt64 = 2_000_000_000
    /// A TLS record header: content type (1 byte), legacy version (2), length (2); RFC 8446 §5.1.
    static let recordHeaderLength = 5

    let fd: Int32
    private let mode: TLSFaultServer.Mode
    private let context: OpaquePointer?
    private let counters: TLSFaultServerCounters
    private var ssl: OpaquePointer?
    private var hello: [UInt8] = []
    private(set) var phase = Phase.readingHello
    private(set) var deadline: UInt64?
    private(set) var isClosed = false

    init(fd: Int32, mode: TLSFaultServer.Mode, context: OpaquePointer?, counters: TLSFaultServerCounters) {
        self.fd = fd
        self.mode = mode
        self.context = context
        self.counters = counters
    }

    var pollEvents: Int16 {
        if case .handshaking(wantsWrite: true) = phase { return Int16(POLLOUT) }
        return Int16(POLLIN)
    }

    /// Acts on the mode right after `accept`.
    func start() {
        switch mode {
        case .acceptAndClose:
            closeOrderly()
        case .handshakeThenClose:
            guard let ssl = SSL_new(context) else {
                ERR_clear_error()
                close()
                return
            }
            self.ssl = ssl
            // The socket BIO is made with BIO_NOCLOSE: closing the descriptor stays this class's job.
            SSL_set_fd(ssl, fd)
            SSL_set_accept_state(ssl)
            advanceHandshake()
        case .garbage, .stallMidHandshake:
            phase = .readingHello
        }
    }

    /// Acts on readiness (or an error or hang-up) that `poll` reported.
    func handle(buffer: inout [UInt8]) {
        switch phase {
        case .handshaking:
            advanceHandshake()
        case .readingHello:
            guard let count = readAvailable(buffer: &buffer) else { return }
            hello += buffer[0..<count]
            guard helloIsComplete else { return }
            if mode == .garbage {
                let garbage = Array(TLSFaultServer.garbageResponse.utf8)
                // 66 bytes into an empty send buffer: one send takes all of them.
                _ = send(fd, garbage, garbage.count, Int32(MSG_NOSIGNAL))
                closeOrderly()
            } else {
                phase = .stalled
            }
        case .stalled, .draining:
            _ = readAvailable(buffer: &buffer)
        }
    }

    /// Whether `hello` holds a whole first record: the header and as many bytes as its length field says.
    private var helloIsComplete: Bool {
        guard hello.count >= Self.recordHeaderLength else { return false }
        let length = Int(hello[3]) << 8 | Int(hello[4])
        return hello.count >= Self.recordHeaderLength + length
    }

    /// Reads what is there; returns the byte count, or nil after closing on end of stream or an error, or when
    /// nothing was there after all.
    private func readAvailable(buffer: inout [UInt8]) -> Int? {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { return n }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return nil }
        close()
        return nil
    }

    private func advanceHandshake() {
        guard let ssl else { return }
        let result = SSL_accept(ssl)
        if result == 1 {
            counters.recordHandshake()
            // No SSL_shutdown: the point is an end of stream without close_notify. In TLS 1.3 the session
            // tickets went out inside SSL_accept, before it returned 1.
            closeOrderly()
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            phase = .handshaking(wantsWrite: false)
        case SSL_ERROR_WANT_WRITE:
            phase = .handshaking(wantsWrite: true)
        default:
            // The client gave up (an alert for a certificate it does not trust, or a close). Its alert was read,
            // so nothing unread is left to turn the close into a reset.
            ERR_clear_error()
            close()
        }
    }

    /// Sends FIN, then drains until the client closes or ``drainNanoseconds`` pass.
    private func closeOrderly() {
        freeSSL()
        shutdown(fd, Int32(SHUT_WR))
        phase = .draining
        deadline = LoopbackSocket.monotonicNanoseconds() + Self.drainNanoseconds
    }

    private func freeSSL() {
        if let ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        freeSSL()
        Glibc.close(fd)
        counters.recordClose()
    }
}
