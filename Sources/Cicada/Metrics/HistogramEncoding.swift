import CZlib
import Foundation
import Histogram

/// HdrHistogram's V2 wire encoding, compressed, as its Java `encodeIntoCompressedByteBuffer` writes it and
/// every HdrHistogram reads it (the Java and C libraries, PyPI's `hdrhistogram`): the form of each line of
/// an interval log (``HdrIntervalLog``). hdrhistogram-swift keeps its histograms but cannot encode them,
/// so the encoding is written here from the format:
///
/// - the payload: a 40-byte big-endian header (cookie `0x1c849313`, the counts' length in bytes, the
///   normalizing index offset 0, the significant digits, the lowest discernible and highest trackable
///   values, the integer-to-double ratio 1.0), then the counts array up to the maximum's index, each count
///   ZigZag-LEB128 encoded and each run of two or more zero counts written as one negative count;
/// - the compressed form: cookie `0x1c849314`, the deflated length, then the payload deflated by zlib
///   (with its header and Adler-32, as Java's `Deflater` writes it);
/// - in a log line, that compressed form in base64.
///
/// The cookies are Java's V2 cookies (`0x1c849303`, `0x1c849304`) with `0x10` set, as the Java and Python
/// writers set it; the readers mask that bit off.
enum HistogramEncoding {
    static let payloadCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10
    static let headerBytes = 40

    /// The histogram's compressed encoding, in base64.
    static func compressedBase64(_ histogram: Histogram<UInt64>) -> String {
        compressed(histogram).base64EncodedString()
    }

    /// The compressed form: cookie, length, then the zlib-deflated payload.
    static func compressed(_ histogram: Histogram<UInt64>) -> Data {
        let payload = payload(histogram)
        var deflatedLength = compressBound(uLong(payload.count))
        var deflated = [UInt8](repeating: 0, count: Int(deflatedLength))
        let status = payload.withUnsafeBufferPointer { source in
            compress2(&deflated, &deflatedLength, source.baseAddress, uLong(source.count), Z_DEFAULT_COMPRESSION)
        }
        // compress2 fails only without memory or with a destination under compressBound, which this is not.
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        var encoded = Data()
        encoded.appendBigEndian(compressedCookie)
        encoded.appendBigEndian(UInt32(deflatedLength))
        encoded.append(contentsOf: deflated.prefix(Int(deflatedLength)))
        return encoded
    }

    /// The uncompressed V2 payload: header and encoded counts.
    static func payload(_ histogram: Histogram<UInt64>) -> [UInt8] {
        let counts = encodedCounts(histogram)
        var bytes = Data()
        bytes.appendBigEndian(payloadCookie)
        bytes.appendBigEndian(UInt32(counts.count))
        bytes.appendBigEndian(UInt32(0)) // normalizing index offset: Cicada never shifts a histogram
        bytes.appendBigEndian(UInt32(histogram.numberOfSignificantValueDigits.rawValue))
        bytes.appendBigEndian(histogram.lowestDiscernibleValue)
        bytes.appendBigEndian(histogram.highestTrackableValue)
        bytes.appendBigEndian(Double(1).bitPattern) // integer to double value conversion ratio
        return [UInt8](bytes) + counts
    }

    /// The counts from index 0 to the maximum's index (none for an empty histogram, as Python's writer does),
    /// with runs of zeros folded. The histogram is read through its recorded values, whose indices follow
    /// from the same bucket layout as HdrHistogram's (``CountsLayout``).
    static func encodedCounts(_ histogram: Histogram<UInt64>) -> [UInt8] {
        let layout = CountsLayout(histogram)
        var bytes: [UInt8] = []
        var nextIndex = 0
        for value in histogram.recordedValues() {
            let index = layout.index(of: value.value)
            let zeros = index - nextIndex
            if zeros == 1 {
                appendZigZag(0, to: &bytes)
            } else if zeros > 1 {
                appendZigZag(-Int64(zeros), to: &bytes)
            }
            appendZigZag(Int64(value.count), to: &bytes)
            nextIndex = index + 1
        }
        return bytes
    }

    /// HdrHistogram's `ZigZagEncoding.putLong`: the value ZigZag-mapped, then LEB128 in up to 8 bytes of 7
    /// bits, and a 9th byte of 8 bits for what is left, so that 64 bits fit in 9 bytes.
    static func appendZigZag(_ value: Int64, to bytes: inout [UInt8]) {
        var rest = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            guard rest >> 7 != 0 else {
                bytes.append(UInt8(rest))
                return
            }
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: rest))
    }

    /// Where a value's count sits in HdrHistogram's counts array: `countsArrayIndex` of the Java library,
    /// from the histogram's lowest discernible value and precision.
    struct CountsLayout {
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int
        let subBucketMask: UInt64
        let leadingZeroCountBase: Int

        init(_ histogram: Histogram<UInt64>) {
            unitMagnitude = Int(log2(Double(histogram.lowestDiscernibleValue)))
            let singleUnitResolution = 2 * pow(10.0, Double(histogram.numberOfSignificantValueDigits.rawValue))
            let subBucketCountMagnitude = Int(log2(singleUnitResolution).rounded(.up))
            subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
            subBucketMask = UInt64((1 << subBucketCountMagnitude) - 1) << unitMagnitude
            leadingZeroCountBase = 64 - unitMagnitude - subBucketCountMagnitude
        }

        func index(of value: UInt64) -> Int {
            let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
            let subBucket = Int(value >> UInt64(bucket + unitMagnitude))
            return ((bucket + 1) << subBucketHalfCountMagnitude) + subBucket - (1 << subBucketHalfCountMagnitude)
        }
    }
}

extension Data {
    mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
