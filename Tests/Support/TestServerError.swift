import Foundation
import Glibc

/// Why a test server or fixture could not be set up.
///
/// Only set-up throws: once a server runs, whatever a client does to it is served or counted, never thrown.
public enum TestServerError: Error, CustomStringConvertible {
    /// A system call failed; `errno` is the value it left.
    case systemCall(String, errno: Int32)
    /// The nginx binary is not at `path`. Install Debian's `nginx` package, or set `CICADA_NGINX`.
    case nginxNotInstalled(path: String)
    /// nginx exited or never accepted connections. `log` holds its error log and standard error.
    case nginxDidNotStart(reason: String, log: String)
    /// The `openssl` command is not at `path`. Install Debian's `openssl` package, or set `CICADA_OPENSSL`.
    case opensslNotInstalled(path: String)
    /// An `openssl` command of ``TestCertificates`` failed. `output` holds what it printed, errors included.
    case certificateGenerationFailed(step: String, command: String, output: String)
    /// OpenSSL refused the TLS fault server's certificate or key. `reason` holds OpenSSL's error queue in words.
    case tlsSetupFailed(reason: String)
    /// `cicada target` exited or never printed its listening line.
    case demoTargetDidNotStart(reason: String)
    /// Headless Chromium is missing, failed or ran out of time (``HeadlessChromium``).
    case browserFailed(reason: String)

    /// A one-paragraph explanation, including nginx's log or openssl's output where there is one.
    public var description: String {
        switch self {
        case let .systemCall(call, errno):
            return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .nginxNotInstalled(path):
            return "nginx is not installed at \(path) (apt-get install nginx, or set CICADA_NGINX)"
        case let .nginxDidNotStart(reason, log):
            return "nginx did not start: \(reason)\n--- nginx error log ---\n\(log)"
        case let .opensslNotInstalled(path):
            return "openssl is not installed at \(path) (apt-get install openssl, or set CICADA_OPENSSL)"
        case let .certificateGenerationFailed(step, command, output):
            return "generating the \(step) failed: \(command)\n--- openssl output ---\n\(output)"
        case let .tlsSetupFailed(reason):
            return "TLS set-up failed: \(reason)"
        case let .demoTargetDidNotStart(reason):
            return "cicada target did not start: \(reason)"
        case let .browserFailed(reason):
            return "headless chromium: \(reason)"
        }
    }
}
