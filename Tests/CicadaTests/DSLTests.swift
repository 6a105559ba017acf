import CCicadaCore
import Foundation
import XCTest
@testable import Cicada

/// The Swift DSL builds the same scenario a YAML file loads to, and so the same plan.
final class DSLTests: XCTestCase {
    static let examples = ScenarioTests.examples

    /// The seed's whole suite, `examples/samplemind.yaml` and `examples/swift-scenario`'s
    /// `sampleMindScenario()`: one Scenario value, one plan, the same bytes for every static request.
    func testSampleMindInSwiftCompilesToTheYAMLPlan() throws {
        let yaml = try Scenario.load(path: Self.examples + "/samplemind.yaml")
        let swift = sampleMindScenario()
        XCTAssertNoThrow(try swift.validate())
        XCTAssertEqual(swift.userClasses.map(\.name), yaml.userClasses.map(\.name))
        for (a, b) in zip(swift.userClasses, yaml.userClasses) {
            for (x, y) in zip(a.placedTasks, b.placedTasks) {
                XCTAssertEqual(x.task, y.task, "\(a.name) \(x.place)")
            }
            XCTAssertEqual(a, b, a.name)
        }
        XCTAssertEqual(swift, yaml)

        let host = try TargetURL(base: "http://127.0.0.1:8000")
        let fromYAML = try CompiledPlan(scenario: yaml.rebased(onto: host), hostHeader: host.hostHeader)
        let fromSwift = try CompiledPlan(scenario: swift.rebased(onto: host), hostHeader: host.hostHeader)
        XCTAssertEqual(fromSwift.canonicalDescription, fromYAML.canonicalDescription)
        XCTAssertEqual(fromSwift.specification, fromYAML.specification)
        XCTAssertEqual(fromYAML.specification.requests.count, 18)
        for index in fromYAML.specification.requests.indices {
            XCTAssertEqual(fromSwift.requestBytes(index), fromYAML.requestBytes(index), "request \(index)")
        }
    }

    func testDSLFormsMatchTheirYAML() throws {
        let yaml = """
            host: http://h
            users:
              - name: Browser
                weight: 2
                fixed_count: 3
                wait: between(1, 2)
                headers: {Accept: application/json, X-Trace: class}
                tags: [web]
                cookies: false
                tasks:
                  - name: login
                    weight: 4
                    tags: [auth]
                    steps:
                      - method: POST
                        path: /login
                        form: {user: "u-${user.index}", "pass word": "a&b"}
                        capture:
                          - {var: session, cookie: sid}
                          - {var: where, header: Location, optional: true}
                          - {var: code, regex: 'code=([0-9]+)', default: "0"}
                        check:
                          - {status: [200, 3xx]}
                          - {body_contains: welcome}
                          - {header: {name: X-Role, equals: user}}
                          - {max_duration: 500ms}
                      - {wait: 2s}
                      - path: /home?code=${code|url}
                        headers: {X-Trace: own}
                        unless: ${where}
                        on_failure: continue
                      - {wait: "between(1, 2)"}
                      - method: PUT
                        path: /notes/${session}
                        body: "raw ${iteration} $${literal}"
            """
        let fromYAML = try Scenario.parse(yaml: yaml, file: "t.yaml")
        let fromSwift = Scenario(host: "http://h") {
            UserClass("Browser", weight: 2, fixedCount: 3, wait: .between(1, 2),
                      headers: ["Accept": "application/json", "X-Trace": "class"], tags: ["web"], cookies: false) {
                Task("login", weight: 4, tags: ["auth"]) {
                    Request.post("/login", form: ["user": "u-${user.index}", "pass word": "a&b"])
                        .capture("session", cookie: "sid")
                        .capture("where", header: "Location", optional: true)
                        .capture(Capture("code", from: .regex("code=([0-9]+)"), default: "0"))
                        .check(.status([StatusRange(200), StatusRange(300, 399)]))
                        .check(.bodyContains("welcome"))
                        .check(.headerEquals(name: "X-Role", value: "user"))
                        .check(.maxDuration(0.5))
                    Wait(2)
                    Request.get("/home?code=${code|url}").header("X-Trace", "own").when(unset: "where").continuingOnFailure()
                    Wait.between(1, 2)
                    Request.put("/notes/${session}").body("raw ${iteration} $${literal}")
                }
            }
        }
        XCTAssertEqual(fromSwift, fromYAML)
        let a = try PlanSpecification(scenario: fromYAML, hostHeader: "h")
        let b = try PlanSpecification(scenario: fromSwift, hostHeader: "h")
        XCTAssertEqual(a.canonicalDescription, b.canonicalDescription)
        XCTAssertEqual(a.steps.count, 5)
    }
}
