/// Which class each new user of a run belongs to, so that the classes' shares are exact at every user
/// count, not only at the end of the ramp-up.
///
/// Users of classes with a `fixed_count` come first, class by class in the scenario's order, until each
/// has its count (Locust starts them first too). Every later user goes to a class by weight, with the
/// *smooth weighted round-robin* that Locust's dispatcher (and nginx's upstream balancer) uses: each class
/// keeps a credit; for each new user every class gains its weight, the class with the most credit (the
/// first, on a tie) takes the user and pays the sum of the weights. After n weighted users, a class of
/// weight w out of W has ⌊n·w/W⌋ or ⌈n·w/W⌉ of them (the credit stays within one total weight of its
/// exact share), so no count is more than one user from exact, and since each count only grows, users
/// are never moved between classes as the total grows. Retiring takes the newest users first, the
/// sequence in reverse, so it keeps the same property on the way down.
///
/// Worked example, weights 5, 3 and 1 (W = 9), credits before each pick:
///
/// | user | credits after adding the weights | takes | counts |
/// |---|---|---|---|
/// | 1 | 5, 3, 1 | A | 1, 0, 0 |
/// | 2 | 1, 6, 2 | B | 1, 1, 0 |
/// | 3 | 6, 0, 3 | A | 2, 1, 0 |
/// | 4 | 2, 3, 4 | C | 2, 1, 1 |
/// | 5 | 7, 6, -4 | A | 3, 1, 1 |
/// | … | | | |
///
/// At 1 user: 1, 0, 0. At 9: 5, 3, 1, exactly the weights. At 10: 6, 3, 1 (the exact shares are 5.56,
/// 3.33, 1.11). At 100: 56, 33, 11 (55.6, 33.3, 11.1). A class of weight 0 gets no user; with
/// `fixed_count: 2` on C and 10 users, C gets 2 and A and B share the 8 others by 5:3, as 5 and 3.
public struct ClassSequence: Sendable {
    private let weights: [Int]
    private let fixedCounts: [Int?]
    private var credits: [Int]
    /// Users given to each class so far.
    public private(set) var counts: [Int]

    /// A sequence for classes of these weights and fixed counts (`nil`: by weight).
    public init(weights: [Int], fixedCounts: [Int?]? = nil) {
        self.weights = weights.map { max(0, $0) }
        self.fixedCounts = fixedCounts ?? weights.map { _ in nil }
        self.credits = weights.map { _ in 0 }
        self.counts = weights.map { _ in 0 }
    }

    /// The class of the next user, or `nil` when no class takes more users (every class is fixed and full,
    /// or has weight 0).
    public mutating func next() -> Int? {
        for index in weights.indices {
            if let fixed = fixedCounts[index], counts[index] < fixed {
                counts[index] += 1
                return index
            }
        }
        let shared = weights.indices.filter { fixedCounts[$0] == nil && weights[$0] > 0 }
        guard !shared.isEmpty else { return nil }
        let total = shared.reduce(0) { $0 + weights[$1] }
        var best = shared[0]
        for index in shared {
            credits[index] += weights[index]
            if credits[index] > credits[best] { best = index }
        }
        credits[best] -= total
        counts[best] += 1
        return best
    }

    /// The counts after `total` users from the start.
    public static func counts(total: Int, weights: [Int], fixedCounts: [Int?]? = nil) -> [Int] {
        var sequence = ClassSequence(weights: weights, fixedCounts: fixedCounts)
        for _ in 0..<max(0, total) where sequence.next() != nil {}
        return sequence.counts
    }
}

/// How many users of each class make up a total, by the classes' weights and fixed counts: the counts
/// of ``ClassSequence`` after `total` users (within one user of each exact share, and 6, 3, 1 for
/// weights 5, 3, 1 and 10 users). The result sums to `total` unless no class can take more users.
public func distributeUsers(total: Int, weights: [Int], fixedCounts: [Int?]? = nil) -> [Int] {
    ClassSequence.counts(total: total, weights: weights, fixedCounts: fixedCounts)
}
