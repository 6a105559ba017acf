import Cicada
import Foundation

/// Each user holds one socket; the soft limit (often 1024) would fail connects long before the box is
/// busy, so raise it towards the hard limit.
func raiseOpenFileLimit(users: Int, warnings: ConsoleStream) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    let wanted = rlim_t(users + 256)
    if limit.rlim_cur < wanted {
        limit.rlim_cur = min(limit.rlim_max, max(wanted, limit.rlim_cur))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    if limit.rlim_cur < wanted {
        warnings.write("warning: the open-files limit is \(limit.rlim_cur), below \(users) users; raise it with ulimit -n\n")
    }
}
