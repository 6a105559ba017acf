import Foundation

/// CPU time and peak memory of this process.
struct ProcessUsage {
    var userSeconds: Double
    var systemSeconds: Double
    var peakRSSBytes: UInt64

    static func now() -> ProcessUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return ProcessUsage(userSeconds: seconds(usage.ru_utime), systemSeconds: seconds(usage.ru_stime),
                            peakRSSBytes: UInt64(usage.ru_maxrss) * 1024)
    }

    /// This process's resident memory now, from /proc/self/statm; 0 when it cannot be read.
    static func residentBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .ascii) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
