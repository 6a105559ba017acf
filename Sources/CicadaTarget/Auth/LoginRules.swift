/// Which log-ins succeed (the contract's table): any username of 1-64 of `[A-Za-z0-9_.@-]` with the
/// password `demo`, and `admin` with the password `admin`.
enum LoginRules {
    static let userPassword = "demo"
    static let adminUsername = "admin"
    static let adminPassword = "admin"

    /// 1 to 64 characters of `[A-Za-z0-9_.@-]`; checked on bytes, so no Unicode look-alike passes.
    static func isValidUsername(_ username: String) -> Bool {
        let bytes = username.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "@"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// Whether `password` is the right one for `username` (already checked to be valid).
    static func accepts(username: String, password: String) -> Bool {
        username == adminUsername ? password == adminPassword : password == userPassword
    }
}
