import CCicadaCore
import XCTest

// The streaming JSON matcher: tables of (path, document, outcome), each document fed whole, byte by
// byte and split in two at every point, every piece in its own guarded mapping. Every feeding must give
// the same outcome, and the calls must keep their contract: feed returns 0 until it returns 1 or -1 and
// then keeps returning that; finish agrees with the last feed and is idempotent; the value buffer is
// never written past its capacity.

private enum Outcome: Equatable, CustomStringConvertible {
    case found(cc_json_kind_t, [UInt8], truncated: Bool)
    case notFound
    case malformed(cc_json_error_t, at: UInt64)

    var description: String {
        switch self {
        case .found(let kind, let value, let truncated):
            return "found(\(kind.rawValue), \"\(String(decoding: value, as: UTF8.self))\"\(truncated ? ", truncated" : ""))"
        case .notFound: return "not found"
        case .malformed(let error, let offset):
            return "malformed(\(String(cString: cc_json_error_text(Int32(error.rawValue)))) at \(offset))"
        }
    }
}

private struct MatchCase {
    let name: String
    let path: String
    let document: [UInt8]
    var capacity: UInt32 = 256
    let expected: Outcome
    /// For a malformed document: the kind of the value looked for when it had started before the error.
    var startedKind: cc_json_kind_t = CC_JSON_KIND_NONE
}

private func found(_ kind: cc_json_kind_t, _ value: String, truncated: Bool = false) -> Outcome {
    .found(kind, utf8(value), truncated: truncated)
}
private func string(_ value: String) -> Outcome { found(CC_JSON_KIND_STRING, value) }
private func number(_ value: String) -> Outcome { found(CC_JSON_KIND_NUMBER, value) }
private func object(_ value: String) -> Outcome { found(CC_JSON_KIND_OBJECT, value) }
private func array(_ value: String) -> Outcome { found(CC_JSON_KIND_ARRAY, value) }
private func malformed(_ error: cc_json_error_t, at offset: UInt64) -> Outcome { .malformed(error, at: offset) }

private func match(
    _ name: String, _ path: String, _ document: String, _ expected: Outcome, capacity: UInt32 = 256,
    started: cc_json_kind_t = CC_JSON_KIND_NONE
) -> MatchCase {
    MatchCase(name: name, path: path, document: utf8(document), capacity: capacity, expected: expected,
              startedKind: started)
}

private func match(
    _ name: String, _ path: String, bytes document: [UInt8], _ expected: Outcome, capacity: UInt32 = 256
) -> MatchCase {
    MatchCase(name: name, path: path, document: document, capacity: capacity, expected: expected)
}

private func nested(_ depth: Int, _ inner: String = "") -> String {
    String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth)
}

// MARK: - The tables

private enum MatcherCases {
    static var keysAndIndices: [MatchCase] {
        [
            match("a top-level key", "access_token", #"{"access_token":"abc123","expires_in":3600}"#, string("abc123")),
            match("a number member", "expires_in", #"{"access_token":"abc123","expires_in":3600}"#, number("3600")),
            match("nested objects", "data.user.id", #"{"data":{"user":{"name":"x","id":42}}}"#, number("42")),
            match("an index in an array", "data.items[1].id", #"{"data":{"items":[{"id":1},{"id":2},{"id":3}]}}"#,
                  number("2")),
            match("index 0 of a top-level array", "[0]", "[10,20]", number("10")),
            match("$ and an index", "$[1]", "[10,20]", number("20")),
            match("$. and a key", "$.a", #"{"a":"b"}"#, string("b")),
            match("an index past the end", "[5]", "[1,2]", .notFound),
            match("an index into an empty array", "[0]", "[]", .notFound),
            match("indices counted past nested containers", "[3]", #"[[1,[2]],{"a":[3]},"x",4]"#, number("4")),
            match("nested indices", "[1][2]", "[[0,1,2],[3,4,5]]", number("5")),
            match("a key missing", "missing", #"{"a":1}"#, .notFound),
            match("a key in an empty object", "a", "{}", .notFound),
            match("a key of a top-level scalar", "a", "5", .notFound),
            match("a key of a top-level array", "a", #"[{"a":1}]"#, .notFound),
            match("an index of an object", "a[0]", #"{"a":{"0":1}}"#, .notFound),
            match("a key of an array", "a.b", #"{"a":[{"b":1}]}"#, .notFound),
            match("a key of a string", "a.b", #"{"a":"b"}"#, .notFound),
            match("the first of duplicate keys", "a", #"{"a":1,"a":2}"#, number("1")),
            match("a later duplicate key where the first lacks the rest", "a.b", #"{"a":{"c":1},"a":{"b":2}}"#,
                  number("2")),
            match("a wrong-kind duplicate first", "a.b", #"{"a":[{"b":0}],"a":{"b":2}}"#, number("2")),
            match("the same key deeper is not the one", "a", #"{"b":{"a":1},"a":2}"#, number("2")),
            match("keys that are prefixes of the key", "abc", #"{"a":1,"ab":2,"abcd":3,"abc":4}"#, number("4")),
            match("the key is a prefix of other keys", "a", #"{"ab":1,"abc":2,"a":3}"#, number("3")),
            match("a key prefix is not the key", "abc", #"{"ab":1}"#, .notFound),
            match("a key that differs in its last byte", "token", #"{"tokex":1,"token":2}"#, number("2")),
            match("a key that differs in its first byte", "token", #"{"xoken":1,"token":2}"#, number("2")),
            match("a key that differs in an escaped last byte", "token", #"{"toke\u006f":1,"token":2}"#, number("2")),
            match("a key that differs only in case", "token", #"{"Token":1,"TOKEN":2}"#, .notFound),
            match("an escaped key matches", "name", #"{"n\u0061me":"x"}"#, string("x")),
            match("an escaped quote in a key", "[\"a\\\"b\"]", #"{"a\"b":1}"#, number("1")),
            match("a \\u key matches UTF-8", "[\"caf\u{E9}\"]", #"{"caf\u00e9":1}"#, number("1")),
            match("a raw UTF-8 key", "caf\u{E9}", "{\"caf\u{E9}\":2}", number("2")),
            match("a surrogate pair in a key", "[\"\u{1F600}\"]", #"{"\ud83d\ude00":3}"#, number("3")),
            match("the empty key", "[\"\"]", #"{"a":1,"":5}"#, number("5")),
            match("a quoted key with a dot", "[\"odd.key\"]", #"{"odd":{"key":1},"odd.key":2}"#, number("2")),
            match("a single-quoted key", "['it\\'s']", #"{"it's":true}"#, found(CC_JSON_KIND_TRUE, "true")),
            match("a key that is digits", "a.0", #"{"a":["x"],"a":{"0":"y"}}"#, string("y")),
            match("keys of sixteen steps", (0..<16).map { "k\($0)" }.joined(separator: "."),
                  (0..<16).map { "{\"k\($0)\":" }.joined() + "\"deep\"" + String(repeating: "}", count: 16),
                  string("deep")),
        ]
    }

    static var wildcards: [MatchCase] {
        [
            match("[*] takes the first element that has the rest", "items[*].id",
                  #"{"items":[{"x":1},{"y":2},{"id":"third"},{"id":"fourth"}]}"#, string("third")),
            match("[*] skips scalar elements", "items[*].id", #"{"items":[1,"id",null,{"id":5}]}"#, number("5")),
            match("[*] alone is the first element", "items[*]", #"{"items":[ {"a":1}, 2 ]}"#, object(#"{"a":1}"#)),
            match("[*] of an empty array", "items[*]", #"{"items":[]}"#, .notFound),
            match("[*] of an object", "items[*]", #"{"items":{"a":1}}"#, .notFound),
            match("[*][*]", "[*][*]", "[[],[],[7,8]]", number("7")),
            match("[*] then an index", "[*][1]", "[[1],[2],[3,4]]", number("4")),
            match("[*] then a key then [*]", "[*].a[*]", #"[{"a":[]},{"b":[1]},{"a":[[9]]}]"#, array("[9]")),
            match("an index after a failed [*] branch", "a[*].b[1]", #"{"a":[{"b":[0]},{"b":[1,2]}]}"#, number("2")),
            match("[*] with nothing matching", "a[*].z", #"{"a":[{"b":1},[2],3]}"#, .notFound),
        ]
    }

    static var wholeDocument: [MatchCase] {
        [
            match("an object", "", #" {"a":[1,2]} "#, object(#"{"a":[1,2]}"#)),
            match("an array", "$", "[1, [2], {}]", array("[1, [2], {}]")),
            match("a string", "$", #""x""#, string("x")),
            match("a number ends with the document", "$", "42", number("42")),
            match("a number ends at whitespace", "$", "42 ", number("42")),
            match("a negative exponent at the end", "$", "-1.5e-7", number("-1.5e-7")),
            match("true at the top", "$", "true", found(CC_JSON_KIND_TRUE, "true")),
            match("false at the top", "$", " false\n", found(CC_JSON_KIND_FALSE, "false")),
            match("null at the top", "", "null", found(CC_JSON_KIND_NULL, "null")),
            match("leading and trailing whitespace", "a", " \n\t\r{\"a\" :\r\n 1 } \n", number("1")),
            match("a BOM is skipped", "x", bytes: [0xEF, 0xBB, 0xBF] + utf8(#"{"x":[]}"#), array("[]")),
            match("a BOM before a top-level string", "$", bytes: [0xEF, 0xBB, 0xBF] + utf8(#""s""#), string("s")),
        ]
    }

    static var values: [MatchCase] {
        [
            match("a number ends at its comma", "a", #"{"a":12,"b":3}"#, number("12")),
            match("a number ends at its brace", "a", #"{"a":12}"#, number("12")),
            match("a number ends at its bracket", "[0]", "[7]", number("7")),
            match("a negative number", "n", #"{"n":-12}"#, number("-12")),
            match("zero", "n", #"{"n":0}"#, number("0")),
            match("negative zero", "n", #"{"n":-0}"#, number("-0")),
            match("a fraction", "n", #"{"n":3.0}"#, number("3.0")),
            match("an exponent", "n", #"{"n":1E+10}"#, number("1E+10")),
            match("a negative exponent", "n", #"{"n":-12.5e-3}"#, number("-12.5e-3")),
            match("zero with an exponent", "n", #"{"n":0e5}"#, number("0e5")),
            match("true", "v", #"{"v":true}"#, found(CC_JSON_KIND_TRUE, "true")),
            match("false", "v", #"{"v":false}"#, found(CC_JSON_KIND_FALSE, "false")),
            match("null", "v", #"{"v":null}"#, found(CC_JSON_KIND_NULL, "null")),
            match("an object, raw with its whitespace", "a", #"{"a" : { "b" : [1, 2] , "c":"}" } , "d":1}"#,
                  object(#"{ "b" : [1, 2] , "c":"}" }"#)),
            match("an array of arrays", "a", #"{"a":[[1],[2,[3]]],"b":0}"#, array("[[1],[2,[3]]]")),
            match("an empty object", "a", #"{"a":{}}"#, object("{}")),
            match("an empty array", "a", #"{"a":[ ]}"#, array("[ ]")),
            match("an object keeps its escapes raw", "a", #"{"a":{"k":"\u00e9\n"}}"#, object(#"{"k":"\u00e9\n"}"#)),
            match("an empty string", "s", #"{"s":""}"#, string("")),
        ]
    }

    static var strings: [MatchCase] {
        [
            match("escapes are decoded", "s", #"{"s":"line\nnext\t\"q\" \\ \/ \b\f\r"}"#,
                  string("line\nnext\t\"q\" \\ / \u{8}\u{C}\r")),
            match("\\u escapes", "s", #"{"s":"\u0041\u00e9\u4e2d\uFFFF"}"#, string("A\u{E9}\u{4E2D}\u{FFFF}")),
            match("a surrogate pair", "s", #"{"s":"\ud83d\ude00!"}"#, string("\u{1F600}!")),
            match("upper-case hex", "s", #"{"s":"\uD83D\uDE00"}"#, string("\u{1F600}")),
            match("\\u0000", "s", #"{"s":"a\u0000b"}"#, string("a\u{0}b")),
            match("a lone high surrogate", "s", #"{"s":"a\ud83dz"}"#, string("a\u{FFFD}z")),
            match("a lone low surrogate", "s", #"{"s":"\ude00"}"#, string("\u{FFFD}")),
            match("a high surrogate twice, then its low", "s", #"{"s":"\ud83d\ud83d\ude00"}"#,
                  string("\u{FFFD}\u{1F600}")),
            match("a high surrogate then another escape", "s", #"{"s":"\ud83d\n"}"#, string("\u{FFFD}\n")),
            match("a high surrogate then a non-surrogate \\u", "s", #"{"s":"\ud83d\u0041"}"#, string("\u{FFFD}A")),
            match("a high surrogate at the end", "s", #"{"s":"\ud83d"}"#, string("\u{FFFD}")),
            match("raw UTF-8 is kept", "s", "{\"s\":\"h\u{E9}llo \u{4E2D} \u{1F600}\"}", string("h\u{E9}llo \u{4E2D} \u{1F600}")),
            match("DEL is allowed raw", "s", "{\"s\":\"\u{7F}\"}", string("\u{7F}")),
            match("braces and quotes in strings do not confuse matching", "b", #"{"a":"}{][\",:","b":"ok"}"#,
                  string("ok")),
            match("a key inside a string is not a key", "b", #"{"a":"\"b\":1","b":2}"#, number("2")),
            match("a string value equal to the key is not a key", "b", #"{"a":"b","c":{"b":1},"b":3}"#, number("3")),
            match("a key with braces", "[\"}\"]", #"{"{":1,"}":2}"#, number("2")),
        ]
    }

    static var truncation: [MatchCase] {
        [
            match("a string longer than the buffer", "s", #"{"s":"abcdefgh"}"#,
                  found(CC_JSON_KIND_STRING, "abcd", truncated: true), capacity: 4),
            match("a string exactly the buffer", "s", #"{"s":"abcd"}"#, string("abcd"), capacity: 4),
            match("an object longer than the buffer", "o", #"{"o":{"a":[1,2,3]}}"#,
                  found(CC_JSON_KIND_OBJECT, #"{"a":"#, truncated: true), capacity: 5),
            match("a number longer than the buffer", "n", #"{"n":123456}"#,
                  found(CC_JSON_KIND_NUMBER, "123", truncated: true), capacity: 3),
            match("a literal longer than the buffer", "v", #"{"v":false}"#,
                  found(CC_JSON_KIND_FALSE, "fa", truncated: true), capacity: 2),
            match("no buffer: the kind only", "s", #"{"s":"abc"}"#, found(CC_JSON_KIND_STRING, "", truncated: true),
                  capacity: 0),
            match("no buffer, an empty string", "s", #"{"s":""}"#, string(""), capacity: 0),
            match("a cut inside a UTF-8 sequence", "s", "{\"s\":\"\u{E9}\u{20AC}\"}",
                  .found(CC_JSON_KIND_STRING, [0xC3, 0xA9, 0xE2], truncated: true), capacity: 3),
            match("a cut inside an escape's UTF-8", "s", #"{"s":"\u20ac"}"#,
                  .found(CC_JSON_KIND_STRING, [0xE2], truncated: true), capacity: 1),
        ]
    }

    static var malformedDocuments: [MatchCase] {
        [
            match("empty", "a", "", malformed(CC_JSON_EMPTY, at: 0)),
            match("whitespace only", "a", " \n\t", malformed(CC_JSON_EMPTY, at: 3)),
            match("a BOM only", "a", bytes: [0xEF, 0xBB, 0xBF], malformed(CC_JSON_EMPTY, at: 3)),
            match("cut after a colon", "a", #"{"a":"#, malformed(CC_JSON_TRUNCATED, at: 5)),
            match("cut in a key", "a", #"{"a"#, malformed(CC_JSON_TRUNCATED, at: 3)),
            match("cut in the value looked for", "a", #"{"a":"abc"#, malformed(CC_JSON_TRUNCATED, at: 9),
                  started: CC_JSON_KIND_STRING),
            match("cut in an array", "b", "[1,2", malformed(CC_JSON_TRUNCATED, at: 4)),
            match("cut in a literal", "$", "tru", malformed(CC_JSON_TRUNCATED, at: 3), started: CC_JSON_KIND_TRUE),
            match("cut after a minus", "$", "-", malformed(CC_JSON_TRUNCATED, at: 1), started: CC_JSON_KIND_NUMBER),
            match("cut after an exponent mark", "x", "1e", malformed(CC_JSON_TRUNCATED, at: 2)),
            match("cut in an escape", "x", #""\u00"#, malformed(CC_JSON_TRUNCATED, at: 5)),
            match("cut in a UTF-8 sequence", "x", bytes: [0x22, 0xE2, 0x82], malformed(CC_JSON_TRUNCATED, at: 3)),
            match("cut inside a BOM", "x", bytes: [0xEF, 0xBB], malformed(CC_JSON_EMPTY, at: 2)),
            match("a trailing comma in an array", "x", "[1,]", malformed(CC_JSON_EXPECTED_VALUE, at: 3)),
            match("a trailing comma in an object", "x", #"{"a":1,}"#, malformed(CC_JSON_EXPECTED_KEY, at: 7)),
            match("two commas", "b", #"{"a":[1,,2],"b":1}"#, malformed(CC_JSON_EXPECTED_VALUE, at: 8)),
            match("a leading comma", "x", "[,1]", malformed(CC_JSON_EXPECTED_VALUE, at: 1)),
            match("a missing comma in an array", "x", "[1 2]", malformed(CC_JSON_EXPECTED_ARRAY_COMMA, at: 3)),
            match("a missing comma in an object", "x", #"{"a":1 "b":2}"#, malformed(CC_JSON_EXPECTED_OBJECT_COMMA, at: 7)),
            match("a missing colon", "x", #"{"a" 1}"#, malformed(CC_JSON_EXPECTED_COLON, at: 5)),
            match("a colon in an array", "x", #"["a":1]"#, malformed(CC_JSON_EXPECTED_ARRAY_COMMA, at: 4)),
            match("a bare key", "a", "{a:1}", malformed(CC_JSON_EXPECTED_KEY, at: 1)),
            match("a number key", "a", "{1:2}", malformed(CC_JSON_EXPECTED_KEY, at: 1)),
            match("a single-quoted key in the document", "a", "{'a':1}", malformed(CC_JSON_EXPECTED_KEY, at: 1)),
            match("a member without a value", "a", #"{"a":}"#, malformed(CC_JSON_EXPECTED_VALUE, at: 5)),
            match("an array closed by a brace", "x", "[1}", malformed(CC_JSON_EXPECTED_ARRAY_COMMA, at: 2)),
            match("an object closed by a bracket", "x", #"{"a":1]"#, malformed(CC_JSON_EXPECTED_OBJECT_COMMA, at: 6)),
            match("an empty array closed by a brace", "x", "[}", malformed(CC_JSON_EXPECTED_VALUE, at: 1)),
            match("an empty object closed by a bracket", "x", "{]", malformed(CC_JSON_EXPECTED_KEY, at: 1)),
            match("a stray closing bracket", "x", "]", malformed(CC_JSON_EXPECTED_VALUE, at: 0)),
            match("a broken literal", "x", "[tru e]", malformed(CC_JSON_BAD_LITERAL, at: 4)),
            match("another broken literal", "x", "[nulx]", malformed(CC_JSON_BAD_LITERAL, at: 4)),
            match("a capitalised literal", "x", "True", malformed(CC_JSON_EXPECTED_VALUE, at: 0)),
            match("a literal glued to a letter", "x", "[truex]", malformed(CC_JSON_EXPECTED_ARRAY_COMMA, at: 5)),
            match("NaN", "x", "[NaN]", malformed(CC_JSON_EXPECTED_VALUE, at: 1)),
            match("Infinity", "x", "[-Infinity]", malformed(CC_JSON_BAD_NUMBER, at: 2)),
            match("a leading zero", "x", "[01]", malformed(CC_JSON_BAD_NUMBER, at: 2)),
            match("a negative leading zero", "x", "[-01]", malformed(CC_JSON_BAD_NUMBER, at: 3)),
            match("a minus alone", "x", "[-]", malformed(CC_JSON_BAD_NUMBER, at: 2)),
            match("a plus sign", "x", "[+1]", malformed(CC_JSON_EXPECTED_VALUE, at: 1)),
            match("a fraction without digits", "x", "[1.]", malformed(CC_JSON_BAD_NUMBER, at: 3)),
            match("a fraction without an integer", "x", "[.5]", malformed(CC_JSON_EXPECTED_VALUE, at: 1)),
            match("an exponent without digits", "x", "[1e]", malformed(CC_JSON_BAD_NUMBER, at: 3)),
            match("an exponent sign without digits", "x", "[1e+]", malformed(CC_JSON_BAD_NUMBER, at: 4)),
            match("a number glued to a letter", "x", "[12a]", malformed(CC_JSON_BAD_NUMBER, at: 3)),
            match("two dots", "x", "[1.2.3]", malformed(CC_JSON_BAD_NUMBER, at: 4)),
            match("hex", "x", "[0x10]", malformed(CC_JSON_BAD_NUMBER, at: 2)),
            match("a minus inside", "x", "[1-2]", malformed(CC_JSON_BAD_NUMBER, at: 2)),
            match("a bad number looked for", "n", #"{"n":1.}"#, malformed(CC_JSON_BAD_NUMBER, at: 7),
                  started: CC_JSON_KIND_NUMBER),
            match("a raw tab in a string", "x", "[\"a\tb\"]", malformed(CC_JSON_CONTROL_CHARACTER, at: 3)),
            match("a raw newline in a string", "x", "[\"a\nb\"]", malformed(CC_JSON_CONTROL_CHARACTER, at: 3)),
            match("a raw NUL in a string", "x", "[\"\u{0}\"]", malformed(CC_JSON_CONTROL_CHARACTER, at: 2)),
            match("an unknown escape", "x", #"["\x"]"#, malformed(CC_JSON_BAD_ESCAPE, at: 3)),
            match("an escaped single quote", "x", #"["\'"]"#, malformed(CC_JSON_BAD_ESCAPE, at: 3)),
            match("\\U", "x", #"["\U0041"]"#, malformed(CC_JSON_BAD_ESCAPE, at: 3)),
            match("a bad hex digit", "x", #"["\u12g4"]"#, malformed(CC_JSON_BAD_UNICODE_ESCAPE, at: 6)),
            match("a short \\u escape", "x", #"["\u12"]"#, malformed(CC_JSON_BAD_UNICODE_ESCAPE, at: 6)),
            match("a bad escape in the value looked for", "s", #"{"s":"a\q"}"#, malformed(CC_JSON_BAD_ESCAPE, at: 8),
                  started: CC_JSON_KIND_STRING),
            match("a bad escape in a key", "s", #"{"\q":1}"#, malformed(CC_JSON_BAD_ESCAPE, at: 3)),
            match("an invalid UTF-8 lead byte", "x", bytes: [0x5B, 0x22, 0xFF, 0x22, 0x5D], malformed(CC_JSON_BAD_UTF8, at: 2)),
            match("a lone continuation byte", "x", bytes: [0x22, 0x80, 0x22], malformed(CC_JSON_BAD_UTF8, at: 1)),
            match("an overlong two-byte form", "x", bytes: [0x22, 0xC0, 0xAF, 0x22], malformed(CC_JSON_BAD_UTF8, at: 1)),
            match("an overlong three-byte form", "x", bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], malformed(CC_JSON_BAD_UTF8, at: 2)),
            match("a UTF-8 surrogate", "x", bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], malformed(CC_JSON_BAD_UTF8, at: 2)),
            match("past U+10FFFF", "x", bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], malformed(CC_JSON_BAD_UTF8, at: 2)),
            match("an F5 lead byte", "x", bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], malformed(CC_JSON_BAD_UTF8, at: 1)),
            match("a sequence cut by ASCII", "x", bytes: [0x22, 0xE2, 0x82, 0x61, 0x22], malformed(CC_JSON_BAD_UTF8, at: 3)),
            match("a sequence cut by the quote", "x", bytes: [0x22, 0xC3, 0x22], malformed(CC_JSON_BAD_UTF8, at: 2)),
            match("non-ASCII outside a string", "x", bytes: [0xC3, 0xA9], malformed(CC_JSON_EXPECTED_VALUE, at: 0)),
            match("a broken BOM", "x", bytes: [0xEF, 0xBB, 0x7B, 0x7D], malformed(CC_JSON_EXPECTED_VALUE, at: 0)),
            match("a BOM after whitespace", "x", bytes: [0x20, 0xEF, 0xBB, 0xBF, 0x7B, 0x7D],
                  malformed(CC_JSON_EXPECTED_VALUE, at: 1)),
            match("two BOMs", "x", bytes: [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x7B, 0x7D],
                  malformed(CC_JSON_EXPECTED_VALUE, at: 3)),
            match("a second top-level value", "b", #"{"a":1} {"b":2}"#, malformed(CC_JSON_TRAILING_DATA, at: 8)),
            match("a word after the document", "x", "{} x", malformed(CC_JSON_TRAILING_DATA, at: 3)),
            match("a second number", "x", "1 2", malformed(CC_JSON_TRAILING_DATA, at: 2)),
            match("a comma after the document", "x", "[],", malformed(CC_JSON_TRAILING_DATA, at: 2)),
            match("an error inside the object looked for", "a", #"{"a":[1,}"#, malformed(CC_JSON_EXPECTED_VALUE, at: 8),
                  started: CC_JSON_KIND_ARRAY),
        ]
    }

    static var readsNoFurther: [MatchCase] {
        [
            match("an error after the value is not read", "a", #"{"a":1,,}"#, number("1")),
            match("brackets after the value are not read", "a", #"{"a":"x"}}}}"#, string("x")),
            match("a second document after the value is not read", "$", "1 2", number("1")),
            match("a literal is complete at its last letter", "[0]", "[truex]", found(CC_JSON_KIND_TRUE, "true")),
            match("the byte after a number is read and checked", "a", #"{"a":1]"#,
                  malformed(CC_JSON_EXPECTED_OBJECT_COMMA, at: 6), started: CC_JSON_KIND_NUMBER),
            match("a number glued to a letter is bad", "a", #"{"a":1x}"#, malformed(CC_JSON_BAD_NUMBER, at: 6),
                  started: CC_JSON_KIND_NUMBER),
            match("an error before the value", "b", #"{"a":tru,"b":1}"#, malformed(CC_JSON_BAD_LITERAL, at: 8)),
        ]
    }

    static var depth: [MatchCase] {
        let limit = Int(CC_JSON_MAX_DEPTH)
        return [
            match("64 levels are allowed", "x", nested(limit), .notFound),
            match("65 levels are too deep", "x", nested(limit + 1), malformed(CC_JSON_TOO_DEEP, at: UInt64(limit))),
            match("65 levels of objects", "x", String(repeating: "{\"a\":", count: limit) + "{",
                  malformed(CC_JSON_TOO_DEEP, at: UInt64(5 * limit))),
            match("a value found 16 levels down in 64", String(repeating: "[0]", count: 16),
                  String(repeating: "[", count: 16) + nested(limit - 16, "5") + String(repeating: "]", count: 16),
                  array(nested(limit - 16, "5"))),
            match("the whole 64 levels", "$", nested(limit), array(nested(limit))),
            match("too deep inside the value looked for", "[0]", nested(limit + 1),
                  malformed(CC_JSON_TOO_DEEP, at: UInt64(limit)), started: CC_JSON_KIND_ARRAY),
            match("too deep after the value is not read", "[0]", "[1," + nested(limit + 1) + "]", number("1")),
        ]
    }

    static var all: [MatchCase] {
        keysAndIndices + wildcards + wholeDocument + values + strings + truncation + malformedDocuments + readsNoFurther
            + depth
    }
}

// MARK: - Running cases

/// A compiled path and a value buffer with canary bytes after it, at addresses that stay put while a
/// matcher keeps pointers to them.
private final class MatchTarget {
    static let canary: UInt8 = 0xA5
    let path = UnsafeMutablePointer<cc_json_path_t>.allocate(capacity: 1)
    let value: UnsafeMutablePointer<UInt8>
    let capacity: UInt32

    init?(path text: String, capacity: UInt32) {
        self.capacity = capacity
        value = .allocate(capacity: Int(capacity) + 8)
        guard cc_json_path_compile(text, text.utf8.count, path, nil, nil) == 0 else { return nil }
    }

    deinit {
        path.deallocate()
        value.deallocate()
    }

    func reset(_ matcher: inout cc_json_matcher_t) {
        value.initialize(repeating: Self.canary, count: Int(capacity) + 8)
        cc_json_matcher_reset(&matcher, path, capacity == 0 ? nil : value, capacity)
    }

    func bytes(_ matcher: cc_json_matcher_t) -> [UInt8] {
        Array(UnsafeBufferPointer(start: value, count: Int(matcher.value_length)))
    }

    var canaryIntact: Bool {
        UnsafeBufferPointer(start: value + Int(capacity), count: 8).allSatisfy { $0 == Self.canary }
    }
}

/// Feeds the case's document as `feeding` says and finishes, checking the contract; `problems`
/// collects breaches. Returns the outcome and the kind the matcher reported.
private func runMatch(_ testCase: MatchCase, _ target: MatchTarget, feeding: Feeding, problems: inout [String])
    -> (outcome: Outcome, kind: UInt8)
{
    var matcher = cc_json_matcher_t()
    target.reset(&matcher)
    var last: Int32 = 0
    for piece in feeding.pieces(testCase.document) {
        let guarded = GuardedPiece(piece)
        let result = cc_json_matcher_feed(&matcher, guarded.pointer, guarded.count)
        if ![-1, 0, 1].contains(result) { problems.append("feed returned \(result)") }
        if last != 0 && result != last { problems.append("feed returned \(result) after \(last)") }
        last = result
    }
    if cc_json_matcher_feed(&matcher, nil, 0) != last { problems.append("an empty feed changed the result") }
    let finished = cc_json_matcher_finish(&matcher)
    if last != 0 && finished != last { problems.append("finish returned \(finished) after feed returned \(last)") }
    if cc_json_matcher_finish(&matcher) != finished { problems.append("finish is not idempotent") }
    if cc_json_matcher_feed(&matcher, [0x20], 1) != finished { problems.append("feed after finish") }
    if !target.canaryIntact { problems.append("wrote past the value's capacity") }
    if matcher.value_length > testCase.capacity { problems.append("value_length past the capacity") }

    let outcome: Outcome
    switch finished {
    case 1:
        if matcher.found != 1 || matcher.error != 0 { problems.append("found without found set") }
        outcome = .found(cc_json_kind_t(UInt32(matcher.kind)), target.bytes(matcher), truncated: matcher.truncated != 0)
    case 0:
        if matcher.found != 0 || matcher.error != 0 { problems.append("not found with found or error set") }
        outcome = .notFound
    default:
        if matcher.error == 0 { problems.append("failed without an error code") }
        if matcher.found != 0 { problems.append("failed and found") }
        outcome = .malformed(cc_json_error_t(UInt32(matcher.error)), at: matcher.error_offset)
    }
    return (outcome, matcher.kind)
}

final class JSONMatcherTests: XCTestCase {
    private func check(_ cases: [MatchCase], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(cases.isEmpty, file: file, line: line)
        for testCase in cases {
            guard let target = MatchTarget(path: testCase.path, capacity: testCase.capacity) else {
                XCTFail("\(testCase.name): the path \(testCase.path) does not compile", file: file, line: line)
                continue
            }
            var problems: [String] = []
            for feeding in Feeding.all(count: testCase.document.count) {
                let result = runMatch(testCase, target, feeding: feeding, problems: &problems)
                if result.outcome != testCase.expected {
                    XCTFail("\(testCase.name): \(feeding): \(result.outcome), expected \(testCase.expected)",
                            file: file, line: line)
                    break
                }
                if case .malformed = testCase.expected, result.kind != UInt8(testCase.startedKind.rawValue) {
                    XCTFail("\(testCase.name): \(feeding): kind \(result.kind) when it failed", file: file, line: line)
                    break
                }
            }
            XCTAssertEqual(problems, [], "\(testCase.name): contract", file: file, line: line)
        }
    }

    func testKeysAndIndices() { check(MatcherCases.keysAndIndices) }
    func testWildcards() { check(MatcherCases.wildcards) }
    func testWholeDocument() { check(MatcherCases.wholeDocument) }
    func testValues() { check(MatcherCases.values) }
    func testStrings() { check(MatcherCases.strings) }
    func testTruncatedValues() { check(MatcherCases.truncation) }
    func testMalformedDocuments() { check(MatcherCases.malformedDocuments) }
    func testNothingIsReadAfterTheValue() { check(MatcherCases.readsNoFurther) }
    func testDepthLimit() { check(MatcherCases.depth) }

    func testTableIsLargeAndNamesAreUnique() {
        let names = MatcherCases.all.map(\.name)
        XCTAssertGreaterThanOrEqual(names.count, 150)
        XCTAssertEqual(Set(names).count, names.count, "duplicate case names")
    }

    func testEveryErrorHasText() {
        for code in 0..<Int32(CC_JSON__ERROR_COUNT.rawValue) {
            XCTAssertNotEqual(String(cString: cc_json_error_text(code)), "unknown JSON error")
        }
        XCTAssertEqual(String(cString: cc_json_error_text(99)), "unknown JSON error")
        XCTAssertEqual(String(cString: cc_json_error_text(Int32(CC_JSON_TOO_DEEP.rawValue))),
                       "nested too deeply (more than 64 arrays and objects)")
    }

    func testNullPathIsTheWholeDocument() {
        let value = UnsafeMutablePointer<UInt8>.allocate(capacity: 8)
        defer { value.deallocate() }
        var matcher = cc_json_matcher_t()
        cc_json_matcher_reset(&matcher, nil, value, 8)
        XCTAssertEqual(cc_json_matcher_feed(&matcher, utf8("[1]"), 3), 1)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: value, count: Int(matcher.value_length))), utf8("[1]"))
    }

    func testResetStartsOver() throws {
        let target = try XCTUnwrap(MatchTarget(path: "a", capacity: 8))
        var matcher = cc_json_matcher_t()
        target.reset(&matcher)
        XCTAssertEqual(cc_json_matcher_feed(&matcher, utf8("{]"), 2), -1)
        target.reset(&matcher)
        XCTAssertEqual(matcher.error, 0)
        XCTAssertEqual(cc_json_matcher_feed(&matcher, utf8(#"{"a":"b"}"#), 9), 1)
        XCTAssertEqual(target.bytes(matcher), utf8("b"))
    }

    func testLargeDocumentInBulk() throws {
        // A megabyte of members before the one looked for: the bulk paths (string runs, whitespace).
        let filler = (0..<20_000).map { #"  "key\#($0)": "value with some text \#($0)","# }.joined(separator: "\n")
        let document = utf8("{" + filler + #""token":"t0k3n"}"#)
        let target = try XCTUnwrap(MatchTarget(path: "token", capacity: 16))
        for chunk in [document.count, 4096, 1000, 7] {
            var matcher = cc_json_matcher_t()
            target.reset(&matcher)
            var result: Int32 = 0
            document.withUnsafeBufferPointer { bytes in
                var start = 0
                while start < bytes.count && result == 0 {
                    let length = min(chunk, bytes.count - start)
                    result = cc_json_matcher_feed(&matcher, bytes.baseAddress! + start, length)
                    start += length
                }
            }
            XCTAssertEqual(result, 1, "chunks of \(chunk)")
            XCTAssertEqual(target.bytes(matcher), utf8("t0k3n"), "chunks of \(chunk)")
        }
    }

    func testMatcherIsSmall() {
        XCTAssertEqual(MemoryLayout<cc_json_matcher_t>.size, 72)
        XCTAssertLessThanOrEqual(MemoryLayout<cc_json_matcher_t>.size, 160)
    }
}
