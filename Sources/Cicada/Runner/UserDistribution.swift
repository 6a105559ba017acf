/// How many users of each class make up a total, by the classes' weights.
///
/// Largest remainder, as Locust does it: with weights 5, 3, 1 and 10 users, the exact shares are
/// 5.56, 3.33 and 1.11; the floors 5, 3, 1 leave one user, which goes to the largest remainder (the
/// first class, .56), giving 6, 3, 1. When there are at least as many users as classes with a
/// non-zero weight, every such class gets at least one user, so a rare class is never left out.
/// The result is deterministic and sums to `total`.
public func distributeUsers(total: Int, weights: [Int]) -> [Int] {
    let weightSum = weights.reduce(0) { $0 + max(0, $1) }
    guard total > 0, weightSum > 0 else { return weights.map { _ in 0 } }
    var counts = weights.map { total * max(0, $0) / weightSum }
    var remainders = weights.enumerated().map { (index: $0.offset, remainder: (total * max(0, $0.element)) % weightSum) }
    remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
    var left = total - counts.reduce(0, +)
    for entry in remainders where left > 0 && weights[entry.index] > 0 {
        counts[entry.index] += 1
        left -= 1
    }
    let active = weights.filter { $0 > 0 }.count
    if total >= active {
        // Give every weighted class one user, taking it from the class with the most.
        for index in weights.indices where weights[index] > 0 && counts[index] == 0 {
            if let donor = counts.indices.max(by: { counts[$0] < counts[$1] }), counts[donor] > 1 {
                counts[donor] -= 1
                counts[index] += 1
            }
        }
    }
    return counts
}
