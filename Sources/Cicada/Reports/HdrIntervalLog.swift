import Foundation
import Histogram

/// `--hdr-log FILE`: the run's response times as an HdrHistogram interval log, the `.hlog` text that
/// HdrHistogram's `HistogramLogWriter` writes and its `HistogramLogReader` and `HistogramLogProcessor`
/// (Java), PyPI's `hdrhistogram` and the other ports read:
///
/// ```
/// #[Histogram log format version 1.3]
/// #[StartTime: 1733499000.123 (seconds since epoch), 2026-12-06T15:30:00Z]
/// #[BaseTime: 1733499000.123 (seconds since epoch)]
/// #[Values are response times in microseconds; Interval_Max is in milliseconds]
/// "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
/// 0.000,1.000,4.351,HISTFAAAAC...
/// Tag=GET:/api/items,0.000,1.000,4.351,HISTFAAAAC...
/// ```
///
/// One line per second of the run (the history's seconds, the stop's part-second last) without a tag,
/// for every endpoint together, then one line per endpoint that had a successful request in that second,
/// tagged `Tag=METHOD:NAME` (``tag(for:)``). Timestamps are seconds from `BaseTime`, the run's start.
/// Values are microseconds (``makeLatencyHistogram()``'s 3 significant digits), of successful requests, from
/// the send, as everywhere in Cicada. The file is streamed as the run goes on to a temporary file and
/// renamed into place at the end (``ReportStream``). An observer in a chain: it hands every event on to
/// `next`. Used on the run's control thread.
public final class HdrIntervalLog: RunObserver {
    private let stream: ReportStream
    private var intervals = ResponseTimeIntervals()
    private var wroteHeader = false
    /// The tags of the plan's endpoints, made at the first interval.
    private var tags: [String] = []
    /// The observer that every event is handed on to.
    public var next: (any RunObserver)?

    /// HdrHistogram's tools divide values by this to print milliseconds (`-outputValueUnitRatio 1000`):
    /// the values are microseconds. `Interval_Max` is already divided by it.
    public static let valueUnitRatio = 1000.0

    /// Opens the log, a temporary file beside `file` until ``finish()``.
    /// - Throws: ``CicadaError`` when the file cannot be created.
    public init(file: ReportFile, next: (any RunObserver)? = nil) throws {
        stream = try file.stream()
        self.next = next
    }

    public func runStarted(target: String, threads: Int) { next?.runStarted(target: target, threads: threads) }

    public func report(_ progress: RunProgress) { next?.report(progress) }

    public func stopping(reason: String) { next?.stopping(reason: reason) }

    public func intervalClosed(_ tick: HistoryTick) {
        if !wroteHeader {
            stream.append(Self.header(startedAt: tick.startedAt))
            tags = Self.tags(for: tick.statistics.endpoints)
            wroteHeader = true
        }
        let (endpoints, all) = intervals.next(tick.statistics)
        let start = max(0, tick.point.elapsedS - tick.point.intervalS)
        var lines = Self.line(all, tag: nil, start: start, length: tick.point.intervalS)
        for (index, histogram) in endpoints.enumerated() where histogram.totalCount > 0 {
            lines += Self.line(histogram, tag: tags[index], start: start, length: tick.point.intervalS)
        }
        stream.append(lines)
        next?.intervalClosed(tick)
    }

    /// Puts the log in place.
    /// - Throws: ``CicadaError`` for a write, the sync or the rename that failed.
    public func finish() throws {
        try stream.commit()
    }

    /// The comment lines and the legend, as Java's writer puts them before the first interval.
    static func header(startedAt: Date) -> String {
        let seconds = String(format: "%.3f", startedAt.timeIntervalSince1970)
        return "#[Histogram log format version 1.3]\n"
            + "#[StartTime: \(seconds) (seconds since epoch), \(ISO8601DateFormatter().string(from: startedAt))]\n"
            + "#[BaseTime: \(seconds) (seconds since epoch)]\n"
            + "#[Written by Cicada \(cicadaVersion): response times of successful requests in microseconds; "
            + "Interval_Max in milliseconds; untagged lines are every endpoint together, Tag=METHOD:NAME lines one endpoint]\n"
            + "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
    }

    /// One interval line, in the form of Java's `outputIntervalHistogram`: `[Tag=TAG,]start,length,max,base64`.
    static func line(_ histogram: Histogram<UInt64>, tag: String?, start: Double, length: Double) -> String {
        let max = Double(histogram.totalCount > 0 ? histogram.max : 0) / valueUnitRatio
        return (tag.map { "Tag=\($0)," } ?? "")
            + String(format: "%.3f,%.3f,%.3f,", start, length, max) + HistogramEncoding.compressedBase64(histogram) + "\n"
    }

    /// Each endpoint's tag: `METHOD:NAME`, with every byte that a reader would take for the end of the tag
    /// (a comma, a space, a control character; Java's reader splits at any of them) and `%` itself written
    /// as `%XX`, so that `GET /a b,c` is `GET:/a%20b%2Cc`. Names are unique per method, so tags are too.
    static func tags(for endpoints: [Endpoint]) -> [String] {
        endpoints.map { endpoint in
            var tag = ""
            for byte in "\(endpoint.method):\(endpoint.name)".utf8 {
                if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: ","), byte != UInt8(ascii: "%") {
                    tag.append(Character(Unicode.Scalar(byte)))
                } else {
                    tag += String(format: "%%%02X", byte)
                }
            }
            return tag
        }
    }
}
