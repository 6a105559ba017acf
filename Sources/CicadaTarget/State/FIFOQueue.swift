/// A first-in first-out queue on one array: pushes append, pops advance a head index, and the consumed
/// prefix is dropped once it is at least half the array, so each element is moved O(1) times on average.
struct FIFOQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func push(_ element: Element) {
        storage.append(element)
    }

    @discardableResult
    mutating func pop() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        head += 1
        if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes the first element equal to `element`; O(n), for the rare removal that is not at the head.
    mutating func remove(where predicate: (Element) -> Bool) {
        guard let index = storage[head...].firstIndex(where: predicate) else { return }
        storage.remove(at: index)
    }

    /// The elements from the newest to the oldest.
    var newestFirst: ReversedCollection<ArraySlice<Element>> { storage[head...].reversed() }
}

extension FIFOQueue: Sendable where Element: Sendable {}
