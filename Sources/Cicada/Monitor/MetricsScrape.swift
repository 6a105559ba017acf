import CCicadaCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One scrape of a Prometheus endpoint (`--monitor-prometheus`): a blocking `GET` over plain HTTP/1.1 on
/// the monitor's own thread, read with the core's response parser (the same rules as every response
/// Cicada reads: chunked bodies, `Content-Length`, a body that ends with the connection), bounded in time
/// and size. Scrapes are once a second, so a connection per scrape (`Connection: close`) costs nothing
/// that matters and keeps no state between them.
public enum MetricsScrape {
    /// The most body bytes a scrape reads: far past any process's metrics page.
    public static let maxBodyBytes = 16 << 20

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Fetches `url`'s body within `timeout` seconds.
    /// - Throws: ``Failure`` saying what went wrong: the address, the connection, the status, a malformed or
    ///   overlong response, the time.
    public static func fetch(_ url: TargetURL, timeout: Double = 2) throws -> String {
        guard url.scheme == .http else { throw Failure(description: "only http:// endpoints can be scraped") }
        let deadline = Date().addingTimeInterval(timeout)
        let fd = try connect(host: url.host, port: url.port, timeout: timeout)
        defer { close(fd) }
        let request = "GET \(url.path) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: cicada/\(cicadaVersion)\r\n"
            + "Accept: text/plain\r\nConnection: close\r\n\r\n"
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "the request could not be sent (\(String(cString: strerror(errno))))") }
            sent += n
        }
        let body = Body()
        var parser = cc_response_parser_t()
        cc_response_parser_reset(&parser, 0)
        var observer = cc_response_observer_t(
            headers: { _, _, _ in },
            body: { context, data, length in
                let body = Unmanaged<Body>.fromOpaque(context!).takeUnretainedValue()
                if body.bytes.count + length > MetricsScrape.maxBodyBytes { body.overlong = true; return }
                body.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            },
            context: Unmanaged.passUnretained(body).toOpaque())
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while parser.complete == 0 {
            guard Date() < deadline else { throw Failure(description: "no whole response within \(formatNumber(timeout)) s") }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: errno == EAGAIN ? "no whole response within \(formatNumber(timeout)) s"
                              : "the response could not be read (\(String(cString: strerror(errno))))")
            }
            if n == 0 {
                guard cc_response_parser_finish(&parser) == 1 else {
                    throw Failure(description: "the connection closed before the response was complete")
                }
                break
            }
            let fed = buffer.withUnsafeBufferPointer { cc_response_parser_feed_observed(&parser, $0.baseAddress, n, &observer) }
            if fed < 0 {
                throw Failure(description: "malformed response: \(String(cString: cc_parse_error_text(Int32(parser.error))))")
            }
            if body.overlong { throw Failure(description: "the body is larger than \(maxBodyBytes >> 20) MiB") }
        }
        guard parser.status == 200 else { throw Failure(description: "HTTP \(parser.status)") }
        bytes = body.bytes
        return String(decoding: bytes, as: UTF8.self)
    }

    private final class Body {
        var bytes: [UInt8] = []
        var overlong = false
    }

    /// A blocking TCP connection to the first address of `host` that answers, with send and receive
    /// timeouts of `timeout` seconds (which connect(2) honours too).
    private static func connect(host: String, port: Int, timeout: Double) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw Failure(description: "cannot resolve '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        var problem = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            problem = String(cString: strerror(errno))
            close(fd)
        }
        throw Failure(description: "cannot connect to \(host):\(port) (\(problem))")
    }
}
