/// The rules a scenario's values obey, shared by the YAML loader (which adds the place in the file) and
/// ``Scenario/validate()`` (which adds the place in the model). Each check throws ``InputError`` with the
/// expected form.
enum ScenarioRules {

    /// Names end up in console tables and CSV files, one per line.
    static func checkLabel(_ label: String, what: String) throws {
        guard !label.isEmpty else { throw InputError("expected a non-empty \(what)") }
        if let bad = label.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw InputError("the \(what) '\(label.escapedForMessage)' has \(describeScalar(bad)); expected one line of text")
        }
    }

    // MARK: TLS

    static let keyWithoutCertificate = "'key' is given without 'cert'; expected the client certificate in 'cert' "
        + "and its private key in 'key', or both in 'cert'"

    static func checkTLSVersions(min: TLSVersion, max: TLSVersion) throws {
        guard min <= max else {
            throw InputError("min_version \(min.rawValue) is above max_version \(max.rawValue); "
                + "expected min_version ≤ max_version")
        }
    }

    /// A name to send as SNI and to match the certificate against: a DNS name (RFC 1035 §2.3.4 for the
    /// lengths, RFC 1123 §2.1 for the letters) or an IP address. `_` is allowed because ``TargetURL``
    /// allows it in a host, and the default server name is the target's host.
    static func checkServerName(_ name: String) throws {
        let expected = "expected a host name such as api.example.com, or an IP address"
        func fail(_ problem: String) -> InputError {
            InputError("invalid server_name '\(name.escapedForMessage)': \(problem); \(expected)")
        }
        guard !name.isEmpty else {
            throw InputError("expected a non-empty server_name: a host name such as api.example.com, or an IP address")
        }
        if TargetURL.isIPv6Literal(name) { return }
        if name.hasPrefix("["), name.hasSuffix("]"), TargetURL.isIPv6Literal(String(name.dropFirst().dropLast())) {
            throw fail("write an IPv6 address without brackets")
        }
        if name.contains("://") { throw fail("it is a URL; give only its host name") }
        if let bad = name.unicodeScalars.first(where: { !isHostNameCharacter($0) }) {
            if bad == ":" { throw fail("a port does not belong in a server name") }
            let hint = bad.value > 0x7F ? "write an internationalized name in its xn-- form (RFC 5890)"
                : "a host name has letters, digits, '-', '.' and '_'"
            throw fail("it has \(describeScalar(bad)); \(hint)")
        }
        if name.hasSuffix(".") { throw fail("it ends with '.'; SNI carries the name without the final dot (RFC 6066 §3)") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.contains(where: \.isEmpty) { throw fail("it has an empty label (a '.' at the start or two in a row)") }
        if let long = labels.first(where: { $0.count > 63 }) {
            throw fail("the label '\(long.prefix(20))…' is longer than 63 characters (RFC 1035 §2.3.4)")
        }
        if name.count > 253 { throw fail("it is longer than 253 characters (RFC 1035 §2.3.4)") }
        if let label = labels.first(where: { $0.hasPrefix("-") || $0.hasSuffix("-") }) {
            throw fail("the label '\(label)' starts or ends with '-' (RFC 1123 §2.1)")
        }
    }

    static func isHostNameCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_": return true
        default: return false
        }
    }

    /// What a TLS file must hold.
    enum PEMContent {
        /// CA certificates to trust (`ca_file`).
        case caCertificates
        /// A client certificate whose key is in another file (`cert` with `key`).
        case certificate
        /// A client certificate and its private key (`cert` without `key`).
        case certificateAndKey
        /// A private key (`key`).
        case privateKey
    }

    /// Reads the file at `path` and checks that it holds PEM blocks (RFC 7468) of the kind `content` says.
    ///
    /// OpenSSL reads these files only when the run starts, in every worker; checking them here turns a
    /// missing or wrong file into a message at the scenario's line rather than a failed run. An encrypted
    /// key is refused because OpenSSL would stop the run to ask for its passphrase on the terminal.
    static func checkPEMFile(_ path: String, key: String, holds content: PEMContent) throws {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch let error as InputError {
            throw InputError("cannot read \(key) '\(path)': \(error.message)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var labels: [Substring] = []
        // Split at Characters that are newlines: in a String, CR LF is one Character, not "\r" then "\n".
        for var line in text.split(whereSeparator: \.isNewline) {
            while line.last == " " || line.last == "\t" { line = line.dropLast() }
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                labels.append(line.dropFirst(11).dropLast(5))
            }
        }
        // A DER file starts with an ASN.1 SEQUENCE (0x30); say how to convert it rather than only "not PEM".
        func derHint(_ command: String) -> String {
            guard bytes.first == 0x30 else { return "" }
            return "; it looks like DER: convert it with `openssl \(command) -inform der -in \(path) -out \(path).pem`"
        }
        if content != .privateKey {
            let certificateLabels: Set<Substring> = ["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"]
            guard labels.contains(where: certificateLabels.contains) else {
                let what = content == .caCertificates ? "CA certificates" : "the client certificate"
                throw InputError("\(key) '\(path)' has no PEM certificate (-----BEGIN CERTIFICATE-----); "
                    + "expected \(what) in PEM\(derHint("x509"))")
            }
        }
        if content == .certificateAndKey || content == .privateKey {
            guard let keyLabel = labels.first(where: { $0.hasSuffix("PRIVATE KEY") }) else {
                if content == .certificateAndKey {
                    throw InputError("cert '\(path)' has no private key (-----BEGIN PRIVATE KEY-----) and no 'key' is "
                        + "given; expected the key in the same file or in a 'key' file")
                }
                throw InputError("\(key) '\(path)' has no PEM private key (-----BEGIN PRIVATE KEY-----); "
                    + "expected the client certificate's private key in PEM\(derHint("pkey"))")
            }
            if keyLabel == "ENCRYPTED PRIVATE KEY" || text.contains("Proc-Type: 4,ENCRYPTED") {
                throw InputError("the private key in \(key) '\(path)' is encrypted, and a run cannot ask for its "
                    + "passphrase; expected an unencrypted key: decrypt it with `openssl pkey -in \(path) -out plain.key`")
            }
        }
    }

    static func checkRequest(_ request: RequestTemplate) throws {
        try checkMethod(request.method)
        try checkPath(request.path)
        if let name = request.name { try checkLabel(name, what: "endpoint name") }
        for header in request.headers {
            try checkHeaderName(header.name)
            try checkHeaderValue(header.value, name: header.name)
        }
    }

    static func checkTask(_ task: UserTask) throws {
        try checkLabel(task.name, what: "task name")
        guard !task.requests.isEmpty else { throw InputError("expected at least one request in task '\(task.name)'") }
        for (index, request) in task.requests.enumerated() {
            do {
                try checkRequest(request)
            } catch let error as InputError where task.requests.count > 1 {
                throw InputError("step \(index + 1): \(error.message)")
            }
        }
    }
}

extension String {
    /// The string with control characters shown as escapes, so that a message stays on one line.
    var escapedForMessage: String {
        var out = ""
        for c in unicodeScalars {
            switch c {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\u{\(String(c.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}
