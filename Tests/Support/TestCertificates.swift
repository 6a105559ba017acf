import Foundation
import Glibc

/// A throwaway public-key infrastructure for TLS tests, made with the `openssl` command in a temporary directory.
///
/// Every key is EC P-256 (generating one takes about a millisecond, against tens for RSA 2048), and every
/// certificate is valid from the moment it is made for two days. `init()` runs `openssl req` four times and takes
/// about 40 ms in all; it needs OpenSSL 3.0 or later (`req -CA` signs in the same step, `-noenc`), as in Debian 12.
/// The directory is removed when the object is released or the test process exits.
///
/// | file | what it is |
/// |---|---|
/// | ``caCertificatePath`` | The CA, `CN=Cicada Test CA`. Trust it (`--ca-file`, `curl --cacert`) to verify the next two. |
/// | ``serverCertificatePath``, ``serverKeyPath`` | `CN=localhost`, subjectAltName `DNS:localhost, IP:127.0.0.1, IP:::1`, extended key usage `serverAuth`, signed by the CA. |
/// | ``clientCertificatePath``, ``clientKeyPath`` | `CN=Cicada Test Client`, extended key usage `clientAuth`, signed by the CA: for mutual TLS. |
/// | ``selfSignedCertificatePath``, ``selfSignedKeyPath`` | `CN=localhost` with the same names as the server's, signed by itself and by no CA: whoever trusts only the CA fails to verify it with "self-signed certificate", never a host name mismatch. It has no extended key usage, so it also serves as an untrusted client certificate. |
///
/// ```swift
/// let certificates = try TestCertificates()
/// let nginx = NginxFixture(options: .init(tls: .init(certificates: certificates)))
/// try nginx.start()
/// // ... run Cicada against nginx.baseURL with --ca-file certificates.caCertificatePath ...
/// ```
public final class TestCertificates: @unchecked Sendable {
    /// Where the `openssl` command is: `$CICADA_OPENSSL` if set, else Debian's `/usr/bin/openssl`.
    public static var opensslPath: String {
        ProcessInfo.processInfo.environment["CICADA_OPENSSL"] ?? "/usr/bin/openssl"
    }

    /// Whether the `openssl` command is installed at ``opensslPath``.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: opensslPath)
    }

    /// The temporary directory that holds every file below.
    public let directory: String

    /// The CA certificate (PEM), which signed the server and client certificates.
    public var caCertificatePath: String { directory + "/ca.pem" }
    /// The server certificate (PEM) for `localhost`, `127.0.0.1` and `::1`.
    public var serverCertificatePath: String { directory + "/server.pem" }
    /// The server certificate's private key (PEM, unencrypted).
    public var serverKeyPath: String { directory + "/server.key" }
    /// The client certificate (PEM), for mutual TLS.
    public var clientCertificatePath: String { directory + "/client.pem" }
    /// The client certificate's private key (PEM, unencrypted).
    public var clientKeyPath: String { directory + "/client.key" }
    /// A self-signed certificate (PEM) for `localhost`, unrelated to the CA.
    public var selfSignedCertificatePath: String { directory + "/self-signed.pem" }
    /// The self-signed certificate's private key (PEM, unencrypted).
    public var selfSignedKeyPath: String { directory + "/self-signed.key" }

    private var caKeyPath: String { directory + "/ca.key" }
    private var configurationPath: String { directory + "/openssl.cnf" }

    /// Creates the directory and generates every key and certificate in it.
    /// - Throws: ``TestServerError/opensslNotInstalled(path:)``, or
    ///   ``TestServerError/certificateGenerationFailed(step:command:output:)`` with what openssl printed.
    public init() throws {
        directory = try TemporaryDirectories.shared.make(prefix: "cicada-certificates")
        do {
            guard Self.isAvailable else { throw TestServerError.opensslNotInstalled(path: Self.opensslPath) }
            try generate()
        } catch {
            TemporaryDirectories.shared.remove(directory)
            throw error
        }
    }

    deinit {
        TemporaryDirectories.shared.remove(directory)
    }

    /// The configuration every `openssl req` below reads, in place of the system's `openssl.cnf`.
    ///
    /// The system file's `x509_extensions = v3_ca` would make every `req -x509` certificate a CA; naming the
    /// extension section on each command line keeps each certificate exactly as described here.
    private static let configuration = """
        [req]
        distinguished_name = subject
        prompt = no
        [subject]
        CN = unused
        [ca]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [server]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [client]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [self_signed]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
        subjectKeyIdentifier = hash

        """

    private func generate() throws {
        do {
            try Self.configuration.write(toFile: configurationPath, atomically: false, encoding: .utf8)
        } catch {
            throw TestServerError.certificateGenerationFailed(
                step: "configuration", command: "write \(configurationPath)", output: "\(error)"
            )
        }
        try request(step: "CA", subject: "/CN=Cicada Test CA", extensions: "ca", key: caKeyPath,
                    certificate: caCertificatePath, signedByCA: false)
        try request(step: "server certificate", subject: "/CN=localhost", extensions: "server", key: serverKeyPath,
                    certificate: serverCertificatePath, signedByCA: true)
        try request(step: "client certificate", subject: "/CN=Cicada Test Client", extensions: "client",
                    key: clientKeyPath, certificate: clientCertificatePath, signedByCA: true)
        try request(step: "self-signed certificate", subject: "/CN=localhost", extensions: "self_signed",
                    key: selfSignedKeyPath, certificate: selfSignedCertificatePath, signedByCA: false)
    }

    /// One `openssl req -x509` run: a new P-256 key and a certificate for it, signed by the CA (OpenSSL 3's `-CA`)
    /// or by the new key itself.
    private func request(
        step: String, subject: String, extensions: String, key: String, certificate: String, signedByCA: Bool
    ) throws {
        var arguments = [
            "req", "-config", configurationPath, "-x509", "-days", "2", "-subj", subject, "-extensions", extensions,
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-keyout", key, "-out", certificate,
        ]
        if signedByCA {
            arguments += ["-CA", caCertificatePath, "-CAkey", caKeyPath]
        }
        try Self.runOpenSSL(step: step, arguments: arguments)
    }

    /// Runs `openssl` with `arguments` and throws with its output unless it exits with status 0.
    private static func runOpenSSL(step: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opensslPath)
        process.arguments = arguments
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        // `waitUntilExit()` polls its run loop every 50 ms or so, which would make four quick commands take a
        // quarter of a second; the termination handler signals as soon as the child is reaped.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let command = ([opensslPath] + arguments).joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw TestServerError.certificateGenerationFailed(step: step, command: command, output: "\(error)")
        }
        // Read to the end before waiting: openssl would block on a full pipe otherwise.
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        exited.wait()
        guard process.terminationReason == .exit && process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit
                ? "exit status \(process.terminationStatus)" : "signal \(process.terminationStatus)"
            throw TestServerError.certificateGenerationFailed(
                step: step, command: command, output: "(\(how))\n" + String(decoding: printed, as: UTF8.self)
            )
        }
    }
}

/// Temporary directories made for test fixtures, removed on request or, at the latest, by an `atexit` handler.
///
/// XCTest on Linux keeps every test case instance (and what its properties hold) until the process ends, then
/// leaves by `exit`, so a `deinit` alone would leave directories in /tmp. A crash skips `atexit` handlers.
final class TemporaryDirectories: @unchecked Sendable {
    static let shared = TemporaryDirectories()

    private let lock = NSLock()
    private var directories: Set<String> = []
    private var exitHandlerInstalled = false

    /// Creates a new directory `$TMPDIR/PREFIX-XXXXXX` (mode 0700) and remembers it.
    func make(prefix: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw TestServerError.systemCall("mkdtemp \(NSTemporaryDirectory())", errno: errno)
        }
        let path = (template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } as NSString)
            .standardizingPath
        lock.withLock {
            directories.insert(path)
            if !exitHandlerInstalled {
                exitHandlerInstalled = true
                atexit { TemporaryDirectories.shared.removeAll() }
            }
        }
        return path
    }

    /// Removes `path` and everything in it, and forgets it.
    func remove(_ path: String) {
        lock.withLock { _ = directories.remove(path) }
        try? FileManager.default.removeItem(atPath: path)
    }

    private func removeAll() {
        let remaining = lock.withLock {
            defer { directories = [] }
            return directories
        }
        for path in remaining {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
