import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Helpers for the matchers' table tests: every input is fed whole, byte by byte and split in two at
// every point, and each piece sits in its own mapping that ends right before a PROT_NONE page, so that
// reading one byte past a piece crashes (picohttpparser's trick, as in ResponseParserTests, but per
// piece: a streaming reader must not look past the chunk it was given).

/// A copy of some bytes that ends exactly where a PROT_NONE page begins.
final class GuardedPiece {
    private let mapping: UnsafeMutableRawPointer
    private let mappingSize: Int
    let pointer: UnsafePointer<UInt8>
    let count: Int

    init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let page = Int(getpagesize())
        let dataPages = max(1, (bytes.count + page - 1) / page)
        mappingSize = (dataPages + 1) * page
        guard let mapped = mmap(nil, mappingSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != UnsafeMutableRawPointer(bitPattern: -1)
        else { fatalError("mmap failed") }
        mapping = mapped
        precondition(mprotect(mapped + dataPages * page, page, PROT_NONE) == 0, "mprotect failed")
        let start = (mapped + dataPages * page - bytes.count).assumingMemoryBound(to: UInt8.self)
        var index = 0
        for byte in bytes {
            start[index] = byte
            index += 1
        }
        pointer = UnsafePointer(start)
        count = bytes.count
    }

    deinit { munmap(mapping, mappingSize) }
}

/// How an input is cut into the pieces a reader is fed.
enum Feeding: CustomStringConvertible {
    case whole
    case byteByByte
    case split(Int)

    /// Every feeding of an input of `count` bytes: whole, byte by byte, and split at each point.
    static func all(count: Int) -> [Feeding] {
        [.whole, .byteByByte] + (0...count).map { .split($0) }
    }

    func pieces(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole: return [bytes[...]]
        case .byteByByte: return bytes.indices.map { bytes[$0...$0] }
        case .split(let at): return [bytes[..<at], bytes[at...]]
        }
    }

    var description: String {
        switch self {
        case .whole: return "fed whole"
        case .byteByByte: return "fed byte by byte"
        case .split(let at): return "split at \(at)"
        }
    }
}

/// The UTF-8 bytes of a string.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
