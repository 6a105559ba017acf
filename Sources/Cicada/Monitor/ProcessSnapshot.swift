#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One reading of a local process from procfs (proc(5)), for `--monitor-pid`.
public struct ProcessSnapshot: Sendable, Equatable {
    /// User plus system CPU seconds since the process started.
    public var cpuSeconds: Double
    public var residentBytes: UInt64
    /// Threads; `nil` when the source does not say (a scrape without `process_threads`).
    public var threads: Int?
    /// Open file descriptors; `nil` when `/proc/PID/fd` cannot be listed (another user's process).
    public var openFiles: Int?
    /// A scrape's other series asked for (`--monitor-series`), each summed over its label sets; empty for a
    /// process read from procfs.
    public var series: [String: Double] = [:]

    /// Reads process `pid`; `nil` when it does not exist (or has ended) or its `stat` cannot be read.
    public static func read(pid: Int32) -> ProcessSnapshot? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        guard var snapshot = parse(stat: stat, ticksPerSecond: Int(sysconf(Int32(_SC_CLK_TCK))),
                                   pageSize: Int(sysconf(Int32(_SC_PAGESIZE)))) else { return nil }
        snapshot.openFiles = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
        return snapshot
    }

    /// Reads a `/proc/PID/stat` line. Field 2, the command name, is in parentheses and may hold spaces and
    /// parentheses itself, so fields are counted from after the last ')', where field 3 starts: the state
    /// is field 3, utime and stime are fields 14 and 15 (clock ticks), num_threads field 20 and rss field 24
    /// (pages). A zombie (state Z, or X) has ended, though its parent has not reaped it yet: `nil`.
    static func parse(stat: String, ticksPerSecond: Int, pageSize: Int) -> ProcessSnapshot? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0, pageSize > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> UInt64? {
            let index = number - 3
            return index < fields.count ? UInt64(fields[index].trimmingCharacters(in: .whitespacesAndNewlines)) : nil
        }
        guard let state = fields.first, state != "Z", state != "X" else { return nil }
        guard let utime = field(14), let stime = field(15), let threads = field(20), let rss = field(24) else { return nil }
        return ProcessSnapshot(cpuSeconds: Double(utime + stime) / Double(ticksPerSecond),
                               residentBytes: rss * UInt64(pageSize), threads: Int(threads), openFiles: nil)
    }
}
