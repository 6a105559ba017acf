import Hummingbird

/// `POST /api/v1/audio/upload`, `POST /api/v1/audio/analyze` and `GET /api/v1/audio/results/{analysis_id}`.
struct AudioRoutes {
    let state: TargetState
    let maxUploadBytes: Int

    struct FileAnswer: Encodable {
        var fileID: String
        var filename: String
        var size: Int
        var genre: String?
        var tags: [String]

        init(_ file: FileRecord) {
            fileID = file.id
            filename = file.filename
            size = file.size
            genre = file.genre
            tags = file.tags
        }

        enum CodingKeys: String, CodingKey {
            case fileID = "file_id", filename, size, genre, tags
        }

        /// `genre` is null when none was given, rather than missing.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(fileID, forKey: .fileID)
            try container.encode(filename, forKey: .filename)
            try container.encode(size, forKey: .size)
            try container.encode(genre, forKey: .genre)
            try container.encode(tags, forKey: .tags)
        }
    }

    struct AnalyzeRequest: Decodable {
        var fileID: String?
        var analysisType: String?
        var audioURL: String?

        enum CodingKeys: String, CodingKey {
            case fileID = "file_id", analysisType = "analysis_type", audioURL = "audio_url"
        }
    }

    struct AnalysisAnswer: Encodable {
        var analysisID: String
        var fileID: String?
        var audioURL: String?
        var status = "completed"
        var analysisType: AnalysisType
        var results: AudioFeatures

        init(_ analysis: AnalysisRecord) {
            analysisID = analysis.id
            fileID = analysis.fileID
            audioURL = analysis.audioURL
            analysisType = analysis.type
            results = analysis.features
        }

        enum CodingKeys: String, CodingKey {
            case analysisID = "analysis_id", fileID = "file_id", audioURL = "audio_url", status
            case analysisType = "analysis_type", results
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(analysisID, forKey: .analysisID)
            try container.encode(fileID, forKey: .fileID)
            try container.encodeIfPresent(audioURL, forKey: .audioURL)
            try container.encode(status, forKey: .status)
            try container.encode(analysisType, forKey: .analysisType)
            try container.encode(results, forKey: .results)
        }
    }

    func register(on router: Router<TargetRequestContext>) {
        router.on(RouterPath(Endpoint.upload.path), method: Endpoint.upload.method) { request, context in
            let user = try context.requireUser()
            let form = try await UploadForm.read(request, maxBytes: maxUploadBytes)
            let file = FileRecord(id: Identifiers.make("file"), owner: Caller.owner(user: user), filename: form.filename,
                                  contentType: form.contentType, size: form.size, genre: form.genre, tags: form.tags)
            state.files.add(file)
            return try jsonAnswer(FileAnswer(file), status: .created)
        }
        router.on(RouterPath(Endpoint.analyze.path), method: Endpoint.analyze.method) { request, context in
            try await analyze(request, context)
        }
        router.on(RouterPath(Endpoint.result.path), method: Endpoint.result.method) { _, context in
            let user = try context.requireUser()
            let id = try context.parameters.require("analysis_id")
            guard let analysis = state.analyses.value(for: id), analysis.owner == Caller.owner(user: user) else {
                throw APIError.notFound("analysis not found")
            }
            return try jsonAnswer(AnalysisAnswer(analysis))
        }
    }

    /// A user analyses one of their files (`file_id`, `analysis_type` required); a client with only an API
    /// key analyses a URL (`audio_url` required, `analysis_type` optional, full by default).
    func analyze(_ request: Request, _ context: TargetRequestContext) async throws -> Response {
        let form = try await request.decodeJSON(as: AnalyzeRequest.self, context: context)
        let analysisID = Identifiers.make("analysis")
        let record: AnalysisRecord
        if let user = context.identity?.user {
            guard let fileID = form.fileID else { throw APIError.unprocessable("field file_id is required") }
            guard let typeName = form.analysisType else { throw APIError.unprocessable("field analysis_type is required") }
            let type = try Self.analysisType(typeName)
            let owner = Caller.owner(user: user)
            guard let file = state.files.file(fileID, ownedBy: owner) else { throw APIError.notFound("file not found") }
            record = AnalysisRecord(id: analysisID, owner: owner, fileID: file.id, audioURL: nil, type: type,
                                    features: AudioFeatures(seed: analysisID, size: file.size, genre: file.genre, type: type))
        } else {
            let key = try context.identity?.apiKey ?? { throw APIError.unauthorized("missing bearer token or X-API-Key") }()
            guard let url = form.audioURL else { throw APIError.unprocessable("field audio_url is required") }
            guard FieldRules.isHTTPURL(url) else {
                throw APIError.unprocessable("audio_url must be an http(s) URL of at most \(FieldRules.maxURLLength) bytes")
            }
            let type = try form.analysisType.map(Self.analysisType) ?? .full
            record = AnalysisRecord(id: analysisID, owner: Caller.owner(apiKey: key), fileID: nil, audioURL: url, type: type,
                                    features: AudioFeatures(seed: analysisID, size: nil, genre: nil, type: type))
        }
        state.analyses.insert(record, for: record.id)
        return try jsonAnswer(AnalysisAnswer(record))
    }

    static func analysisType(_ name: String) throws -> AnalysisType {
        guard let type = AnalysisType(rawValue: name) else {
            throw APIError.unprocessable("analysis_type must be \"full\" or \"quick\"")
        }
        return type
    }
}
