// Rejoin: what a connection that joins a room with a position it saw before gets — the events it
// missed, or a fresh start with the reason it cannot be recovered. A pure rule; the hub applies it.

/// How a join continues from the position a client gives.
public enum Rejoin: Equatable, Sendable {
    /// Replay the events after `after` through `through`: the client misses nothing.
    case recovered(after: Int64, through: Int64)
    /// Nothing is replayed; the client pages older events with `history` if it needs them.
    case fresh(Reason)

    /// Why a join could not recover.
    public enum Reason: String, Sendable, CaseIterable {
        /// The room's epoch differs from the client's: its numbering started again (a restore).
        case epochChanged = "epoch_changed"
        /// The client claims events the room does not have.
        case aheadOfRoom = "ahead_of_room"
        /// More events were missed than one join replays (`maxReplay`).
        case tooFarBehind = "too_far_behind"
        /// The client gave no position: a first join.
        case noLastSeq = "no_last_seq"
    }

    /// The rule.
    /// - Parameters:
    ///   - lastSequence: the last sequence number the client saw, if it gives one.
    ///   - epoch: the epoch the client saw, if it gives one.
    ///   - roomEpoch: the room's epoch now (nil for a room never written to).
    ///   - current: the room's last sequence number now.
    ///   - maxReplay: the most events one join replays.
    public static func decide(lastSequence: Int64?, epoch: String?, roomEpoch: String?, current: Int64, maxReplay: Int) -> Rejoin {
        guard let lastSequence else { return .fresh(.noLastSeq) }
        if let epoch, epoch != roomEpoch { return .fresh(.epochChanged) }
        if lastSequence > current { return .fresh(.aheadOfRoom) }
        if current - lastSequence > Int64(maxReplay) { return .fresh(.tooFarBehind) }
        return .recovered(after: lastSequence, through: current)
    }
}
