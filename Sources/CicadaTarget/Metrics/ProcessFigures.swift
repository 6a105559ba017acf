#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The process's CPU time and resident memory, read from procfs when `/metrics` is scraped.
struct ProcessFigures: Equatable {
    /// User plus system CPU seconds since the process started.
    var cpuSeconds: Double
    var residentBytes: Int

    /// nil where there is no procfs (it is Linux's), or when it cannot be read.
    static func read() -> ProcessFigures? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        return parse(stat: stat, statm: statm, ticksPerSecond: Int(sysconf(Int32(_SC_CLK_TCK))),
                     pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// proc(5): in `stat`, utime and stime are fields 14 and 15, in clock ticks. Field 2, the command name,
    /// is in parentheses and may itself hold spaces and parentheses, so fields are counted from after the
    /// last ')' (where field 3 starts). In `statm`, the second field is the resident set in pages.
    static func parse(stat: String, statm: String, ticksPerSecond: Int, pageSize: Int) -> ProcessFigures? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3, so field n is fields[n - 3].
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]), ticksPerSecond > 0 else {
            return nil
        }
        let pages = statm.split(separator: " ")
        guard pages.count > 1, let resident = Int(pages[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return nil
        }
        return ProcessFigures(cpuSeconds: (utime + stime) / Double(ticksPerSecond), residentBytes: resident * pageSize)
    }
}
