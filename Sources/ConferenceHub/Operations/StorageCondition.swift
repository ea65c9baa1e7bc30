// StorageCondition: whether the store takes writes, and what to log about it. When the disk fills
// up every write fails alike; the operator needs one line when it starts, a reminder while it
// lasts and one when it ends — not a line per refused request. A pure rule; StorageMonitor applies
// it (logs, metrics, readiness, the probe that notices space coming back).

/// The store's write condition and the log lines it calls for.
struct StorageCondition: Equatable {
    /// What to log.
    enum Notice: Equatable {
        /// Writes started failing, with SQLite's error.
        case began(error: String)
        /// They still fail: for how long, and how many transactions were refused since it began.
        case continuing(for: Duration, refused: Int)
        /// Writes succeed again, after `for`, having refused `refused` transactions.
        case ended(for: Duration, refused: Int)
    }

    /// How often a reminder is logged while writes fail.
    static let reminderInterval = Duration.seconds(60)

    /// When writes started failing; nil while they succeed.
    private(set) var unavailableSince: ContinuousClock.Instant?
    private var lastNotice: ContinuousClock.Instant?
    /// Transactions refused since it began.
    private(set) var refused = 0

    var isWritable: Bool { unavailableSince == nil }

    /// A transaction failed because the storage cannot write.
    mutating func failed(_ error: String, at now: ContinuousClock.Instant) -> Notice? {
        refused += 1
        guard unavailableSince == nil else { return nil }
        unavailableSince = now
        lastNotice = now
        return .began(error: error)
    }

    /// A transaction with a successful write committed.
    mutating func succeeded(at now: ContinuousClock.Instant) -> Notice? {
        guard let since = unavailableSince else { return nil }
        let notice = Notice.ended(for: now - since, refused: refused)
        self = StorageCondition()
        return notice
    }

    /// Time passed (called periodically): a reminder is due every `reminderInterval` while
    /// writes fail.
    mutating func tick(at now: ContinuousClock.Instant) -> Notice? {
        guard let since = unavailableSince, let last = lastNotice, now - last >= Self.reminderInterval else { return nil }
        lastNotice = now
        return .continuing(for: now - since, refused: refused)
    }
}
