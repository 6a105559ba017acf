import Foundation
import Dispatch
import Glibc

/// A small HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, chosen by the request path.
///
/// One server serves every mode, so a test starts one and picks the fault with the URL. The path contract:
///
/// | path | what the server does |
/// |---|---|
/// | `/ok` | `200`, `Content-Length: 2`, body `ok`; the connection stays open. |
/// | `/chunked` | `200` chunked: three chunks (`5;name=value` `hello`, `2` `, `, `0B` `wide world!`), then a trailer `X-Trailer: done`. Decoded body: `hello, wide world!` (18 bytes). Keep-alive. |
/// | `/http10` | `HTTP/1.0 200 OK` with no `Content-Length`: ``FaultServer/http10Body`` (1000 bytes), then close. |
/// | `/close-mid-body` | `Content-Length: 1000`, 10 bytes of body, then close (FIN). |
/// | `/garbage-status` | `HTPT/9.9 abc\r\n\r\n`, then close. |
/// | `/oversized-header` | A `200` status line, one header line of ``FaultServer/oversizedHeaderLength`` bytes, an empty body, then close. |
/// | `/bad-chunk` | `200` chunked whose first chunk size is `zz`, then close. |
/// | `/stall` | Reads the request and answers nothing; the connection stays open until the client closes it or the server stops. |
/// | `/stall-mid-body` | `Content-Length: 100`, 10 bytes of body, then nothing (as `/stall`). |
/// | `/reset` | Reads the request, then closes with `SO_LINGER {1, 0}`: the client reads `ECONNRESET`. |
/// | `/status/NNN` | Status NNN (200...599) with body `status NNN\n` (none for 204 and 304); keep-alive. |
/// | `/slow/MS` | Waits MS milliseconds (0...60000), then as `/ok`. Other connections are served meanwhile. |
/// | `/pause/PERIOD/PAUSE` | A server that stalls: time is cut into PERIOD ms (1...600000) from the machine's boot, and a request that arrives in the first PAUSE ms (0...PERIOD) of one is held until that pause ends, then answered as `/ok`; one that arrives after is answered at once. |
/// | `/close-after` | As `/ok` with `Connection: close`, then close. |
/// | `/informational` | `100 Continue`, `103 Early Hints`, then as `/ok`. Keep-alive. |
/// | `/echo-head` | `200` whose body is the request's head as received (request line and header lines). |
/// | `/echo-body` | `200` `application/json` whose body is the request's body. |
/// | `/echo-body-chunked` | The same, chunked in chunks of 3 bytes. |
/// | `/set-cookie?c=V&c=V` | `200` with one `Set-Cookie: V` per `c` (percent-decoded), body `ok`. |
/// | `/connections` | `200` whose body is the number of connections open now, the asking one included, for a test in another process (the web UI's browser test). |
/// | `/job/N` | `200` `{"job": {"status": "running", "polls": K}}` until the path has been asked N times, then `"done"`. |
/// | anything else | `404` with body `not found\n`; keep-alive. |
///
/// Every path ignores the query string and answers any method; `HEAD` gets the same head without the body.
/// A request with `Connection: close`, or in HTTP/1.0, is answered with `Connection: close` and the server
/// closes after it. Request bodies are read by `Content-Length` and discarded; pipelined requests are answered
/// in order. A request with `Transfer-Encoding` gets `501` and a close, since the tests have no use for chunked
/// uploads. "Close" always means an orderly close: the server shuts its side down and reads until the client
/// closes (at most 2 s), so the client reads the whole response instead of a reset.
///
/// All connections are served by one thread with a `poll(2)` loop, so thousands of connections cost one thread.
/// ``stop()`` closes the listener and every connection and joins that thread; it never waits on a client.
///
/// ```swift
/// let server = FaultServer()
/// try server.start()
/// defer { server.stop() }
/// // ... point Cicada at "\(server.baseURL)/close-mid-body" ...
/// XCTAssertEqual(server.count(path: "/close-mid-body"), 1)
/// ```
public final class FaultServer: @unchecked Sendable {
    /// The body of `/http10`: 1000 bytes of `0123456789` repeated.
    public static let http10Body = String(repeating: "0123456789", count: 100)
    /// The length of the one header line that `/oversized-header` sends, without its CRLF: 100 KiB.
    public static let oversizedHeaderLength = 100 * 1024
    /// The decoded body of `/chunked`.
    public static let chunkedBody = "hello, wide world!"

    private let lock = NSLock()
    private var serving: ServingThread?
    private var boundPort = 0
    private let counters = FaultServerCounters()

    /// Creates a stopped server. Call ``start()`` to listen.
    public init() {}

    deinit {
        stop()
    }

    /// The port the server listens on, on 127.0.0.1: the port of the last ``start()``, 0 before one.
    public var port: Int {
        lock.withLock { boundPort }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String {
        "http://127.0.0.1:\(port)"
    }

    /// Binds 127.0.0.1 on a port the kernel chooses and starts serving on a thread of its own.
    ///
    /// Calling it on a running server does nothing. After ``stop()`` it starts again on a new port; the counts
    /// carry over unless ``resetCounts()`` is called.
    /// - Throws: ``TestServerError/systemCall(_:errno:)`` when a socket cannot be created, bound or listened on.
    public func start() throws {
        try lock.withLock {
            guard serving == nil else { return }
            let listener = try LoopbackSocket.bound(port: 0, nonBlocking: true)
            let port: Int
            do {
                port = try LoopbackSocket.localPort(listener)
                // 4096 is Linux's default somaxconn since 5.4; a burst of connects larger than the backlog
                // would otherwise see SYN retries of a second or more.
                guard listen(listener, 4096) == 0 else { throw TestServerError.systemCall("listen", errno: errno) }
            } catch {
                close(listener)
                throw error
            }
            serving = ServingThread(loop: try FaultServerLoop(listener: listener, counters: counters), name: "FaultServer \(port)")
            boundPort = port
        }
    }

    /// Closes the listener and every open connection, and waits for the serving thread to finish.
    ///
    /// Clients still connected read an end of stream (or a reset, if they had sent data the server had not read).
    /// Safe to call more than once, and from `deinit`.
    public func stop() {
        let stopping = lock.withLock {
            defer { serving = nil }
            return serving
        }
        stopping?.stop()
    }

    /// How many complete requests arrived for exactly `path` (the request target without its query).
    ///
    /// A request is counted when its head and body have arrived, before the response is sent, so the count is
    /// already up to date when a client has read the response.
    public func count(path: String) -> Int {
        counters.count(path: path)
    }

    /// How many requests for exactly `path` the server answered with a whole, well-formed response: every
    /// behaviour but the faults (`/close-mid-body`, `/garbage-status`, `/oversized-header`, `/bad-chunk`,
    /// `/stall`, `/stall-mid-body`, `/reset`), which count 0. An error status is an answer.
    ///
    /// An answer is counted before its first byte is sent (after the delay of `/slow/MS`), so a client can
    /// never have read more answers than this; it can have read fewer when it went away before reading one.
    public func answered(path: String) -> Int {
        counters.answered(path: path)
    }

    /// How many complete requests arrived for paths starting with `prefix`, such as `"/status/"`.
    public func count(pathPrefix prefix: String) -> Int {
        counters.count(pathPrefix: prefix)
    }

    /// Every distinct path (request target without its query) that a complete request arrived for; through a
    /// proxy-minded client, absolute targets such as `http://host/path`.
    public var paths: [String] {
        counters.paths
    }

    /// How many complete requests arrived, for every path.
    public var totalRequests: Int {
        counters.total
    }

    /// How many connections the server accepted.
    public var connectionsAccepted: Int {
        counters.accepted
    }

    /// How many connections are open now, on the server's side.
    public var openConnections: Int {
        counters.open
    }

    /// Sets every count to zero (``openConnections`` is left alone: it is a state, not a count).
    public func resetCounts() {
        counters.reset()
    }

    /// A port on 127.0.0.1 with nothing listening: connecting to it is refused.
    ///
    /// The port is bound and released at once, so it was free a moment ago; another process could take it, which
    /// on a test machine is unlikely enough for a "connection refused" test.
    public static func closedPort() -> Int {
        // Binding port 0 cannot fail on a working loopback interface; fall back to port 1 (tcpmux), which
        // nothing serves either.
        (try? LoopbackSocket.unusedPort()) ?? 1
    }
}

/// The counters a ``FaultServer`` shares between its serving thread and the test.
final class FaultServerCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var byPath: [String: Int] = [:]
    private var answeredByPath: [String: Int] = [:]
    private var requests = 0
    private var acceptedConnections = 0
    private var openConnections = 0

    func recordRequest(path: String) {
        lock.withLock {
            byPath[path, default: 0] += 1
            requests += 1
        }
    }

    func recordAnswer(path: String) {
        lock.withLock { answeredByPath[path, default: 0] += 1 }
    }

    func recordAccept() {
        lock.withLock {
            acceptedConnections += 1
            openConnections += 1
        }
    }

    func recordClose() {
        lock.withLock { openConnections -= 1 }
    }

    func count(path: String) -> Int {
        lock.withLock { byPath[path] ?? 0 }
    }

    func answered(path: String) -> Int {
        lock.withLock { answeredByPath[path] ?? 0 }
    }

    func count(pathPrefix prefix: String) -> Int {
        lock.withLock { byPath.reduce(0) { $0 + ($1.key.hasPrefix(prefix) ? $1.value : 0) } }
    }

    var paths: [String] { lock.withLock { Array(byPath.keys) } }
    var total: Int { lock.withLock { requests } }
    var accepted: Int { lock.withLock { acceptedConnections } }
    var open: Int { lock.withLock { openConnections } }

    func reset() {
        lock.withLock {
            byPath = [:]
            answeredByPath = [:]
            requests = 0
            acceptedConnections = 0
        }
    }
}

/// The serving thread's state: the listener, the connections and a socket pair that wakes `poll` to stop.
///
/// Only the serving thread touches it after `run()` starts, except `requestStop()`, which writes one byte to a
/// socket; hence `@unchecked Sendable`.
final class FaultServerLoop: ServerLoop, @unchecked Sendable {
    private let listener: Int32
    private let wakeReceiver: Int32
    private let wakeSender: Int32
    private let counters: FaultServerCounters
    private var connections: [FaultServerConnection] = []
    private var acceptPausedUntil: UInt64 = 0
    /// One read buffer for every connection: the loop reads one socket at a time.
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(listener: Int32, counters: FaultServerCounters) throws {
        var pair: [Int32] = [-1, -1]
        let flags = LoopbackSocket.streamCloseOnExec | LoopbackSocket.nonBlockingFlag
        guard socketpair(AF_UNIX, flags, 0, &pair) == 0 else {
            let saved = errno
            close(listener)
            throw TestServerError.systemCall("socketpair", errno: saved)
        }
        self.listener = listener
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
        var pollSet: [pollfd] = []
        serving: while true {
            let now = LoopbackSocket.monotonicNanoseconds()
            for connection in connections where connection.deadline.map({ $0 <= now }) ?? false {
                connection.deadlinePassed(now: now)
            }
            removeClosedConnections()

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
            let timeout = nextDeadline.map { Int32(min(($0 - min($0, now)) / 1_000_000 + 1, 60_000)) } ?? -1

            let ready = poll(&pollSet, nfds_t(pollSet.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                break serving
            }
            if ready == 0 { continue }
            if pollSet[0].revents != 0 { break serving }

            let polledCount = connections.count
            let afterPoll = LoopbackSocket.monotonicNanoseconds()
            if pollSet[1].revents != 0 { acceptAll(now: afterPoll) }
            for index in 0..<polledCount {
                let events = pollSet[index + 2].revents
                if events != 0 { connections[index].handle(events: events, now: afterPoll, buffer: &readBuffer) }
            }
        }
        for connection in connections { connection.close() }
        connections.removeAll()
        close(listener)
        close(wakeReceiver)
        close(wakeSender)
    }

    private func acceptAll(now: UInt64) {
        while true {
            let fd = LoopbackSocket.accept(listener)
            if fd >= 0 {
                // Responses go out in one send, but a keep-alive reply right after a previous one must not wait
                // for the delayed ACK (Nagle's algorithm would hold it up to 40 ms on Linux).
                LoopbackSocket.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
                counters.recordAccept()
                connections.append(FaultServerConnection(fd: fd, counters: counters))
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

    private func removeClosedConnections() {
        if connections.contains(where: { $0.isClosed }) {
            connections.removeAll { $0.isClosed }
        }
    }
}

/// One accepted connection: a small state machine driven by `poll` readiness and deadlines.
final class FaultServerConnection {
    /// What the connection waits for.
    enum Phase {
        /// Reading a request head or body.
        case reading
        /// Sending `output`; `afterWrite` says what follows.
        case writing
        /// Holding a response until `deadline` (`/slow`).
        case delaying
        /// Sending nothing, reading and discarding until the client closes (`/stall`).
        case stalled
        /// Our side is shut down; reading and discarding until the client closes or `deadline`.
        case draining
    }

    /// What happens once a response has been sent.
    enum AfterWrite {
        case keepAlive
        case close
        case stall
        case reset
    }

    /// A parsed request head.
    struct RequestHead {
        var method: String
        var path: String
        var contentLength: Int
        var wantsClose: Bool
        var expectsContinue: Bool
        /// The query string after `?`, without it; empty when there is none.
        var query = ""
        /// The request line and header lines as received, for `/echo-head`.
        var raw = ""
        /// The body, kept for `/echo-body` and `/echo-body-chunked` only.
        var body: [UInt8] = []
    }

    /// The longest request head accepted; RFC 9110 §5.4 leaves the limit to the server, and nginx answers 431
    /// or 400 well before this.
    static let maximumHeadLength = 64 * 1024
    /// How long an orderly close waits for the client's FIN before closing anyway.
    static let drainNanoseconds: UInt64 = 2_000_000_000

    let fd: Int32
    private let counters: FaultServerCounters
    private(set) var isClosed = false
    private(set) var phase = Phase.reading
    private(set) var deadline: UInt64?

    private var input: [UInt8] = []
    private var inputStart = 0
    private var currentRequest: RequestHead?
    private var bodyRemaining = 0
    private var output: [UInt8] = []
    private var outputSent = 0
    private var afterWrite = AfterWrite.keepAlive
    private var delayedResponse: FaultResponse?
    private var delayedPath = ""

    init(fd: Int32, counters: FaultServerCounters) {
        self.fd = fd
        self.counters = counters
    }

    var pollEvents: Int16 {
        phase == .writing ? Int16(POLLOUT) : Int16(POLLIN)
    }

    func handle(events: Int16, now: UInt64, buffer: inout [UInt8]) {
        let failure = Int16(POLLERR) | Int16(POLLHUP)
        if phase == .writing && events & (Int16(POLLOUT) | failure) != 0 {
            flush(now: now)
        }
        if !isClosed && phase != .writing && events & (Int16(POLLIN) | failure) != 0 {
            readAvailable(buffer: &buffer)
        }
        if !isClosed && phase == .reading {
            processInput(now: now)
        }
    }

    func deadlinePassed(now: UInt64) {
        deadline = nil
        switch phase {
        case .delaying:
            if let response = delayedResponse {
                delayedResponse = nil
                answer(response, path: delayedPath, now: now)
                if !isClosed && phase == .reading { processInput(now: now) }
            }
        case .draining:
            close()
        case .reading, .writing, .stalled:
            break
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
        counters.recordClose()
    }

    private func closeWithReset() {
        guard !isClosed else { return }
        isClosed = true
        LoopbackSocket.closeWithReset(fd)
        counters.recordClose()
    }

    /// Reads until the socket would block. Bytes are kept while a request may follow, discarded otherwise.
    private func readAvailable(buffer: inout [UInt8]) {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                if phase == .reading || phase == .delaying {
                    input.append(contentsOf: buffer[0..<n])
                }
                if n < buffer.count { return }
            } else if n == 0 {
                // The client closed. Whatever it sent is answered no more: a half-closed client cannot be told
                // apart from one that is gone, and no test needs half-close.
                close()
                return
            } else {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK { close() }
                return
            }
        }
    }

    /// Parses and answers complete requests from `input`, in order, until one is incomplete or the phase
    /// changes (a write that would block, a stall, a delay, a close).
    private func processInput(now: UInt64) {
        while !isClosed && phase == .reading {
            if currentRequest == nil {
                switch FaultServerConnection.parseHead(input, from: inputStart) {
                case .incomplete:
                    if input.count - inputStart > Self.maximumHeadLength {
                        consumeAllInput()
                        startWriting(.simple(status: 431, body: "request head too large\n", closing: true), now: now)
                    }
                    return
                case let .malformed(status, reason):
                    consumeAllInput()
                    startWriting(.simple(status: status, body: reason + "\n", closing: true), now: now)
                    return
                case let .complete(head, length):
                    inputStart += length
                    currentRequest = head
                    bodyRemaining = head.contentLength
                    if head.expectsContinue && bodyRemaining > 0 && inputStart == input.count {
                        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue waits for this before the body.
                        // 25 bytes fit into an idle socket's send buffer, so one send suffices.
                        let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                        _ = interim.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    }
                }
            }
            let bodyBytes = min(bodyRemaining, input.count - inputStart)
            if currentRequest?.path.hasPrefix("/echo-body") == true {
                currentRequest?.body.append(contentsOf: input[inputStart..<(inputStart + bodyBytes)])
            }
            inputStart += bodyBytes
            bodyRemaining -= bodyBytes
            compactInput()
            guard bodyRemaining == 0, let head = currentRequest else { return }
            currentRequest = nil
            counters.recordRequest(path: head.path)
            // `/connections` reads the server's own state, which the stateless router cannot see.
            let response = head.path == "/connections"
                ? FaultResponse.simple(status: 200, body: "\(counters.open)\n", closing: false)
                : FaultResponse.route(head, seen: counters.count(path: head.path))
            if response.delayMilliseconds > 0 {
                phase = .delaying
                delayedResponse = response
                delayedPath = head.path
                deadline = now + UInt64(response.delayMilliseconds) * 1_000_000
                return
            }
            answer(response, path: head.path, now: now)
        }
    }

    /// Starts writing the response to a request for `path`, counting it first when it is a whole answer.
    private func answer(_ response: FaultResponse, path: String, now: UInt64) {
        if response.isAnswer { counters.recordAnswer(path: path) }
        startWriting(response, now: now)
    }

    private func consumeAllInput() {
        input.removeAll()
        inputStart = 0
    }

    private func compactInput() {
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.count <= 64 * 1024)
            inputStart = 0
        } else if inputStart > 32 * 1024 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }

    private func startWriting(_ response: FaultResponse, now: UInt64) {
        output = response.bytes
        outputSent = 0
        afterWrite = response.after
        phase = .writing
        flush(now: now)
    }

    private func flush(now: UInt64) {
        while outputSent < output.count {
            let n = output[outputSent...].withUnsafeBytes {
                send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                outputSent += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                // EPIPE or ECONNRESET: the client went away, as the fault tests often make it do.
                close()
                return
            }
        }
        output = []
        outputSent = 0
        switch afterWrite {
        case .keepAlive:
            phase = .reading
        case .stall:
            phase = .stalled
            consumeAllInput()
        case .reset:
            closeWithReset()
        case .close:
            // An orderly close: send FIN, then read until the client's FIN. Closing with unread bytes in the
            // receive queue would make Linux send RST, and the client could lose the response it has not read yet.
            shutdown(fd, Int32(SHUT_WR))
            phase = .draining
            consumeAllInput()
            deadline = now + Self.drainNanoseconds
        }
    }

    /// The result of parsing a request head.
    enum HeadParse {
        case incomplete
        case malformed(status: Int, reason: String)
        case complete(RequestHead, length: Int)
    }

    /// Parses a request head (request line and header fields, RFC 9112 §2-§5) that starts at `start`.
    static func parseHead(_ bytes: [UInt8], from start: Int) -> HeadParse {
        guard let end = headEnd(bytes, from: start) else { return .incomplete }
        guard let text = String(bytes: bytes[start..<end], encoding: .isoLatin1) else {
            return .malformed(status: 400, reason: "unreadable request head")
        }
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else {
            return .malformed(status: 400, reason: "bad request line")
        }
        let version = requestLine[2]
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .malformed(status: 505, reason: "only HTTP/1.1 and HTTP/1.0 are served")
        }
        let target = String(requestLine[1])
        var head = RequestHead(
            method: String(requestLine[0]),
            path: String(target.prefix { $0 != "?" }),
            contentLength: 0,
            wantsClose: version == "HTTP/1.0",
            expectsContinue: false,
            query: target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } ?? "",
            raw: text
        )
        var contentLength: Int?
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                return .malformed(status: 400, reason: "header line without a colon")
            }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length":
                // RFC 9112 §6.3: a Content-Length that is not a number, or differs between fields, is an error.
                guard let length = Int(value), length >= 0, contentLength == nil || contentLength == length else {
                    return .malformed(status: 400, reason: "bad Content-Length")
                }
                contentLength = length
            case "transfer-encoding":
                return .malformed(status: 501, reason: "request bodies with Transfer-Encoding are not served")
            case "connection":
                if value.lowercased().split(separator: ",").contains(where: {
                    $0.trimmingCharacters(in: .whitespaces) == "close"
                }) {
                    head.wantsClose = true
                }
            case "expect":
                head.expectsContinue = value.lowercased() == "100-continue"
            default:
                break
            }
        }
        head.contentLength = contentLength ?? 0
        return .complete(head, length: end + 4 - start)
    }

    /// The index of the CRLF CRLF that ends a head starting at `start`, if it has arrived.
    private static func headEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 3 < bytes.count {
            if bytes[index + 3] != 10 {
                index += bytes[index + 3] == 13 ? 1 : 4
                continue
            }
            if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 {
                return index
            }
            index += 1
        }
        return nil
    }
}

/// The bytes to send for one request, and what follows them.
struct FaultResponse {
    var bytes: [UInt8]
    var after: FaultServerConnection.AfterWrite
    var delayMilliseconds = 0
    /// A whole, well-formed response (``FaultServer/answered(path:)``), not a fault.
    var isAnswer = false

    /// Chooses the response for a request by its path; the table is in ``FaultServer``'s documentation.
    static func route(_ request: FaultServerConnection.RequestHead, seen: Int = 0) -> FaultResponse {
        let closing = request.wantsClose
        let head = request.method == "HEAD"
        let path = request.path
        switch path {
        case "/echo-head":
            return simple(status: 200, body: request.raw, closing: closing, omitBody: head)
        case "/echo-body":
            var response = simple(status: 200, body: String(decoding: request.body, as: UTF8.self), closing: closing,
                                  omitBody: head)
            response.bytes = Array(String(decoding: response.bytes, as: UTF8.self)
                .replacingOccurrences(of: "text/plain", with: "application/json").utf8)
            return response
        case "/echo-body-chunked":
            var text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            text += (closing ? "Connection: close\r\n" : "") + "\r\n"
            var bytes = Array(text.utf8)
            var at = 0
            while at < request.body.count {
                let chunk = request.body[at..<min(at + 3, request.body.count)]
                bytes += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
                at += 3
            }
            bytes += Array("0\r\n\r\n".utf8)
            return FaultResponse(bytes: bytes, after: closing ? .close : .keepAlive, isAnswer: true)
        case "/set-cookie":
            var text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
            for item in request.query.split(separator: "&") where item.hasPrefix("c=") {
                text += "Set-Cookie: \(String(item.dropFirst(2)).removingPercentEncoding ?? "")\r\n"
            }
            text += (closing ? "Connection: close\r\n" : "") + "\r\n" + (head ? "" : "ok")
            return FaultResponse(bytes: Array(text.utf8), after: closing ? .close : .keepAlive, isAnswer: true)
        default:
            break
        }
        if path.hasPrefix("/job/") {
            // Polled: "running" until this path has been asked N times, then "done".
            guard let ready = Int(path.dropFirst("/job/".count)), ready > 0 else {
                return simple(status: 400, body: "expected /job/N with N > 0\n", closing: true)
            }
            let status = seen >= ready ? "done" : "running"
            var response = simple(status: 200, body: "{\"job\": {\"status\": \"\(status)\", \"polls\": \(seen)}}",
                                  closing: closing, omitBody: head)
            response.bytes = Array(String(decoding: response.bytes, as: UTF8.self)
                .replacingOccurrences(of: "text/plain", with: "application/json").utf8)
            return response
        }
        switch path {
        case "/ok":
            return simple(status: 200, body: "ok", closing: closing, omitBody: head)
        case "/chunked":
            var text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
            text += "Trailer: X-Trailer\r\n" + (closing ? "Connection: close\r\n" : "") + "\r\n"
            if !head {
                text += "5;name=value\r\nhello\r\n2\r\n, \r\n0B\r\nwide world!\r\n0\r\nX-Trailer: done\r\n\r\n"
            }
            return FaultResponse(bytes: Array(text.utf8), after: closing ? .close : .keepAlive, isAnswer: true)
        case "/http10":
            let text = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + (head ? "" : FaultServer.http10Body)
            return FaultResponse(bytes: Array(text.utf8), after: .close, isAnswer: true)
        case "/close-mid-body":
            let text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789"
            return FaultResponse(bytes: Array(text.utf8), after: .close)
        case "/garbage-status":
            return FaultResponse(bytes: Array("HTPT/9.9 abc\r\n\r\n".utf8), after: .close)
        case "/oversized-header":
            let name = "X-Oversized: "
            var bytes = Array("HTTP/1.1 200 OK\r\n\(name)".utf8)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "a"), count: FaultServer.oversizedHeaderLength - name.utf8.count))
            bytes.append(contentsOf: Array("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return FaultResponse(bytes: bytes, after: .close)
        case "/bad-chunk":
            let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
            return FaultResponse(bytes: Array(text.utf8), after: .close)
        case "/stall":
            return FaultResponse(bytes: [], after: .stall)
        case "/stall-mid-body":
            let text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789"
            return FaultResponse(bytes: Array(text.utf8), after: .stall)
        case "/reset":
            return FaultResponse(bytes: [], after: .reset)
        case "/close-after":
            return simple(status: 200, body: "ok", closing: true, omitBody: head)
        case "/informational":
            var response = simple(status: 200, body: "ok", closing: closing, omitBody: head)
            let interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            response.bytes.insert(contentsOf: Array(interim.utf8), at: 0)
            return response
        default:
            break
        }
        if path.hasPrefix("/status/") {
            guard let status = Int(path.dropFirst("/status/".count)), (200...599).contains(status) else {
                return simple(status: 400, body: "expected /status/200 to /status/599\n", closing: true)
            }
            // RFC 9110 §15.3.5 and §15.4.5: 204 and 304 never carry content.
            let empty = status == 204 || status == 304
            return simple(status: status, body: empty ? nil : "status \(status)\n", closing: closing, omitBody: head)
        }
        if path.hasPrefix("/pause/") {
            let parts = path.dropFirst("/pause/".count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let period = Int(parts[0]), let pause = Int(parts[1]), (1...600_000).contains(period),
                  (0...period).contains(pause) else {
                return simple(status: 400, body: "expected /pause/PERIOD/PAUSE in milliseconds, PAUSE at most PERIOD\n", closing: true)
            }
            let phase = Int(DispatchTime.now().uptimeNanoseconds / 1_000_000 % UInt64(period))
            var response = simple(status: 200, body: "ok", closing: closing, omitBody: head)
            response.delayMilliseconds = phase < pause ? pause - phase : 0
            return response
        }
        if path.hasPrefix("/slow/") {
            guard let delay = Int(path.dropFirst("/slow/".count)), (0...60_000).contains(delay) else {
                return simple(status: 400, body: "expected /slow/0 to /slow/60000 (milliseconds)\n", closing: true)
            }
            var response = simple(status: 200, body: "ok", closing: closing, omitBody: head)
            response.delayMilliseconds = delay
            return response
        }
        return simple(status: 404, body: "not found\n", closing: closing, omitBody: head)
    }

    /// A well-formed response. A nil `body` sends no `Content-Length` (for 204 and 304).
    static func simple(status: Int, body: String?, closing: Bool, omitBody: Bool = false) -> FaultResponse {
        var text = "HTTP/1.1 \(status) \(reason(status))\r\n"
        if let body {
            text += "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        if closing { text += "Connection: close\r\n" }
        text += "\r\n"
        if let body, !omitBody { text += body }
        return FaultResponse(bytes: Array(text.utf8), after: closing ? .close : .keepAlive, isAnswer: true)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
