import CCicadaCore
import XCTest

// The substring matcher: a table of (needle, body, found), each body fed whole, byte by byte and split
// in two at every point from guarded pieces; then the failure tables of known needles, and a
// comparison with a naive search over many pseudo-random bodies cut at pseudo-random points.

/// A compiled needle at addresses that stay put.
private final class Needle {
    let bytes: UnsafeMutablePointer<UInt8>
    let failure: UnsafeMutablePointer<UInt32>
    let length: UInt32

    init(_ needle: [UInt8]) {
        length = UInt32(needle.count)
        bytes = .allocate(capacity: max(1, needle.count))
        bytes.initialize(from: needle, count: needle.count)
        failure = .allocate(capacity: max(1, needle.count))
        precondition(cc_substring_compile(bytes, length, failure) == 0)
    }

    deinit {
        bytes.deallocate()
        failure.deallocate()
    }

    var failureTable: [UInt32] { Array(UnsafeBufferPointer(start: failure, count: Int(length))) }

    /// Feeds `pieces` to a new matcher; returns whether it found the needle and the bytes matched.
    func search<S: Sequence>(_ pieces: S) -> (found: Bool, matched: UInt32) where S.Element == ArraySlice<UInt8> {
        var matcher = cc_substring_matcher_t()
        cc_substring_matcher_reset(&matcher)
        for piece in pieces {
            let guarded = GuardedPiece(piece)
            cc_substring_feed(&matcher, bytes, length, failure, guarded.pointer, guarded.count)
        }
        return (matcher.found != 0, matcher.matched)
    }
}

private func naiveContains(_ body: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= body.count else { return false }
    return (0...(body.count - needle.count)).contains { Array(body[$0..<$0 + needle.count]) == needle }
}

final class SubstringMatcherTests: XCTestCase {
    private struct Case {
        let name: String
        let needle: [UInt8]
        let body: [UInt8]
        let found: Bool
        init(_ name: String, _ needle: String, _ body: String, _ found: Bool) {
            self.name = name
            self.needle = utf8(needle)
            self.body = utf8(body)
            self.found = found
        }
        init(_ name: String, bytes needle: [UInt8], _ body: [UInt8], _ found: Bool) {
            self.name = name
            self.needle = needle
            self.body = body
            self.found = found
        }
    }

    private let cases: [Case] = [
        Case("overlapping start: aab in aaab", "aab", "aaab", true),
        Case("a failed partial match restarts inside itself", "abcabd", "abcabcabd", true),
        Case("a periodic needle", "abab", "abaabab", true),
        Case("a periodic needle, not there", "abab", "abaabaab", false),
        Case("the needle is the body", "needle", "needle", true),
        Case("the needle at the start", "needle", "needle in a haystack", true),
        Case("the needle at the end", "stack", "needle in a haystack", true),
        Case("the needle in the middle", "in a", "needle in a haystack", true),
        Case("not there", "pin", "needle in a haystack", false),
        Case("almost at the end", "stacks", "needle in a haystack", false),
        Case("longer than the body", "aaaa", "aaa", false),
        Case("one byte, there", "y", "xxyxx", true),
        Case("one byte, not there", "z", "xxyxx", false),
        Case("an empty body", "x", "", false),
        Case("all the same byte", "aaa", "aabaabaaa", true),
        Case("all the same byte, never three", "aaa", "aabaabaab", false),
        Case("a prefix repeated before the match", "ababc", "abababababc", true),
        Case("JSON in a body", "\"status\":\"ok\"", "{\"id\":1,\"status\":\"okay\",\"status\":\"ok\"}", true),
        Case("case matters", "OK", "ok", false),
        Case("UTF-8", "\u{E9}t\u{E9}", "un \u{E9}t\u{E9} chaud", true),
        Case("binary with NUL bytes", bytes: [0, 1, 0, 1, 2], [7, 0, 1, 0, 1, 0, 1, 2, 9], true),
        Case("binary, not there", bytes: [0, 0, 0], [0, 0, 1, 0, 0, 1], false),
    ]

    func testTable() {
        for testCase in cases {
            let needle = Needle(testCase.needle)
            for feeding in Feeding.all(count: testCase.body.count) {
                let result = needle.search(feeding.pieces(testCase.body))
                if result.found != testCase.found {
                    XCTFail("\(testCase.name): \(feeding): found \(result.found)")
                    break
                }
                XCTAssertLessThanOrEqual(result.matched, needle.length, testCase.name)
            }
        }
    }

    func testFailureTables() {
        let tables: [(String, [UInt32])] = [
            ("a", [0]),
            ("aab", [0, 1, 0]),
            ("aaaa", [0, 1, 2, 3]),
            ("abcd", [0, 0, 0, 0]),
            ("abab", [0, 0, 1, 2]),
            ("ababaca", [0, 0, 1, 2, 3, 0, 1]),
            ("abcabd", [0, 0, 0, 1, 2, 0]),
            ("aabaaab", [0, 1, 0, 1, 2, 2, 3]),
        ]
        for (needle, expected) in tables {
            XCTAssertEqual(Needle(utf8(needle)).failureTable, expected, needle)
        }
    }

    func testEmptyNeedleIsRefused() {
        var failure: UInt32 = 7
        XCTAssertEqual(cc_substring_compile(utf8("x"), 0, &failure), CC_EINVAL.rawValue)
        XCTAssertEqual(cc_substring_compile(nil, 1, &failure), CC_EINVAL.rawValue)
        // Fed anyway, an empty needle counts as found: every body contains it.
        var matcher = cc_substring_matcher_t()
        cc_substring_matcher_reset(&matcher)
        cc_substring_feed(&matcher, nil, 0, nil, nil, 0)
        XCTAssertEqual(matcher.found, 1)
    }

    func testFoundStaysFound() {
        let needle = Needle(utf8("abc"))
        var matcher = cc_substring_matcher_t()
        cc_substring_matcher_reset(&matcher)
        cc_substring_feed(&matcher, needle.bytes, needle.length, needle.failure, utf8("xxab"), 4)
        XCTAssertEqual(matcher.found, 0)
        XCTAssertEqual(matcher.matched, 2)
        cc_substring_feed(&matcher, needle.bytes, needle.length, needle.failure, utf8("c"), 1)
        XCTAssertEqual(matcher.found, 1)
        cc_substring_feed(&matcher, needle.bytes, needle.length, needle.failure, utf8("zzzz"), 4)
        XCTAssertEqual(matcher.found, 1)
        XCTAssertEqual(matcher.matched, 3)
        cc_substring_matcher_reset(&matcher)
        XCTAssertEqual(matcher.found, 0)
        XCTAssertEqual(matcher.matched, 0)
    }

    func testAgreesWithNaiveSearch() {
        // Small alphabets make partial matches and overlaps common.
        var random = SplitMix64(seed: 0x5EED)
        for round in 0..<2000 {
            let alphabet = UInt8(1 + random.next() % 3)
            let needle = (0..<Int(1 + random.next() % 6)).map { _ in UInt8(ascii: "a") + UInt8(random.next() % UInt64(alphabet)) }
            let body = (0..<Int(random.next() % 40)).map { _ in UInt8(ascii: "a") + UInt8(random.next() % UInt64(alphabet)) }
            var cuts = (0..<Int(random.next() % 4)).map { _ in Int(random.next() % UInt64(body.count + 1)) }
            cuts.sort()
            var pieces: [ArraySlice<UInt8>] = []
            var start = 0
            for cut in cuts + [body.count] {
                pieces.append(body[start..<cut])
                start = cut
            }
            let expected = naiveContains(body, needle)
            let result = Needle(needle).search(pieces)
            if result.found != expected {
                XCTFail("round \(round): \(needle) in \(body) cut at \(cuts): \(result.found)")
                return
            }
        }
    }

    func testMatcherIsSmall() {
        XCTAssertEqual(MemoryLayout<cc_substring_matcher_t>.size, 8)
    }
}

/// A small deterministic generator for the tests (Vigna's SplitMix64).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
