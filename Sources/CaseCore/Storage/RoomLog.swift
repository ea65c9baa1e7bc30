// RoomLog: the durable, ordered event log of each room (the lobby, a case, a meeting). Each room
// has a monotonic sequence and an epoch; an event is committed before anyone is told about it, and
// committed events are handed on in commit order for fan-out.
import Foundation

/// Room names.
public enum RoomID {
    /// The conference-wide room.
    public static let lobby = "lobby"
    /// The room of a case.
    public static func `case`(_ id: CaseID) -> String { "case-\(id.rawValue)" }
    /// The room of a meeting.
    public static func meeting(_ id: MeetingID) -> String { "meeting-\(id.rawValue)" }
    /// The meeting a room belongs to, if it is a meeting room.
    public static func meetingID(of room: String) -> MeetingID? {
        room.hasPrefix("meeting-") ? MeetingID(room) : nil
    }
    /// The case a room belongs to, if it is a case room.
    public static func caseID(of room: String) -> CaseID? {
        room.hasPrefix("case-") ? CaseID(room) : nil
    }
    /// Room ids are `lobby`, `case-N` or `meeting-N`.
    public static func isValid(_ room: String) -> Bool {
        room == lobby || caseID(of: room) != nil || (room.hasPrefix("meeting-") && Int64(room.dropFirst(8)).map { $0 > 0 } == true)
    }
}

/// Where an event sits in its room.
public struct RoomPosition: Sendable, Equatable {
    public let room: String
    public let sequence: Int64
    public let epoch: String
    public let at: Timestamp

    public init(room: String, sequence: Int64, epoch: String, at: Timestamp) {
        self.room = room
        self.sequence = sequence
        self.epoch = epoch
        self.at = at
    }
}

/// One stored room event: its position and its bytes exactly as sent to clients.
public struct RoomEventRecord: Sendable, Equatable {
    public let position: RoomPosition
    public let kind: String
    public let body: [UInt8]
}

/// Encodes a room event's wire bytes once its position is known.
public typealias RoomEventEncoder = (RoomPosition) throws -> [UInt8]

/// The hub's hooks into the store: where committed room events go, how case, meeting, notice and
/// deadline events are written in rooms, and the key that signs the decision log. Given to the
/// store when it is made (`CaseStore(path:…rooming:)`) and fixed from then on; every hook is
/// optional (a store without a sink writes room events that nobody is told about).
public struct RoomingConfiguration: Sendable {
    /// Called on the writer thread after each commit with that commit's room events, in order.
    public var sink: (@Sendable ([RoomEventRecord]) -> Void)?
    /// Makes every case event also a room event in its case room.
    public var caseEventEncoder: (@Sendable (CaseEvent, RoomPosition) throws -> [UInt8])?
    /// Makes each negotiation milestone (``CaseChange/isLobbyNotice``) also a notice in the lobby,
    /// from the event and the case state after it.
    public var lobbyNoticeEncoder: (@Sendable (CaseEvent, PetitionCase, RoomPosition) throws -> [UInt8])?
    /// Makes every meeting event a room event in its meeting room (and the convening, cancelling
    /// and sealing also lobby notices; the encoder sees the room in the position).
    public var meetingEventEncoder: (@Sendable (MeetingEvent, Meeting, RoomPosition) throws -> [UInt8])?
    /// Makes each deadline warning a `deadline` event in the case room.
    public var deadlineWarningEncoder: (@Sendable (DeadlineWarning, PetitionCase, RoomPosition) throws -> [UInt8])?
    /// The key that signs the decision log's checkpoints (without it, entries are appended unsigned).
    public var decisionLogIdentity: DecisionLogIdentity?

    public init(
        sink: (@Sendable ([RoomEventRecord]) -> Void)? = nil,
        caseEventEncoder: (@Sendable (CaseEvent, RoomPosition) throws -> [UInt8])? = nil,
        lobbyNoticeEncoder: (@Sendable (CaseEvent, PetitionCase, RoomPosition) throws -> [UInt8])? = nil,
        meetingEventEncoder: (@Sendable (MeetingEvent, Meeting, RoomPosition) throws -> [UInt8])? = nil,
        deadlineWarningEncoder: (@Sendable (DeadlineWarning, PetitionCase, RoomPosition) throws -> [UInt8])? = nil,
        decisionLogIdentity: DecisionLogIdentity? = nil
    ) {
        self.sink = sink
        self.caseEventEncoder = caseEventEncoder
        self.lobbyNoticeEncoder = lobbyNoticeEncoder
        self.meetingEventEncoder = meetingEventEncoder
        self.deadlineWarningEncoder = deadlineWarningEncoder
        self.decisionLogIdentity = decisionLogIdentity
    }

    /// The public key that verifies the checkpoints, when a signing key is set.
    public var decisionPublicKey: [UInt8]? { decisionLogIdentity?.signer.publicKey }

    func deliver(_ events: [RoomEventRecord]) { sink?(events) }
}

enum RoomLog {
    /// Appends an event to `room` (creating the room with a fresh epoch if needed). Writer thread.
    static func append(room: String, kind: String, at now: Timestamp, context: CaseStore.WriterContext,
                       encode: RoomEventEncoder) throws -> RoomEventRecord {
        let connection = context.connection
        var state = context.rooms[room]
        if state == nil {
            if let row = try connection.query("SELECT epoch, last_seq FROM rooms WHERE id = ?", [.text(room)]).first {
                state = (row.string(0) ?? "", row.int(1) ?? 0)
            } else {
                let epoch = UUID().uuidString.lowercased()
                try connection.run("INSERT INTO rooms (id, epoch, created_at, last_seq) VALUES (?, ?, ?, 0)",
                                   [.text(room), .text(epoch), .integer(now.milliseconds)])
                state = (epoch, 0)
            }
        }
        let position = RoomPosition(room: room, sequence: state!.lastSequence + 1, epoch: state!.epoch, at: now)
        let body = try encode(position)
        try connection.run("INSERT INTO room_events (room_id, seq, kind, at, body) VALUES (?, ?, ?, ?, ?)",
                           [.text(room), .integer(position.sequence), .text(kind), .integer(now.milliseconds),
                            .text(String(decoding: body, as: UTF8.self))])
        try connection.run("UPDATE rooms SET last_seq = ? WHERE id = ?", [.integer(position.sequence), .text(room)])
        context.rooms[room] = (state!.epoch, position.sequence)
        let record = RoomEventRecord(position: position, kind: kind, body: body)
        context.pendingRoomEvents.append(record)
        return record
    }
}

/// The result of a post.
public struct PostResult: Sendable, Equatable {
    public let position: RoomPosition
    /// True when the idempotency key had been used: nothing new was written.
    public let duplicate: Bool
}

extension CaseStore {
    /// Appends an event to a room; returns it once committed.
    public func appendRoomEvent(room: String, kind: String, at now: Timestamp,
                                encode: @escaping @Sendable (RoomPosition) throws -> [UInt8]) async throws -> RoomEventRecord {
        try await writeWithContext { context in
            try RoomLog.append(room: room, kind: kind, at: now, context: context, encode: encode)
        }
    }

    /// Posts a message. A key `person` used before returns the first post's position and writes
    /// nothing.
    public func post(room: String, idempotencyKey: String, by person: PersonID, at now: Timestamp,
                     encode: @escaping @Sendable (RoomPosition) throws -> [UInt8]) async throws -> PostResult {
        try await writeWithContext { context in
            try Self.post(room: room, idempotencyKey: idempotencyKey, by: person, at: now, context: context, encode: encode)
        }
    }

    /// Posts a message and calls `completion` once it is durable (or refused), on the store's
    /// writer thread: the caller hands the result to where it is needed (an event loop) and
    /// does nothing else there. The hub's hot path, without a task per request.
    public func post(room: String, idempotencyKey: String, by person: PersonID, at now: Timestamp,
                     encode: @escaping @Sendable (RoomPosition) throws -> [UInt8],
                     completion: @escaping @Sendable (Result<PostResult, Error>) -> Void) {
        submitWithContext({ context in
            try Self.post(room: room, idempotencyKey: idempotencyKey, by: person, at: now, context: context, encode: encode)
        }, completion: completion)
    }

    private static func post(room: String, idempotencyKey: String, by person: PersonID, at now: Timestamp,
                             context: WriterContext, encode: RoomEventEncoder) throws -> PostResult {
        let connection = context.connection
        if let row = try connection.query(
            """
            SELECT k.room_id, k.seq, r.epoch, e.at FROM post_keys k JOIN rooms r ON r.id = k.room_id
            JOIN room_events e ON e.room_id = k.room_id AND e.seq = k.seq
            WHERE k.person_id = ? AND k.idempotency_key = ?
            """, [.text(person.rawValue), .text(idempotencyKey)]).first {
            return PostResult(
                position: RoomPosition(room: row.string(0) ?? "", sequence: row.int(1) ?? 0, epoch: row.string(2) ?? "",
                                       at: Timestamp(milliseconds: row.int(3) ?? 0)),
                duplicate: true)
        }
        let record = try RoomLog.append(room: room, kind: "message", at: now, context: context, encode: encode)
        try connection.run("INSERT INTO post_keys (person_id, idempotency_key, room_id, seq) VALUES (?, ?, ?, ?)",
                           [.text(person.rawValue), .text(idempotencyKey), .text(room), .integer(record.position.sequence)])
        return PostResult(position: record.position, duplicate: false)
    }

    /// A room's epoch and last committed sequence (nil if nothing was ever written to it).
    public func roomState(_ room: String) async throws -> (epoch: String, lastSequence: Int64)? {
        try await read { connection in
            try connection.query("SELECT epoch, last_seq FROM rooms WHERE id = ?", [.text(room)]).first.map { ($0.string(0) ?? "", $0.int(1) ?? 0) }
        }
    }

    /// Events of `room` with sequence in `(after, through]`, oldest first, at most `limit`.
    public func roomEvents(_ room: String, after: Int64, through: Int64 = .max, limit: Int) async throws -> [RoomEventRecord] {
        try await read { connection in
            try Self.roomEvents(connection, room: room,
                                where: "seq > ? AND seq <= ? ORDER BY seq ASC LIMIT ?", [.integer(after), .integer(through), .integer(Int64(limit))])
        }
    }

    /// Events of `room` before `before`, newest first, at most `limit`.
    public func roomEvents(_ room: String, before: Int64, limit: Int) async throws -> [RoomEventRecord] {
        try await read { connection in
            try Self.roomEvents(connection, room: room, where: "seq < ? ORDER BY seq DESC LIMIT ?", [.integer(before), .integer(Int64(limit))])
        }
    }

    private static func roomEvents(_ connection: SQLiteConnection, room: String, where clause: String, _ bindings: [SQLiteValue]) throws -> [RoomEventRecord] {
        let epoch = try connection.query("SELECT epoch FROM rooms WHERE id = ?", [.text(room)]).first?.string(0) ?? ""
        return try connection.query("SELECT seq, kind, at, body FROM room_events WHERE room_id = ? AND \(clause)", [.text(room)] + bindings).map { row in
            RoomEventRecord(
                position: RoomPosition(room: room, sequence: row.int(0) ?? 0, epoch: epoch, at: Timestamp(milliseconds: row.int(2) ?? 0)),
                kind: row.string(1) ?? "", body: Array((row.string(3) ?? "").utf8))
        }
    }
}
