import CCicadaCore

/// What every counter reads from a sample, in one place: whether it succeeded or was cancelled, and its two
/// latencies in microseconds (at least 1, the histograms' lowest value). ``RunStatistics``,
/// ``IntervalRecorder`` and ``EndpointWindows`` count by these rules, so their figures agree.
extension cc_sample_t {
    var succeeded: Bool { Int(failure) == Int(CC_FAIL_NONE.rawValue) }
    var wasCancelled: Bool { Int(failure) == Int(CC_FAIL_CANCELLED.rawValue) }
    /// From the actual start (the connect, or the first write on a reused connection) to the end.
    var responseMicroseconds: UInt64 { max(1, (end_ns &- start_ns) / 1000) }
    /// From the intended start (the end of the user's wait) to the end.
    var fromIntendedStartMicroseconds: UInt64 { max(1, (end_ns &- intended_ns) / 1000) }
}
