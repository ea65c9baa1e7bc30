// RoomBatchingTests: how a live room groups committed events into writes to its members. On one
// event loop (an EmbeddedEventLoop here), commits that queue up while the loop is busy must go out
// as one batch, in order, each event once.
@testable import CaseCore
@testable import ConferenceHub
import Messaging
import NIOCore
import NIOEmbedded
import XCTest

final class RoomBatchingTests: XCTestCase {
    private func record(_ sequence: Int64) -> RoomEventRecord {
        RoomEventRecord(
            position: RoomPosition(room: "case-1", sequence: sequence, epoch: "e", at: Timestamp(milliseconds: 0)),
            kind: "message", body: Array(#"{"seq":\#(sequence)}"#.utf8))
    }

    /// The payloads of the text frames in one write, in order.
    private func payloads(_ message: WebSocketMessage) -> [String] {
        var data = message.data
        var found: [String] = []
        while let first = data.readInteger(as: UInt8.self), let length = data.readInteger(as: UInt8.self) {
            XCTAssertEqual(first, 0x81, "a final text frame")
            XCTAssertLessThan(length, 126, "short payloads in this test")
            found.append(data.readString(length: Int(length)) ?? "?")
        }
        return found
    }

    /// A member in live delivery on `loop`, its join reply already read.
    private func member(of room: Room, on loop: EmbeddedEventLoop) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        XCTAssertTrue(room.admit(channel: channel, person: PersonID("p"), unit: UnitID("u")))
        XCTAssertTrue(room.completeJoin(channel: channel, reply: ByteBuffer(string: "{}"), replay: [], replayedThrough: 0))
        XCTAssertEqual(try channel.readOutbound(as: WebSocketMessage.self)?.kind, .text, "the join reply")
        return channel
    }

    /// Writes the member has received, each as its frames' payloads.
    private func writes(to channel: EmbeddedChannel) throws -> [[String]] {
        var writes: [[String]] = []
        while let message = try channel.readOutbound(as: WebSocketMessage.self) {
            XCTAssertEqual(message.kind, .frames)
            writes.append(payloads(message))
        }
        return writes
    }

    func testCommitsQueuedOnABusyLoopGoOutAsOneBatch() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop)
        let channel = try member(of: room, on: loop)
        // Three commits reach the room's loop back to back, as tasks queue while it is busy.
        for sequence in Int64(1)...3 { loop.execute { room.deliver([self.record(sequence)]) } }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":1}"#, #"{"seq":2}"#, #"{"seq":3}"#]], "one write with all three, in order")
    }

    func testAQuietRoomWritesEachCommitWhenTheLoopGetsToIt() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop)
        let channel = try member(of: room, on: loop)
        loop.execute { room.deliver([self.record(1)]) }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":1}"#]], "no timer: written in the same turn of the loop")
        loop.execute { room.deliver([self.record(2), self.record(3)]) }
        loop.execute { room.deliver([self.record(4)]) }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":2}"#, #"{"seq":3}"#, #"{"seq":4}"#]])
        XCTAssertEqual(room.memberCount, 1)
    }
}
