/// A role a token carries.
public enum Role: String, Codable, Sendable, CaseIterable {
    case user, admin
}

/// A user a valid token names.
public struct UserIdentity: Sendable, Equatable {
    public var username: String
    public var role: Role
}

/// Who sent a request: a user through a token, a client through an API key, or both.
public struct Caller: Sendable {
    public var user: UserIdentity?
    public var apiKey: String?

    /// The owner of what a user creates. Owners are compared as strings, so a user and an API key can never
    /// own each other's entries.
    static func owner(user: UserIdentity) -> String { "user:" + user.username }
    static func owner(apiKey: String) -> String { "key:" + apiKey }
}
