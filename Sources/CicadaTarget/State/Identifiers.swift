/// Ids for files, analyses and jobs: a prefix and 64 random bits in hex ("file_3f09c2a1d47e88b0"), so
/// that no caller can guess another's ids; ownership is checked all the same.
enum Identifiers {
    static func make(_ prefix: String) -> String {
        let bits = UInt64.random(in: .min ... .max)
        let hex = String(bits, radix: 16)
        return prefix + "_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
