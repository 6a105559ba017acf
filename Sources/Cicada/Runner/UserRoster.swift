/// The users of each class at any total, on the way up and down: users are added in ``ClassSequence``'s
/// order and retired newest first, the same order backwards, so the counts at a total are the same
/// whichever way the total was reached and the classes keep their weights' shares as users are retired.
struct UserRoster {
    private var sequence: ClassSequence
    /// The class of each user given out so far, in order; kept so that retiring can walk it back.
    private var order: [Int32] = []
    /// Users of each class at ``total``.
    private(set) var counts: [Int]
    private(set) var total = 0

    init(weights: [Int], fixedCounts: [Int?]) {
        sequence = ClassSequence(weights: weights, fixedCounts: fixedCounts)
        counts = weights.map { _ in 0 }
    }

    /// Moves to `wanted` users; stays below it when no class takes more (every class fixed and full).
    mutating func setTotal(_ wanted: Int) {
        while total < wanted {
            let userClass: Int
            if total < order.count {
                userClass = Int(order[total])
            } else if let next = sequence.next() {
                order.append(Int32(next))
                userClass = next
            } else {
                break
            }
            counts[userClass] += 1
            total += 1
        }
        while total > wanted {
            total -= 1
            counts[Int(order[total])] -= 1
        }
    }
}
