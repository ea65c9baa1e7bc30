// RoomHub: the live side of rooms. Each room is confined to one event loop; committed events reach
// it in commit order and are written, as the same bytes, to every member. A joining member is held
// in catch-up while its replay is read, buffering live events, so it sees every event once, in order.
import CaseCore
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOCore

/// All rooms with members, or with someone joining. A room whose last member leaves is dropped
/// (its next joiner starts a new one), so live state does not grow with every room ever joined.
final class RoomHub: Sendable {
    private struct Entry {
        let room: Room
        /// Joins under way that have not yet admitted their member.
        var pins: Int
    }

    private let rooms = NIOLockedValueBox<[String: Entry]>([:])
    private let group: EventLoopGroup
    private let pacing: FanoutPacing
    private let metrics: HubMetrics

    /// `pacing`: how often a room may write to one member (see `FanoutPacing`; zero: as soon as
    /// the member's turn comes). `metrics`: where members and deliveries are counted.
    init(group: EventLoopGroup, pacing: FanoutPacing = FanoutPacing(), metrics: HubMetrics = .none) {
        self.group = group
        self.pacing = pacing
        self.metrics = metrics
    }

    /// The live room `id` for a join, created on first use on `preferred` (the first joiner's
    /// event loop, so that a room whose members share one loop never hands its events to another
    /// thread). The room is pinned: it is not dropped until `unpin(_:)`, which the joiner calls
    /// once its member is admitted (or the join failed).
    func pinRoom(_ id: String, preferring preferred: EventLoop? = nil) -> Room {
        rooms.withLockedValue { rooms in
            if var entry = rooms[id] {
                entry.pins += 1
                rooms[id] = entry
                return entry.room
            }
            let room = Room(id: id, loop: preferred ?? group.next(), pacing: pacing, metrics: metrics)
            rooms[id] = Entry(room: room, pins: 1)
            return room
        }
    }

    /// Ends a pin of `pinRoom(_:preferring:)`; the room is dropped if nobody is in it.
    func unpin(_ room: Room) {
        rooms.withLockedValue { rooms in
            guard var entry = rooms[room.id], entry.room === room else { return }
            entry.pins -= 1
            rooms[room.id] = entry
        }
        room.loop.execute { self.dropIfIdle(room) }
    }

    /// The live room `id`, if it has live state.
    func existingRoom(_ id: String) -> Room? {
        rooms.withLockedValue { $0[id]?.room }
    }

    /// Drops `room` when it has no members and no join is under way (called on its loop after a
    /// member left). A member is only ever admitted on this loop, and a join pins the room
    /// before it admits, so a room found empty here with no pins stays empty until it is gone:
    /// the next join creates a new one, and commits after that reach the new one.
    func dropIfIdle(_ room: Room) {
        room.loop.assertInEventLoop()
        guard room.isEmpty else { return }
        rooms.withLockedValue { rooms in
            if let entry = rooms[room.id], entry.room === room, entry.pins == 0 { rooms[room.id] = nil }
        }
    }

    /// Rooms with live state: rooms with members, or with a join under way.
    var liveRoomCount: Int { rooms.withLockedValue { $0.count } }

    /// Committed events, in commit order (called on the store's writer thread).
    func deliver(_ records: [RoomEventRecord]) {
        var byRoom: [String: [RoomEventRecord]] = [:]
        var order: [String] = []
        for record in records {
            if byRoom[record.position.room] == nil { order.append(record.position.room) }
            byRoom[record.position.room, default: []].append(record)
        }
        let live = rooms.withLockedValue { rooms in order.compactMap { rooms[$0]?.room } }
        for room in live {
            let events = byRoom[room.id] ?? []
            // One task per room per commit keeps each room's events in order on its loop.
            room.loop.execute { room.deliver(events) }
        }
    }
}

/// Someone in a room: one connection of one person.
struct RoomMember {
    let channel: Channel
    let person: PersonID
    let unit: UnitID
    /// While catching up, live events wait here; nil once live (its event loop's `RoomSweep`
    /// writes to it from then on).
    var pending: [RoomEventRecord]?
}

/// One room's live state. Touched only on `loop`.
final class Room: @unchecked Sendable {
    let id: String
    let loop: EventLoop
    private var members: [ObjectIdentifier: RoomMember] = [:]
    /// Members still catching up.
    private var joining: Set<ObjectIdentifier> = []
    /// Connections per person present.
    private var presence: [PersonID: (unit: UnitID, connections: Int)] = [:]
    /// What writes to the live members, one per event loop that has any, with how many it has.
    private var sweeps: [ObjectIdentifier: (sweep: RoomSweep, members: Int)] = [:]
    /// How often a member may be written to (`serve --fanout-interval-ms`, `--fanout-pace-us`).
    private let pacing: FanoutPacing
    /// Members written to in one go before a loop turns to other work (see `RoomSweep`).
    private let writeChunk: Int

    private let metrics: HubMetrics

    init(id: String, loop: EventLoop, pacing: FanoutPacing = FanoutPacing(), writeChunk: Int = 50, metrics: HubMetrics = .none) {
        precondition(writeChunk > 0)
        self.metrics = metrics
        self.id = id
        self.loop = loop
        self.pacing = pacing
        self.writeChunk = writeChunk
    }

    /// Takes committed events in commit order. Members still catching up keep them for the end
    /// of their join; for the live ones the events are encoded as frames once, here, and each
    /// event loop with live members gets them (one task per loop) and writes them to its
    /// members as its `RoomSweep` comes round to each.
    func deliver(_ events: [RoomEventRecord]) {
        loop.assertInEventLoop()
        guard !events.isEmpty else { return }
        for key in joining { members[key]?.pending?.append(contentsOf: events) }
        guard !sweeps.isEmpty else { return }
        let batch = RoomSweep.Batch(events)
        for (_, entry) in sweeps {
            let sweep = entry.sweep
            onLoop(of: sweep) { sweep.append(batch) }
        }
    }

    /// Runs `body` on `sweep`'s loop: at once when that is this loop, else as a task there (tasks
    /// from this loop reach it in the order they were sent).
    private func onLoop(of sweep: RoomSweep, _ body: @escaping @Sendable () -> Void) {
        if sweep.loop === loop { body() } else { sweep.loop.execute(body) }
    }

    /// Adds a member in catch-up state; returns whether this is the person's first connection here.
    func admit(channel: Channel, person: PersonID, unit: UnitID) -> Bool {
        loop.assertInEventLoop()
        members[ObjectIdentifier(channel)] = RoomMember(channel: channel, person: person, unit: unit, pending: [])
        metrics.roomMembers.increment()
        joining.insert(ObjectIdentifier(channel))
        let count = (presence[person]?.connections ?? 0) + 1
        presence[person] = (unit, count)
        return count == 1
    }

    /// Ends catch-up: writes the reply (built from who is present now), then `replay`, then the
    /// live events that arrived meanwhile (skipping any already replayed), and switches the member
    /// to live delivery. Returns false when the member had left meanwhile (nothing is written then).
    @discardableResult
    func completeJoin(
        channel: Channel, reply: ([(person: PersonID, unit: UnitID)]) -> ByteBuffer, replay: [RoomEventRecord], replayedThrough: Int64
    ) -> Bool {
        loop.assertInEventLoop()
        let key = ObjectIdentifier(channel)
        guard var member = members[key] else { return false }
        channel.write(WebSocketMessage(kind: .text, data: reply(present())), promise: nil)
        var last = replayedThrough
        for event in replay {
            channel.write(WebSocketMessage(kind: .text, data: ByteBuffer(bytes: event.body)), promise: nil)
            last = max(last, event.position.sequence)
        }
        for event in member.pending ?? [] where event.position.sequence > last {
            channel.write(WebSocketMessage(kind: .text, data: ByteBuffer(bytes: event.body)), promise: nil)
            last = event.position.sequence
        }
        channel.flush()
        member.pending = nil
        members[key] = member
        joining.remove(key)
        // From here on the member's loop writes to it every event after `last`. Its events and
        // this task reach that loop in the order this loop sent them, after the writes above.
        let memberLoop = channel.eventLoop, loopKey = ObjectIdentifier(memberLoop)
        let sweep: RoomSweep
        if let entry = sweeps[loopKey] {
            sweep = entry.sweep
            sweeps[loopKey] = (sweep, entry.members + 1)
        } else {
            sweep = RoomSweep(loop: memberLoop, chunk: writeChunk, pacing: pacing, deliveries: metrics.deliveries, sentBytes: metrics.sentBytes)
            sweeps[loopKey] = (sweep, 1)
        }
        let delivered = last
        onLoop(of: sweep) { sweep.add(channel, delivered: delivered) }
        return true
    }

    /// Removes a member; returns the person and unit if it was their last connection here.
    func remove(channel: Channel) -> (PersonID, UnitID)? {
        loop.assertInEventLoop()
        let key = ObjectIdentifier(channel)
        guard let member = members.removeValue(forKey: key) else { return nil }
        metrics.roomMembers.decrement()
        if joining.remove(key) == nil {
            let loopKey = ObjectIdentifier(channel.eventLoop)
            if let entry = sweeps[loopKey] {
                sweeps[loopKey] = entry.members > 1 ? (entry.sweep, entry.members - 1) : nil
                let sweep = entry.sweep
                onLoop(of: sweep) { sweep.remove(channel) }
            }
        }
        guard let entry = presence[member.person] else { return nil }
        if entry.connections <= 1 {
            presence[member.person] = nil
            return (member.person, entry.unit)
        }
        presence[member.person] = (entry.unit, entry.connections - 1)
        return nil
    }

    /// Who is present: each person once, with their unit.
    func present() -> [(person: PersonID, unit: UnitID)] {
        loop.assertInEventLoop()
        return presence.map { ($0.key, $0.value.unit) }.sorted { $0.person < $1.person }
    }

    /// What writes to the live members on `loop`, if any are there.
    func sweep(on loop: EventLoop) -> RoomSweep? {
        self.loop.assertInEventLoop()
        return sweeps[ObjectIdentifier(loop)]?.sweep
    }

    var memberCount: Int {
        loop.assertInEventLoop()
        return members.count
    }

    /// No members (none joining, none live).
    var isEmpty: Bool {
        loop.assertInEventLoop()
        return members.isEmpty
    }
}
