import Cicada
import Foundation

/// The demo's last word: what the target itself counted (its `/metrics`, scraped once the run has ended)
/// beside what Cicada counted, route by route, and the target's count of contract mistakes (the 401, 403,
/// 404, 415 and 422 answers that a correct client never gets). A user who doubts the figures can read both.
struct TargetCrossCheck {
    struct Route {
        var route: String
        /// The target's answers.
        var served: Double
        /// Cicada's requests that reached the target with a whole response (successes, HTTP errors, failed
        /// checks and captures), and every request it sent (all but those never rendered).
        var answered: Int
        var sent: Int
        /// The target answered each response Cicada read, and nothing Cicada did not send.
        var agrees: Bool { served >= Double(answered) && served <= Double(sent) }
    }

    var routes: [Route]
    var contractMistakes: Double

    /// The failure kinds whose requests got a whole response, and those that were never sent.
    static let answeredKinds = ["http_4xx", "http_5xx", "check", "capture"], unsentKinds = ["template", "data"]

    /// Compares the run's JSON summary with the target's metrics text.
    init(summary: [String: Any], metrics: String) {
        let samples = PrometheusText.samples(in: metrics, named: ["samplemind_requests_total", "samplemind_contract_mistakes_total"])
        contractMistakes = PrometheusText.sum("samplemind_contract_mistakes_total", in: samples)
        var counted: [String: (answered: Int, sent: Int)] = [:]
        for endpoint in summary["endpoints"] as? [[String: Any]] ?? [] {
            guard let method = endpoint["method"] as? String, let name = endpoint["name"] as? String else { continue }
            let kinds = (endpoint["failures_by_kind"] as? [String: Any] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? 0 }
            let number = { (key: String) in (endpoint[key] as? NSNumber)?.intValue ?? 0 }
            let key = "\(method) \(Self.route(of: name))"
            counted[key, default: (0, 0)].answered += number("successes") + Self.answeredKinds.reduce(0) { $0 + (kinds[$1] ?? 0) }
            counted[key, default: (0, 0)].sent += number("requests") - Self.unsentKinds.reduce(0) { $0 + (kinds[$1] ?? 0) }
        }
        routes = counted.keys.sorted().map { key in
            let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
            let served = PrometheusText.sum("samplemind_requests_total", labels: ["method": parts[0], "route": parts[1]], in: samples)
            return Route(route: key, served: served, answered: counted[key]!.answered, sent: counted[key]!.sent)
        }
    }

    /// The target's route template for one of the scenario's endpoint names (`/api/v1/jobs/:id` and a
    /// concrete `/api/v1/jobs/42` are both `/api/v1/jobs/{job_id}`).
    static func route(of name: String) -> String {
        if name.hasPrefix("/api/v1/audio/results/") { return "/api/v1/audio/results/{analysis_id}" }
        if name.hasPrefix("/api/v1/jobs/") { return "/api/v1/jobs/{job_id}" }
        return name
    }

    var agrees: Bool { routes.allSatisfy(\.agrees) }

    /// The console's lines.
    var text: String {
        let served = routes.reduce(0) { $0 + $1.served }
        let answered = routes.reduce(0) { $0 + $1.answered }
        var lines = ["The target's own count (/metrics): \(formatNumber(served)) requests answered on \(routes.count) routes; "
            + "Cicada read \(answered) whole responses. Contract mistakes the target saw: \(formatNumber(contractMistakes))."]
        if agrees {
            lines.append("Every route's count agrees: the target answered each response Cicada read, and nothing Cicada did not send.")
        }
        for route in routes where !route.agrees {
            lines.append("  \(route.route): the target answered \(formatNumber(route.served)); Cicada read \(route.answered) responses of \(route.sent) requests sent")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
