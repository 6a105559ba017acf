import CCicadaCore
import Foundation
import XCTest
@testable import Cicada

/// Templates: the slot syntax read and printed back, and what each becomes in the core's plan.
final class TemplateTests: XCTestCase {
    func testEverySlotParsesAndPrintsBack() throws {
        let table: [(String, Template.Slot, Template.Filter)] = [
            ("${token}", .variable("token"), .none),
            ("${last(file_ids)}", .last("file_ids"), .none),
            ("${random(file_ids)}", .randomItem("file_ids"), .none),
            ("${user.id}", .userID, .none),
            ("${user.index}", .userIndex, .none),
            ("${iteration}", .iteration, .none),
            ("${random.int(1, 100)}", .randomInt(1, 100), .none),
            ("${random.int(-5, -5)}", .randomInt(-5, -5), .none),
            ("${random.choice(a, b, c)}", .randomChoice(["a", "b", "c"]), .none),
            ("${random.choice(hip hop, 'a,b', 'it''s')}", .randomChoice(["hip hop", "a,b", "it's"]), .none),
            ("${uuid}", .uuid, .none),
            ("${time.unix}", .timeUnix, .none),
            ("${time.unix_ms}", .timeUnixMilliseconds, .none),
            ("${row.username}", .row("username"), .none),
            ("${env.API_KEY}", .environment("API_KEY", default: nil), .none),
            ("${env.API_KEY:-demo-api-key}", .environment("API_KEY", default: "demo-api-key"), .none),
            ("${q|url}", .variable("q"), .url),
            ("${name|json}", .variable("name"), .json),
            ("${random.choice(x, y)|url}", .randomChoice(["x", "y"]), .url),
        ]
        for (text, slot, filter) in table {
            let template = try Template(parsing: text)
            XCTAssertEqual(template.pieces, [.slot(slot, filter)], text)
            XCTAssertEqual(template.description, text, text)
            XCTAssertEqual(try Template(parsing: template.description), template, text)
            XCTAssertFalse(template.isStatic, text)
        }
        // Spaces inside a slot are allowed and dropped.
        XCTAssertEqual(try Template(parsing: "${ token | url }").pieces, [.slot(.variable("token"), .url)])
    }

    func testTextAndSlotsTogether() throws {
        let template = try Template(parsing: "/files/${last(ids)}?q=${q|url}&t=${time.unix_ms}")
        XCTAssertEqual(template.pieces, [
            .text("/files/"), .slot(.last("ids"), .none), .text("?q="), .slot(.variable("q"), .url), .text("&t="),
            .slot(.timeUnixMilliseconds, .none),
        ])
        XCTAssertEqual(template.variables, ["ids", "q"])
        XCTAssertEqual(template.staticText, "/files/?q=&t=")
        XCTAssertEqual(try Template(parsing: "a ${row.x} ${row.y} ${row.x}").rowColumns, ["x", "y"])
    }

    /// `$${` is a literal `${`, and prints back as `$${`; a `$` or `{` alone is text.
    func testEscapes() throws {
        let literal = try Template(parsing: "price: $${amount} ${n} $5 {x} $")
        XCTAssertEqual(literal.pieces, [.text("price: ${amount} "), .slot(.variable("n"), .none), .text(" $5 {x} $")])
        XCTAssertEqual(literal.description, "price: $${amount} ${n} $5 {x} $")
        XCTAssertTrue(try Template(parsing: "$${a}").isStatic)
        XCTAssertEqual(try Template(parsing: "$${a}").staticText, "${a}")
        XCTAssertEqual(Template(text: "${not a slot}").description, "$${not a slot}")
    }

    func testBadSlots() {
        let forms = "; expected ${name}, ${last(name)}, ${random(name)}, ${user.id}"
        let table: [(String, String)] = [
            ("${token", "the slot '${token' has no closing '}'"),
            ("${}", "invalid slot '${}': it is empty"),
            ("${a|xml}", "invalid slot '${a|xml}': unknown filter '|xml'; the filters are |url, |json and |json_value"),
            ("${a|jsn}", "unknown filter '|jsn' (did you mean '|json'?)"),
            ("${user.idx}", "invalid slot '${user.idx}': 'user.idx' is neither a variable name nor a built-in (did you mean '${user.id}'?)"),
            ("${time.now}", "'time.now' is neither a variable name nor a built-in (did you mean '${time.unix}'?)"),
            ("${random.int(1)}", "random.int takes two integers, as in random.int(1, 100)"),
            ("${random.int(a, b)}", "random.int takes two integers"),
            ("${random.int(5, 1)}", "the minimum 5 is above the maximum 1"),
            ("${random.choice()}", "random.choice takes at least one item"),
            ("${random.choice('a, b)}", "the slot '${random.choice('a, b)}' has no closing '}'"),
            ("${random.chose(a)}", "unknown function 'random.chose' (did you mean 'random.choice'?)"),
            ("${random(a b)}", "random() takes the name of a list variable, as in random(file_ids)"),
            ("${last()}", "last() takes the name of a list variable"),
            ("${env.9X}", "'9X' is not an environment variable name"),
            ("${row.}", "no column after 'row.'"),
            ("${iteration.x}", "'iteration.x' is neither a variable name nor a built-in"),
            ("${user}", "'user' is a built-in's name, not a variable"),
            ("${random.int(1, 2}", "no ')' at the end of the call"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try Template(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(forms), "\(text): \(error)")
            }
        }
    }

    func testEnvironmentIsResolvedOnceWithItsFilter() throws {
        let env = ["KEY": "a b&c", "EMPTY": ""]
        XCTAssertEqual(try Template(parsing: "k=${env.KEY}").resolvingEnvironment(env).pieces, [.text("k=a b&c")])
        XCTAssertEqual(try Template(parsing: "k=${env.KEY|url}").resolvingEnvironment(env).pieces, [.text("k=a%20b%26c")])
        XCTAssertEqual(try Template(parsing: "${env.KEY|json}").resolvingEnvironment(["KEY": "\"q\"\n"]).pieces, [.text("\\\"q\\\"\\n")])
        XCTAssertEqual(try Template(parsing: "${env.MISSING:-dflt}").resolvingEnvironment(env).pieces, [.text("dflt")])
        XCTAssertEqual(try Template(parsing: "${env.MISSING:-}").resolvingEnvironment(env).pieces, [])
        XCTAssertEqual(try Template(parsing: "${env.EMPTY:-x}").resolvingEnvironment(env).pieces, [], "set but empty is set")
        // A resolved value with ${ in it is text, and prints back escaped.
        XCTAssertEqual(try Template(parsing: "${env.K}").resolvingEnvironment(["K": "${x}"]).description, "$${x}")
        XCTAssertThrowsError(try Template(parsing: "${env.MISSING}").resolvingEnvironment(env)) { error in
            XCTAssertEqual("\(error)", "the environment variable 'MISSING' is not set and '${env.MISSING}' has no default; "
                + "set it, or give a default as in ${env.MISSING:-value}")
        }
        // In a scenario file: resolved at load time, at the value's line.
        let yaml = "users:\n  - name: A\n    tasks:\n      - path: /k/${env.KEY|url}\n        headers: {X-K: \"${env.KEY}\"}\n"
        let request = try Scenario.parse(yaml: yaml, file: "t.yaml", environment: env).userClasses[0].tasks[0].requests[0]
        XCTAssertEqual(request.path, "/k/a%20b%26c")
        XCTAssertEqual(request.headers, [Header(name: "X-K", value: "a b&c")])
    }

    func testPercentEncodingKeepsOnlyUnreservedCharacters() {
        XCTAssertEqual(Template.percentEncoded("aZ09-._~ /?#&=%é"), "aZ09-._~%20%2F%3F%23%26%3D%25%C3%A9")
    }

    // MARK: In the plan

    static func plan(_ yaml: String) throws -> PlanSpecification {
        try PlanSpecification(scenario: Scenario.parse(yaml: yaml, file: "t.yaml", environment: [:]), hostHeader: "h")
    }

    static func oneRequest(_ lines: String, captures: String = "") throws -> PlanSpecification.RequestSpec {
        let yaml = "users:\n  - name: A\n    on_start: {path: /login, capture: [{var: token, json: t}, {var: ids, json: id, append: true}]}\n"
            + "    tasks:\n" + ScenarioTests.task(lines).split(separator: "\n").dropFirst(3).joined(separator: "\n") + "\n"
        return try plan(yaml).requests[0]
    }

    /// A request with no slot keeps its target, header values and body static, with no template, so
    /// that it costs what a request cost before templates.
    func testAStaticRequestHasNoTemplates() throws {
        let request = try Self.oneRequest("method: POST\npath: /a?b=1\nheaders: {X-A: \"$${lit}\"}\njson: {a: \"$${x}\", n: 1}")
        XCTAssertEqual(request.target, "/a?b=1")
        XCTAssertNil(request.targetTemplate)
        XCTAssertEqual(request.headers.map(\.value), ["${lit}", "application/json"])
        XCTAssertEqual(request.headers.map(\.template), [nil, nil])
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), #"{"a":"${x}","n":1}"#)
        XCTAssertNil(request.bodyTemplate)
    }

    func testSlotsBecomeTheCoresPieces() throws {
        let request = try Self.oneRequest("method: POST\npath: /f/${last(ids)}/${random(ids)}?u=${user.id}&i=${user.index}&n=${iteration}\n"
            + "headers: {Authorization: \"Bearer ${token}\", X-R: \"${random.int(1, 9)} ${random.choice(a, 'b c')} ${uuid} ${time.unix} ${time.unix_ms}\"}\n"
            + "body: \"${token|url}${token|json}\"")
        func kinds(_ pieces: [PlanSpecification.Piece]?) -> [String] {
            (pieces ?? []).map { p in
                p.kind == UInt8(CC_PIECE_TEXT.rawValue) ? "'\(String(decoding: p.text, as: UTF8.self))'" : "\(p.kind)/\(p.encoding)/\(p.variable)"
            }
        }
        // Variables are numbered by name across the plan: ids 0, token 1.
        XCTAssertEqual(kinds(request.targetTemplate), ["'/f/'", "1/0/0", "'/'", "2/0/0", "'?u='", "3/0/0", "'&i='", "4/0/0", "'&n='", "5/0/0"])
        XCTAssertEqual(kinds(request.headers[0].template), ["'Bearer '", "1/0/1"])
        XCTAssertEqual(kinds(request.headers[1].template), ["6/0/0", "' '", "7/0/0", "' '", "8/0/0", "' '", "9/0/0", "' '", "10/0/0"])
        let random = try XCTUnwrap(request.headers[1].template?[0])
        XCTAssertEqual([random.min, random.max], [1, 9])
        XCTAssertEqual(request.headers[1].template?[2].choices, ["a", "b c"])
        XCTAssertEqual(kinds(request.bodyTemplate), ["1/1/1", "1/2/1"])
        // The static fallbacks a core without templates would send.
        XCTAssertEqual(request.target, "/f/${last(ids)}/${random(ids)}?u=${user.id}&i=${user.index}&n=${iteration}")
        XCTAssertEqual(request.headers[0].value, "Bearer ${token}")
        XCTAssertEqual(request.body, [])
    }

    /// `json:` escapes text now and gives slots in strings the `|json` filter; `form:` percent-encodes
    /// text now and gives slots `|url`.
    func testJSONAndFormBodies() throws {
        let json = try Self.oneRequest("method: POST\npath: /\njson: {\"k\\\"\": \"a\\\"${token}\\n\", n: 2, l: [\"${ids|url}\", true, null]}")
        XCTAssertEqual(try XCTUnwrap(json.bodyTemplate).map { $0.kind == 0 ? String(decoding: $0.text, as: UTF8.self) : "<\($0.encoding)>" },
                       [#"{"k\"":"a\""#, "<2>", #"\n","n":2,"l":[""#, "<1>", #"",true,null]}"#])
        let form = try Self.oneRequest("method: POST\npath: /\nform: {user name: \"a b\", token: \"x${token}\"}")
        XCTAssertEqual(try XCTUnwrap(form.bodyTemplate).map { $0.kind == 0 ? String(decoding: $0.text, as: UTF8.self) : "<\($0.encoding)>" },
                       ["user%20name=a%20b&token=x", "<1>"])
        XCTAssertEqual(form.headers.last?.value, "application/x-www-form-urlencoded")
    }

    /// Multipart: one boundary per plan and its Content-Type header, parts as RFC 7578 frames them, the
    /// generated bytes made once (a WAV header for audio/wav) and a value's slots as pieces.
    func testMultipartIsRenderedWithThePlansBoundary() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-mp-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data([0, 1, 2, 13, 10]).write(to: directory.appendingPathComponent("a.bin"))
        let yaml = """
            users:
              - name: A
                tasks:
                  - method: POST
                    path: /up
                    multipart:
                      - {name: f, file: a.bin, content_type: application/octet-stream}
                      - {name: "q\\"n", value: plain}
                  - method: POST
                    path: /up2
                    multipart:
                      - {name: file, filename: s.wav, content_type: audio/wav, size: 64}
                      - {name: genre, value: "g-${iteration}"}
            """
        let scenario = try Scenario.parse(yaml: yaml, file: directory.path + "/s.yaml")
        XCTAssertEqual(scenario.userClasses[0].tasks[0].requests[0].content, .multipart([
            MultipartPart(name: "f", filename: "a.bin", contentType: "application/octet-stream", content: .file(path: directory.path + "/a.bin")),
            MultipartPart(name: "q\"n", content: .value("plain")),
        ]))
        let plan = try PlanSpecification(scenario: scenario, hostHeader: "h")
        let boundary = try XCTUnwrap(plan.multipartBoundary)
        XCTAssertTrue(boundary.hasPrefix("cicada-boundary-"))
        XCTAssertLessThanOrEqual(boundary.count, 70, "RFC 2046 §5.1.1")
        let first = plan.requests[0]
        XCTAssertEqual(first.headers.map(\.value), ["multipart/form-data; boundary=\(boundary)"])
        XCTAssertNil(first.bodyTemplate, "no slot: static bytes")
        XCTAssertEqual(first.body, Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n".utf8)
            + Array("Content-Type: application/octet-stream\r\n\r\n".utf8) + [0, 1, 2, 13, 10]
            + Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"q%22n\"\r\n\r\nplain\r\n--\(boundary)--\r\n".utf8))
        let second = try XCTUnwrap(plan.requests[1].bodyTemplate)
        XCTAssertEqual(second.count, 3)
        XCTAssertEqual(second[1].kind, UInt8(CC_PIECE_ITERATION.rawValue))
        let head = String(decoding: second[0].text, as: UTF8.self)
        XCTAssertTrue(head.hasPrefix("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.wav\"\r\n"
            + "Content-Type: audio/wav\r\n\r\nRIFF8\0\0\0WAVEfmt "), head)
        XCTAssertTrue(head.hasSuffix("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"genre\"\r\n\r\ng-"), head)
        XCTAssertEqual(String(decoding: second[2].text, as: UTF8.self), "\r\n--\(boundary)--\r\n")
    }

    /// The same scenario compiles to the same description, and a change anywhere shows in it.
    func testCanonicalDescriptionIsStable() throws {
        let yaml = "users:\n  - name: A\n    tasks:\n      - {path: \"/a/${uuid}\", check: {status: 2xx}}\n"
        XCTAssertEqual(try Self.plan(yaml).canonicalDescription, try Self.plan(yaml).canonicalDescription)
        XCTAssertNotEqual(try Self.plan(yaml).canonicalDescription,
                          try Self.plan(yaml.replacingOccurrences(of: "2xx", with: "3xx")).canonicalDescription)
        XCTAssertTrue(try Self.plan(yaml).canonicalDescription.contains("  target text(\"/a/\") uuid\n"))
    }
}
