// RoomLifetimeTests: a live room lasts while it has members or a join under way, and is dropped
// when its last member leaves; a join that was under way then keeps it, and its member gets the
// room's events. On an EmbeddedEventLoop run by hand.
@testable import CaseCore
@testable import ConferenceHub
import Messaging
import NIOCore
import NIOEmbedded
import XCTest

final class RoomLifetimeTests: XCTestCase {
    /// Joins `channel` to `id` the way a `join` does: pin, admit, unpin, go live.
    private func join(_ hub: RoomHub, _ id: String, _ channel: EmbeddedChannel, person: String, loop: EmbeddedEventLoop) throws -> Room {
        let room = hub.pinRoom(id, preferring: loop)
        _ = room.admit(channel: channel, person: PersonID(person), unit: UnitID("u"))
        hub.unpin(room)
        loop.run()
        XCTAssertTrue(room.completeJoin(channel: channel, reply: { _ in ByteBuffer(string: "{}") }, replay: [], replayedThrough: 0))
        XCTAssertEqual(try channel.readOutbound(as: WebSocketMessage.self)?.kind, .text, "the join reply")
        return room
    }

    /// Leaves the way `leave` and a closed connection do.
    private func leave(_ hub: RoomHub, _ room: Room, _ channel: EmbeddedChannel) {
        _ = room.remove(channel: channel)
        hub.dropIfIdle(room)
    }

    func testARoomIsDroppedWhenItsLastMemberLeaves() throws {
        let loop = EmbeddedEventLoop()
        let hub = RoomHub(group: loop)
        let first = EmbeddedChannel(loop: loop), second = EmbeddedChannel(loop: loop)
        let room = try join(hub, "case-1", first, person: "a", loop: loop)
        XCTAssertTrue(try join(hub, "case-1", second, person: "b", loop: loop) === room)
        XCTAssertEqual(hub.liveRoomCount, 1)
        leave(hub, room, first)
        XCTAssertEqual(hub.liveRoomCount, 1, "one member is still in it")
        leave(hub, room, second)
        XCTAssertEqual(hub.liveRoomCount, 0, "the last member left")
        XCTAssertNil(hub.existingRoom("case-1"))
        hub.deliver([RoomEventRecord.test(1)])
        loop.run()
        XCTAssertNil(try first.readOutbound(as: WebSocketMessage.self), "nobody is written to")
        let again = try join(hub, "case-1", first, person: "a", loop: loop)
        XCTAssertFalse(again === room, "the next join starts the room anew")
        hub.deliver([RoomEventRecord.test(2)])
        loop.run()
        XCTAssertEqual(try first.readOutbound(as: WebSocketMessage.self)?.kind, .frames, "and gets its events")
    }

    /// The last member leaves while someone is joining (the room pinned, the member not yet
    /// admitted): the room stays, and the joiner is in the room that commits reach.
    func testAJoinUnderWayKeepsTheRoom() throws {
        let loop = EmbeddedEventLoop()
        let hub = RoomHub(group: loop)
        let leaving = EmbeddedChannel(loop: loop), joining = EmbeddedChannel(loop: loop)
        let room = try join(hub, "case-1", leaving, person: "a", loop: loop)
        let pinned = hub.pinRoom("case-1", preferring: loop)
        XCTAssertTrue(pinned === room)
        leave(hub, room, leaving)
        XCTAssertTrue(hub.existingRoom("case-1") === room, "a join under way keeps the room")
        XCTAssertTrue(room.admit(channel: joining, person: PersonID("b"), unit: UnitID("u")))
        hub.unpin(room)
        loop.run()
        XCTAssertTrue(hub.existingRoom("case-1") === room, "its member keeps it now")
        hub.deliver([RoomEventRecord.test(1)])
        loop.run()
        XCTAssertTrue(room.completeJoin(channel: joining, reply: { _ in ByteBuffer(string: "{}") }, replay: [], replayedThrough: 0))
        XCTAssertEqual(try joining.readOutbound(as: WebSocketMessage.self)?.kind, .text, "the join reply")
        XCTAssertEqual(try joining.readOutbound(as: WebSocketMessage.self)?.kind, .text, "then the event that came while it caught up")
        leave(hub, room, joining)
        XCTAssertEqual(hub.liveRoomCount, 0)
    }

    /// A join that fails before its member is admitted leaves no room behind.
    func testAJoinThatNeverAdmitsLeavesNoRoom() {
        let loop = EmbeddedEventLoop()
        let hub = RoomHub(group: loop)
        let room = hub.pinRoom("case-1", preferring: loop)
        XCTAssertEqual(hub.liveRoomCount, 1)
        hub.unpin(room)
        XCTAssertEqual(hub.liveRoomCount, 1, "dropped on the room's loop")
        loop.run()
        XCTAssertEqual(hub.liveRoomCount, 0)
    }
}

extension RoomEventRecord {
    /// A committed message event of room `case-1` whose body is `{"seq":N}`.
    static func test(_ sequence: Int64) -> RoomEventRecord {
        RoomEventRecord(
            position: RoomPosition(room: "case-1", sequence: sequence, epoch: "e", at: Timestamp(milliseconds: 0)),
            kind: "message", body: Array(#"{"seq":\#(sequence)}"#.utf8))
    }
}
