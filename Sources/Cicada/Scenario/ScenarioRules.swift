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
        try checkPathTemplate(request.path)
        if let name = request.name { try checkLabel(name, what: "endpoint name") }
        for header in request.headers {
            try checkHeaderName(header.name)
            try checkHeaderValueTemplate(header.value, name: header.name)
        }
        switch request.content {
        case .bytes: break
        case .template(let template): try checkParsed(template)
        case .multipart(let parts): try checkMultipart(parts, headers: request.headers)
        }
        for capture in request.captures { try capture.validate() }
        for check in request.checks { try check.validate() }
        if let repeatUntil = request.repeatUntil { try checkRepeat(repeatUntil) }
        if let condition = request.condition {
            let key = if case .ifSet = condition { "if" } else { "unless" }
            guard isVariableName(condition.variable), !reservedVariableNames.contains(condition.variable) else {
                throw InputError("expected '\(key)' to name a variable, as in \(key): ${file_id}, got '\(condition.variable.escapedForMessage)'")
            }
        }
    }

    /// A template's text pieces with every slot as `0`, for the rules that static text obeys.
    static func skeleton(_ template: Template) -> String {
        template.pieces.reduce(into: "") {
            switch $1 {
            case .text(let text): $0 += text
            case .slot: $0 += "0"
            }
        }
    }

    /// A path template: it parses, and its text obeys the path rules (a slot's value is checked by the core
    /// when it is rendered).
    static func checkPathTemplate(_ path: String) throws {
        let template: Template
        do { template = try Template(parsing: path) } catch let error as InputError {
            throw InputError("in the path '\(path.escapedForMessage)': \(error.message)")
        }
        if case .slot? = template.pieces.first {
            throw InputError("expected a path starting with '/', such as /api/v1/files/${file_id}, got '\(path.escapedForMessage)'")
        }
        let text = skeleton(template)
        do { try checkPath(text) } catch let error as InputError where text != path {
            throw InputError(error.message.replacingOccurrences(of: "'\(text.escapedForMessage)'", with: "'\(path.escapedForMessage)'"))
        }
    }

    static func checkHeaderValueTemplate(_ value: String, name: String) throws {
        let template: Template
        do { template = try Template(parsing: value) } catch let error as InputError {
            throw InputError("in the value of header '\(name)': \(error.message)")
        }
        try checkHeaderValue(skeleton(template), name: name)
    }

    /// Checks what parsing a template would: a template built from pieces in code may hold anything.
    static func checkParsed(_ template: Template) throws {
        for (slot, _) in template.slots {
            switch slot {
            case .variable(let name), .last(let name), .randomItem(let name):
                guard isVariableName(name), !reservedVariableNames.contains(name) else {
                    throw InputError("expected a variable name in \(Template.describe(slot)), got '\(name.escapedForMessage)'")
                }
            case .randomInt(let low, let high):
                guard low <= high else { throw InputError("in \(Template.describe(slot)): the minimum \(low) is above the maximum \(high)") }
            case .randomChoice(let items):
                guard !items.isEmpty else { throw InputError("expected at least one item in random.choice()") }
            default: break
            }
        }
    }

    static func checkMultipart(_ parts: [MultipartPart], headers: [Header]) throws {
        guard !parts.isEmpty else { throw InputError("expected at least one part in 'multipart'") }
        if let header = headers.first(where: { $0.name.lowercased() == "content-type" }) {
            throw InputError("the header '\(header.name)' cannot be set on a multipart request: Cicada sets "
                + "multipart/form-data with the plan's boundary")
        }
        for part in parts {
            func line(_ text: String, _ what: String) throws {
                guard !text.isEmpty else { throw InputError("expected a non-empty \(what) in multipart part '\(part.name)'") }
                if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    throw InputError("the \(what) of multipart part '\(part.name.escapedForMessage)' has \(describeScalar(bad)); expected one line of text")
                }
            }
            try line(part.name, "name")
            if let filename = part.filename { try line(filename, "filename") }
            if let contentType = part.contentType {
                try line(contentType, "content_type")
                try checkHeaderValue(contentType, name: "Content-Type")
            }
            switch part.content {
            case .value(let value):
                do { _ = try Template(parsing: value) } catch let error as InputError {
                    throw InputError("multipart part '\(part.name)': \(error.message)")
                }
            case .file(let path):
                do { _ = try readFile(path, limit: SettingBounds.bodyBytes, largest: "request body") } catch let error as InputError {
                    throw InputError("cannot read the file of multipart part '\(part.name)' '\(path)': \(error.message)")
                }
            case .generated(let size):
                guard (1...MultipartPart.largestGenerated).contains(size) else {
                    throw InputError("expected a generated size from 1 byte to 64MiB for multipart part '\(part.name)', got \(size) bytes")
                }
            }
        }
    }

    static func checkRepeat(_ repeatUntil: Repeat) throws {
        guard !repeatUntil.until.isEmpty else {
            throw InputError("'repeat' has no 'until'; expected repeat: {until: <check>, every: 1s, max: 30}")
        }
        for check in repeatUntil.until { try check.validate() }
        guard SettingBounds.wait.contains(repeatUntil.every) else {
            throw InputError("expected 'every' \(SettingBounds.wait.rangeText), got '\(formatNumber(repeatUntil.every)) s'")
        }
        guard (1...Repeat.largestMax).contains(repeatUntil.max) else {
            throw InputError("expected 'max' attempts from 1 to \(Repeat.largestMax), got '\(repeatUntil.max)'")
        }
    }

    /// A wait step: constant or between, within the wait bounds.
    static func checkWaitStep(_ wait: WaitTime) throws {
        switch wait {
        case .constant, .between: try SettingBounds.checkWait(wait)
        default:
            throw InputError("a wait step is constant or between, got \(wait); expected wait: 2s or wait: between(1, 2)")
        }
    }

    static func checkTags(_ tags: [String]) throws {
        for tag in tags {
            guard !tag.isEmpty, !tag.contains(where: { $0 == "," || $0.isWhitespace }) else {
                throw InputError("expected a tag without spaces or commas, such as upload, got '\(tag.escapedForMessage)'")
            }
        }
    }

    static func checkTask(_ task: UserTask) throws {
        try checkLabel(task.name, what: "task name")
        try checkTags(task.tags)
        guard !task.requests.isEmpty else { throw InputError("expected at least one request in task '\(task.name)'") }
        for (index, step) in task.steps.enumerated() {
            do {
                switch step {
                case .request(let request): try checkRequest(request)
                case .wait(let wait): try checkWaitStep(wait)
                }
            } catch let error as InputError where task.steps.count > 1 {
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
