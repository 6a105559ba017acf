/// An uploaded file: its metadata only. The bytes were counted while the upload streamed, never kept.
struct FileRecord: Sendable, Equatable {
    var id: String
    var owner: String
    var filename: String
    var contentType: String
    var size: Int
    var genre: String?
    var tags: [String]
}

enum AnalysisType: String, Codable, Sendable {
    case full, quick
}

/// A finished analysis, of an uploaded file (user) or of a URL (API key).
struct AnalysisRecord: Sendable {
    var id: String
    var owner: String
    var fileID: String?
    var audioURL: String?
    var type: AnalysisType
    var features: AudioFeatures
}

/// A batch job; its status follows from its creation time (`JobTimeline`). The URLs are counted, not kept.
struct JobRecord: Sendable {
    var id: String
    var owner: String
    var urlCount: Int
    var webhookURL: String?
    var created: Double
}

/// A user the target has seen log in, or that an admin created.
struct UserRecord: Sendable {
    var username: String
    var role: Role
}
