import CicadaTestSupport
import Foundation
import XCTest

/// The web UI's REST API, Locust's endpoints, `/metrics` and the UI's protection, driven over HTTP against
/// `cicada run SCENARIO` without `--headless`, with the fault server as the target.
final class WebAPITests: FaultServerTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cicada-web-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        super.tearDown()
    }

    /// Two stages of a minute each, so that only the API moves the run on.
    private func stagedScenario() throws -> String {
        try CicadaBinary.scenarioFile("""
            host: \(server.baseURL)
            users:
              - name: Browser
                wait: constant(0.05)
                tasks:
                  - {path: /ok}
              - name: Crawler
                weight: 1
                wait: constant(0.05)
                tasks:
                  - {path: /status/404}
            stages:
              - {name: warm, users: 2, spawn_rate: 20, duration: 60s}
              - {name: hot, users: 5, spawn_rate: 20, duration: 60s}
            thresholds:
              http_req_duration: ["p(95) < 5s"]
              "http_reqs{stage:warm}": ["count > 1"]
              "http_reqs{stage:hot}": ["count > 1"]
            """)
    }

    /// Starts the UI on a free port and returns it with its base URL (no trailing slash).
    private func startUI(_ scenario: String, _ extra: [String] = []) throws -> (CicadaChild, String) {
        let child = try CicadaChild(["run", scenario, "--web-port", "0"] + extra, stderr: directory + "/stderr")
        let url = try child.line(startingWith: "web UI: ")
        return (child, String(url.dropLast(url.hasSuffix("/") ? 1 : 0)))
    }

    private func status(_ base: String) throws -> [String: Any] {
        try WebClient.get(base + "/api/status").json
    }

    /// Fails the test unless `condition` holds within `timeout` seconds (polled by the support's `waitUntil`);
    /// a condition that throws has not held yet.
    private func eventually(_ what: String, timeout: Double = 20, _ condition: () throws -> Bool) {
        XCTAssertTrue(waitUntil(timeout) { (try? condition()) ?? false }, "not within \(timeout) s: \(what)")
    }

    func testTheAPIStartsScalesSkipsResetsAndStopsARunAndServesItsReports() throws {
        let summaryFile = directory + "/summary.json"
        let (child, base) = try startUI(try stagedScenario(), ["--json", summaryFile])
        let defaults = try WebClient.get(base + "/api/defaults").json
        XCTAssertEqual(defaults["stages"] as? String, "warm:2@20/60s,hot:5@20/60s")
        XCTAssertEqual(defaults["user_classes"] as? [String], ["Browser", "Crawler"])
        XCTAssertEqual(try status(base)["phase"] as? String, "ready")
        XCTAssertEqual(try WebClient.get(base + "/api/reports/stats.csv").status, 404, "no report before a run")

        // Bad input: the command line's message, beside its field, and nothing starts.
        let negative = try WebClient.post(base + "/api/start", #"{"users": -5}"#)
        XCTAssertEqual(negative.status, 400)
        XCTAssertEqual(negative.json["field"] as? String, "users")
        XCTAssertEqual(negative.json["error"] as? String, "--users: expected an integer number of users from 1 to 1000000, got '-5'")
        let badStage = try WebClient.post(base + "/api/start", "stages=warm%3A2%4010%2F1x", contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(badStage.status, 400)
        XCTAssertEqual(badStage.json["field"] as? String, "stages")
        XCTAssertTrue((badStage.json["error"] as? String ?? "").hasPrefix("--stages: "), badStage.body)
        XCTAssertEqual(try WebClient.post(base + "/api/start", #"{"user_classes": ["Nobody"]}"#).status, 400)
        XCTAssertEqual(try WebClient.post(base + "/api/stop").status, 409, "no run to stop")
        XCTAssertEqual(try status(base)["phase"] as? String, "ready")

        // Start with the scenario's stages; a second start is refused while it runs.
        let started = try WebClient.post(base + "/api/start", #"{"user_classes": ["Browser"]}"#)
        XCTAssertEqual(started.status, 200, started.body)
        XCTAssertEqual(try WebClient.post(base + "/api/start").status, 409)
        eventually("the warm stage's 2 users hold 2 connections") { server.openConnections == 2 }
        XCTAssertEqual(server.count(path: "/status/404"), 0, "only the Browser class runs")

        // Scale within the stage: the server's connections follow.
        let scaled = try WebClient.post(base + "/api/scale", "users=4&spawn_rate=50", contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(scaled.status, 200, scaled.body)
        eventually("4 users hold 4 connections") { server.openConnections == 4 }
        let tooMany = try WebClient.post(base + "/api/scale", #"{"users": 2000000}"#)
        XCTAssertEqual(tooMany.status, 400)
        XCTAssertEqual(tooMany.json["error"] as? String, "users: expected an integer number of users from 0 to 1000000, got '2000000'")
        XCTAssertEqual(try WebClient.post(base + "/api/scale", #"{"arrival_rate": 5}"#).status, 400, "a run of users has no rate")

        // Skip to the next stage: its 5 users.
        XCTAssertEqual(try WebClient.post(base + "/api/skip-stage").status, 200)
        eventually("the hot stage runs") { ((try status(base)["stage"] as? [String: Any])?["name"] as? String) == "hot" }
        eventually("the hot stage's 5 users hold 5 connections") { server.openConnections == 5 }
        let stages = try status(base)["stages"] as? [[String: Any]] ?? []
        XCTAssertEqual(stages.map { $0["name"] as? String }, ["warm", "hot"])
        // Each threshold is judged on what it covers so far: a stage's once that stage has requests.
        eventually("the stages' thresholds are judged") {
            let verdicts = try status(base)["thresholds"] as? [[String: Any]] ?? []
            let passed = Dictionary(uniqueKeysWithValues: verdicts.map { ($0["metric"] as? String ?? "", $0["passed"] as? Bool) })
            return passed["http_reqs{stage:warm}"] == true && passed["http_reqs{stage:hot}"] == true && passed["http_req_duration"] == true
        }

        // The history comes in slices: from an index, the seconds after it.
        let history = try WebClient.get(base + "/api/history?since=0").json
        let points = history["points"] as? [[String: Any]] ?? []
        XCTAssertGreaterThan(points.count, 0)
        XCTAssertEqual(history["next"] as? Int, (history["first"] as? Int ?? -1) + points.count)
        let later = try WebClient.get(base + "/api/history?since=\(history["next"] as? Int ?? 0)").json
        XCTAssertLessThanOrEqual((later["points"] as? [Any] ?? []).count, 2, "only what came since")
        XCTAssertEqual(try WebClient.get(base + "/api/history?since=-1").status, 400)
        // The live stream: each event's id is RUN:NEXT, and a reconnect with it as Last-Event-ID goes on from there.
        let resumeAt = (history["next"] as? Int ?? 1) - 1
        let firstEvent = try CicadaBinary.command(["-c", """
            import http.client, json, sys
            c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
            c.request("GET", "/api/events", headers={"Last-Event-ID": sys.argv[2]})
            r = c.getresponse()
            lines = []
            while True:
                line = r.readline().decode().rstrip("\\n")
                if line == "" and lines:
                    break
                lines.append(line)
            event = dict(l.split(": ", 1) for l in lines if ": " in l)
            data = json.loads(event["data"])
            print(event["id"], data["history"]["first"], data["history"]["run"])
            """, String(base.split(separator: ":").last!), "1:\(resumeAt)"], binary: "/usr/bin/python3")
        let fields = firstEvent.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(fields.count, 3, firstEvent.stdout + firstEvent.stderr)
        XCTAssertEqual(fields.dropFirst().first, "\(resumeAt)", "the stream resumes at the second the id named")
        XCTAssertTrue(fields.first?.hasPrefix("1:") == true, firstEvent.stdout)

        // Reset: the table counts again from nothing.
        func requests() throws -> Int { ((try status(base)["totals"] as? [String: Any])?["requests"] as? Int) ?? 0 }
        eventually("requests are counted") { try requests() > 50 }
        let before = try requests()
        XCTAssertEqual(try WebClient.post(base + "/api/reset").status, 200)
        eventually("the reset shows") { try requests() < before }

        // Stop: the run ends, its reports are there, and another run may start.
        XCTAssertEqual(try WebClient.post(base + "/api/stop").status, 200)
        eventually("the run finishes and its reports are written") {
            let now = try status(base)
            return now["phase"] as? String == "finished" && now["reports_ready"] as? Bool == true
        }
        XCTAssertEqual(try status(base)["users"] as? Int, 0)
        let csv = try WebClient.get(base + "/api/reports/stats.csv")
        XCTAssertEqual(csv.status, 200)
        XCTAssertTrue(csv.headers["content-disposition"]?.contains("attachment") == true)
        XCTAssertEqual(csv.body.split(whereSeparator: \.isNewline).first.map(String.init),
                       "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%")
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(WebClient.get(base + "/api/reports/summary.json").body.utf8)) as? [String: Any])
        let totals = try XCTUnwrap(summary["totals"] as? [String: Any])
        XCTAssertEqual((summary["stages"] as? [[String: Any]])?.map { $0["name"] as? String }, ["warm", "hot"])
        let html = try WebClient.get(base + "/api/reports/report.html")
        XCTAssertTrue(html.body.contains("<canvas"), "the HTML report has its charts")
        XCTAssertTrue(html.body.contains("Started from the web UI with") && html.body.contains("user_classes=Browser"),
                      "the report says the form's values")

        // /metrics after the run: the final counters, equal to the summary's (read by prometheus_client).
        let metrics = try WebClient.get(base + "/metrics")
        XCTAssertEqual(metrics.status, 200)
        let parsed = try PrometheusParser.samples(metrics.body)
        let counted = parsed.filter { $0.key.hasPrefix("cicada_requests_total{") }.values.reduce(0, +)
        XCTAssertEqual(counted, (totals["requests"] as? NSNumber)?.doubleValue, metrics.body.prefix(1500).description)
        let failed = parsed.filter { $0.key.hasPrefix("cicada_request_failures_total{") }.values.reduce(0, +)
        XCTAssertEqual(failed, (totals["failures"] as? NSNumber)?.doubleValue)

        // A second run; Ctrl-C in the middle of it stops it, writes its --json file and quits with its code.
        let again = try WebClient.post(base + "/api/start", #"{"users": 1, "run_time": "60s"}"#)
        XCTAssertEqual(again.status, 200, again.body)
        XCTAssertEqual(again.json["run"] as? Int, 2)
        XCTAssertEqual(try WebClient.get(base + "/api/reports/stats.csv").status, 404, "the first run's reports went with it")
        eventually("the second run sends requests") { try requests() > 10 }
        XCTAssertEqual(child.stop(signal: SIGINT), 0, "the last run passed its threshold")
        let written = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryFile))) as? [String: Any])
        XCTAssertEqual((written["generator"] as? [String: Any])?["users_peak"] as? Int, 1, "the --json file is the second run's")
        XCTAssertNil(written["stages"], "the second run had no stages")
    }

    /// The open model from the page: a run started with an arrival rate is steered by its rate, and
    /// refuses a user count.
    func testAnOpenModelRunIsStartedAndSteeredByItsArrivalRate() throws {
        let (child, base) = try startUI(try stagedScenario())
        let started = try WebClient.post(base + "/api/start", #"{"arrival_rate": "20", "run_time": "60s"}"#)
        XCTAssertEqual(started.status, 200, started.body)
        eventually("the run follows 20 iterations a second") {
            let now = try status(base)
            return now["open_model"] as? Bool == true && (now["arrival_rate"] as? Double) == 20
        }
        let users = try WebClient.post(base + "/api/scale", #"{"users": 5}"#)
        XCTAssertEqual(users.status, 400)
        XCTAssertEqual(users.json["error"] as? String, "this run follows an arrival rate: change arrival_rate, not users")
        XCTAssertEqual(try WebClient.post(base + "/api/scale", #"{"arrival_rate": 60}"#).status, 200)
        eventually("the rate moves to 60") { (try status(base)["arrival_rate"] as? Double) == 60 }
        let before = server.count(path: "/ok")
        usleep(2_000_000)
        let sent = server.count(path: "/ok") - before
        XCTAssertGreaterThan(sent, 40, "about 60 a second, half of them to /ok (the two classes share the rate)")
        XCTAssertEqual(child.stop(), 0)
    }

    /// A client of Locust's web API (Locust 2.47's: form-encoded `POST /swarm`, `GET /stats/requests`, its
    /// CSV, `POST /stats/reset`, `POST /stop`) passes against a real Locust, then runs unchanged against Cicada.
    func testAScriptWrittenForLocustsWebAPIDrivesCicada() throws {
        let browser = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser")
        let script = browser.appendingPathComponent("locust_web_api_client.py").path
        let venv = browser.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/test-python/bin")
        guard FileManager.default.isExecutableFile(atPath: venv.appendingPathComponent("locust").path) else {
            throw ChildError(description: "Locust is needed in .build/test-python: run scripts/test, which installs it")
        }
        // First against Locust itself, so that the script is known to be a Locust client.
        let port = FaultServer.closedPort()
        let locust = Process()
        locust.executableURL = venv.appendingPathComponent("locust")
        locust.arguments = ["-f", browser.appendingPathComponent("locust_peer.py").path, "--web-host", "127.0.0.1",
                            "--web-port", "\(port)", "--skip-log-setup"]
        locust.standardOutput = FileHandle.nullDevice
        locust.standardError = FileHandle.nullDevice
        try locust.run()
        defer { if locust.isRunning { locust.terminate(); locust.waitUntilExit() } }
        eventually("Locust's web UI answers", timeout: 60) { (try? WebClient.get("http://127.0.0.1:\(port)/stats/requests"))?.status == 200 }
        let peer = try CicadaBinary.command([script, "http://127.0.0.1:\(port)", server.baseURL], timeout: 120, binary: "/usr/bin/python3")
        XCTAssertEqual(peer.exitCode, 0, "against Locust: " + peer.stdout + peer.stderr)

        let (child, base) = try startUI(try stagedScenario())
        let run = try CicadaBinary.command([script, base, server.baseURL], timeout: 120, binary: "/usr/bin/python3")
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("locust client: all steps passed"), run.stdout + run.stderr)
        XCTAssertEqual(child.stop(), 0)
    }

    /// docs/web-api.openapi.yaml describes the routes the UI serves: each path and method it lists is routed
    /// (an unrouted request gets Hummingbird's empty 404; every route answers with a body).
    func testEveryPathOfTheOpenAPIDescriptionIsServed() throws {
        let (child, base) = try startUI(try stagedScenario())
        let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/web-api.openapi.yaml")
        var operations: [(method: String, path: String)] = []
        var inPaths = false, path: String?
        for line in try String(contentsOf: document, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            if inPaths, line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            if inPaths, let path, line == "    get:" || line == "    post:" {
                operations.append((line.trimmingCharacters(in: .whitespaces).dropLast().uppercased(), path))
            }
        }
        XCTAssertGreaterThanOrEqual(operations.count, 19, "\(operations)")
        let unknown = try WebClient.get(base + "/no-such-route")
        XCTAssertTrue(unknown.status == 404 && unknown.body.isEmpty, "an unrouted path: \(unknown)")
        // Not the stream (it never ends) nor the two that would start a run.
        for (method, path) in operations where !["/api/events", "/api/start", "/swarm"].contains(path) {
            let concrete = path.replacingOccurrences(of: "{file}", with: "stats.csv")
            let reply = try WebClient.send(method, base + concrete, body: method == "POST" ? "{}" : nil)
            XCTAssertFalse(reply.status == 404 && reply.body.isEmpty, "\(method) \(path) is not routed")
        }
        child.stop()
    }

    func testAStartWithoutAnyHostNamesTheHostField() throws {
        let scenario = try CicadaBinary.scenarioFile("""
            users:
              - name: A
                tasks:
                  - {path: /ok}
            """)
        let (child, base) = try startUI(scenario)
        let refused = try WebClient.post(base + "/api/start", #"{"users": 1}"#)
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(refused.json["field"] as? String, "host")
        XCTAssertTrue((refused.json["error"] as? String ?? "").hasPrefix("no host: give --host"), refused.body)
        let started = try WebClient.post(base + "/api/start", "{\"users\": 1, \"run_time\": \"1s\", \"host\": \"\(server.baseURL)\"}")
        XCTAssertEqual(started.status, 200, started.body)
        child.stop()
    }

    func testAutostartRunsAtOnceAndAutoquitEndsTheProcessWithTheRunsExitCode() throws {
        let summary = directory + "/summary.json"
        let scenario = try CicadaBinary.scenarioFile("""
            host: \(server.baseURL)
            users:
              - name: A
                wait: constant(0.05)
                tasks:
                  - {path: /status/500}
            """)
        let child = try CicadaChild(["run", scenario, "--web-port", "0", "--autostart", "--autoquit", "0", "-u", "2", "-t", "1s",
                                     "--json", summary])
        CicadaBinary.waitForExit(child.process, timeout: 30, "the autostarted run ends and the process quits")
        XCTAssertEqual(child.process.terminationStatus, 1, "every request failed and no threshold judges: exit 1, as headless")
        XCTAssertTrue(child.output.contains("web UI: http://127.0.0.1:"), child.output)
        let written = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any])
        XCTAssertGreaterThan(((written["totals"] as? [String: Any])?["requests"] as? Int) ?? 0, 0, "the --json file is written as headless")
    }

    func testTheUIRefusesARemoteBindWithoutAuthCrossSiteControlAndAWrongPassword() throws {
        let scenario = try stagedScenario()
        let remote = try CicadaBinary.command(["run", scenario, "--web-host", "0.0.0.0", "--web-port", "0"])
        XCTAssertEqual(remote.exitCode, 2)
        XCTAssertTrue(remote.stderr.contains("--web-host 0.0.0.0 is not a loopback address"), remote.stderr)
        let headless = try CicadaBinary.command(["run", scenario, "--headless", "--web-port", "8089"])
        XCTAssertEqual(headless.exitCode, 2)
        XCTAssertTrue(headless.stderr.contains("give them without --headless"), headless.stderr)
        let quit = try CicadaBinary.command(["run", scenario, "--autoquit", "5"])
        XCTAssertEqual(quit.exitCode, 2)
        XCTAssertTrue(quit.stderr.contains("give --autostart too"), quit.stderr)

        let (child, base) = try startUI(scenario, ["--web-auth", "tester:s3cret"])
        let anonymous = try WebClient.get(base + "/api/status")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertTrue(anonymous.headers["www-authenticate"]?.hasPrefix("Basic") == true, "\(anonymous.headers)")
        func basic(_ credentials: String) -> [String: String] { ["Authorization": "Basic " + Data(credentials.utf8).base64EncodedString()] }
        XCTAssertEqual(try WebClient.get(base + "/api/status", headers: basic("tester:wrong")).status, 401)
        XCTAssertEqual(try WebClient.get(base + "/metrics", headers: basic("tester:wrong")).status, 401)
        let auth = basic("tester:s3cret")
        XCTAssertEqual(try WebClient.get(base + "/api/status", headers: auth).status, 200)

        // A page of another site: refused by its Origin, by Sec-Fetch-Site, and without the page's token.
        let page = try WebClient.get(base + "/", headers: auth)
        XCTAssertEqual(page.headers["x-frame-options"], "DENY", "no other site frames the page")
        let body = page.body
        let token = try XCTUnwrap(body.range(of: #"name="cicada-token" content=""#).map { String(body[$0.upperBound...].prefix(32)) })
        let crossOrigin = try WebClient.post(base + "/api/start", headers: auth.merging(["Origin": "http://evil.example", "X-Cicada-Token": token]) { $1 })
        XCTAssertEqual(crossOrigin.status, 403)
        XCTAssertEqual(try WebClient.post(base + "/api/start", headers: auth.merging(["Sec-Fetch-Site": "cross-site"]) { $1 }).status, 403)
        XCTAssertEqual(try WebClient.get(base + "/stop", headers: auth.merging(["Sec-Fetch-Site": "cross-site"]) { $1 }).status, 403)
        XCTAssertEqual(try WebClient.get(base + "/stop/", headers: auth.merging(["Sec-Fetch-Site": "cross-site"]) { $1 }).status, 403,
                       "the router's /stop/ is /stop")
        XCTAssertEqual(try WebClient.get(base + "//stats/reset", headers: auth.merging(["Referer": "http://evil.example/page"]) { $1 }).status, 403,
                       "a cross-site Referer without Sec-Fetch-Site")
        let origin = ["Origin": base]
        XCTAssertEqual(try WebClient.post(base + "/api/start", headers: auth.merging(origin) { $1 }).status, 403, "a browser's POST needs the token")
        XCTAssertEqual(try WebClient.post(base + "/api/start", headers: auth.merging(origin) { $1 }.merging(["X-Cicada-Token": "0" + token.dropFirst()]) { $1 }).status, 403)
        XCTAssertEqual(try status(base, headers: auth)["phase"] as? String, "ready", "nothing started")
        let same = try WebClient.post(base + "/api/start", #"{"users": 1, "run_time": "1s"}"#, headers: auth.merging(origin) { $1 }.merging(["X-Cicada-Token": token]) { $1 })
        XCTAssertEqual(same.status, 200, same.body)

        // A name that is not loopback in Host (DNS rebinding) is refused.
        let rebinding = try CicadaBinary.command(["-c", """
            import http.client, sys
            c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
            c.putrequest("GET", "/api/status", skip_host=True)
            c.putheader("Host", "evil.example")
            c.putheader("Authorization", sys.argv[2])
            c.endheaders()
            print(c.getresponse().status)
            """, String(base.split(separator: ":").last!), auth["Authorization"]!], binary: "/usr/bin/python3")
        XCTAssertEqual(rebinding.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "403", rebinding.stderr)
        child.stop()
    }

    private func status(_ base: String, headers: [String: String]) throws -> [String: Any] {
        try WebClient.get(base + "/api/status", headers: headers).json
    }
}
