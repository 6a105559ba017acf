import CCicadaCore
import XCTest

/// The connection state machine, driven by events without sockets: connects, pipelining and in-order
/// matching, corking, and how a connection that ends ends every request on it exactly once.
final class ConnectionMachineTests: XCTestCase {
    /// An action in a form tests can compare.
    enum Action: Equatable, CustomStringConvertible {
        case connect(lane: UInt8)
        case parse(head: Bool)
        case write([UInt8])
        case finish(lane: UInt8, failure: cc_failure_t, status: UInt16, detail: Int32, keepAlive: Bool)
        case close

        var description: String {
            switch self {
            case .connect(let lane): "connect(\(lane))"
            case .parse(let head): "parse(head: \(head))"
            case .write(let lanes): "write(\(lanes))"
            case .finish(let lane, let failure, let status, let detail, let keepAlive):
                "finish(\(lane), \(String(cString: cc_failure_key(Int32(failure.rawValue)))), \(status), \(detail), keep: \(keepAlive))"
            case .close: "close"
            }
        }

        static func ok(_ lane: UInt8, _ status: UInt16 = 200, keepAlive: Bool = true) -> Action {
            .finish(lane: lane, failure: CC_FAIL_NONE, status: status, detail: 0, keepAlive: keepAlive)
        }

        static func failed(_ lane: UInt8, _ failure: cc_failure_t, status: UInt16 = 0, detail: Int32) -> Action {
            .finish(lane: lane, failure: failure, status: status, detail: detail, keepAlive: false)
        }
    }

    private var m = cc_connection_machine_t()
    private let eof: Int32 = -4095 // what the engine passes as the detail of a closed connection

    override func setUp() {
        cc_connection_machine_init(&m)
    }

    /// Feeds one event and returns every action it made owed, in order.
    @discardableResult
    private func feed(_ kind: cc_connection_event_kind_t, lane: UInt8 = 0, head: Bool = false, close: Bool = false,
                      keepAlive: Bool = true, more: Bool = false, complete: Bool = false,
                      failure: cc_failure_t = CC_FAIL_NONE, status: UInt16 = 0, detail: Int32 = 0) -> [Action] {
        var event = cc_connection_event_t()
        event.kind = kind
        event.lane = lane
        event.head_request = head ? 1 : 0
        event.close_request = close ? 1 : 0
        event.keep_alive = keepAlive ? 1 : 0
        event.more_bytes = more ? 1 : 0
        event.complete = complete ? 1 : 0
        event.failure = UInt8(failure.rawValue)
        event.status = status
        event.detail = detail
        cc_connection_machine_handle(&m, &event)
        return drain()
    }

    private func drain() -> [Action] {
        var actions: [Action] = []
        var a = cc_connection_action_t()
        while cc_connection_machine_next(&m, &a) == 1 {
            switch a.kind {
            case CC_CONN_ACTION_CONNECT: actions.append(.connect(lane: a.lane))
            case CC_CONN_ACTION_PARSE: actions.append(.parse(head: a.head_request == 1))
            case CC_CONN_ACTION_WRITE:
                var lanes = [UInt8](repeating: 0, count: Int(CC_MAX_PIPELINE))
                let n = cc_connection_machine_take_unsent(&m, &lanes)
                actions.append(.write(Array(lanes[0..<Int(n)])))
            case CC_CONN_ACTION_FINISH:
                actions.append(.finish(lane: a.lane, failure: cc_failure_t(UInt32(a.failure)), status: a.status,
                                       detail: a.detail, keepAlive: a.keep_alive == 1))
            case CC_CONN_ACTION_CLOSE: actions.append(.close)
            default: XCTFail("unexpected action \(a.kind)")
            }
        }
        return actions
    }

    private var state: cc_connection_state_t { cc_connection_state_t(UInt32(m.state)) }

    private func open(lanes: [UInt8] = [0]) {
        for lane in lanes { feed(CC_CONN_EVENT_SEND, lane: lane) }
        feed(CC_CONN_EVENT_OPENED)
    }

    func testTheFirstRequestConnectsAndIsWrittenWhenTheConnectionOpens() {
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 0), [.connect(lane: 0)])
        XCTAssertEqual(state, CC_CONNECTION_CONNECTING)
        XCTAssertEqual(feed(CC_CONN_EVENT_OPENED), [.parse(head: false), .write([0])])
        XCTAssertEqual(state, CC_CONNECTION_OPEN)
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, status: 200), [.ok(0)])
        XCTAssertEqual(m.queue_count, 0)
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 0), [.parse(head: false), .write([0])],
                       "the kept connection is reused at once")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testRequestsWaitingForTheConnectionLeaveInOneWrite() {
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 2), [.connect(lane: 2)])
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 0), [], "one connect for every waiting request")
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 1, head: true), [])
        XCTAssertEqual(m.waiting, 0b111)
        XCTAssertEqual(feed(CC_CONN_EVENT_OPENED), [.parse(head: false), .write([0, 1, 2])])
        XCTAssertEqual(Array(withUnsafeBytes(of: m.queue) { $0.prefix(3) }), [0, 1, 2])
    }

    func testResponsesAreMatchedToRequestsInTheOrderSent() {
        open(lanes: [0])
        XCTAssertEqual(feed(CC_CONN_EVENT_CORK), [])
        feed(CC_CONN_EVENT_RESPONSE, status: 200) // lane 0 done; it and two more send while corked
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 2), [.parse(head: false)], "corked: nothing is written yet")
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 0, head: true), [])
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 1), [])
        XCTAssertEqual(feed(CC_CONN_EVENT_UNCORK), [.write([2, 0, 1])], "gathered requests leave together, in order")
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, status: 201), [.parse(head: true), .ok(2, 201)],
                       "lane 0's HEAD request is next: the parser is told before lane 2 finishes")
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, status: 204), [.parse(head: false), .ok(0, 204)])
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, status: 404), [.ok(1, 404)],
                       "an error status is the request's failure, not the connection's")
        XCTAssertEqual(state, CC_CONNECTION_OPEN)
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testAFailureEndsEveryRequestOnTheConnectionOnceOldestFirst() {
        open(lanes: [0, 1, 2])
        feed(CC_CONN_EVENT_SEND, lane: 3) // written at once: the connection is open and not corked
        let actions = feed(CC_CONN_EVENT_FAILED, failure: CC_FAIL_RESET, status: 200, detail: -104)
        XCTAssertEqual(actions, [
            .close,
            .failed(0, CC_FAIL_RESET, status: 200, detail: -104),
            .failed(1, CC_FAIL_RESET, detail: -104),
            .failed(2, CC_FAIL_RESET, detail: -104),
            .failed(3, CC_FAIL_RESET, detail: -104),
        ], "the close comes first, then each request once; only the oldest had its status line")
        XCTAssertEqual(state, CC_CONNECTION_CLOSING)
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 1), [], "a request while closing waits for the close")
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSED), [.connect(lane: 1)])
        XCTAssertEqual(feed(CC_CONN_EVENT_OPENED), [.parse(head: false), .write([1])])
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testAFailedConnectEndsTheRequestsWaitingForIt() {
        feed(CC_CONN_EVENT_SEND, lane: 4)
        feed(CC_CONN_EVENT_SEND, lane: 1)
        XCTAssertEqual(feed(CC_CONN_EVENT_FAILED, failure: CC_FAIL_CONNECT_REFUSED, detail: -111), [
            .close,
            .failed(1, CC_FAIL_CONNECT_REFUSED, detail: -111),
            .failed(4, CC_FAIL_CONNECT_REFUSED, detail: -111),
        ])
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSED), [], "nobody waits: no reconnect")
        XCTAssertEqual(state, CC_CONNECTION_CLOSED)
    }

    func testTheServerClosingMidPipelineEndsTheRequestsBehindTheLastResponse() {
        open(lanes: [0, 1, 2])
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, keepAlive: false, status: 200, detail: eof), [
            .close,
            .ok(0, 200, keepAlive: false),
            .failed(1, CC_FAIL_CLOSED, detail: eof),
            .failed(2, CC_FAIL_CLOSED, detail: eof),
        ], "Connection: close on the first response: the requests pipelined behind it get no response")
        XCTAssertEqual(m.queue_count, 0)
    }

    func testARequestThatAsksToCloseEndsTheConnectionAfterItsResponse() {
        feed(CC_CONN_EVENT_SEND, lane: 0, close: true)
        feed(CC_CONN_EVENT_OPENED)
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, keepAlive: true, status: 200, detail: eof),
                       [.close, .ok(0, 200, keepAlive: false)])
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 0), [], "the next request waits for the close")
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSED), [.connect(lane: 0)])
    }

    func testBytesAfterTheLastAwaitedResponseUnframeTheConnection() {
        open(lanes: [0, 1])
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, more: true, status: 200), [.parse(head: false), .ok(0)],
                       "bytes after a response with another awaited belong to that one")
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, more: true, status: 200, detail: eof),
                       [.close, .ok(1, 200, keepAlive: false)], "bytes nobody asked for: do not reuse")
    }

    func testTheStreamEnding() {
        open(lanes: [0, 1])
        XCTAssertEqual(feed(CC_CONN_EVENT_END, complete: true, status: 200, detail: eof), [
            .close, .ok(0, 200, keepAlive: false), .failed(1, CC_FAIL_CLOSED, detail: eof),
        ], "a body delimited by the close completes the oldest response")
        feed(CC_CONN_EVENT_CLOSED)

        open(lanes: [0])
        XCTAssertEqual(feed(CC_CONN_EVENT_END, status: 200, detail: eof),
                       [.close, .failed(0, CC_FAIL_CLOSED, status: 200, detail: eof)], "a response cut short")
        feed(CC_CONN_EVENT_CLOSED)

        open(lanes: [0])
        feed(CC_CONN_EVENT_RESPONSE, status: 200)
        XCTAssertEqual(feed(CC_CONN_EVENT_END, detail: eof), [.close], "an idle connection just closes")
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSED), [])
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 0), [.connect(lane: 0)], "and the next request reconnects")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testCancellingEndsRequestsThatWaitForAReconnect() {
        open(lanes: [0, 1])
        feed(CC_CONN_EVENT_FAILED, failure: CC_FAIL_TIMEOUT, detail: -110)
        feed(CC_CONN_EVENT_SEND, lane: 0)
        feed(CC_CONN_EVENT_SEND, lane: 1)
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSE), [
            .failed(0, CC_FAIL_CANCELLED, detail: 0), .failed(1, CC_FAIL_CANCELLED, detail: 0),
        ], "no second close: the connection is already closing")
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSED), [], "and nobody is left to reconnect for")
        XCTAssertEqual(m.ignored_events, 0)
    }

    func testEventsOutOfPlaceAreIgnoredAndCounted() {
        XCTAssertEqual(feed(CC_CONN_EVENT_OPENED), [])
        XCTAssertEqual(feed(CC_CONN_EVENT_RESPONSE, status: 200), [])
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSED), [])
        XCTAssertEqual(feed(CC_CONN_EVENT_CLOSE), [])
        XCTAssertEqual(m.ignored_events, 4)
        XCTAssertEqual(state, CC_CONNECTION_CLOSED)
        open(lanes: [3])
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: 3), [], "a lane has one request at a time")
        XCTAssertEqual(feed(CC_CONN_EVENT_SEND, lane: UInt8(CC_MAX_PIPELINE)), [], "no such lane")
        XCTAssertEqual(m.ignored_events, 6)
        XCTAssertEqual(m.queue_count, 1)
    }

    /// A random engine: lanes send when idle, the server answers, closes or fails at random, and the
    /// engine performs every action as connection.c does (a finished lane may send again at once, from
    /// inside the action loop). Every request sent must end exactly once, and no event may be ignored.
    func testEveryRequestEndsExactlyOnceUnderRandomEvents() {
        var random = SystemRandomNumberGenerator()
        let lanes = 8
        for round in 0..<200 {
            cc_connection_machine_init(&m)
            var busy = Set<UInt8>()
            var written = [UInt8]() // on the wire, in order, responses awaited
            var sent = 0, finished = 0
            var handleOpen = false, closing = false, stopping = false
            var trace: [String] = []
            func perform(_ event: cc_connection_event_t) {
                var e = event
                trace.append("event \(e.kind.rawValue) lane \(e.lane) keep \(e.keep_alive) state \(m.state)")
                let ignored = m.ignored_events
                cc_connection_machine_handle(&m, &e)
                if m.ignored_events != ignored { trace.append("  IGNORED") }
                var a = cc_connection_action_t()
                while cc_connection_machine_next(&m, &a) == 1 {
                    trace.append("  action \(a.kind.rawValue) lane \(a.lane)")
                    switch a.kind {
                    case CC_CONN_ACTION_CONNECT:
                        XCTAssertFalse(handleOpen, "round \(round): connect while a handle is open")
                        handleOpen = true
                    case CC_CONN_ACTION_WRITE:
                        var out = [UInt8](repeating: 0, count: 64)
                        let n = Int(cc_connection_machine_take_unsent(&m, &out))
                        XCTAssertGreaterThan(n, 0)
                        written += out[0..<n]
                    case CC_CONN_ACTION_FINISH:
                        XCTAssertTrue(busy.remove(a.lane) != nil, "round \(round): lane \(a.lane) finished twice")
                        written.removeAll { $0 == a.lane }
                        finished += 1
                        if !stopping, Bool.random(using: &random) { send(a.lane) } // again, from inside the loop
                    case CC_CONN_ACTION_CLOSE:
                        XCTAssertTrue(handleOpen)
                        closing = true
                        written.removeAll()
                    default:
                        break
                    }
                }
            }
            func send(_ lane: UInt8) {
                busy.insert(lane)
                sent += 1
                var e = cc_connection_event_t()
                e.kind = CC_CONN_EVENT_SEND
                e.lane = lane
                e.close_request = Int.random(in: 0..<10, using: &random) == 0 ? 1 : 0
                perform(e)
            }
            for _ in 0..<300 {
                var e = cc_connection_event_t()
                switch Int.random(in: 0..<10, using: &random) {
                case 0, 1, 2:
                    let idle = (0..<UInt8(lanes)).filter { !busy.contains($0) }
                    if let lane = idle.randomElement(using: &random) { send(lane) }
                    continue
                case 3, 4, 5:
                    guard m.state == CC_CONNECTION_OPEN.rawValue, let head = written.first else { continue }
                    let oldest = withUnsafeBytes(of: m.queue) { $0[Int(m.queue_head)] }
                    XCTAssertEqual(oldest, head, "round \(round): a response belongs to the oldest request written")
                    e.kind = CC_CONN_EVENT_RESPONSE
                    e.keep_alive = Int.random(in: 0..<8, using: &random) == 0 ? 0 : 1
                    e.status = 200
                case 6:
                    guard m.state == CC_CONNECTION_CONNECTING.rawValue else { continue }
                    e.kind = CC_CONN_EVENT_OPENED
                case 7:
                    guard m.state == CC_CONNECTION_OPEN.rawValue || m.state == CC_CONNECTION_CONNECTING.rawValue
                    else { continue }
                    e.kind = CC_CONN_EVENT_FAILED
                    e.failure = UInt8(CC_FAIL_RESET.rawValue)
                case 8:
                    guard closing else { continue }
                    closing = false
                    handleOpen = false
                    e.kind = CC_CONN_EVENT_CLOSED
                default:
                    // A read begins or ends: responses and sends between them are gathered.
                    e.kind = m.corked == 1 ? CC_CONN_EVENT_UNCORK : CC_CONN_EVENT_CORK
                }
                perform(e)
            }
            // Cancel whatever is left, as the engine's stop does, and let every close complete.
            stopping = true
            var e = cc_connection_event_t()
            e.kind = CC_CONN_EVENT_UNCORK
            perform(e)
            for _ in 0..<3 {
                if m.state == CC_CONNECTION_OPEN.rawValue || m.state == CC_CONNECTION_CONNECTING.rawValue
                    || (m.state == CC_CONNECTION_CLOSING.rawValue && m.waiting != 0) {
                    e.kind = CC_CONN_EVENT_CLOSE
                    perform(e)
                }
                if closing {
                    closing = false
                    handleOpen = false
                    e.kind = CC_CONN_EVENT_CLOSED
                    perform(e)
                }
            }
            XCTAssertEqual(UInt32(m.state), CC_CONNECTION_CLOSED.rawValue, "round \(round)")
            XCTAssertEqual(finished, sent, "round \(round): every request sent ends exactly once")
            XCTAssertTrue(busy.isEmpty, "round \(round): lanes left busy: \(busy)")
            XCTAssertEqual(m.ignored_events, 0, "round \(round)")
            if finished != sent || m.ignored_events != 0 {
                if let at = trace.firstIndex(of: "  IGNORED") {
                    print(trace[max(0, at - 40)...min(trace.count - 1, at + 5)].joined(separator: "\n"))
                }
                return
            }
        }
    }
}
