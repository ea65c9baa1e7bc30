// join: enters a room. The member is admitted in catch-up state first (live events wait in its
// buffer), the room's position is read, and the room itself writes the reply, then the replay
// (`Rejoin`), then live events: nothing is missed or shown twice.
import CaseCore
import Messaging
import NIOCore

struct Join: Command {
    static let name = "join"
    static let effect = CommandEffect.connection
    static var access: CommandAccess { .caseWork }
    static var repliesInOrder: Bool { true }

    struct Parameters: Sendable {
        let room: String
        let lastSequence: Int64?
        let epoch: String?
    }

    struct Output: Encodable, Sendable {
        let room: String
        let epoch: String
        let seq: Int64
        let recovered: Bool
        let replayed: Int
        let presence: [Member]
        /// Why nothing was replayed (`Rejoin.Reason`), and how to page older events.
        let reason: String?
        let history: String?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        if request.request.fields.count == 3, let room = request.request.fields["room"]?.string {
            return Parameters(room: try Check.room(room), lastSequence: nil, epoch: nil)
        }
        struct Fields: Decodable { let room: String; let lastSeq: Int64?; let epoch: String? }
        let fields = try request.decode(Fields.self)
        return Parameters(room: try Check.room(fields.room), lastSequence: try Check.sequence(fields.lastSeq, "last_seq"),
                          epoch: try Check.text(ifGiven: fields.epoch, "epoch", max: ParameterLimits.maxEpoch))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let room = parameters.room, link = context.connection, hub = context.hub
        guard !link.joined.contains(room) else { throw HubFailure(.invalidState, "already in \(room)") }
        let maxRooms = hub.configuration.maxRoomsPerConnection
        guard link.joined.count < maxRooms else { throw HubFailure(.limitExceeded, "a connection may join at most \(maxRooms) rooms") }
        let actor = try context.actor
        // In a meeting's room, how the person enters its record (MeetingAccess.attendance).
        let attendance = try await context.authorize(room: room).flatMap { MeetingAccess.attendance(of: actor, in: $0) }
        let output = try await enter(room, parameters: parameters, actor: actor, attendance: attendance, context: context)
        if await !link.apply(.joined(room)) {
            // The connection closed while it was joining, after its rooms were left: leave this
            // one too, or the member would stay present for good.
            try await hub.leave(room, channel: link.channel, logger: link.logger).get()
        }
        return output
    }

    /// Admits the member, records its presence on first entry, and completes the join on the
    /// room's loop; on failure the member is taken out again.
    private static func enter(
        _ room: String, parameters: Parameters, actor: Actor, attendance: AttendanceRole?, context: CommandContext
    ) async throws -> Output {
        let hub = context.hub, store = context.store, rooms = hub.rooms, channel = context.connection.channel
        let logger = context.connection.logger, now = hub.clock.now()
        // Only a room the person may join gets live state. It is pinned until the member is in,
        // so that it is not dropped meanwhile.
        let live = rooms.pinRoom(room, preferring: channel.eventLoop)
        let first: Bool
        do {
            first = try await live.loop.submit { live.admit(channel: channel, person: actor.person, unit: actor.unit) }.get()
            rooms.unpin(live)
        } catch {
            rooms.unpin(live)
            throw error
        }
        if let hook = hub.joinAdmittedHook.withLockedValue({ $0 }) { await hook(channel) }
        do {
            if first {
                do {
                    _ = try await store.appendRoomEvent(room: room, kind: "presence", at: now) { position in
                        try WireEvents.presence(position, person: actor.person, unit: actor.unit, joined: true)
                    }
                } catch let error as SQLiteError where error.isStorageUnavailable {
                    // Reading a room must not need the disk to take writes: the member joins,
                    // and the room's log lacks this presence event (the storage monitor logs
                    // the condition).
                    logger.debug("presence not recorded: the store cannot write", metadata: ["room": "\(room)"])
                }
                if let attendance {
                    await Hub.recordAttendance(room: room, person: actor.person, unit: actor.unit, joined: true, staff: attendance == .staff,
                                               store: store, logger: logger)
                }
            }
            let state = try await store.roomState(room)
            let current = state?.lastSequence ?? 0
            let rejoin = Rejoin.decide(lastSequence: parameters.lastSequence, epoch: parameters.epoch, roomEpoch: state?.epoch,
                                       current: current, maxReplay: hub.configuration.maxReplay)
            hub.metrics.rejoined(rejoin)
            var replay: [RoomEventRecord] = []
            if case .recovered(let after, let through) = rejoin {
                replay = try await store.roomEvents(room, after: after, through: through, limit: hub.configuration.maxReplay)
            }
            let replayed = replay
            var reason: String?, history: String?
            if case .fresh(let why) = rejoin {
                reason = why.rawValue
                history = "page older events with {\"type\": \"history\", \"room\": \"\(room)\", \"before\": \(current + 1)}"
            }
            let epoch = state?.epoch ?? "", reasonGiven = reason, historyHint = history
            let id = context.requestID
            // The reply names who is present as the member goes live; events up to `current`
            // come from the replay (or were missed on purpose), later ones live.
            let output = try await live.loop.submit { () -> Output? in
                var written: Output?
                live.completeJoin(channel: channel, reply: { present in
                    let made = Output(room: room, epoch: epoch, seq: current, recovered: reasonGiven == nil, replayed: replayed.count,
                                      presence: present.map { Member($0.person, $0.unit) }, reason: reasonGiven, history: historyHint)
                    written = made
                    return reply(id: id, result: made)
                }, replay: replayed, replayedThrough: current)
                return written
            }.get()
            // Nil: the member was taken out meanwhile, as its connection closed; nothing was written.
            guard let output else { throw HubFailure(.notJoined, "the connection closed while joining \(room)") }
            return output
        } catch {
            _ = try? await live.loop.submit {
                _ = live.remove(channel: channel)
                rooms.dropIfIdle(live)
            }.get()
            throw error
        }
    }
}
