import Hummingbird

/// `GET /api/v1/files?page=N&limit=M` and `GET /api/v1/files/search?q=TEXT`: the caller's own files only.
struct FileRoutes {
    let state: TargetState

    /// The bounds of the query (docs/demo-target.md): page 1 to 100,000 (default 1), limit 1 to 100
    /// (default 20), q 1 to 256 characters; search answers at most `searchLimit` items, newest first.
    static let pages = 1...100_000
    static let limits = 1...100
    static let defaultLimit = 20
    static let queryLengths = 1...256
    static let searchLimit = 100

    struct Page: Encodable {
        var items: [AudioRoutes.FileAnswer]
        var page: Int
        var limit: Int
        var total: Int
    }

    struct Matches: Encodable {
        var items: [AudioRoutes.FileAnswer]
        var query: String
        var total: Int
    }

    func register(on router: Router<TargetRequestContext>) {
        router.on(RouterPath(Endpoint.listFiles.path), method: Endpoint.listFiles.method) { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            let page = try Self.integer(query.get("page"), named: "page", in: Self.pages, default: 1)
            let limit = try Self.integer(query.get("limit"), named: "limit", in: Self.limits, default: Self.defaultLimit)
            let found = state.files.page(ownedBy: Caller.owner(user: user), page: page, limit: limit)
            return try jsonAnswer(Page(items: found.items.map(AudioRoutes.FileAnswer.init), page: page, limit: limit, total: found.total))
        }
        router.on(RouterPath(Endpoint.searchFiles.path), method: Endpoint.searchFiles.method) { request, context in
            let user = try context.requireUser()
            guard let q = request.uri.queryParameters.get("q") else { throw APIError.unprocessable("query parameter q is required") }
            guard Self.queryLengths.contains(q.count) else {
                throw APIError.unprocessable("q must be \(Self.queryLengths.lowerBound) to \(Self.queryLengths.upperBound) characters")
            }
            let needle = q.lowercased()
            let found = state.files.search(ownedBy: Caller.owner(user: user), limit: Self.searchLimit) { file in
                file.filename.lowercased().contains(needle) || (file.genre?.lowercased().contains(needle) ?? false)
                    || file.tags.contains { $0.lowercased().contains(needle) }
            }
            return try jsonAnswer(Matches(items: found.items.map(AudioRoutes.FileAnswer.init), query: q, total: found.total))
        }
    }

    /// A query integer: absent is `defaultValue`; anything but a decimal integer within `range` is 422.
    static func integer(_ text: String?, named name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws -> Int {
        guard let text else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.unprocessable("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
