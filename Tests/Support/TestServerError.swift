import Foundation
import Glibc

/// Why a test server could not be started.
///
/// Only start-up throws: once a server runs, whatever a client does to it is served or counted, never thrown.
public enum TestServerError: Error, CustomStringConvertible {
    /// A system call failed; `errno` is the value it left.
    case systemCall(String, errno: Int32)
    /// The nginx binary is not at `path`. Install Debian's `nginx` package, or set `CICADA_NGINX`.
    case nginxNotInstalled(path: String)
    /// nginx exited or never accepted connections. `log` holds its error log and standard error.
    case nginxDidNotStart(reason: String, log: String)

    /// A one-paragraph explanation, including nginx's own log where there is one.
    public var description: String {
        switch self {
        case let .systemCall(call, errno):
            return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .nginxNotInstalled(path):
            return "nginx is not installed at \(path) (apt-get install nginx, or set CICADA_NGINX)"
        case let .nginxDidNotStart(reason, log):
            return "nginx did not start: \(reason)\n--- nginx error log ---\n\(log)"
        }
    }
}
