import CCicadaCore
import XCTest

// JSON paths: a table of texts with the steps they compile to and their canonical text, or the offset
// and reason of the error. Every text is compiled from a guarded copy (a read past its end crashes),
// and every path compiled is printed and compiled again to the same steps.

private enum Step: Equatable, CustomStringConvertible {
    case key(String)
    case index(UInt32)
    case any

    var description: String {
        switch self {
        case .key(let key): return "key(\(key))"
        case .index(let index): return "[\(index)]"
        case .any: return "[*]"
        }
    }
}

private struct PathCase {
    let text: [UInt8]
    let steps: [Step]?      // nil: an error
    let canonical: String?
    let errorOffset: Int
    let reason: String

    /// A path that compiles; `canonical` is its printed form (the text itself when nil).
    static func ok(_ text: String, _ steps: [Step], _ canonical: String? = nil) -> PathCase {
        PathCase(text: utf8(text), steps: steps, canonical: canonical ?? text, errorOffset: 0, reason: "")
    }

    /// A path that fails at `offset` with a reason that starts with `reason`.
    static func error(_ text: String, at offset: Int, _ reason: String) -> PathCase {
        PathCase(text: utf8(text), steps: nil, canonical: nil, errorOffset: offset, reason: reason)
    }
}

/// Compiles `bytes` from a guarded copy.
private func compile(_ bytes: [UInt8]) -> (status: Int32, path: cc_json_path_t, offset: Int, reason: String) {
    let input = GuardedPiece(bytes)
    var path = cc_json_path_t()
    var offset = -1
    var reason: UnsafePointer<CChar>?
    let status = input.pointer.withMemoryRebound(to: CChar.self, capacity: max(1, input.count)) {
        cc_json_path_compile($0, input.count, &path, &offset, &reason)
    }
    return (status, path, offset, reason.map { String(cString: $0) } ?? "")
}

private func steps(of path: cc_json_path_t) -> [Step] {
    var path = path
    let keys = withUnsafeBytes(of: &path.keys) { Array($0) }
    return withUnsafeBytes(of: &path.steps) { raw in
        let all = raw.bindMemory(to: cc_json_step_t.self)
        return (0..<Int(path.step_count)).map { n in
            let step = all[n]
            switch UInt32(step.kind) {
            case CC_JSON_STEP_KEY.rawValue:
                let start = Int(step.key_offset)
                return .key(String(decoding: keys[start..<start + Int(step.key_length)], as: UTF8.self))
            case CC_JSON_STEP_INDEX.rawValue: return .index(step.index)
            default: return .any
            }
        }
    }
}

private func text(of path: cc_json_path_t) -> String {
    var path = path
    var buffer = [CChar](repeating: 0, count: Int(CC_JSON_PATH_TEXT_MAX))
    let length = cc_json_path_text(&path, &buffer, buffer.count)
    precondition(length < buffer.count)
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

final class JSONPathTests: XCTestCase {
    private static let sixteen = (0..<16).map { "k\($0)" }.joined(separator: ".")

    private let cases: [PathCase] = [
        // The whole document.
        .ok("", [], "$"),
        .ok("$", []),
        // Keys.
        .ok("access_token", [.key("access_token")]),
        .ok("$.access_token", [.key("access_token")], "access_token"),
        .ok(".access_token", [.key("access_token")], "access_token"),
        .ok("data.user.id", [.key("data"), .key("user"), .key("id")]),
        .ok("a-b_c.0.9x", [.key("a-b_c"), .key("0"), .key("9x")]),
        .ok("caf\u{E9}.\u{540D}\u{524D}", [.key("caf\u{E9}"), .key("\u{540D}\u{524D}")]),
        .ok("$a", [.key("$a")]),
        .ok("$$", [.key("$$")]),
        .ok("a.$", [.key("a"), .key("$")]),
        // Indices and [*].
        .ok("data.items[0].id", [.key("data"), .key("items"), .index(0), .key("id")]),
        .ok("items[*].id", [.key("items"), .any, .key("id")]),
        .ok("$[0]", [.index(0)], "[0]"),
        .ok("[0][12][*]", [.index(0), .index(12), .any]),
        .ok("m[4294967294]", [.key("m"), .index(4_294_967_294)]),
        .ok("$[*]", [.any], "[*]"),
        // Quoted keys.
        .ok("[\"odd.key\"]", [.key("odd.key")]),
        .ok("$[\"odd.key\"].x", [.key("odd.key"), .key("x")], "[\"odd.key\"].x"),
        .ok("['k']", [.key("k")], "k"),
        .ok("a['it\\'s']", [.key("a"), .key("it's")], "a[\"it's\"]"),
        .ok("[\"say \\\"hi\\\"\"]", [.key("say \"hi\"")]),
        .ok("[\"back\\\\slash\"]", [.key("back\\slash")]),
        .ok("['dq\"in single']", [.key("dq\"in single")], "[\"dq\\\"in single\"]"),
        .ok("[\"\"]", [.key("")]),
        .ok("[\"$\"]", [.key("$")]),
        .ok("[\"a b\"][\"0\"]", [.key("a b"), .key("0")], "[\"a b\"].0"),
        .ok("[\"[*]\"]", [.key("[*]")]),
        .ok(sixteen, (0..<16).map { .key("k\($0)") }),
        .ok(String(repeating: "k", count: 256), [.key(String(repeating: "k", count: 256))]),
        // Errors.
        .error("$.", at: 2, "expected a key after '.'"),
        .error("a.", at: 2, "expected a key after '.'"),
        .error("a..b", at: 2, "expected a key after '.'"),
        .error(".", at: 1, "expected a key after '.'"),
        .error("a.\"b\"", at: 2, "expected a key after '.'; quote a key"),
        .error("a b", at: 1, "a bare key may hold only"),
        .error("a]", at: 1, "a bare key may hold only"),
        .error("a.b c", at: 3, "a bare key may hold only"),
        .error("[0]a", at: 3, "expected '.' or '[' before a key"),
        .error("a[", at: 2, "expected an index, '*' or a quoted key after '['"),
        .error("a[]", at: 2, "expected an index, '*' or a quoted key after '['"),
        .error("a[x]", at: 2, "expected an index, '*' or a quoted key after '['"),
        .error("a[ 0]", at: 2, "expected an index, '*' or a quoted key after '['"),
        .error("a[0", at: 3, "expected ']'"),
        .error("a[0 ]", at: 3, "expected ']'"),
        .error("a[*", at: 3, "expected ']'"),
        .error("a[**]", at: 3, "expected ']'"),
        .error("a[1.5]", at: 3, "expected ']'"),
        .error("a[\"b\"", at: 5, "expected ']'"),
        .error("a[01]", at: 2, "an index has no leading zeros"),
        .error("a[-1]", at: 2, "negative indices are not supported"),
        .error("a[4294967295]", at: 2, "index too large"),
        .error("a[99999999999999999999]", at: 2, "index too large"),
        .error("a[\"b", at: 2, "unterminated quoted key"),
        .error("a[\"b\\", at: 2, "unterminated quoted key"),
        .error("a['b\"]", at: 2, "unterminated quoted key"),
        .error("a[\"b\\n\"]", at: 4, "a quoted key may escape only"),
        .error("a[\"b\tc\"]", at: 4, "a quoted key may not hold control characters"),
        .error("['\u{0}']", at: 2, "a quoted key may not hold control characters"),
        .error("[\"\u{7F}\"]", at: 2, "a quoted key may not hold control characters"),
        .error(sixteen + ".k16", at: sixteen.utf8.count, "too many steps (at most 16)"),
        .error(sixteen + "[0]", at: sixteen.utf8.count, "too many steps (at most 16)"),
        .error(sixteen + "[*]", at: sixteen.utf8.count, "too many steps (at most 16)"),
        .error(sixteen + "[\"x\"]", at: sixteen.utf8.count, "too many steps (at most 16)"),
        .error(String(repeating: "k", count: 257), at: 256, "keys too long (at most 256 bytes in all)"),
        .error(String(repeating: "k", count: 200) + "." + String(repeating: "j", count: 57), at: 257,
               "keys too long (at most 256 bytes in all)"),
        .error("[\"" + String(repeating: "q", count: 257) + "\"]", at: 258, "keys too long"),
    ]

    func testTable() {
        XCTAssertGreaterThanOrEqual(cases.count, 60)
        for testCase in cases {
            let name = String(decoding: testCase.text, as: UTF8.self)
            let result = compile(testCase.text)
            guard let expected = testCase.steps else {
                XCTAssertEqual(result.status, CC_EINVAL.rawValue, "\(name): compiled")
                XCTAssertEqual(result.offset, testCase.errorOffset, "\(name): error offset")
                XCTAssertTrue(result.reason.hasPrefix(testCase.reason), "\(name): reason \"\(result.reason)\"")
                XCTAssertEqual(result.path.step_count, 0, "\(name): a failed path is empty")
                continue
            }
            XCTAssertEqual(result.status, 0, "\(name): \(result.reason) at \(result.offset)")
            XCTAssertEqual(steps(of: result.path), expected, name)
            let printed = text(of: result.path)
            XCTAssertEqual(printed, testCase.canonical, "\(name): canonical text")
            // The canonical text compiles to the same path, and prints the same.
            let again = compile(utf8(printed))
            XCTAssertEqual(again.status, 0, "\(name): recompiling \(printed)")
            XCTAssertEqual(steps(of: again.path), expected, "\(name): recompiled")
            XCTAssertEqual(text(of: again.path), printed, "\(name): printed twice")
        }
    }

    func testErrorPointersMayBeNil() {
        var path = cc_json_path_t()
        XCTAssertEqual(cc_json_path_compile("a..b", 4, &path, nil, nil), CC_EINVAL.rawValue)
        XCTAssertEqual(cc_json_path_compile("a.b", 3, &path, nil, nil), 0)
        XCTAssertEqual(path.step_count, 2)
    }

    func testTextIsCutLikeSnprintf() {
        var path = compile(utf8("data.items[0]")).path
        XCTAssertEqual(cc_json_path_text(&path, nil, 0), 13)
        var small = [CChar](repeating: 0x7F, count: 6)
        XCTAssertEqual(cc_json_path_text(&path, &small, 5), 13)
        XCTAssertEqual(Array(small[..<5].map { UInt8(bitPattern: $0) }), utf8("data") + [0])
        XCTAssertEqual(small[5], 0x7F, "wrote past the size")
    }

    func testLongestTextFitsTheBound() {
        // 16 quoted keys of 16 bytes each that all need a backslash: 16 * (4 + 32) = 576 bytes.
        let key = "[\"" + String(repeating: "\\\"", count: 16) + "\"]"
        let result = compile(utf8(String(repeating: key, count: 16)))
        XCTAssertEqual(result.status, 0, result.reason)
        XCTAssertEqual(result.path.key_bytes, 256)
        var path = result.path
        XCTAssertEqual(cc_json_path_text(&path, nil, 0), Int(CC_JSON_PATH_TEXT_MAX) - 1)
    }

    func testPathIsAPlainValueOfDocumentedSize() {
        XCTAssertEqual(MemoryLayout<cc_json_step_t>.size, 12)
        XCTAssertEqual(MemoryLayout<cc_json_path_t>.size, 452)
    }
}
