// OpenFileLimit: every connection holds a file descriptor, and a service manager's default soft
// limit (often 1,024) would cap the hub far below what it can serve. `serve` (and `bench`, for
// itself and the hub it starts) raises the soft limit to the hard one at start, as the system
// allows any process to.
#if canImport(Glibc)
import Glibc
#endif

enum OpenFileLimit {
    /// Below this many, `serve` warns at start.
    static let lowWatermark: UInt64 = 4_096

    /// Raises this process's soft limit on open files to its hard limit. Returns the limit before
    /// and after (equal when it was already at the hard limit or could not be raised), or nil
    /// when the limits cannot be read.
    @discardableResult
    static func raise() -> (before: UInt64, after: UInt64)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (before, before) }
        return (before, UInt64(limit.rlim_max))
    }
}
