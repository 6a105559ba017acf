import CCicadaCore
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The response parser's tests: one table of cases, each run whole, byte by byte and split in two at
// every possible point, with the input ending right before a PROT_NONE page so that reading one byte
// past it crashes (picohttpparser's trick). A case lists the responses the bytes hold; they are parsed
// back to back as a connection carries them, the parser reset after each complete one and fed what the
// previous one left over.

/// How parsing one response ended.
private enum ParseEnding: Equatable {
    case complete        // a feed completed it
    case completeAtClose // cc_response_parser_finish completed it: the body ran to the close
    case incomplete      // the input ended first and finish returned 0
    case failed(UInt32)  // a cc_parse_error_t
}

/// What the parser reported for one response. `keepAlive` is only meaningful once complete, and
/// `consumed` (the bytes this response took) is 0 for a failed one: feed returns no count then. In the
/// table, a `consumed` of -1 stands for "everything the earlier responses left".
private struct ParsedResponse: Equatable, CustomStringConvertible {
    var ending: ParseEnding
    var status: UInt16 = 0
    var bodyBytes: UInt64 = 0
    var keepAlive = false
    var untilClose = false
    var httpMinor: UInt8 = 1
    var consumed = 0

    var description: String {
        "\(ending) status=\(status) body=\(bodyBytes) keepAlive=\(keepAlive) untilClose=\(untilClose) "
            + "minor=\(httpMinor) consumed=\(consumed)"
    }
}

private struct ParserCase {
    let name: String
    let input: [UInt8]
    var head = false
    let expected: [ParsedResponse]
}

// MARK: - Building cases

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A response completed by a feed. `consumed` defaults to all the bytes the earlier responses left.
private func complete(
    _ status: UInt16, body: UInt64 = 0, keepAlive: Bool = true, minor: UInt8 = 1, consumed: Int? = nil
) -> ParsedResponse {
    ParsedResponse(
        ending: .complete, status: status, bodyBytes: body, keepAlive: keepAlive, httpMinor: minor,
        consumed: consumed ?? -1)
}

/// A response whose body ran until the connection closed.
private func closeDelimited(_ status: UInt16, body: UInt64, minor: UInt8 = 1) -> ParsedResponse {
    ParsedResponse(
        ending: .completeAtClose, status: status, bodyBytes: body, untilClose: true, httpMinor: minor,
        consumed: -1)
}

/// A response cut short by the close.
private func incomplete(
    status: UInt16 = 0, body: UInt64 = 0, untilClose: Bool = false, minor: UInt8 = 1
) -> ParsedResponse {
    ParsedResponse(
        ending: .incomplete, status: status, bodyBytes: body, untilClose: untilClose, httpMinor: minor,
        consumed: -1)
}

private func failed(
    _ code: cc_parse_error_t, status: UInt16 = 0, body: UInt64 = 0, minor: UInt8 = 1
) -> ParsedResponse {
    ParsedResponse(ending: .failed(code.rawValue), status: status, bodyBytes: body, httpMinor: minor)
}

private func single(_ name: String, _ text: String, head: Bool = false, _ expected: ParsedResponse) -> ParserCase {
    ParserCase(name: name, input: bytes(text), head: head, expected: [expected])
}

private let ok = "HTTP/1.1 200 OK\r\n"
private let chunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

/// A header section of exactly `size` bytes (status line, Content-Length: 0, filler lines, empty line),
/// with no line longer than the line limit.
private func headerSection(size: Int) -> String {
    var text = ok + "Content-Length: 0\r\n"
    var room = size - text.utf8.count - 2
    while room > 0 {
        // Each filler line is "X:" + value + " \r\n", at least 5 bytes; never leave less than that.
        var length = min(room, 8000)
        if (1..<5).contains(room - length) { length = room - 5 }
        precondition(length >= 5, "no header section of \(size) bytes")
        text += "X:" + String(repeating: "v", count: length - 5) + " \r\n"
        room -= length
    }
    return text + "\r\n"
}

// MARK: - The table

private enum ResponseParserCases {
    static var valid: [ParserCase] {
        let bigBody = 256 * 1024
        return [
            single("fixed length", ok + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", complete(200, body: 5)),
            single("zero length", ok + "Content-Length: 0\r\n\r\n", complete(200)),
            ParserCase(
                name: "large body skipped in bulk",
                input: bytes(ok + "Content-Length: \(bigBody)\r\n\r\n") + [UInt8](repeating: 0x61, count: bigBody),
                expected: [complete(200, body: UInt64(bigBody))]),
            single("content-length is case-insensitive, OWS around the value",
                   ok + "cOnTeNt-LeNgTh:\t 3 \t\r\n\r\nabc", complete(200, body: 3)),
            single("identical content-length list and duplicate are one value",
                   ok + "Content-Length: 4, 4\r\ncontent-length: 004\r\n\r\nabcd", complete(200, body: 4)),
            single("content-length list of zeros", ok + "Content-Length: 0,00\r\n\r\n", complete(200)),
            single("content-length at the 2^62 limit", ok + "Content-Length: 4611686018427387904\r\n\r\n",
                   incomplete(status: 200)),
            single("chunked", chunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", complete(200, body: 11)),
            single("chunked with extensions and trailers",
                   chunkedHead + "4;name=value;flag\r\nWiki\r\n5 ;q=\"a b\"\r\npedia\r\n0;last\r\n"
                       + "Expires: never\r\nX-Sum: 1\r\n\r\n",
                   complete(200, body: 9)),
            single("chunked with uppercase and mixed-case hex",
                   chunkedHead + "A\r\n0123456789\r\n1F\r\n" + String(repeating: "x", count: 31) + "\r\n"
                       + "1a\r\n" + String(repeating: "y", count: 26) + "\r\n0\r\n\r\n",
                   complete(200, body: 67)),
            single("chunk sizes with leading zeros", chunkedHead + "0005\r\nhello\r\n000\r\n\r\n",
                   complete(200, body: 5)),
            single("chunk size at the 2^62 limit", chunkedHead + "4000000000000000\r\nab",
                   incomplete(status: 200, body: 2)),
            single("transfer-encoding list ending in chunked, any case",
                   ok + "Transfer-Encoding: gzip ,  CHUNKED\r\n\r\n1\r\nx\r\n0\r\n\r\n", complete(200, body: 1)),
            single("transfer-encoding over two field lines",
                   ok + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
                   complete(200, body: 1)),
            single("transfer-encoding whose final coding is not chunked runs to the close",
                   ok + "Transfer-Encoding: chunked, gzip\r\n\r\n1\r\nx\r\n0\r\n\r\n", closeDelimited(200, body: 11)),
            single("transfer-encoding with parameters",
                   ok + "Transfer-Encoding: chunked;foo=bar\r\n\r\n1\r\nx\r\n0\r\n\r\n", complete(200, body: 1)),
            single("transfer-encoding overrides content-length, then closes",
                   ok + "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                   complete(200, body: 3, keepAlive: false)),
            single("chunked in HTTP/1.0 is read, then the connection closes",
                   "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
                   complete(200, body: 1, keepAlive: false, minor: 0)),
            single("content-length in the trailer changes nothing",
                   chunkedHead + "2\r\nab\r\n0\r\nContent-Length: 99\r\nConnection: close\r\n\r\n", complete(200, body: 2)),
            single("LF-only line endings", "HTTP/1.1 200 OK\nServer: x\nContent-Length: 2\n\nok", complete(200, body: 2)),
            single("LF-only chunked", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\nX: y\n\n",
                   complete(200, body: 2)),
            single("missing reason phrase", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", complete(200)),
            single("empty reason phrase", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", complete(200)),
            ParserCase(
                name: "reason and field value with HTAB and obs-text",
                input: bytes("HTTP/1.1 404 Not\tF") + [0xC3, 0xBC] + bytes("nd\r\nX-Name: caf") + [0xE9, 0xFF]
                    + bytes("\t!\r\nContent-Length: 1\r\n\r\nx"),
                expected: [complete(404, body: 1)]),
            single("a field value may be empty", ok + "X-Empty:\r\nX-Spaces:   \r\nContent-Length: 0\r\n\r\n",
                   complete(200)),
        ]
    }

    static var noBody: [ParserCase] {
        let first = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        let interim = "HTTP/1.1 100 Continue\r\n\r\n"
        return [
            single("HEAD with content-length", ok + "Content-Length: 1000\r\n\r\n", head: true, complete(200)),
            ParserCase(
                name: "HEAD with chunked: the next response follows at once",
                input: bytes(chunkedHead + "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n"), head: true,
                expected: [complete(200, consumed: chunkedHead.utf8.count), complete(404)]),
            single("204 ignores content-length", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
                   complete(204)),
            single("304 ignores transfer-encoding", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                   complete(304)),
            single("100-continue then 200",
                   interim + ok + "Content-Length: 2\r\n\r\nhi", complete(200, body: 2)),
            single("101 leaves the new protocol's bytes to the caller", first + "\u{81}\u{05}hello",
                   complete(101, keepAlive: false, consumed: first.utf8.count)),
            single("several 1xx, with fields, then 204",
                   interim + "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n"
                       + "Content-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                   complete(204)),
            single("16 interim responses are allowed",
                   String(repeating: interim, count: 16) + ok + "Content-Length: 0\r\n\r\n", complete(200)),
            single("17 interim responses are too many",
                   String(repeating: interim, count: 17) + ok + "Content-Length: 0\r\n\r\n",
                   failed(CC_PARSE_TOO_MANY_INTERIM, status: 100)),
            single("HEAD does not skip a 1xx", interim + ok + "Content-Length: 7\r\n\r\n", head: true,
                   complete(200)),
        ]
    }

    static var connection: [ParserCase] {
        [
            single("HTTP/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
                   complete(200, body: 1, keepAlive: false, minor: 0)),
            single("HTTP/1.0 with keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx",
                   complete(200, body: 1, minor: 0)),
            single("HTTP/1.0 with keep-alive and close", "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
                   complete(200, keepAlive: false, minor: 0)),
            single("HTTP/1.1 with Connection: close", ok + "Connection: close\r\nContent-Length: 0\r\n\r\n",
                   complete(200, keepAlive: false)),
            single("close in a list, any case", ok + "Connection: Upgrade,,  CLOSE \r\nContent-Length: 0\r\n\r\n",
                   complete(200, keepAlive: false)),
            single("close over two field lines", ok + "Connection: te\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                   complete(200, keepAlive: false)),
            single("options that only look like close", ok + "Connection: closed, clos, close-x, c lose\r\nContent-Length: 0\r\n\r\n",
                   complete(200)),
            single("HTTP/1.1 with keep-alive", ok + "Connection: keep-alive\r\nContent-Length: 0\r\n\r\n", complete(200)),
        ]
    }

    static var endOfInput: [ParserCase] {
        [
            single("read until close", ok + "Content-Type: text/plain\r\n\r\nthe rest is body", closeDelimited(200, body: 16)),
            single("read until close, empty body", ok + "\r\n", closeDelimited(200, body: 0)),
            single("HTTP/1.0 read until close", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc",
                   closeDelimited(200, body: 3, minor: 0)),
            single("huge content-length, connection closes early", ok + "Content-Length: 1099511627776\r\n\r\nabc",
                   incomplete(status: 200, body: 3)),
            single("no bytes at all", "", incomplete(minor: 0)),
            single("close in the status line", "HTTP/1.1 20", incomplete()),
            single("close in the header section", ok + "Content-Length: 5\r\nServ", incomplete(status: 200)),
            single("close in a fixed-length body", ok + "Content-Length: 5\r\n\r\nhe", incomplete(status: 200, body: 2)),
            single("close in chunk data", chunkedHead + "5\r\nhel", incomplete(status: 200, body: 3)),
            single("close before the last chunk", chunkedHead + "5\r\nhello\r\n", incomplete(status: 200, body: 5)),
            single("close in the trailer section", chunkedHead + "0\r\nX: y\r\n", incomplete(status: 200)),
            single("close after an interim response", "HTTP/1.1 100 Continue\r\n\r\n", incomplete()),
        ]
    }

    static var pipelined: [ParserCase] {
        let first = ok + "Content-Length: 1\r\n\r\nx"
        let chunked = chunkedHead + "3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
        let notModified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
        return [
            ParserCase(
                name: "two responses back to back",
                input: bytes(first + "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop"),
                expected: [complete(200, body: 1, consumed: first.utf8.count), complete(404, body: 3)]),
            ParserCase(
                name: "chunked, 304, then a body to the close",
                input: bytes(chunked + notModified + "HTTP/1.1 200 OK\r\n\r\nrest"),
                expected: [
                    complete(200, body: 3, consumed: chunked.utf8.count),
                    complete(304, consumed: notModified.utf8.count),
                    closeDelimited(200, body: 4),
                ]),
            single("the first response stops at its last byte", first + "HTTP/1.1 200 OK\r\n",
                   complete(200, body: 1, consumed: first.utf8.count)),
            ParserCase(
                name: "the second response is malformed",
                input: bytes(first + "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"),
                expected: [complete(200, body: 1, consumed: first.utf8.count),
                           failed(CC_PARSE_BAD_HEADER_NAME, status: 200)]),
        ]
    }

    static var malformed: [ParserCase] {
        [
            single("garbage status line", "hello world\r\n\r\n", failed(CC_PARSE_BAD_VERSION, minor: 0)),
            single("HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", failed(CC_PARSE_BAD_VERSION, minor: 0)),
            single("HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", failed(CC_PARSE_BAD_VERSION, minor: 0)),
            single("HTTP/1.10", "HTTP/1.10 200 OK\r\n\r\n", failed(CC_PARSE_BAD_VERSION)),
            single("lowercase http", "http/1.1 200 OK\r\n\r\n", failed(CC_PARSE_BAD_VERSION, minor: 0)),
            single("status 99", "HTTP/1.1 99 OK\r\n\r\n", failed(CC_PARSE_BAD_STATUS)),
            single("status 099", "HTTP/1.1 099 OK\r\n\r\n", failed(CC_PARSE_BAD_STATUS)),
            single("status 1000", "HTTP/1.1 1000 OK\r\n\r\n", failed(CC_PARSE_BAD_STATUS)),
            single("status 2x0", "HTTP/1.1 2x0 OK\r\n\r\n", failed(CC_PARSE_BAD_STATUS)),
            single("two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n", failed(CC_PARSE_BAD_STATUS)),
            single("no status", "HTTP/1.1\r\n\r\n", failed(CC_PARSE_BAD_STATUS)),
            single("control byte in the reason", "HTTP/1.1 200 O\u{1}K\r\n\r\n", failed(CC_PARSE_BAD_REASON)),
            single("bare CR in the status line", "HTTP/1.1 200 OK\rX\n\r\n", failed(CC_PARSE_BAD_LINE_END)),
            single("space before the colon", ok + "Content-Length : 5\r\n\r\nhello",
                   failed(CC_PARSE_BAD_HEADER_NAME, status: 200)),
            single("field line without a colon", ok + "NoColon\r\n\r\n", failed(CC_PARSE_BAD_HEADER_NAME, status: 200)),
            single("empty field name", ok + ": x\r\n\r\n", failed(CC_PARSE_BAD_HEADER_NAME, status: 200)),
            single("non-token byte in a name", ok + "X@Y: z\r\n\r\n", failed(CC_PARSE_BAD_HEADER_NAME, status: 200)),
            single("NUL in a value", ok + "X: a\u{0}b\r\n\r\n", failed(CC_PARSE_BAD_HEADER_VALUE, status: 200)),
            single("DEL in a value", ok + "X: a\u{7F}b\r\n\r\n", failed(CC_PARSE_BAD_HEADER_VALUE, status: 200)),
            single("NUL in a connection value", ok + "Connection: clo\u{0}se\r\n\r\n",
                   failed(CC_PARSE_BAD_HEADER_VALUE, status: 200)),
            single("obs-fold", ok + "X: a\r\n  folded\r\nContent-Length: 0\r\n\r\n", failed(CC_PARSE_FOLDED_HEADER, status: 200)),
            single("whitespace before the first field line", ok + " X: a\r\n\r\n", failed(CC_PARSE_FOLDED_HEADER, status: 200)),
            single("bare CR in a field line", ok + "X: a\rb\r\n\r\n", failed(CC_PARSE_BAD_LINE_END, status: 200)),
            single("bare CR on the empty line", ok + "\rX", failed(CC_PARSE_BAD_LINE_END, status: 200)),
            single("content-length 12a", ok + "Content-Length: 12a\r\n\r\n", failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length -1", ok + "Content-Length: -1\r\n\r\n", failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length empty", ok + "Content-Length: \r\n\r\n", failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length above 2^62", ok + "Content-Length: 4611686018427387905\r\n\r\n",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length past 2^64", ok + "Content-Length: 99999999999999999999999\r\n\r\n",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("conflicting content-length fields", ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("conflicting content-length list", ok + "Content-Length: 5, 50\r\n\r\nhello",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length list 10, 1", ok + "Content-Length: 10, 1\r\n\r\n",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length list 0, 7", ok + "Content-Length: 0, 7\r\n\r\n",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length list with an empty element", ok + "Content-Length: 5,\r\n\r\nhello",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("content-length of two numbers", ok + "Content-Length: 5 5\r\n\r\nhello",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("bad content-length even beside transfer-encoding",
                   ok + "Transfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n",
                   failed(CC_PARSE_BAD_CONTENT_LENGTH, status: 200)),
            single("chunk size zz", chunkedHead + "zz\r\n", failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("empty chunk size", chunkedHead + "\r\n", failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("chunk size above 2^62", chunkedHead + "4000000000000001\r\n", failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("chunk size past 2^64", chunkedHead + "1ffffffffffffffff\r\n", failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("garbage after the chunk size", chunkedHead + "5 x\r\nhello\r\n", failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("control byte in a chunk extension", chunkedHead + "5;a=\u{1}\r\nhello\r\n",
                   failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("bare CR in a chunk-size line", chunkedHead + "5\rhello\r\n", failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
            single("missing CRLF after chunk data", chunkedHead + "3\r\nabcd\r\n0\r\n\r\n",
                   failed(CC_PARSE_BAD_CHUNK_END, status: 200, body: 3)),
            single("bare CR after chunk data", chunkedHead + "3\r\nabc\rX", failed(CC_PARSE_BAD_CHUNK_END, status: 200, body: 3)),
            single("NUL in a trailer", chunkedHead + "0\r\nX: \u{0}\r\n\r\n", failed(CC_PARSE_BAD_HEADER_VALUE, status: 200)),
            single("obs-fold in a trailer", chunkedHead + "0\r\nX: a\r\n b\r\n\r\n", failed(CC_PARSE_FOLDED_HEADER, status: 200)),
            single("bad name in a trailer", chunkedHead + "0\r\nX Y: a\r\n\r\n", failed(CC_PARSE_BAD_HEADER_NAME, status: 200)),
        ]
    }

    static var limits: [ParserCase] {
        let maxLine = Int(CC_PARSE_MAX_HEADER_LINE)
        let maxSection = Int(CC_PARSE_MAX_HEADER_SECTION)
        // "X-Big: " + value + CRLF, exactly `size` bytes.
        func bigLine(_ size: Int) -> String { "X-Big: " + String(repeating: "a", count: size - 9) + "\r\n" }
        return [
            single("a field line at the line limit", ok + bigLine(maxLine) + "Content-Length: 0\r\n\r\n", complete(200)),
            single("a field line one byte over", ok + bigLine(maxLine + 1) + "Content-Length: 0\r\n\r\n",
                   failed(CC_PARSE_HEADER_TOO_LARGE, status: 200)),
            single("a status line one byte over", "HTTP/1.1 200 " + String(repeating: "r", count: maxLine - 14) + "\r\n\r\n",
                   failed(CC_PARSE_HEADER_TOO_LARGE)),
            single("a header section at the limit", headerSection(size: maxSection), complete(200)),
            single("a header section one byte over", headerSection(size: maxSection + 1),
                   failed(CC_PARSE_HEADER_TOO_LARGE, status: 200)),
            single("a trailer line one byte over", chunkedHead + "0\r\n" + bigLine(maxLine + 1) + "\r\n",
                   failed(CC_PARSE_HEADER_TOO_LARGE, status: 200)),
            single("a chunk-size line at the line limit",
                   chunkedHead + "1;" + String(repeating: "e", count: maxLine - 4) + "\r\nx\r\n0\r\n\r\n",
                   complete(200, body: 1)),
            single("a chunk-size line one byte over",
                   chunkedHead + "1;" + String(repeating: "e", count: maxLine - 3) + "\r\nx\r\n0\r\n\r\n",
                   failed(CC_PARSE_BAD_CHUNK_SIZE, status: 200)),
        ]
    }

    static var all: [ParserCase] { valid + noBody + connection + endOfInput + pipelined + malformed + limits }
}

// MARK: - Running cases

/// A copy of some bytes that ends exactly where a PROT_NONE page begins.
private final class GuardedBytes {
    private let mapping: UnsafeMutableRawPointer
    private let mappingSize: Int
    let pointer: UnsafePointer<UInt8>
    let count: Int

    init(_ bytes: [UInt8]) {
        let page = Int(getpagesize())
        let dataPages = max(1, (bytes.count + page - 1) / page)
        mappingSize = (dataPages + 1) * page
        guard let mapped = mmap(nil, mappingSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != UnsafeMutableRawPointer(bitPattern: -1)
        else { fatalError("mmap failed") }
        mapping = mapped
        precondition(mprotect(mapped + dataPages * page, page, PROT_NONE) == 0, "mprotect failed")
        let start = (mapped + dataPages * page - bytes.count).assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { start.update(from: base, count: bytes.count) }
        }
        pointer = UnsafePointer(start)
        count = bytes.count
    }

    deinit { munmap(mapping, mappingSize) }
}

/// Parses up to `responses` responses from `input`, fed as the pieces that end at each of `cuts`
/// (increasing) and at the end. Checks the calls' contract on the way; `problems` collects breaches.
private func parseResponses(
    _ input: GuardedBytes, head: Bool, responses: Int, cuts: [Int], problems: inout [String]
) -> [ParsedResponse] {
    var parser = cc_response_parser_t()
    cc_response_parser_reset(&parser, head ? 1 : 0)
    var results: [ParsedResponse] = []
    var consumed = 0

    func snapshot(_ ending: ParseEnding, consumed: Int) -> ParsedResponse {
        let done = ending == .complete || ending == .completeAtClose
        return ParsedResponse(
            ending: ending, status: parser.status, bodyBytes: parser.body_bytes, keepAlive: done && parser.keep_alive != 0,
            untilClose: parser.until_close != 0, httpMinor: parser.http_minor, consumed: consumed)
    }

    var start = 0
    for stop in cuts + [input.count] where stop > start {
        var offset = start
        while offset < stop {
            let n = cc_response_parser_feed(&parser, input.pointer + offset, stop - offset)
            if n < 0 {
                if n != -1 { problems.append("feed returned \(n)") }
                if parser.error == 0 { problems.append("feed failed without an error code") }
                if cc_response_parser_feed(&parser, input.pointer + offset, stop - offset) != -1 {
                    problems.append("the error is not sticky")
                }
                if cc_response_parser_finish(&parser) != -1 { problems.append("finish after an error is not -1") }
                results.append(snapshot(.failed(UInt32(parser.error)), consumed: 0))
                return results
            }
            if n > stop - offset { problems.append("feed consumed \(n) of \(stop - offset) bytes") }
            consumed += n
            offset += n
            if parser.complete == 0 {
                if offset != stop { problems.append("feed stopped early without completing") }
                break
            }
            if cc_response_parser_feed(&parser, input.pointer + offset, stop - offset) != 0 {
                problems.append("feed after completion did not return 0")
            }
            results.append(snapshot(.complete, consumed: consumed))
            if results.count == responses { return results }
            cc_response_parser_reset(&parser, head ? 1 : 0)
            consumed = 0
        }
        start = stop
    }
    let finished = cc_response_parser_finish(&parser)
    if finished == 1 && cc_response_parser_finish(&parser) != 1 { problems.append("finish is not idempotent") }
    results.append(snapshot(finished == 1 ? .completeAtClose : .incomplete, consumed: consumed))
    return results
}

final class ResponseParserTests: XCTestCase {
    /// Resolves the table's "all of the rest" consumed counts (-1) for a case.
    private func expectations(_ testCase: ParserCase) -> [ParsedResponse] {
        var left = testCase.input.count
        return testCase.expected.map { response in
            var response = response
            if case .failed = response.ending {
                response.consumed = 0
            } else if response.consumed == -1 {
                response.consumed = left
            }
            left -= response.consumed
            return response
        }
    }

    private func check(_ cases: [ParserCase], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(cases.isEmpty, file: file, line: line)
        for testCase in cases {
            let expected = expectations(testCase)
            let input = GuardedBytes(testCase.input)
            let count = testCase.input.count
            var problems: [String] = []

            let whole = parseResponses(input, head: testCase.head, responses: expected.count, cuts: [], problems: &problems)
            XCTAssertEqual(whole, expected, "\(testCase.name): fed whole", file: file, line: line)

            let byByte = parseResponses(
                input, head: testCase.head, responses: expected.count, cuts: Array(stride(from: 1, to: count, by: 1)),
                problems: &problems)
            XCTAssertEqual(byByte, expected, "\(testCase.name): fed byte by byte", file: file, line: line)

            for split in 0...count {
                let parts = parseResponses(input, head: testCase.head, responses: expected.count, cuts: [split], problems: &problems)
                if parts != expected {
                    XCTFail("\(testCase.name): split at \(split): \(parts) != \(expected)", file: file, line: line)
                    break
                }
            }
            XCTAssertEqual(problems, [], "\(testCase.name): contract", file: file, line: line)
        }
    }

    func testValidResponses() { check(ResponseParserCases.valid) }
    func testResponsesWithoutBody() { check(ResponseParserCases.noBody) }
    func testConnectionReuse() { check(ResponseParserCases.connection) }
    func testEndOfInput() { check(ResponseParserCases.endOfInput) }
    func testPipelinedResponses() { check(ResponseParserCases.pipelined) }
    func testMalformedResponses() { check(ResponseParserCases.malformed) }
    func testLimits() { check(ResponseParserCases.limits) }

    func testTableIsLargeAndNamesAreUnique() {
        let names = ResponseParserCases.all.map(\.name)
        XCTAssertGreaterThanOrEqual(names.count, 45)
        XCTAssertEqual(Set(names).count, names.count, "duplicate case names")
    }

    func testHeaderSectionBuilderIsExact() {
        for size in [Int(CC_PARSE_MAX_HEADER_SECTION), Int(CC_PARSE_MAX_HEADER_SECTION) + 1, 100, 1000] {
            XCTAssertEqual(headerSection(size: size).utf8.count, size)
        }
    }

    func testResetClearsAPreviousResponse() {
        var parser = cc_response_parser_t()
        cc_response_parser_reset(&parser, 0)
        let bad = bytes("HTTP/1.1 200 OK\r\nX : y\r\n\r\n")
        XCTAssertEqual(bad.withUnsafeBufferPointer { cc_response_parser_feed(&parser, $0.baseAddress, $0.count) }, -1)
        XCTAssertEqual(parser.error, UInt8(CC_PARSE_BAD_HEADER_NAME.rawValue))

        cc_response_parser_reset(&parser, 1)
        XCTAssertEqual(parser.error, 0)
        XCTAssertEqual(parser.status, 0)
        XCTAssertEqual(parser.head_request, 1)
        let good = bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
        XCTAssertEqual(good.withUnsafeBufferPointer { cc_response_parser_feed(&parser, $0.baseAddress, $0.count) }, good.count)
        XCTAssertEqual(parser.complete, 1)
        XCTAssertEqual(parser.body_bytes, 0)
    }

    func testFeedingNothing() {
        var parser = cc_response_parser_t()
        cc_response_parser_reset(&parser, 0)
        XCTAssertEqual(cc_response_parser_feed(&parser, nil, 0), 0)
        XCTAssertEqual(parser.complete, 0)
        XCTAssertEqual(cc_response_parser_finish(&parser), 0)
    }

    func testParserIsSmall() {
        XCTAssertLessThanOrEqual(MemoryLayout<cc_response_parser_t>.size, 48)
    }
}
