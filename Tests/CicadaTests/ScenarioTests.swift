import Foundation
import XCTest
@testable import Cicada

/// The scenario model, its YAML loader and the value parsers the command line shares with it.
///
/// Error cases are tables: each input must fail at an exact line and column with a message that
/// names the expected form, since that is what a person fixing the file reads.
final class ScenarioTests: XCTestCase {
    /// `examples/` at the package root, found from this file's path.
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples").path

    // MARK: The examples

    func testHelloExampleLoads() throws {
        let scenario = try Scenario.load(path: Self.examples + "/hello.yaml")
        let expected = Scenario(
            name: nil, host: "http://127.0.0.1:8080",
            userClasses: [UserClass(name: "Visitor", weight: 1, wait: .constant(0), onStart: nil, tasks: [
                UserTask(name: "/", weight: 1, requests: [RequestTemplate(name: nil, method: "GET", path: "/")]),
            ])],
            run: RunDefaults())
        XCTAssertEqual(scenario, expected)
        XCTAssertNoThrow(try scenario.validate())
    }

    func testAudioAPIExampleLoads() throws {
        let scenario = try Scenario.load(path: Self.examples + "/audio-api.yaml")
        XCTAssertNoThrow(try scenario.validate())
        XCTAssertEqual(scenario.name, "audio-api")
        XCTAssertEqual(scenario.host, "http://127.0.0.1:8000")
        XCTAssertEqual(scenario.run, RunDefaults(users: 100, spawnRate: 10, runTime: 60, timeout: 10, connectTimeout: 5))

        // The seed's three user types, their weights (5:3:1) and wait times.
        XCTAssertEqual(scenario.userClasses.map(\.name), ["AudioAnalysisUser", "APIUser", "AdminUser"])
        XCTAssertEqual(scenario.userClasses.map(\.weight), [5, 3, 1])
        XCTAssertEqual(scenario.userClasses.map(\.wait), [.between(1, 5), .between(0.5, 2), .between(5, 10)])
        let tasks = scenario.userClasses.map { $0.tasks.map { "\($0.name)=\($0.weight)" } }
        XCTAssertEqual(tasks, [
            ["analyze_audio=3", "upload_file=1", "view_results=2", "list_files=2", "search_files=1"],
            ["api_analyze=5", "api_batch_process=2", "api_get_status=3"],
            ["view_dashboard=3", "manage_users=1", "system_health_check=2"],
        ])

        let audio = scenario.userClasses[0]
        let login = try XCTUnwrap(audio.onStart)
        XCTAssertEqual(login, UserTask(name: "login", weight: 1, requests: [RequestTemplate(
            method: "POST", path: "/api/v1/auth/login",
            headers: [Header(name: "Authorization", value: "Bearer demo-token"),
                      Header(name: "Content-Type", value: "application/json")],
            body: Array(#"{"username":"demo","password":"demo"}"#.utf8))]))
        XCTAssertEqual(String(decoding: audio.tasks[0].requests[0].body, as: UTF8.self),
                       #"{"file_id":1,"analysis_type":"full","options":{"detect_tempo":true,"detect_key":true,"genres":["electronic","ambient"]}}"#)

        // A request's own Content-Type replaces none of the class headers but its own name.
        let upload = audio.tasks[1].requests[0]
        XCTAssertEqual(upload.headers, [Header(name: "Authorization", value: "Bearer demo-token"),
                                        Header(name: "Content-Type", value: "audio/wav")])
        XCTAssertEqual(upload.body, Array("RIFF$\0\0\0WAVEfmt ".utf8))
        XCTAssertEqual(upload.endpointName, "/api/v1/audio/upload")

        XCTAssertEqual(audio.tasks.map { $0.requests[0].endpointName },
                       ["/api/v1/audio/analyze", "/api/v1/audio/upload", "/api/v1/audio/results/:id",
                        "/api/v1/files", "/api/v1/files/search"])
        XCTAssertEqual(audio.tasks[3].requests[0].path, "/api/v1/files?page=1&limit=20")

        let api = scenario.userClasses[1]
        XCTAssertNil(api.onStart)
        XCTAssertEqual(api.tasks[1].requests[0].headers, [Header(name: "X-API-Key", value: "demo-api-key"),
                                                          Header(name: "Content-Type", value: "application/json")])
        XCTAssertEqual(String(decoding: api.tasks[1].requests[0].body, as: UTF8.self),
                       #"{"file_ids":[1,2,3],"webhook_url":"http://127.0.0.1:9000/webhook"}"#)

        let manage = scenario.userClasses[2].tasks[1]
        XCTAssertEqual(manage.requests.map(\.method), ["GET", "PATCH"])
        XCTAssertEqual(manage.requests.map(\.endpointName), ["/api/v1/admin/users", "/api/v1/admin/users/:id"])
        XCTAssertEqual(manage.requests[1].body, Array(#"{"role":"editor"}"#.utf8))
    }

    /// The scenarios shown in docs/scenario.md load, so the documentation cannot drift from the loader.
    func testScenariosInTheDocumentationLoad() throws {
        let docs = URL(fileURLWithPath: Self.examples).deletingLastPathComponent()
            .appendingPathComponent("docs/scenario.md").path
        let text = try String(contentsOfFile: docs, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
            .filter { $0.contains("users:\n") }
        XCTAssertGreaterThanOrEqual(blocks.count, 3)
        for block in blocks {
            XCTAssertNoThrow(try Scenario.parse(yaml: block, file: "docs/scenario.md"), block)
        }
    }

    // MARK: Loading details

    func testFullRequestForms() throws {
        let yaml = """
            users:
              - name: A
                wait: 2
                headers: {Accept: text/html, X-Trace: class}
                on_start:
                  steps:
                    - {path: /login/form}
                    - {method: POST, path: /login, body: "user=a&pass=b", headers: {Content-Type: application/x-www-form-urlencoded}}
                tasks:
                  - method: DELETE
                    path: /items/9?soft=1
                    close: true
                    headers:
                      - {name: X-Trace, value: task}
                      - {name: X-Multi, value: "1"}
                      - {name: X-Multi, value: "2"}
                  - name: form
                    weight: 0
                    method: POST
                    path: /form
                    headers: {content-type: text/plain}
                    json: [1, "two", {three: 3.5}, null, yes, "yes"]
            """
        let userClass = try Scenario.parse(yaml: yaml, file: "t.yaml").userClasses[0]
        XCTAssertEqual(userClass.wait, .constant(2))
        let onStart = try XCTUnwrap(userClass.onStart)
        XCTAssertEqual(onStart.name, "on_start")
        XCTAssertEqual(onStart.requests.map(\.path), ["/login/form", "/login"])
        XCTAssertEqual(onStart.requests[1].body, Array("user=a&pass=b".utf8))
        XCTAssertEqual(onStart.requests[1].headers.last, Header(name: "Content-Type", value: "application/x-www-form-urlencoded"))
        let delete = userClass.tasks[0]
        XCTAssertEqual(delete.name, "/items/9")
        XCTAssertEqual(delete.requests, [RequestTemplate(
            method: "DELETE", path: "/items/9?soft=1",
            headers: [Header(name: "Accept", value: "text/html"), Header(name: "X-Trace", value: "task"),
                      Header(name: "X-Multi", value: "1"), Header(name: "X-Multi", value: "2")],
            closeConnection: true)])
        let form = userClass.tasks[1].requests[0]
        XCTAssertEqual(userClass.tasks[1].weight, 0)
        // A Content-Type the request sets, in any case, stops json from adding one.
        XCTAssertEqual(form.headers.map(\.name), ["Accept", "X-Trace", "content-type"])
        XCTAssertEqual(String(decoding: form.body, as: UTF8.self), #"[1,"two",{"three":3.5},null,true,"yes"]"#)
    }

    func testJSONScalarsAndMergeKeys() throws {
        let yaml = """
            defaults: &auth {Authorization: Bearer t}
            users:
              - name: A
                tasks:
                  - &base {path: /a, method: PUT, headers: {X-Shared: one}}
                  - <<: *base
                    path: /b
                    json: {hex: 0x1F, under: 1_000, neg: -0, exp: 1e3, date: 2024-01-01, s: !!str 3, q: "a\\"b\\t\\u0001é", e: ''}
            """
        // `defaults:` is not a scenario key, but a top-level key starting with `x-` is skipped so that it
        // can hold anchors.
        XCTAssertThrowsError(try Scenario.parse(yaml: yaml, file: "t.yaml"))
        let scenario = try Scenario.parse(yaml: "x-" + yaml, file: "t.yaml")
        let merged = scenario.userClasses[0].tasks[1].requests[0]
        XCTAssertEqual(merged.method, "PUT")
        XCTAssertEqual(merged.path, "/b")
        XCTAssertEqual(merged.headers, [Header(name: "X-Shared", value: "one"),
                                        Header(name: "Content-Type", value: "application/json")])
        XCTAssertEqual(String(decoding: merged.body, as: UTF8.self),
                       #"{"hex":31,"under":1000,"neg":-0,"exp":1000.0,"date":"2024-01-01","s":"3","q":"a\"b\t\u0001é","e":""}"#)
    }

    func testBodyFileIsReadRelativeToTheScenario() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-scenario-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let payload: [UInt8] = [0, 1, 2, 255, 13, 10]
        try Data(payload).write(to: directory.appendingPathComponent("upload.bin"))
        let scenarioPath = directory.appendingPathComponent("s.yaml").path
        try """
            users:
              - name: A
                tasks:
                  - {method: POST, path: /upload, body_file: upload.bin}
                  - {method: POST, path: /missing, body_file: nope.bin}
            """.write(toFile: scenarioPath, atomically: true, encoding: .utf8)

        XCTAssertThrowsError(try Scenario.load(path: scenarioPath)) { error in
            let error = error as? ScenarioError
            XCTAssertEqual(error?.file, scenarioPath)
            XCTAssertEqual(error?.line, 5)
            XCTAssertEqual(error?.column, 51)
            XCTAssertEqual(error?.message, "cannot read body_file '\(directory.path)/nope.bin': no such file")
        }
        let fixed = try String(contentsOfFile: scenarioPath, encoding: .utf8)
            .split(separator: "\n").filter { !$0.contains("nope.bin") }.joined(separator: "\n")
        try fixed.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let scenario = try Scenario.load(path: scenarioPath)
        XCTAssertEqual(scenario.userClasses[0].tasks[0].requests[0].body, payload)
    }

    func testUnreadableAndNonUTF8Files() throws {
        XCTAssertThrowsError(try Scenario.load(path: "/nonexistent/s.yaml")) { error in
            XCTAssertEqual((error as? ScenarioError)?.description,
                           "/nonexistent/s.yaml: cannot read the scenario file: no such file")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("users:\n  - name: é\u{FF}".utf8 + [0xFF]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Scenario.load(path: path)) { error in
            let error = error as? ScenarioError
            XCTAssertEqual(error.map { [$0.line, $0.column] }, [2, 13])
            XCTAssertEqual(error?.message, "the file is not UTF-8 text; expected a UTF-8 YAML file")
        }
    }

    // MARK: Errors, each at its node

    /// One malformed input: where the error must point, and text its message must contain.
    struct BadInput {
        var what: String
        var yaml: String
        var line: Int
        var column: Int
        var message: String
    }

    /// A valid user class around one task's lines, so that each case shows only what it breaks.
    /// The task's first line is line 4 and its keys start in column 9.
    static func task(_ lines: String) -> String {
        "users:\n  - name: A\n    tasks:\n" + lines.split(separator: "\n").enumerated()
            .map { ($0.offset == 0 ? "      - " : "        ") + $0.element + "\n" }.joined()
    }

    static let badInputs: [BadInput] = [
        // The file as a whole.
        BadInput(what: "an empty file", yaml: "", line: 1, column: 1,
                 message: "the file is empty; expected a mapping with a 'users:' list of user classes"),
        BadInput(what: "only comments", yaml: "# nothing yet\n\n", line: 1, column: 1, message: "the file is empty"),
        BadInput(what: "a list at the top", yaml: "- users\n", line: 1, column: 1,
                 message: "expected the scenario as a mapping of keys to values, got a list"),
        BadInput(what: "an unclosed flow list", yaml: "users: [\n", line: 2, column: 1,
                 message: "invalid YAML: did not find expected node content"),
        BadInput(what: "a tab for indentation", yaml: "users:\n\t- name: A\n", line: 2, column: 1,
                 message: "YAML indents with spaces, not tabs"),
        BadInput(what: "a key out of line", yaml: "users:\n  - name: A\n    tasks: []\n   wait: 1\n", line: 4, column: 4,
                 message: "invalid YAML: did not find expected '-' indicator"),
        BadInput(what: "an undefined alias", yaml: "users: *classes\n", line: 1, column: 8,
                 message: "invalid YAML: found undefined alias"),
        BadInput(what: "a duplicate key", yaml: "name: a\nname: b\nusers: []\n", line: 2, column: 1,
                 message: "duplicate key 'name' in the scenario (first at line 1, column 1); expected each key once"),
        BadInput(what: "a misspelt top-level key", yaml: "host: http://h\nuser:\n  - name: A\n", line: 2, column: 1,
                 message: "unknown key 'user' in the scenario; did you mean 'users'? Allowed: name, host, run, users"),

        // users: and user classes.
        BadInput(what: "no users", yaml: "host: http://127.0.0.1:8080\n", line: 1, column: 1,
                 message: "missing key 'users' in the scenario: expected a list of user classes"),
        BadInput(what: "an empty users list", yaml: "users: []\n", line: 1, column: 8,
                 message: "expected 'users' to be a list of at least one user class, got an empty list"),
        BadInput(what: "users as a mapping", yaml: "users:\n  A: {tasks: []}\n", line: 2, column: 3,
                 message: "expected 'users' to be a list of at least one user class, got a mapping"),
        BadInput(what: "a user class as text", yaml: "users:\n  - AudioUser\n", line: 2, column: 5,
                 message: "expected a user class as a mapping of keys to values, got 'AudioUser'"),
        BadInput(what: "wieght", yaml: "users:\n  - name: A\n    wieght: 2\n    tasks: [{path: /}]\n", line: 3, column: 5,
                 message: "unknown key 'wieght' in a user class; did you mean 'weight'? "
                     + "Allowed: name, weight, wait, headers, on_start, tasks"),
        BadInput(what: "a class without a name", yaml: "users:\n  - weight: 2\n    tasks: [{path: /}]\n", line: 2, column: 5,
                 message: "missing key 'name' in a user class: expected the user class's name"),
        BadInput(what: "a weight that is a word", yaml: "users:\n  - name: A\n    weight: abc\n    tasks: [{path: /}]\n",
                 line: 3, column: 13, message: "expected an integer weight ≥ 0, got 'abc'"),
        BadInput(what: "a negative weight", yaml: "users:\n  - name: A\n    weight: -1\n    tasks: [{path: /}]\n",
                 line: 3, column: 13, message: "expected an integer weight ≥ 0, got '-1'"),
        BadInput(what: "a fractional weight", yaml: "users:\n  - name: A\n    weight: 1.5\n    tasks: [{path: /}]\n",
                 line: 3, column: 13, message: "expected an integer weight ≥ 0, got '1.5'"),
        BadInput(what: "a huge weight", yaml: "users:\n  - name: A\n    weight: 1000001\n    tasks: [{path: /}]\n",
                 line: 3, column: 13, message: "expected an integer weight ≥ 0 and ≤ 1000000, got '1000001'"),
        BadInput(what: "all class weights 0",
                 yaml: "users:\n  - name: A\n    weight: 0\n    tasks: [{path: /}]\n  - name: B\n    weight: 0\n    tasks: [{path: /}]\n",
                 line: 2, column: 3,
                 message: "all user class weights are 0; expected at least one user class with weight ≥ 1"),
        BadInput(what: "two classes with one name",
                 yaml: "users:\n  - name: A\n    tasks: [{path: /}]\n  - name: A\n    tasks: [{path: /}]\n",
                 line: 4, column: 11, message: "another user class is named 'A' (line 2); expected unique user class names"),
        BadInput(what: "a class with no tasks key", yaml: "users:\n  - name: A\n    wait: 1\n", line: 2, column: 5,
                 message: "missing key 'tasks' in a user class: expected a list of tasks for user class 'A'"),
        BadInput(what: "a class with an empty task list", yaml: "users:\n  - name: A\n    tasks: []\n", line: 3, column: 12,
                 message: "user class 'A' has no tasks; expected a list of at least one task, got an empty list"),
        BadInput(what: "a class with tasks: and nothing", yaml: "users:\n  - name: A\n    tasks:\n", line: 3, column: 11,
                 message: "user class 'A' has no tasks; expected a list of at least one task, got nothing"),
        BadInput(what: "all task weights 0",
                 yaml: "users:\n  - name: A\n    tasks:\n      - {path: /a, weight: 0}\n      - {path: /b, weight: 0}\n",
                 line: 4, column: 7,
                 message: "all task weights of user class 'A' are 0; expected at least one task with weight ≥ 1"),

        // Wait times.
        BadInput(what: "a misspelt wait function", yaml: "users:\n  - name: A\n    wait: betwen(1, 5)\n    tasks: [{path: /}]\n",
                 line: 3, column: 11,
                 message: "invalid wait time 'betwen(1, 5)': unknown function 'betwen' (did you mean 'between'?); "
                     + "expected seconds (2), a range (1-5), constant(2), between(1, 5), constant_pacing(3) "
                     + "or constant_throughput(0.5)"),
        BadInput(what: "a wait range upside down", yaml: "users:\n  - name: A\n    wait: between(5, 1)\n    tasks: [{path: /}]\n",
                 line: 3, column: 11, message: "invalid wait time 'between(5, 1)': the minimum 5 is above the maximum 1"),
        BadInput(what: "an unquoted comma in a flow mapping", yaml: "users:\n  - {name: A, wait: between(1, 5), tasks: [{path: /}]}\n",
                 line: 2, column: 32, message: "unknown key '5)' in a user class; A comma ends a value inside { }: quote it, "
                     + "as in wait: \"between(1, 5)\". Allowed: name, weight"),
        BadInput(what: "a wait as a mapping", yaml: "users:\n  - name: A\n    wait: {between: [1, 5]}\n    tasks: [{path: /}]\n",
                 line: 3, column: 11, message: "expected a wait time; expected seconds (2), a range (1-5)"),

        // Tasks and requests.
        BadInput(what: "a misspelt task key", yaml: task("path: /\nwieght: 3"), line: 5, column: 9,
                 message: "unknown key 'wieght' in a task; did you mean 'weight'? Allowed: name, weight, endpoint, method, "
                     + "path, headers, body, json, body_file, close, steps"),
        BadInput(what: "a task weight that is a word", yaml: task("path: /\nweight: many"), line: 5, column: 17,
                 message: "expected an integer weight ≥ 0, got 'many'"),
        BadInput(what: "a task without a path", yaml: task("name: t\nmethod: GET"), line: 4, column: 9,
                 message: "missing key 'path' in a task: expected the request path, such as /api/v1/files"),
        BadInput(what: "a path without a slash", yaml: task("path: api/v1/files"), line: 4, column: 15,
                 message: "expected a path starting with '/', such as /api/v1/files?page=2, got 'api/v1/files'"),
        BadInput(what: "a full URL as the path", yaml: task("path: http://h/x"), line: 4, column: 15,
                 message: "expected a path starting with '/'"),
        BadInput(what: "a path with a space", yaml: task("path: /files/my song.wav"), line: 4, column: 15,
                 message: "the path '/files/my song.wav' has a space; percent-encode it (a space is %20)"),
        BadInput(what: "a path with a fragment", yaml: task("path: \"/page#top\""), line: 4, column: 15,
                 message: "has '#'; a fragment ('#') is never sent"),
        BadInput(what: "a method with a space", yaml: task("path: /\nmethod: \"GE T\""), line: 5, column: 17,
                 message: "expected a method token such as GET or POST (RFC 9110 §9), got 'GE T'"),
        BadInput(what: "a lowercase method", yaml: task("path: /\nmethod: post"), line: 5, column: 17,
                 message: "methods are case-sensitive; did you mean 'POST'?"),
        BadInput(what: "a header value with CR LF", yaml: task("path: /\nheaders: {X-A: \"a\\r\\nInjected: 1\"}"),
                 line: 5, column: 24,
                 message: "the value of header 'X-A' has a carriage return (CR); expected one line of text without "
                     + "control characters (RFC 9110 §5.5)"),
        BadInput(what: "a header value with LF", yaml: task("path: /\nheaders:\n  - {name: X-A, value: \"a\\nb\"}"),
                 line: 6, column: 32, message: "the value of header 'X-A' has a line feed (LF)"),
        BadInput(what: "a header name with a colon", yaml: task("path: /\nheaders:\n  - {name: \"X-A:\", value: b}"),
                 line: 6, column: 20,
                 message: "expected a header name made of letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 §5.1), "
                     + "got 'X-A:' (it has ':')"),
        BadInput(what: "a header name with a newline", yaml: task("path: /\nheaders: {\"X-A\\nB\": b}"),
                 line: 5, column: 19, message: "got 'X-A\\nB' (it has a line feed (LF))"),
        BadInput(what: "Content-Length set by hand", yaml: task("path: /\nheaders: {Content-Length: 5}"),
                 line: 5, column: 19, message: "the header 'Content-Length' cannot be set: Cicada sets Content-Length from the body"),
        BadInput(what: "Connection set by hand", yaml: task("path: /\nheaders: {Connection: close}"),
                 line: 5, column: 19, message: "use `close: true` on the request"),
        BadInput(what: "a header value as a list", yaml: task("path: /\nheaders: {Accept: [a, b]}"),
                 line: 5, column: 27, message: "expected the value of header 'Accept' as text, got a list"),
        BadInput(what: "headers as text", yaml: task("path: /\nheaders: \"Accept: */*\""),
                 line: 5, column: 18,
                 message: "expected headers as a mapping (Name: value) or a list of {name, value}, got 'Accept: */*'"),
        BadInput(what: "a header entry without a value", yaml: task("path: /\nheaders:\n  - {name: Accept}"),
                 line: 6, column: 13, message: "missing key 'value' in a header: expected the header value"),
        BadInput(what: "body and json together", yaml: task("path: /\nbody: x\njson: {a: 1}"), line: 6, column: 9,
                 message: "'body' and 'json' both give the body; expected one of body, json, body_file"),
        BadInput(what: "a body as a mapping", yaml: task("path: /\nbody: {a: 1}"), line: 5, column: 15,
                 message: "expected the body as text, got a mapping; for a JSON body use 'json:'"),
        BadInput(what: "NaN in json", yaml: task("path: /\njson: {x: .nan}"), line: 5, column: 19,
                 message: "JSON has no NaN or infinity, got '.nan'"),
        BadInput(what: "close as a word", yaml: task("path: /\nclose: please"), line: 5, column: 16,
                 message: "expected true or false for 'close', got 'please'"),
        BadInput(what: "a step list and a path", yaml: task("name: t\npath: /\nsteps: [{path: /a}]"), line: 5, column: 9,
                 message: "a task with 'steps' takes its requests from the steps; move 'path' into a step, or remove 'steps'"),
        BadInput(what: "an empty step list", yaml: task("name: t\nsteps: []"), line: 5, column: 16,
                 message: "expected 'steps' to be a list of at least one request, got an empty list"),
        BadInput(what: "a step with a task key", yaml: task("name: t\nsteps:\n  - {path: /a, weight: 2}"), line: 6, column: 24,
                 message: "unknown key 'weight' in a step; Allowed: name, endpoint, method, path"),
        BadInput(what: "a step named twice", yaml: task("name: t\nsteps:\n  - {path: /a, name: a, endpoint: b}"),
                 line: 6, column: 33, message: "'name' and 'endpoint' both name the endpoint; expected one of them"),
        BadInput(what: "a weight on on_start",
                 yaml: "users:\n  - name: A\n    on_start: {path: /login, weight: 2}\n    tasks: [{path: /}]\n",
                 line: 3, column: 30, message: "unknown key 'weight' in 'on_start'; Allowed: name, endpoint, method"),
        BadInput(what: "an empty endpoint name", yaml: task("path: /\nendpoint: \"\""), line: 5, column: 19,
                 message: "expected a non-empty endpoint name"),

        // run: and host:.
        BadInput(what: "a negative run time", yaml: "run: {run_time: -5s}\nusers: []\n", line: 1, column: 17,
                 message: "invalid duration '-5s': a duration cannot be negative; expected seconds (90, 1.5) or a "
                     + "duration such as 250ms, 30s, 5m, 1h, 1h30m"),
        BadInput(what: "a negative timeout in seconds", yaml: "run:\n  timeout: -1\nusers: []\n", line: 2, column: 12,
                 message: "invalid duration '-1': a duration cannot be negative"),
        BadInput(what: "a zero timeout", yaml: "run:\n  timeout: 0s\nusers: []\n", line: 2, column: 12,
                 message: "expected a timeout above 0, got '0s'"),
        BadInput(what: "an unknown duration unit", yaml: "run:\n  run_time: 5x\nusers: []\n", line: 2, column: 13,
                 message: "invalid duration '5x': unknown unit 'x'; expected seconds (90, 1.5)"),
        BadInput(what: "zero users", yaml: "run: {users: 0}\nusers: []\n", line: 1, column: 14,
                 message: "expected an integer number of users ≥ 1, got '0'"),
        BadInput(what: "a spawn rate that is a word", yaml: "run: {spawn_rate: fast}\nusers: []\n", line: 1, column: 19,
                 message: "expected a spawn rate above 0 users per second, such as 10 or 0.5, got 'fast'"),
        BadInput(what: "a misspelt run key", yaml: "run: {spawnrate: 5}\nusers: []\n", line: 1, column: 7,
                 message: "unknown key 'spawnrate' in 'run'; did you mean 'spawn_rate'? "
                     + "Allowed: users, spawn_rate, run_time, timeout, connect_timeout"),
        BadInput(what: "an ftp host", yaml: "host: ftp://files.example\nusers: []\n", line: 1, column: 7,
                 message: "invalid URL 'ftp://files.example': unsupported scheme 'ftp'"),
        BadInput(what: "a host without a scheme", yaml: "host: 127.0.0.1:8080\nusers: []\n", line: 1, column: 7,
                 message: "invalid URL '127.0.0.1:8080': no scheme; expected http://host[:port][/path] or https://…"),
    ]

    func testEachBadInputFailsAtItsNode() {
        for bad in Self.badInputs {
            XCTAssertThrowsError(try Scenario.parse(yaml: bad.yaml, file: "t.yaml"), bad.what) { error in
                guard let error = error as? ScenarioError else {
                    return XCTFail("\(bad.what): \(error) is not a ScenarioError")
                }
                XCTAssertEqual(error.file, "t.yaml", bad.what)
                XCTAssertEqual("\(error.line):\(error.column)", "\(bad.line):\(bad.column)",
                               "\(bad.what): \(error.message)")
                XCTAssertTrue(error.message.contains(bad.message), "\(bad.what): \(error.message)")
                XCTAssertEqual(error.description, "t.yaml:\(bad.line):\(bad.column): \(error.message)", bad.what)
            }
        }
    }

    /// Every prefix of the big example is read to a scenario or to a ScenarioError inside the text, never
    /// a crash or another error: a file cut anywhere still gets a placed message.
    func testEveryPrefixOfTheExampleFailsCleanly() throws {
        let text = try String(contentsOfFile: Self.examples + "/audio-api.yaml", encoding: .utf8)
        let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
        var index = text.startIndex
        while index < text.endIndex {
            let prefix = String(text[..<index])
            do {
                _ = try Scenario.parse(yaml: prefix, file: "cut.yaml")
            } catch let error as ScenarioError {
                XCTAssertTrue((1...lineCount).contains(error.line), "cut at \(prefix.count): \(error)")
                XCTAssertGreaterThanOrEqual(error.column, 1, "cut at \(prefix.count): \(error)")
            } catch {
                XCTFail("cut at \(prefix.count): \(error)")
            }
            index = text.index(after: index)
        }
    }

    // MARK: validate() for scenarios built in code

    func testValidateAppliesTheFileRules() {
        func request(_ r: RequestTemplate) -> Scenario {
            Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [r])])])
        }
        let cases: [(Scenario, String)] = [
            (Scenario(userClasses: []), "expected at least one user class"),
            (request(RequestTemplate(method: "G T", path: "/")),
             "user class 'U', task 't': expected a method token such as GET or POST"),
            (request(RequestTemplate(path: "/", headers: [Header(name: "X", value: "a\r\nb")])),
             "user class 'U', task 't': the value of header 'X' has a carriage return (CR)"),
            (request(RequestTemplate(path: "x")), "expected a path starting with '/'"),
            (Scenario(userClasses: [UserClass(name: "U", wait: .between(3, 1), tasks: [
                UserTask(name: "t", requests: [RequestTemplate(path: "/")])])]), "invalid wait time 'between(3, 1)'"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [
                UserTask(name: "t", weight: 0, requests: [RequestTemplate(path: "/")])])]), "all task weights are 0"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [])]), "user class 'U': expected at least one task"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [
                RequestTemplate(path: "/"), RequestTemplate(path: "/b c")])])]), "task 't': step 2: the path '/b c' has a space"),
            (Scenario(host: "localhost", userClasses: []), "invalid URL 'localhost': no scheme"),
            (Scenario(userClasses: [UserClass(name: "U", tasks: [UserTask(name: "t", requests: [RequestTemplate(path: "/")])])],
                      run: RunDefaults(runTime: -1)), "expected a run time above 0, got '-1'"),
        ]
        for (scenario, message) in cases {
            XCTAssertThrowsError(try scenario.validate(), message) { error in
                XCTAssertTrue((error as? InputError)?.message.contains(message) == true, "\(error) lacks \(message)")
            }
        }
    }

    func testOneEndpoint() throws {
        let url = try TargetURL("https://api.example:8443/v1/items?page=2")
        let scenario = Scenario.oneEndpoint(url: url, method: "POST", headers: [Header(name: "Accept", value: "*/*")],
                                            body: [1, 2], wait: .constant(0))
        XCTAssertNoThrow(try scenario.validate())
        XCTAssertEqual(scenario, Scenario(
            host: "https://api.example:8443",
            userClasses: [UserClass(name: "User", tasks: [UserTask(name: "/v1/items", requests: [RequestTemplate(
                method: "POST", path: "/v1/items?page=2", headers: [Header(name: "Accept", value: "*/*")], body: [1, 2])])])]))
        let bad = Scenario.oneEndpoint(url: url, method: "GET", headers: [Header(name: "X\n", value: "")], body: [],
                                       wait: .constant(0))
        XCTAssertThrowsError(try bad.validate())
    }

    // MARK: Durations

    func testParseDurationAcceptsLocustForms() throws {
        let table: [(String, Double)] = [
            ("90", 90), ("0", 0), ("1.5", 1.5), (".5", 0.5), ("30s", 30), ("1.5s", 1.5), ("250ms", 0.25),
            ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("1h30m15s", 5415), ("2m500ms", 120.5), ("1.5h", 5400),
            (" 10s ", 10), ("0s", 0),
        ]
        for (text, seconds) in table {
            XCTAssertEqual(try parseDuration(text), seconds, accuracy: 1e-9, text)
        }
    }

    func testParseDurationRejectsOtherForms() {
        let table: [(String, String)] = [
            ("", "invalid duration '': it is empty; expected seconds (90, 1.5) or a duration such as 250ms, 30s, 5m, 1h, 1h30m"),
            ("-5s", "invalid duration '-5s': a duration cannot be negative;"),
            ("-1", "a duration cannot be negative"),
            ("5x", "invalid duration '5x': unknown unit 'x';"),
            ("1h30", "a number without a unit"),
            ("30m1h", "units must go from largest to smallest, each once"),
            ("1m1m", "units must go from largest to smallest"),
            ("s", "expected a number at 's'"),
            ("1.2.3s", "invalid duration '1.2.3s': expected seconds"),
            ("1e3", "unknown unit 'e'"),
            ("inf", "expected a number at 'inf'"),
            ("1h 30m", "expected a number at ' 30m'"),
            ("5M", "unknown unit 'M'"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try parseDuration(text), text) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains("expected seconds (90, 1.5)"), "\(text): \(error)")
            }
        }
    }

    // MARK: Wait times

    func testParseWaitAcceptsEachSpelling() throws {
        let table: [(String, WaitTime)] = [
            ("2", .constant(2)), ("0", .constant(0)), ("0.5", .constant(0.5)), ("1-5", .between(1, 5)),
            ("0.5 - 2", .between(0.5, 2)), ("500ms-2s", .between(0.5, 2)), ("constant(2)", .constant(2)),
            ("between(1, 5)", .between(1, 5)), ("between(1,1)", .between(1, 1)), (" between( 1 , 5 ) ", .between(1, 5)),
            ("constant_pacing(3)", .constantPacing(3)), ("constant_throughput(0.5)", .constantThroughput(0.5)),
            ("constant(1m)", .constant(60)),
        ]
        for (text, wait) in table {
            XCTAssertEqual(try parseWait(text), wait, text)
        }
        // description is the YAML spelling and reads back to the same value.
        for wait in table.map(\.1) {
            XCTAssertEqual(try parseWait(wait.description), wait, wait.description)
        }
        XCTAssertEqual(WaitTime.between(0.5, 2).description, "between(0.5, 2)")
    }

    func testParseWaitRejectsOtherSpellings() {
        let table: [(String, String)] = [
            ("", "it is empty"),
            ("-1", "a wait cannot be negative"),
            ("5-1", "the minimum 5 is above the maximum 1"),
            ("1-", "'' is not a number of seconds"),
            ("a-b", "'a' is not a number of seconds"),
            ("betwen(1, 5)", "unknown function 'betwen' (did you mean 'between'?)"),
            ("uniform(1, 5)", "unknown function 'uniform';"),
            ("between(1)", "between takes two arguments, got 1"),
            ("constant(1, 2)", "constant takes one argument, got 2"),
            ("constant(-1)", "'-1' is negative"),
            ("between(1, 5", "no ')' at the end"),
            ("constant_throughput(0)", "'0' is not a rate above 0 tasks per second"),
            ("constant_pacing(x)", "'x' is not a number of seconds"),
            ("fast", "'fast' is not a number of seconds"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try parseWait(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid wait time '\(text)': "), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasSuffix("; expected seconds (2), a range (1-5), constant(2), between(1, 5), "
                    + "constant_pacing(3) or constant_throughput(0.5)"), "\(text): \(error)")
            }
        }
    }

    // MARK: Target URLs

    func testTargetURLParsesHostsPortsAndPaths() throws {
        let table: [(String, TargetURL.Scheme, String, Int, String, String)] = [
            // url, scheme, host, port, Host header, path
            ("http://127.0.0.1:8080", .http, "127.0.0.1", 8080, "127.0.0.1:8080", "/"),
            ("http://host:8080/base?x", .http, "host", 8080, "host:8080", "/base?x"),
            ("http://example.com", .http, "example.com", 80, "example.com", "/"),
            ("http://example.com:80/", .http, "example.com", 80, "example.com", "/"),
            ("https://example.com", .https, "example.com", 443, "example.com", "/"),
            ("https://example.com:8443/a/b", .https, "example.com", 8443, "example.com:8443", "/a/b"),
            ("HTTPS://Example.COM/", .https, "Example.COM", 443, "Example.COM", "/"),
            ("http://h?q=1", .http, "h", 80, "h", "/?q=1"),
            ("http://h/p#frag", .http, "h", 80, "h", "/p"),
            ("http://h:/", .http, "h", 80, "h", "/"),
            ("http://[::1]:8080/", .http, "::1", 8080, "[::1]:8080", "/"),
            ("http://[::1]/", .http, "::1", 80, "[::1]", "/"),
            ("https://[2001:db8::8:800:200c:417a]", .https, "2001:db8::8:800:200c:417a", 443, "[2001:db8::8:800:200c:417a]", "/"),
            ("http://[::ffff:192.0.2.1]:81/x", .http, "::ffff:192.0.2.1", 81, "[::ffff:192.0.2.1]:81", "/x"),
            ("http://[1:2:3:4:5:6:7:8]", .http, "1:2:3:4:5:6:7:8", 80, "[1:2:3:4:5:6:7:8]", "/"),
            ("http://localhost:65535", .http, "localhost", 65535, "localhost:65535", "/"),
        ]
        for (text, scheme, host, port, hostHeader, path) in table {
            let url = try TargetURL(text)
            XCTAssertEqual(url.scheme, scheme, text)
            XCTAssertEqual(url.host, host, text)
            XCTAssertEqual(url.port, port, text)
            XCTAssertEqual(url.hostHeader, hostHeader, text)
            XCTAssertEqual(url.path, path, text)
            XCTAssertEqual(try TargetURL(url.description), url, text)
        }
        XCTAssertEqual(try TargetURL("http://[::1]:8080/x").origin, "http://[::1]:8080")
    }

    func testTargetURLRejectsBadURLs() {
        let table: [(String, String)] = [
            ("localhost:8080", "no scheme"),
            ("127.0.0.1", "no scheme"),
            ("://h", "no scheme"),
            ("ftp://h", "unsupported scheme 'ftp'"),
            ("ws://h", "unsupported scheme 'ws'"),
            ("http://", "no host"),
            ("http:///path", "no host"),
            ("http://h:0", "bad port '0', expected 1-65535"),
            ("http://h:65536", "bad port '65536'"),
            ("http://h:80a", "bad port '80a'"),
            ("http://h:-1", "bad port '-1'"),
            ("http://user:pw@h", "user information is not supported"),
            ("http://h o/", "the host 'h o' has characters other than"),
            ("http://[::1", "an IPv6 address without ']'"),
            ("http://[::1]x", "unexpected 'x' after the IPv6 address"),
            ("http://[1:2:3:4:5:6:7:8:9]", "is not an IPv6 address"),
            ("http://[1::2::3]", "is not an IPv6 address"),
            ("http://[::g]", "is not an IPv6 address"),
            ("http://[fe80::1%25eth0]", "is not an IPv6 address"),
            ("http://[::1.2.3.256]", "is not an IPv6 address"),
            ("http://::1/", "an IPv6 address must be in brackets, as in http://[::1]:8080/"),
            ("http://h/a b", "the path has a space"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try TargetURL(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid URL '\(text)': "), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasSuffix("expected http://host[:port][/path] or https://…"), "\(text): \(error)")
            }
        }
    }

    func testRequestTargetPutsTheBasePathFirst() throws {
        XCTAssertEqual(try TargetURL("http://h").requestTarget(for: "/a?b=1"), "/a?b=1")
        XCTAssertEqual(try TargetURL("http://h/").requestTarget(for: "/a"), "/a")
        XCTAssertEqual(try TargetURL("http://h/api").requestTarget(for: "/a"), "/api/a")
        XCTAssertEqual(try TargetURL("http://h/api/?k=v").requestTarget(for: "/a"), "/api/a")
    }

    func testEndpointNameDefaultsToThePathWithoutQuery() {
        XCTAssertEqual(RequestTemplate(path: "/a/b?c=d").endpointName, "/a/b")
        XCTAssertEqual(RequestTemplate(path: "/a").endpointName, "/a")
        XCTAssertEqual(RequestTemplate(name: "/a/:id", path: "/a/1").endpointName, "/a/:id")
    }

    func testScenarioErrorDescription() {
        XCTAssertEqual(ScenarioError(file: "s.yaml", line: 3, column: 9, message: "m").description, "s.yaml:3:9: m")
        XCTAssertEqual(ScenarioError(file: "s.yaml", line: 0, column: 0, message: "m").description, "s.yaml: m")
    }
}
