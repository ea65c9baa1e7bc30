// RoomHub: the live side of rooms. Each room is confined to one event loop; committed events reach
// it in commit order and are written, as the same bytes, to every member. A joining member is held
// in catch-up while its replay is read, buffering live events, so it sees every event once, in order.
import CaseCore
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOCore

/// All rooms with members.
final class RoomHub: Sendable {
    private let rooms = NIOLockedValueBox<[String: Room]>([:])
    private let group: EventLoopGroup

    init(group: EventLoopGroup) {
        self.group = group
    }

    /// The live room `id`, created on first use.
    func room(_ id: String) -> Room {
        rooms.withLockedValue { rooms in
            if let room = rooms[id] { return room }
            let room = Room(id: id, loop: group.next())
            rooms[id] = room
            return room
        }
    }

    /// Committed events, in commit order (called on the store's writer thread).
    func deliver(_ records: [RoomEventRecord]) {
        var byRoom: [String: [RoomEventRecord]] = [:]
        var order: [String] = []
        for record in records {
            if byRoom[record.position.room] == nil { order.append(record.position.room) }
            byRoom[record.position.room, default: []].append(record)
        }
        let live = rooms.withLockedValue { rooms in order.compactMap { rooms[$0] } }
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

    init(id: String, loop: EventLoop) {
        self.id = id
        self.loop = loop
    }

    /// Writes committed events to the members (the same buffer for all: encoded once).
    func deliver(_ events: [RoomEventRecord]) {
        loop.assertInEventLoop()
        for event in events {
            let message = WebSocketMessage(kind: .text, data: ByteBuffer(bytes: event.body))
            for key in Array(members.keys) {
                guard var member = members[key] else { continue }
                if member.pending != nil {
                    member.pending!.append(event)
                } else if event.position.sequence > member.delivered {
                    member.channel.writeAndFlush(message, promise: nil)
                    member.delivered = event.position.sequence
                }
                members[key] = member
            }
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

    /// Ends catch-up: writes `reply`, then `replay`, then the live events that arrived meanwhile
    /// (skipping any already replayed), and switches the member to live delivery.
    /// Returns false when the member had left meanwhile (nothing is written then).
    @discardableResult
    func completeJoin(channel: Channel, reply: ByteBuffer, replay: [RoomEventRecord], replayedThrough: Int64) -> Bool {
        loop.assertInEventLoop()
        let key = ObjectIdentifier(channel)
        guard var member = members[key] else { return false }
        channel.write(WebSocketMessage(kind: .text, data: reply), promise: nil)
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
}
