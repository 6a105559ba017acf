import Foundation
import XCTest
@testable import Cicada

/// Malformed scenario files of the scenario language (templates, captures, checks, steps, bodies, data
/// files, tags), each with the exact message a person fixing the file reads: `file:line:column:`, the key,
/// what was expected and, for a likely typo, what was meant.
final class MalformedScenarioTests: XCTestCase {
    /// (what is wrong, the file, the whole message). The files are written in full so that each line and
    /// column can be checked by eye.
    static let cases: [(what: String, yaml: String, message: String)] = [
        ("a bad JSON path",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture: [{var: t, json: \"data..id\"}]\n",
         "t.yaml:5:34: invalid JSON path 'data..id': an empty key after '.' at character 6; expected a path such as access_token, data.items[0].id, items[*].id, [\"a.b\"] or $.token"),
        ("a JSON path with an unclosed bracket",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: t, json: \"items[0\"}\n",
         "t.yaml:6:28: invalid JSON path 'items[0': expected ']' at character 8; expected a path such as access_token, data.items[0].id, items[*].id, [\"a.b\"] or $.token"),
        ("a regex that does not compile",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: t, regex: 'id=(\\w+'}\n",
         "t.yaml:6:29: the regex 'id=(\\w+' does not compile: Unmatched ( or \\(; expected a POSIX extended regex (with \\w, \\s, \\b), such as 'id=\"(\\w+)\"'"),
        ("a capture into a built-in",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: iteration, json: n}\n",
         "t.yaml:6:19: cannot capture into 'iteration': it is a built-in's name; expected a variable name of your own, such as token or file_ids"),
        ("a capture into user.id",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: user.id, json: n}\n",
         "t.yaml:6:19: cannot capture into 'user.id': it is a built-in's name; expected a variable name of your own, such as token or file_ids"),
        ("a check with two kinds",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {status: 200, body_contains: ok}\n",
         "t.yaml:5:30: a check has one kind, but this one has 'status' and 'body_contains'; expected each in its own check: check: [{status: ...}, {body_contains: ...}]"),
        ("repeat without until",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        repeat: {every: 1s, max: 3}\n",
         "t.yaml:5:17: missing key 'until' in 'repeat': expected the check that ends the repeat, as in repeat: {until: {json: {path: status, equals: done}}, every: 1s, max: 30}"),
        ("a misspelt repeat key",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        repeat: {untill: {status: 200}}\n",
         "t.yaml:5:18: unknown key 'untill' in 'repeat'; did you mean 'until'? Allowed: until, every, max"),
        ("a misspelt capture key",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: t, jsn: a}\n",
         "t.yaml:6:22: unknown key 'jsn' in a capture; did you mean 'json'? Allowed: var, json, header, regex, status, cookie, optional, default, append, max"),
        ("a capture with two sources",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: t, json: a, header: Location}\n",
         "t.yaml:6:31: capture 't' has two sources, 'json' and 'header'; expected one"),
        ("a capture without a source",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: t, optional: true}\n",
         "t.yaml:6:13: capture 't' has no source; expected one of json, header, regex, status, cookie, as in {var: t, json: access_token}"),
        ("max without append",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        capture:\n          - {var: t, json: a, max: 5}\n",
         "t.yaml:6:13: 'max' is given without 'append: true'; expected max only on a capture that appends to a list"),
        ("a variable used but never set",
         "users:\n  - name: A\n    tasks:\n      - path: /files/${file_id}\n",
         "t.yaml:4:15: ${file_id} is used but never set in user class 'A': no capture of the class sets 'file_id'; expected a capture such as {var: file_id, json: file_id} on a request of the class, a data column (${row.NAME}) or a built-in (${user.id}, ${user.index}, ${iteration}, ${uuid}, ${time.unix}, ${random.int(1, 100)})"),
        ("a misspelt variable",
         "users:\n  - name: A\n    tasks:\n      - path: /login\n        capture:\n          - {var: token, json: access_token}\n      - path: /me\n        headers: {Authorization: \"Bearer ${tokn}\"}\n",
         "t.yaml:8:34: ${tokn} is used but never set in user class 'A' (did you mean 'token'?): no capture of the class sets 'tokn'; expected a capture such as {var: tokn, json: tokn} on a request of the class, a data column (${row.NAME}) or a built-in (${user.id}, ${user.index}, ${iteration}, ${uuid}, ${time.unix}, ${random.int(1, 100)})"),
        ("random() of a single value",
         "users:\n  - name: A\n    tasks:\n      - path: /a\n        capture:\n          - {var: id, json: id}\n      - path: /b/${random(id)}\n",
         "t.yaml:7:15: ${random(id)} picks from a list, but the captures into 'id' set one value; expected append: true on its capture, or ${id}"),
        ("an unknown filter",
         "users:\n  - name: A\n    tasks:\n      - path: /search?q=${random.choice(a, b)|xml}\n",
         "t.yaml:4:15: invalid slot '${random.choice(a, b)|xml}': unknown filter '|xml'; the filters are |url, |json and |json_value; expected ${name}, ${last(name)}, ${random(name)}, ${user.id}, ${user.index}, ${iteration}, ${random.int(1, 100)}, ${random.choice(a, b)}, ${uuid}, ${time.unix}, ${time.unix_ms}, ${row.COLUMN}, ${env.NAME} or ${env.NAME:-default}, optionally with |url or |json; $${ for a literal ${"),
        ("an unknown built-in",
         "users:\n  - name: A\n    tasks:\n      - path: /u/${user.name}\n",
         "t.yaml:4:15: invalid slot '${user.name}': 'user.name' is neither a variable name nor a built-in; expected ${name}, ${last(name)}, ${random(name)}, ${user.id}, ${user.index}, ${iteration}, ${random.int(1, 100)}, ${random.choice(a, b)}, ${uuid}, ${time.unix}, ${time.unix_ms}, ${row.COLUMN}, ${env.NAME} or ${env.NAME:-default}, optionally with |url or |json; $${ for a literal ${"),
        ("an unset environment variable",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        headers: {X-Key: \"${env.CICADA_TEST_UNSET_VARIABLE}\"}\n",
         "t.yaml:5:26: the environment variable 'CICADA_TEST_UNSET_VARIABLE' is not set and '${env.CICADA_TEST_UNSET_VARIABLE}' has no default; set it, or give a default as in ${env.CICADA_TEST_UNSET_VARIABLE:-value}"),
        ("an unclosed slot",
         "users:\n  - name: A\n    tasks:\n      - path: /a\n        body: \"id=${token\"\n",
         "t.yaml:5:15: the slot '${token' has no closing '}'; expected ${name}, ${last(name)}, ${random(name)}, ${user.id}, ${user.index}, ${iteration}, ${random.int(1, 100)}, ${random.choice(a, b)}, ${uuid}, ${time.unix}, ${time.unix_ms}, ${row.COLUMN}, ${env.NAME} or ${env.NAME:-default}, optionally with |url or |json; $${ for a literal ${"),
        ("random.int upside down",
         "users:\n  - name: A\n    tasks:\n      - path: /p/${random.int(9, 1)}\n",
         "t.yaml:4:15: invalid slot '${random.int(9, 1)}': the minimum 9 is above the maximum 1; expected ${name}, ${last(name)}, ${random(name)}, ${user.id}, ${user.index}, ${iteration}, ${random.int(1, 100)}, ${random.choice(a, b)}, ${uuid}, ${time.unix}, ${time.unix_ms}, ${row.COLUMN}, ${env.NAME} or ${env.NAME:-default}, optionally with |url or |json; $${ for a literal ${"),
        ("a status class that does not exist",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {status: 9xx}\n",
         "t.yaml:5:25: expected a status such as 201, a class such as 2xx, or a range such as 200-204, got '9xx'"),
        ("a json check with two tests",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {json: {path: status, equals: done, exists: true}}\n",
         "t.yaml:5:52: a json check has one test, but this one has 'equals' and 'exists'; expected one of equals, exists, matches"),
        ("a json check with no test",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {json: {path: status}}\n",
         "t.yaml:5:23: the json check of 'status' has no test; expected one of equals, exists, matches"),
        ("a json check with a bad path",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {json: {path: \"$status\", exists: true}}\n",
         "t.yaml:5:30: invalid JSON path '$status': expected '.' or '[' after '$' at character 2; expected a path such as access_token, data.items[0].id, items[*].id, [\"a.b\"] or $.token"),
        ("a matches regex that does not compile",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {json: {path: status, matches: \"(done\"}}\n",
         "t.yaml:5:47: the regex '(done' does not compile: Unmatched ( or \\(; expected a POSIX extended regex (with \\w, \\s, \\b), such as 'id=\"(\\w+)\"'"),
        ("a header check without equals",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        check: {header: {name: X-Role}}\n",
         "t.yaml:5:25: missing key 'equals' in a header check: expected the value the header must have"),
        ("multipart value and size",
         "users:\n  - name: A\n    tasks:\n      - method: POST\n        path: /up\n        multipart:\n          - {name: file, value: a, size: 1KiB}\n",
         "t.yaml:7:36: 'value' and 'size' both give the content of multipart part 'file'; expected one of value, file, size"),
        ("multipart with a Content-Type header",
         "users:\n  - name: A\n    tasks:\n      - method: POST\n        path: /up\n        headers: {Content-Type: audio/wav}\n        multipart:\n          - {name: genre, value: rock}\n",
         "t.yaml:8:11: a multipart body has the Content-Type multipart/form-data with the plan's boundary, but the header 'Content-Type' sets one; expected no Content-Type header on a multipart request"),
        ("a generated size too large",
         "users:\n  - name: A\n    tasks:\n      - method: POST\n        path: /up\n        multipart:\n          - {name: file, filename: a.wav, size: 1GiB}\n",
         "t.yaml:7:49: expected a size from 1 byte to 64MiB, such as 1000, 256KiB or 1MiB, got '1GiB'"),
        ("a wait step with a path",
         "users:\n  - name: A\n    tasks:\n      - name: t\n        steps:\n          - {path: /a}\n          - {wait: 2s, path: /b}\n",
         "t.yaml:7:24: a wait step has only 'wait'; expected 'path' in a step of its own"),
        ("a pacing wait step",
         "users:\n  - name: A\n    tasks:\n      - name: t\n        steps:\n          - {path: /a}\n          - {wait: constant_pacing(2)}\n",
         "t.yaml:7:20: a wait step is constant or between, got constant_pacing(2); expected wait: 2s or wait: between(1, 2)"),
        ("if with more than a variable",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        if: \"x ${a}\"\n",
         "t.yaml:5:13: expected 'if' to be one variable, as in if: ${file_id}, got 'x ${a}'"),
        ("if and unless together",
         "users:\n  - name: A\n    tasks:\n      - path: /a\n        capture: [{var: a, json: a}]\n      - {path: /b, if: \"${a}\", unless: \"${a}\"}\n",
         "t.yaml:6:32: 'if' and 'unless' both give the step's condition; expected one of them"),
        ("on_failure retry",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        on_failure: retry\n",
         "t.yaml:5:21: expected 'continue' (the task goes on after a failure of this step) or 'stop' (the default: a failure ends the task), got 'retry'"),
        ("row without data",
         "users:\n  - name: A\n    tasks:\n      - path: /u/${row.name}\n",
         "t.yaml:4:15: ${row.name} reads a data row, but user class 'A' has no 'data:' file; expected data: {file: users.csv} on the class"),
        ("a misspelt data mode",
         "users:\n  - name: A\n    data: {file: users.csv, mode: per-user}\n    tasks: [{path: /}]\n",
         "t.yaml:3:35: unknown data mode 'per-user'; did you mean 'per_user'? expected per_user, round_robin or random"),
        ("fixed_count negative",
         "users:\n  - name: A\n    fixed_count: -2\n    tasks: [{path: /}]\n",
         "t.yaml:3:18: expected an integer fixed_count of users from 0 to 1000000, got '-2'"),
        ("a tag with a space",
         "users:\n  - name: A\n    tags: [slow path]\n    tasks: [{path: /}]\n",
         "t.yaml:3:12: expected a tag without spaces or commas, such as upload, got 'slow path'"),
        ("repeat max 0",
         "users:\n  - name: A\n    tasks:\n      - path: /\n        repeat: {until: {status: 200}, max: 0}\n",
         "t.yaml:5:45: expected a number of attempts from 1 to 100000, got '0'"),
        ("a capture that appends and one that does not",
         "users:\n  - name: A\n    tasks:\n      - path: /a\n        capture: [{var: ids, json: id, append: true}]\n      - path: /b\n        capture: [{var: ids, json: id}]\n",
         "t.yaml:7:19: capture 'ids' sets one value but another capture into 'ids' appends; expected every capture into a variable to append (append: true) or none"),
        ("an empty list of stages",
         "stages: []\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:1:9: expected 'stages' to be a list of at least one stage, each with name, users, spawn_rate and duration, got an empty list"),
        ("stages as a mapping",
         "stages: {name: a}\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:1:9: expected 'stages' to be a list of at least one stage, each with name, users, spawn_rate and duration, got a mapping"),
        ("a misspelt stage key",
         "stages:\n  - {name: a, users: 5, spawnrate: 1, duration: 1s}\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:2:25: unknown key 'spawnrate' in a stage; did you mean 'spawn_rate'? Allowed: name, users, spawn_rate, duration, arrival_rate"),
        ("a stage without a duration",
         "stages:\n  - {name: a, users: 5, spawn_rate: 1}\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:2:5: missing key 'duration' in a stage: expected the stage's duration, such as 30s, 5m or 1h30m"),
        ("a stage with negative users",
         "stages:\n  - {name: a, users: -1, spawn_rate: 1, duration: 1s}\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:2:22: expected an integer number of users from 0 to 1000000, got '-1'"),
        ("a stage of no time",
         "stages:\n  - {name: a, users: 1, spawn_rate: 1, duration: 0}\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:2:50: expected a stage duration from 1ms to 720h (30 days), got '0'"),
        ("two stages of one name",
         "stages:\n  - {name: a, users: 1, spawn_rate: 1, duration: 1s}\n  - {name: a, users: 2, spawn_rate: 1, duration: 1s}\nusers:\n  - name: A\n    tasks: [{path: /}]\n",
         "t.yaml:3:12: another stage is named 'a' (line 2); expected unique stage names"),
        ("a form value as a list",
         "users:\n  - name: A\n    tasks:\n      - method: POST\n        path: /f\n        form: {a: [1, 2]}\n",
         "t.yaml:6:19: expected the value of form field 'a' as text, got a list"),
    ]

    func testEachMalformedFileFailsWithItsExactMessage() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 20)
        XCTAssertNil(ProcessInfo.processInfo.environment["CICADA_TEST_UNSET_VARIABLE"])
        for (what, yaml, message) in Self.cases {
            XCTAssertThrowsError(try Scenario.parse(yaml: yaml, file: "t.yaml"), what) { error in
                XCTAssertEqual((error as? ScenarioError)?.description, message, what)
            }
        }
    }

    /// A directory holding `files`, removed when the test ends.
    func directory(with files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-data-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for (name, contents) in files { try Data(contents.utf8).write(to: directory.appendingPathComponent(name)) }
        return directory
    }

    /// Data files: a malformed CSV names the file and its line; a column the header lacks is an error at
    /// the slot that reads it.
    /// Malformed `thresholds:`, each at its node: a metric's error at its key, an expression's at the
    /// expression; metrics and tags that need a part Cicada does not have yet say what they need.
    func testMalformedThresholdsFailWithTheirExactMessages() {
        let head = "users:\n  - name: A\n    tasks:\n      - {path: /login}\nthresholds:\n"
        let cases: [(yaml: String, message: String)] = [
            ("  http_req_duraton: [\"p(95) < 500\"]\n",
             "t.yaml:6:3: unknown metric 'http_req_duraton'; did you mean 'http_req_duration'? Known metrics: http_req_duration, http_req_failed, http_reqs, checks, generator_cpu, target_cpu, target_rss, dropped_iterations, loop_lag"),
            ("  dropped_iterations: [\"avg == 0\"]\n",
             "t.yaml:6:24: the metric 'dropped_iterations' has no aggregation 'avg'; expected count, rate"),
            ("  target_rss: [\"avg < 1000\"]\n",
             "t.yaml:6:16: the metric 'target_rss' has no aggregation 'avg'; expected max, slope"),
            ("  target_rss: [\"max < 1TB\"]\n",
             "t.yaml:6:16: expected a memory size such as 512MiB, 2GiB or 512 (MiB), got '1TB'"),
            ("  \"generator_cpu{stage:peak}\": [\"avg < 50\"]\n",
             "t.yaml:6:3: the metric 'generator_cpu' is measured over the whole run only and takes no {stage:} tag"),
            ("  \"target_cpu{endpoint:/a}\": [\"avg < 50\"]\n",
             "t.yaml:6:3: the metric 'target_cpu' belongs to no endpoint and takes no endpoint or method tags; expected 'target_cpu' or 'target_cpu{stage:NAME}'"),
            ("  \"http_reqs{stage:a,stage:b}\": [\"count > 1\"]\n",
             "t.yaml:6:3: a threshold names at most one stage"),
            ("  \"http_reqs{stage:a}\":\n    - {threshold: \"count > 1\", abortOnFail: true}\n",
             "t.yaml:7:19: a {stage:} threshold is judged when the run ends, on the stage's figures; it cannot abortOnFail"),
            ("  \"http_req_duration{name:/login}\": [\"p(95) < 500\"]\n",
             "t.yaml:6:3: unknown tag 'name'; did you mean 'endpoint'? Known tags: endpoint, method, stage"),
            ("  \"http_req_duration{endpoint:/logn}\": [\"p(95) < 500\"]\n",
             "t.yaml:6:3: no endpoint is named '/logn'; did you mean '/login'? Known endpoints: /login"),
            ("  \"http_reqs{method:POST}\": [\"count > 1\"]\n",
             "t.yaml:6:3: no request uses the method 'POST'; Methods used: GET"),
            ("  \"checks{endpoint:/login\": [\"rate > 0.9\"]\n",
             "t.yaml:6:3: expected a metric as NAME or NAME{tag:value}, with one pair of braces at its end, got 'checks{endpoint:/login'"),
            ("  \"generator_cpu{endpoint:/login}\": [\"avg < 80\"]\n",
             "t.yaml:6:3: the metric 'generator_cpu' belongs to no endpoint and takes no endpoint or method tags; expected 'generator_cpu'"),
            ("  \"loop_lag{stage:peak}\": [\"max < 50\"]\n",
             "t.yaml:6:3: the metric 'loop_lag' is measured over the whole run only and takes no {stage:} tag"),
            ("  loop_lag:\n    - {threshold: \"p(99) < 10ms\", abortOnFail: true}\n",
             "t.yaml:7:19: loop_lag's p(99) is judged when the run ends, over all its windows; it cannot abortOnFail (loop_lag: max can)"),
            ("  http_req_duration: [\"p95 < 500ms\"]\n",
             "t.yaml:6:23: unknown aggregation 'p95'; did you mean 'p(95)'? 'http_req_duration' has avg, min, max, med, p(N)"),
            ("  http_req_failed: [\"p(95) < 1\"]\n",
             "t.yaml:6:21: the metric 'http_req_failed' has no aggregation 'p(95)'; expected rate"),
            ("  generator_cpu: [\"p(99) < 80%\"]\n",
             "t.yaml:6:19: the metric 'generator_cpu' has no aggregation 'p(99)'; expected avg, max"),
            ("  loop_lag: [\"p(95) < 10ms\"]\n",
             "t.yaml:6:14: the metric 'loop_lag' has no aggregation 'p(95)'; expected p(99), max (the run keeps the p99 and the max of its lag windows)"),
            ("  http_req_failed: [\"rate < 2\"]\n",
             "t.yaml:6:21: expected a rate from 0 to 1 (a share of requests), such as 0.001 or 0.1%, got '2'"),
            ("  http_req_duration: [\"p(101) < 5\"]\n",
             "t.yaml:6:23: in 'p(101)': expected a percentile from 0 to 100 (p(N)), such as p(95) or p(99.9), got '101'"),
            ("  http_req_duration: [\"p(95) < 5x\"]\n",
             "t.yaml:6:23: expected a time from 0 to 2592000000 ms (720h), such as 500ms, 2s, 250us or 500 (milliseconds), got '5x'"),
            ("  http_req_duration: [\"p(95) = 500\"]\n",
             "t.yaml:6:23: expected AGGREGATION OPERATOR VALUE such as 'p(95) < 500ms' or 'rate < 0.001', with an operator of <, <=, >, >=, ==, !=, got 'p(95) = 500' ('==' compares; '=' alone is not an operator)"),
            ("  http_req_failed: \"rate < 0.01\"\n",
             "t.yaml:6:20: expected a list of threshold expressions for 'http_req_failed', such as [\"p(95) < 500ms\"], got 'rate < 0.01'"),
            ("  http_req_failed: [{threshold: \"rate < 0.01\", abort_on_fail: true}]\n",
             "t.yaml:6:48: unknown key 'abort_on_fail' in a threshold; did you mean 'abortOnFail'? Allowed: threshold, abortOnFail, delayAbortEval"),
            ("  http_req_failed: [{abortOnFail: true}]\n",
             "t.yaml:6:21: missing key 'threshold' in a threshold: expected the expression, such as threshold: \"p(95) < 500ms\""),
            ("  http_req_failed: [{threshold: \"rate < 0.01\", abortOnFail: yes please}]\n",
             "t.yaml:6:61: expected true or false for 'abortOnFail', got 'yes please'"),
            ("  http_req_failed: [{threshold: \"rate < 0.01\", delayAbortEval: 800h}]\n",
             "t.yaml:6:64: expected a delayAbortEval from 0 to 720h (30 days), got '800h'"),
        ]
        for (yaml, message) in cases {
            XCTAssertThrowsError(try Scenario.parse(yaml: head + yaml, file: "t.yaml"), yaml) { error in
                XCTAssertEqual((error as? ScenarioError)?.description, message, yaml)
            }
        }
    }

    /// The same rules for a scenario built in code: ``Scenario/validate()`` says which threshold.
    func testValidateChecksThresholds() throws {
        var scenario = try Scenario.parse(yaml: "users:\n  - name: A\n    tasks:\n      - {path: /login}\n", file: "t.yaml")
        scenario.thresholds = [Threshold("http_req_duration{endpoint:/x}", "p(95) < 5")]
        XCTAssertThrowsError(try scenario.validate()) { error in
            XCTAssertEqual((error as? InputError)?.message,
                           "thresholds 'http_req_duration{endpoint:/x}': no endpoint is named '/x'; Known endpoints: /login")
        }
        scenario.thresholds = [Threshold("http_req_duration{endpoint:/login}", "p(99.9) <= 1.5s", abortOnFail: true, delayAbortEval: 10)]
        XCTAssertNoThrow(try scenario.validate())
        let rule = try scenario.thresholds[0].parsed()
        XCTAssertEqual(rule.aggregation, .percentile(99.9))
        XCTAssertEqual(rule.comparison, .lessOrEqual)
        XCTAssertEqual(rule.limit, 1500)
        XCTAssertEqual(rule.tags, [.endpoint("/login")])
    }

    func testDataFileErrorsNameTheFileAndTheLine() throws {
        let directory = try directory(with: [
            "users.csv": "username,password\nalice,demo\nbob,demo\n",
            "unclosed.csv": "username,password\nalice,demo\n\"bob,demo\ncarol,demo\n",
            "short.csv": "username,password\nalice,demo\n\n\"multi\nline\",demo\ndave\n",
            "stray.csv": "username,password\nal\"ice,demo\n",
            "after.csv": "username,password\n\"alice\"x,demo\n",
            "header.csv": "username,,password\na,b,c\n",
            "twice.csv": "name,name\na,b\n",
            "empty.csv": "username,password\n",
        ])
        let d = directory.path
        func yaml(_ data: String, _ path: String = "/u/${row.username}") -> String {
            "users:\n  - name: A\n    data: \(data)\n    tasks:\n      - path: \(path)\n"
        }
        let cases: [(yaml: String, message: String)] = [
            (yaml("{file: unclosed.csv}"), "3:18: the data file '\(d)/unclosed.csv' line 3: a quoted field is not closed; expected a closing quote"),
            (yaml("{file: short.csv}"), "3:18: the data file '\(d)/short.csv' line 6: the row has 1 field but the header has 2; "
                + "expected 2 fields in every row (quote a field that holds a comma)"),
            (yaml("{file: stray.csv}"), "3:18: the data file '\(d)/stray.csv' line 2: a quote inside an unquoted field; expected a "
                + "field that holds quotes to be quoted, with each quote doubled (\"a \"\"b\"\"\")"),
            (yaml("{file: after.csv}"), "3:18: the data file '\(d)/after.csv' line 2: text after a closing quote; expected a comma "
                + "or the end of the line after a quoted field"),
            (yaml("{file: header.csv}"), "3:18: the data file '\(d)/header.csv' line 1: column 2 of the header has no name; "
                + "expected a name for each column"),
            (yaml("{file: twice.csv}"), "3:18: the data file '\(d)/twice.csv' line 1: the header names column 'name' twice "
                + "(columns 1 and 2); expected unique column names"),
            (yaml("{file: empty.csv}"), "3:18: the data file '\(d)/empty.csv' has a header but no rows; expected at least one row"),
            (yaml("{file: missing.csv}"), "3:18: cannot read the data file '\(d)/missing.csv': no such file"),
            (yaml("{file: users.csv}", "/u/${row.usrname}"), "5:15: the data file '\(d)/users.csv' has no column 'usrname'; "
                + "did you mean 'username'? Columns: username, password"),
            (yaml("{file: users.csv, mode: random, recycle: true}"), "3:43: 'recycle' applies to mode per_user; mode random already reuses rows"),
            (yaml("{path: users.csv}"), "3:12: unknown key 'path' in 'data'; Allowed: file, mode, header, recycle"),
        ]
        let file = directory.appendingPathComponent("s.yaml").path
        for (text, message) in cases {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Scenario.load(path: file), message) { error in
                XCTAssertEqual((error as? ScenarioError)?.description, "\(file):\(message)")
            }
        }
        // The good file loads, its rows and columns read.
        try yaml("{file: users.csv, mode: round_robin}").write(toFile: file, atomically: true, encoding: .utf8)
        let data = try XCTUnwrap(Scenario.load(path: file).userClasses[0].data)
        XCTAssertEqual(data, DataSource(file: "\(d)/users.csv", table: DataTable(columns: ["username", "password"],
                                        rows: [["alice", "demo"], ["bob", "demo"]]), mode: .roundRobin))
    }
}
