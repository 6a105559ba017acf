import Hummingbird

/// `POST /api/v1/batch` and `GET /api/v1/jobs/{job_id}`, for API-key clients; a job belongs to its key.
struct BatchRoutes {
    let state: TargetState
    let jobSeconds: Double

    static let urlCounts = 1...50

    struct BatchRequest: Decodable {
        var audioURLs: [String]
        var webhookURL: String?

        enum CodingKeys: String, CodingKey {
            case audioURLs = "audio_urls", webhookURL = "webhook_url"
        }
    }

    struct Accepted: Encodable {
        var jobID: String
        var status: JobTimeline.Status

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id", status
        }
    }

    struct JobAnswer: Encodable {
        var jobID: String
        var status: JobTimeline.Status
        var progress: Int
        var audioURLCount: Int

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id", status, progress, audioURLCount = "audio_url_count"
        }
    }

    func register(on router: Router<TargetRequestContext>) {
        router.on(RouterPath(Endpoint.batch.path), method: Endpoint.batch.method) { request, context in
            let key = try Self.apiKey(context)
            let form = try await request.decodeJSON(as: BatchRequest.self, context: context)
            guard Self.urlCounts.contains(form.audioURLs.count) else {
                throw APIError.unprocessable("audio_urls must hold \(Self.urlCounts.lowerBound) to \(Self.urlCounts.upperBound) URLs")
            }
            if let bad = form.audioURLs.firstIndex(where: { !FieldRules.isHTTPURL($0) }) {
                throw APIError.unprocessable("audio_urls[\(bad)] is not an http(s) URL of at most \(FieldRules.maxURLLength) bytes")
            }
            if let webhook = form.webhookURL, !FieldRules.isHTTPURL(webhook) {
                throw APIError.unprocessable("webhook_url is not an http(s) URL of at most \(FieldRules.maxURLLength) bytes")
            }
            let job = JobRecord(id: Identifiers.make("job"), owner: Caller.owner(apiKey: key), urlCount: form.audioURLs.count,
                                webhookURL: form.webhookURL, created: state.clock.now)
            state.jobs.insert(job, for: job.id)
            return try jsonAnswer(Accepted(jobID: job.id, status: .queued), status: .accepted)
        }
        router.on(RouterPath(Endpoint.job.path), method: Endpoint.job.method) { _, context in
            let key = try Self.apiKey(context)
            let id = try context.parameters.require("job_id")
            guard let job = state.jobs.value(for: id), job.owner == Caller.owner(apiKey: key) else {
                throw APIError.notFound("job not found")
            }
            let now = JobTimeline.state(elapsed: state.clock.now - job.created, duration: jobSeconds)
            return try jsonAnswer(JobAnswer(jobID: job.id, status: now.status, progress: now.progress, audioURLCount: job.urlCount))
        }
    }

    static func apiKey(_ context: TargetRequestContext) throws -> String {
        guard let key = context.identity?.apiKey else { throw APIError.unauthorized("missing X-API-Key") }
        return key
    }
}
