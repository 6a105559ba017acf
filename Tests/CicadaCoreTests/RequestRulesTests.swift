import CCicadaCore
import XCTest

/// The request rules, as a table: the part, the value, the rule it breaks and where.
final class RequestRulesTests: XCTestCase {
    private struct Case {
        var part: cc_request_part_t
        var value: [UInt8]
        var rule: cc_request_rule_t
        var offset: Int = 0
        init(_ part: cc_request_part_t, _ value: String, _ rule: cc_request_rule_t, at offset: Int = 0) {
            self.part = part
            self.value = Array(value.utf8)
            self.rule = rule
            self.offset = offset
        }
    }

    private let cases: [Case] = [
        Case(CC_REQUEST_METHOD, "GET", CC_RULE_OK),
        Case(CC_REQUEST_METHOD, "PROPFIND", CC_RULE_OK),
        Case(CC_REQUEST_METHOD, "", CC_RULE_EMPTY),
        Case(CC_REQUEST_METHOD, "GE T", CC_RULE_NOT_TOKEN, at: 2),
        Case(CC_REQUEST_METHOD, "post", CC_RULE_METHOD_CASE),
        Case(CC_REQUEST_METHOD, "Patch", CC_RULE_METHOD_CASE),
        Case(CC_REQUEST_METHOD, "propfind", CC_RULE_OK), // not a standard method: its case is the server's
        Case(CC_REQUEST_TARGET, "/api/v1/files?page=2&q=a%20b", CC_RULE_OK),
        Case(CC_REQUEST_TARGET, "/", CC_RULE_OK),
        Case(CC_REQUEST_TARGET, "", CC_RULE_NOT_ORIGIN_FORM),
        Case(CC_REQUEST_TARGET, "api", CC_RULE_NOT_ORIGIN_FORM),
        Case(CC_REQUEST_TARGET, "*", CC_RULE_NOT_ORIGIN_FORM),
        Case(CC_REQUEST_TARGET, "http://x/", CC_RULE_NOT_ORIGIN_FORM),
        Case(CC_REQUEST_TARGET, "/a b", CC_RULE_TARGET_CHARACTER, at: 2),
        Case(CC_REQUEST_TARGET, "/a\tb", CC_RULE_TARGET_CHARACTER, at: 2),
        Case(CC_REQUEST_TARGET, "/caf\u{E9}", CC_RULE_TARGET_CHARACTER, at: 4),
        Case(CC_REQUEST_TARGET, "/a\u{7F}", CC_RULE_TARGET_CHARACTER, at: 2),
        Case(CC_REQUEST_TARGET, "/page#top", CC_RULE_FRAGMENT, at: 5),
        Case(CC_REQUEST_HEADER_NAME, "X-Api-Key", CC_RULE_OK),
        Case(CC_REQUEST_HEADER_NAME, "Host", CC_RULE_OK),
        Case(CC_REQUEST_HEADER_NAME, "", CC_RULE_EMPTY),
        Case(CC_REQUEST_HEADER_NAME, "Bad Name", CC_RULE_NOT_TOKEN, at: 3),
        Case(CC_REQUEST_HEADER_NAME, "X:Y", CC_RULE_NOT_TOKEN, at: 1),
        Case(CC_REQUEST_HEADER_NAME, "content-length", CC_RULE_OWNED_CONTENT_LENGTH),
        Case(CC_REQUEST_HEADER_NAME, "Transfer-Encoding", CC_RULE_OWNED_TRANSFER_ENCODING),
        Case(CC_REQUEST_HEADER_NAME, "CONNECTION", CC_RULE_OWNED_CONNECTION),
        Case(CC_REQUEST_HEADER_NAME, "Connections", CC_RULE_OK),
        Case(CC_REQUEST_HEADER_VALUE, "", CC_RULE_OK),
        Case(CC_REQUEST_HEADER_VALUE, "Bearer abc\tdef caf\u{E9}", CC_RULE_OK), // tab and obs-text are allowed
        Case(CC_REQUEST_HEADER_VALUE, "a\r\nInjected: 1", CC_RULE_CONTROL_CHARACTER, at: 1),
        Case(CC_REQUEST_HEADER_VALUE, "a\nb", CC_RULE_CONTROL_CHARACTER, at: 1),
        Case(CC_REQUEST_HEADER_VALUE, "ab\u{7F}", CC_RULE_CONTROL_CHARACTER, at: 2),
    ]

    func testTheTable() {
        for c in cases {
            var offset = 99
            let bytes = c.value.map { CChar(bitPattern: $0) } + [0]
            let rule = cc_request_check(c.part, bytes, c.value.count, &offset)
            let shown = String(decoding: c.value, as: UTF8.self).debugDescription
            XCTAssertEqual(rule, Int32(c.rule.rawValue), "\(c.part) \(shown): \(String(cString: cc_request_rule_text(rule)))")
            XCTAssertEqual(offset, c.offset, "\(c.part) \(shown)")
        }
    }

    func testANulByteIsSeenWhereACStringWouldEnd() {
        // A value from Swift may hold NUL; the check is given its length, so the NUL is not an end.
        let value: [CChar] = [0x61, 0x00, 0x0D, 0x0A, 0x62]
        var offset = 0
        XCTAssertEqual(cc_request_check(CC_REQUEST_HEADER_VALUE, value, value.count, &offset), Int32(CC_RULE_CONTROL_CHARACTER.rawValue))
        XCTAssertEqual(offset, 1)
        XCTAssertEqual(cc_request_check(CC_REQUEST_TARGET, [0x2F, 0x00, 0x61], 3, &offset), Int32(CC_RULE_TARGET_CHARACTER.rawValue))
    }

    func testEveryRuleHasWords() {
        for rule in 0..<Int32(CC_RULE__COUNT.rawValue) {
            XCTAssertNotEqual(String(cString: cc_request_rule_text(rule)), "breaks an unknown rule")
        }
        XCTAssertEqual(String(cString: cc_request_rule_text(Int32(CC_RULE__COUNT.rawValue))), "breaks an unknown rule")
    }
}
