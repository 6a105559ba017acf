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
}
