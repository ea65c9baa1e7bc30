// Restore: what a database copied back from a backup needs before a hub serves it. Clients may
// have seen events that the backup does not hold; the same sequence numbers will now carry other
// events, so every room gets a new epoch (a rejoin then says `epoch_changed` and the client
// reloads), and the decision log records that the record was restored and from what size.
import Foundation

/// What marking a restored database did.
public struct RestoreSummary: Sendable, Equatable {
    /// Rooms given a new epoch.
    public let rooms: Int
    /// The decision log's size before the `restore` entry.
    public let decisionLogSize: Int
}

extension CaseStore {
    /// Gives every room a new epoch and appends a `restore` entry to the decision log (signed
    /// like every entry when the store has the log's signing identity), in one transaction.
    public func markRestored(at now: Timestamp) async throws -> RestoreSummary {
        try await writeWithContext { context in
            let connection = context.connection
            let rooms = try connection.query("SELECT id FROM rooms ORDER BY id").compactMap { $0.string(0) }
            for room in rooms {
                try connection.run("UPDATE rooms SET epoch = ? WHERE id = ?", [.text(UUID().uuidString.lowercased()), .text(room)])
            }
            let size = try context.decisionLeaves().count
            try Self.appendDecision(RestoreEntry(at: now.milliseconds, roomsGivenNewEpochs: rooms.count, decisionLogSizeRestored: size),
                                    at: now, context: context)
            return RestoreSummary(rooms: rooms.count, decisionLogSize: size)
        }
    }
}
