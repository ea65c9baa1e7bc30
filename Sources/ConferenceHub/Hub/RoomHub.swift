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
    private let coalescing: TimeAmount

    /// `coalescing`: under load, a room writes to its members at most once per this interval, so
    /// that each member gets several events per TLS record and socket write (zero: every commit
    /// is written at once).
    init(group: EventLoopGroup, coalescing: TimeAmount = .zero) {
        self.group = group
        self.coalescing = coalescing
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
            let room = Room(id: id, loop: preferred ?? group.next(), coalescing: coalescing)
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
    /// While catching up, live events wait here.
    var pending: [RoomEventRecord]?
    /// The highest sequence written to this member.
    var delivered: Int64 = 0
}

/// One room's live state. Touched only on `loop`.
final class Room: @unchecked Sendable {
    let id: String
    let loop: EventLoop
    private var members: [ObjectIdentifier: RoomMember] = [:]
    /// Connections per person present.
    private var presence: [PersonID: (unit: UnitID, connections: Int)] = [:]
    private let coalescing: TimeAmount
    /// Members written to in one go before the loop turns to other work (see `write(_:from:chunk:on:then:)`).
    private let writeChunk: Int
    /// Committed events not yet written to the members, and when the room last wrote.
    private var buffered: [RoomEventRecord] = []
    private var writeScheduled = false
    private var lastWrite: NIODeadline?
    /// Event loops (this one included) still writing the last batch to their members.
    private var writesInFlight = 0
    /// Whether the buffered batch began in a quiet room (nothing being written when its first
    /// event came).
    private var batchBeganQuiet = true
    /// How the last batch went out: every loop at once (true) or this loop first (false).
    private(set) var lastBatchTogether = false

    init(id: String, loop: EventLoop, coalescing: TimeAmount = .zero, writeChunk: Int = 50) {
        precondition(writeChunk > 0)
        self.id = id
        self.loop = loop
        self.coalescing = coalescing
        self.writeChunk = writeChunk
    }

    /// Takes committed events in commit order. While the room's last batch is still being
    /// written on other event loops, or when it wrote less than `coalescing` ago, they wait (with
    /// any that follow); otherwise they are written by a task queued behind the loop's waiting
    /// tasks, so that the commits which arrived while this loop was busy (writing the last batch
    /// to its own members, say) go out as one batch. A quiet room adds no delay; a busy one
    /// writes the next batch as soon as the last is out, so batches grow with the load on their
    /// own and no event waits for longer than one batch's writing.
    func deliver(_ events: [RoomEventRecord]) {
        loop.assertInEventLoop()
        if buffered.isEmpty { batchBeganQuiet = writesInFlight == 0 }
        buffered.append(contentsOf: events)
        writeWhenDue()
    }

    private func writeWhenDue() {
        guard !writeScheduled, writesInFlight == 0, !buffered.isEmpty else { return }
        writeScheduled = true
        // The loop's clock (the wall clock in production, a virtual one in tests).
        let due = lastWrite.map { $0 + coalescing } ?? loop.now
        if coalescing == .zero || loop.now >= due {
            loop.execute { [self] in
                writeScheduled = false
                if writesInFlight == 0, !buffered.isEmpty { writeBuffered() }
            }
        } else {
            loop.scheduleTask(deadline: due) { [self] in
                writeScheduled = false
                writeWhenDue()
            }
        }
    }

    private func writeBuffered() {
        let events = buffered
        buffered.removeAll(keepingCapacity: true)
        lastWrite = loop.now
        lastBatchTogether = batchBeganQuiet
        write(events, together: batchBeganQuiet)
    }

    /// An event loop (this one or another) finished writing its members' share of a batch.
    private func shareWritten() {
        loop.assertInEventLoop()
        writesInFlight -= 1
        writeWhenDue()
    }

    /// Writes events to the members: each event's bytes are encoded once and shared by
    /// every member; each member gets all of the commit's events and one flush (so its TLS layer
    /// seals them into as few records and socket writes as it can); members on another event
    /// loop are reached with one task per loop, not one per member; and each loop writes its share
    /// a chunk of members at a time, serving its other connections in between.
    ///
    /// `together`: the other loops start first and write their share while this loop writes its
    /// own (a quiet room: the least latency). Otherwise this loop writes first and the others
    /// after it (a busy room: a batch takes longer to go out, so the next one is larger and each
    /// delivery costs less, which is what keeps a loaded machine within its cores).
    private func write(_ events: [RoomEventRecord], together: Bool) {
        loop.assertInEventLoop()
        guard !events.isEmpty, !members.isEmpty else { return }
        let payloads = events.map { ByteBuffer(bytes: $0.body) }
        let sequences = events.map(\.position.sequence)
        // The whole batch as frames, encoded once; a member that already has the first events
        // (from its replay) gets the frames of the rest, encoded for it.
        let whole = WebSocketMessage.encodedTextFrames(payloads)
        var local: [(Channel, WebSocketMessage)] = []
        // Members on other loops; nil frames stand for the whole batch.
        var remote: [ObjectIdentifier: (loop: EventLoop, writes: [(Channel, WebSocketMessage?)])] = [:]
        // Walked by index and updated in place: iterating `members` while assigning to it would
        // copy the whole dictionary (every member) once per batch.
        var index = members.startIndex
        while index != members.endIndex {
            defer { members.formIndex(after: &index) }
            if members.values[index].pending != nil {
                members.values[index].pending!.append(contentsOf: events)
                continue
            }
            let member = members.values[index]
            guard let first = sequences.firstIndex(where: { $0 > member.delivered }) else { continue }
            members.values[index].delivered = sequences[sequences.count - 1]
            let frames = first == 0 ? nil : WebSocketMessage.encodedTextFrames(payloads[first...])
            let channelLoop = member.channel.eventLoop
            if channelLoop === loop {
                local.append((member.channel, frames ?? whole))
            } else {
                remote[ObjectIdentifier(channelLoop), default: (channelLoop, [])].writes.append((member.channel, frames))
            }
        }
        // In flight until this loop's share is written (and, in a busy room, the others' started).
        writesInFlight += 1
        let others = remote, chunk = writeChunk
        let startOthers: @Sendable () -> Void = { [self] in
            for (_, entry) in others {
                let writes = entry.writes
                writesInFlight += 1
                entry.loop.execute { [self] in
                    // The shared batch gets a copy of its own on this loop, so that the reference
                    // counting of a thousand writes does not bounce one cache line between cores.
                    let copy = WebSocketMessage(kind: whole.kind, data: ByteBuffer(buffer: whole.data))
                    Self.write(writes.map { ($0.0, $0.1 ?? copy) }, chunk: chunk, on: entry.loop) {
                        self.loop.execute { self.shareWritten() }
                    }
                }
            }
        }
        if together {
            startOthers()
            Self.write(local, chunk: chunk, on: loop) { [self] in shareWritten() }
        } else {
            Self.write(local, chunk: chunk, on: loop) { [self] in
                startOthers()
                shareWritten()
            }
        }
    }

    /// How long a loop steps away between two chunks of a batch's writes. Any future deadline
    /// makes NIO poll its sockets before it runs the next chunk; with 1 µs the deadline had often
    /// passed by the time the loop looked, and the next chunk ran at once.
    static let pauseBetweenChunks = TimeAmount.microseconds(20)

    /// Writes to the members `chunk` at a time, then calls `done` on `loop`. Between two chunks
    /// the loop reads its sockets and runs what else waits (a scheduled task does that; tasks
    /// queued with `execute` all run before NIO polls again), so that a batch for a thousand
    /// members does not hold up the requests of everyone on the loop until it is out.
    private static func write(
        _ writes: [(Channel, WebSocketMessage)], from start: Int = 0, chunk: Int, on loop: EventLoop, then done: @escaping @Sendable () -> Void
    ) {
        let end = min(start + chunk, writes.count)
        for index in start..<end { writes[index].0.writeAndFlush(writes[index].1, promise: nil) }
        if end < writes.count {
            loop.scheduleTask(in: pauseBetweenChunks) { write(writes, from: end, chunk: chunk, on: loop, then: done) }
        } else {
            done()
        }
    }

    /// Adds a member in catch-up state; returns whether this is the person's first connection here.
    func admit(channel: Channel, person: PersonID, unit: UnitID) -> Bool {
        loop.assertInEventLoop()
        members[ObjectIdentifier(channel)] = RoomMember(channel: channel, person: person, unit: unit, pending: [])
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
        member.delivered = last
        members[key] = member
        return true
    }

    /// Removes a member; returns the person and unit if it was their last connection here.
    func remove(channel: Channel) -> (PersonID, UnitID)? {
        loop.assertInEventLoop()
        guard let member = members.removeValue(forKey: ObjectIdentifier(channel)) else { return nil }
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
