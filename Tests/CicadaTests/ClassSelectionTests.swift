import Foundation
import XCTest
@testable import Cicada

/// Which class each new user gets, and which classes and tasks a run selects.
final class ClassSelectionTests: XCTestCase {
    /// The doc comment's worked example, weights 5/3/1.
    func testTheWorkedExample() {
        let weights = [5, 3, 1]
        XCTAssertEqual(distributeUsers(total: 1, weights: weights), [1, 0, 0])
        XCTAssertEqual(distributeUsers(total: 9, weights: weights), [5, 3, 1])
        XCTAssertEqual(distributeUsers(total: 10, weights: weights), [6, 3, 1])
        XCTAssertEqual(distributeUsers(total: 100, weights: weights), [56, 33, 11])
        var sequence = ClassSequence(weights: weights)
        XCTAssertEqual((0..<9).compactMap { _ in sequence.next() }, [0, 1, 0, 2, 0, 1, 0, 1, 0])
    }

    /// At every count from 1 to 1000, each class is within one user of its exact share, and counts only
    /// grow, for many sets of weights.
    func testSharesAreExactAtEveryCount() {
        let weightSets: [[Int]] = [[5, 3, 1], [1], [1, 1], [2, 1], [7, 0, 3], [1, 1, 1, 1, 1, 1, 100], [1_000_000, 1], [3, 3, 2, 1]]
        for weights in weightSets {
            let total = Double(weights.reduce(0, +))
            var sequence = ClassSequence(weights: weights)
            var previous = weights.map { _ in 0 }
            for n in 1...1000 {
                XCTAssertNotNil(sequence.next())
                let counts = sequence.counts
                XCTAssertEqual(counts.reduce(0, +), n)
                for (index, weight) in weights.enumerated() {
                    let exact = Double(n) * Double(weight) / total
                    XCTAssertTrue(Double(counts[index]) >= exact.rounded(.down) && Double(counts[index]) <= exact.rounded(.up),
                                  "weights \(weights) at \(n): \(counts)")
                    XCTAssertGreaterThanOrEqual(counts[index], previous[index])
                }
                previous = counts
            }
        }
    }

    func testFixedCountsComeFirstAndStayExact() {
        // C fixed at 2: the first two users are C's, then A and B share by 5:3.
        let fixed: [Int?] = [nil, nil, 2]
        XCTAssertEqual(distributeUsers(total: 1, weights: [5, 3, 1], fixedCounts: fixed), [0, 0, 1])
        XCTAssertEqual(distributeUsers(total: 2, weights: [5, 3, 1], fixedCounts: fixed), [0, 0, 2])
        XCTAssertEqual(distributeUsers(total: 10, weights: [5, 3, 1], fixedCounts: fixed), [5, 3, 2])
        XCTAssertEqual(distributeUsers(total: 1000, weights: [5, 3, 1], fixedCounts: fixed), [624, 374, 2])
        // Only fixed classes: no more users than their counts.
        XCTAssertEqual(distributeUsers(total: 50, weights: [1, 1], fixedCounts: [3, 4]), [3, 4])
        var full = ClassSequence(weights: [1], fixedCounts: [1])
        XCTAssertEqual(full.next(), 0)
        XCTAssertNil(full.next())
        // A weight of 0 takes no one; fixed_count 0 either.
        XCTAssertEqual(distributeUsers(total: 7, weights: [0, 1, 4], fixedCounts: [nil, 0, nil]), [0, 0, 7])
    }

    /// The YAML's fixed_count reaches the plan and the runner's sequence.
    func testFixedCountInTheScenarioAndThePlan() throws {
        let yaml = """
            users:
              - {name: Web, weight: 3, tasks: [{path: /}]}
              - {name: Admin, fixed_count: 1, tasks: [{path: /admin}]}
            """
        let scenario = try Scenario.parse(yaml: yaml, file: "t.yaml")
        XCTAssertEqual(scenario.userClasses.map(\.fixedCount), [nil, 1])
        let plan = try CompiledPlan(scenario: scenario, hostHeader: "h")
        XCTAssertEqual(plan.userClassFixedCounts, [nil, 1])
        XCTAssertEqual(distributeUsers(total: 20, weights: plan.userClassWeights, fixedCounts: plan.userClassFixedCounts), [19, 1])
        // A class with only a fixed_count is enough to run.
        XCTAssertNoThrow(try Scenario.parse(yaml: "users:\n  - {name: A, weight: 0, fixed_count: 2, tasks: [{path: /}]}\n", file: "t.yaml"))
    }

    static let tagged = """
        users:
          - name: Web
            weight: 5
            tags: [web]
            tasks:
              - {name: home, path: /, tags: [fast]}
              - {name: upload, path: /up, method: POST, tags: [upload, slow]}
          - name: API
            weight: 3
            tasks:
              - {name: status, path: /status, tags: [fast]}
              - {name: batch, path: /batch, tags: [slow]}
          - name: Admin
            weight: 1
            tags: [admin]
            tasks:
              - {name: dashboard, path: /admin}
        """

    func testTagsAndNamesSelectTasksAndClasses() throws {
        let scenario = try Scenario.parse(yaml: Self.tagged, file: "t.yaml")
        func shape(_ s: Scenario) -> [String] { s.userClasses.map { "\($0.name): " + $0.tasks.map(\.name).joined(separator: ",") } }
        XCTAssertEqual(shape(try scenario.selecting(tags: ["fast"])), ["Web: home", "API: status"])
        XCTAssertEqual(shape(try scenario.selecting(tags: ["web"])), ["Web: home,upload"], "a class's tags are its tasks'")
        XCTAssertEqual(shape(try scenario.selecting(excludingTags: ["slow"])), ["Web: home", "API: status", "Admin: dashboard"])
        XCTAssertEqual(shape(try scenario.selecting(tags: ["fast", "admin"], excludingTags: ["web"])), ["API: status", "Admin: dashboard"])
        XCTAssertEqual(shape(try scenario.selecting(classes: ["Admin", "API"])), ["API: status,batch", "Admin: dashboard"])
        XCTAssertEqual(shape(try scenario.selecting(classes: ["API"], tags: ["slow"])), ["API: batch"])
        // The selected classes keep their weights, so their shares are among themselves.
        let selected = try scenario.selecting(classes: ["Web", "Admin"])
        XCTAssertEqual(distributeUsers(total: 12, weights: selected.userClasses.map(\.weight)), [10, 2])

        let errors: [(select: (Scenario) throws -> Scenario, message: String)] = [
            ({ try $0.selecting(classes: ["Admn"]) }, "no user class is named 'Admn'; did you mean 'Admin'? the classes are Web, API, Admin"),
            ({ try $0.selecting(tags: ["fats"]) }, "no task or class has the tag 'fats'; did you mean 'fast'? the tags are admin, fast, slow, upload, web"),
            ({ try $0.selecting(classes: ["Admin"], tags: ["fast"]) },
             "no user class has a task left to run with classes Admin and --tags fast; expected a selection that keeps at least one task of weight ≥ 1"),
        ]
        for (select, message) in errors {
            XCTAssertThrowsError(try select(scenario)) { XCTAssertEqual("\($0)", message) }
        }
    }

    /// The command line: classes after the file, `--tags` and `--exclude-tags`, as `cicada validate` shows them.
    func testTheCommandLineSelects() throws {
        let path = try CicadaBinary.scenarioFile(Self.tagged)
        let admins = try CicadaBinary.command(["validate", path, "Admin", "Web", "--exclude-tags", "slow", "-u", "6"])
        XCTAssertEqual(admins.exitCode, 0, admins.stderr)
        XCTAssertTrue(admins.stdout.contains("  Web: 5 users (83.3%), weight 5"), admins.stdout)
        XCTAssertTrue(admins.stdout.contains("  Admin: 1 user (16.7%), weight 1"), admins.stdout)
        XCTAssertFalse(admins.stdout.contains("API"), admins.stdout)
        XCTAssertFalse(admins.stdout.contains("task upload"), admins.stdout)
        let tagged = try CicadaBinary.command(["validate", path, "--tags", "fast,admin"])
        XCTAssertTrue(tagged.stdout.contains("task status"), tagged.stdout)
        XCTAssertFalse(tagged.stdout.contains("task batch"), tagged.stdout)
        let wrong = try CicadaBinary.command(["validate", path, "Nobody"])
        XCTAssertEqual(wrong.exitCode, 2)
        XCTAssertEqual(wrong.stderr, "cicada: error: no user class is named 'Nobody'; the classes are Web, API, Admin\n")
        let url = try CicadaBinary.run(["http://127.0.0.1:1/", "Web"], json: false)
        XCTAssertEqual(url.exitCode, 2)
        XCTAssertTrue(url.stderr.contains("user classes and --tags choose among a scenario file's classes"), url.stderr)
    }
}
