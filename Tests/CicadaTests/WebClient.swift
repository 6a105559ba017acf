import Foundation
import Glibc

/// What the web UI answered.
struct WebReply {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: String

    /// The body as a JSON object, or empty.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
}

/// A blocking HTTP/1.1 client for the web UI's tests, over a plain socket to 127.0.0.1 with
/// `Connection: close`: it sends exactly the headers a test gives (a browser's `Origin`, a wrong
/// password) and follows nothing, where URLSession would act on a 401's challenge itself.
enum WebClient {
    static func send(_ method: String, _ url: String, body: String? = nil, contentType: String = "application/json",
                     headers: [String: String] = [:], timeout: Double = 10) throws -> WebReply {
        guard let parts = URLComponents(string: url), let port = parts.port else { throw ChildError(description: "not a URL with a port: \(url)") }
        let target = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let payload = Array((body ?? "").utf8)
        if body != nil { head += "Content-Type: \(contentType)\r\n" }
        if body != nil || method == "POST" { head += "Content-Length: \(payload.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + payload

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildError(description: "socket: \(errno)") }
        defer { close(fd) }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ChildError(description: "connect to \(url): errno \(errno)") }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw ChildError(description: "write to \(url) failed") }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n == 0 { break }
            guard n > 0 else { throw ChildError(description: "no whole answer from \(url) within \(timeout) s") }
            received += buffer[..<n]
        }
        return try parse(received, url: url)
    }

    private static func parse(_ bytes: [UInt8], url: String) throws -> WebReply {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw ChildError(description: "no header block in the answer from \(url)")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ChildError(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var decoded: [UInt8] = []
            var at = 0
            while let lineEnd = (at..<max(at, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) {
                let size = Int(String(decoding: body[at..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                if size == 0 { break }
                decoded += body[(lineEnd + 2)..<min(body.count, lineEnd + 2 + size)]
                at = lineEnd + 2 + size + 2
            }
            body = decoded
        }
        return WebReply(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    static func get(_ url: String, headers: [String: String] = [:]) throws -> WebReply {
        try send("GET", url, headers: headers)
    }

    static func post(_ url: String, _ body: String = "{}", contentType: String = "application/json",
                     headers: [String: String] = [:]) throws -> WebReply {
        try send("POST", url, body: body, contentType: contentType, headers: headers)
    }
}
