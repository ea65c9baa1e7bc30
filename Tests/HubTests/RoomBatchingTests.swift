// RoomBatchingTests: how a live room groups committed events into writes to its members, on
// EmbeddedEventLoops run by hand. Commits that queue up while the room's loop is busy go out as
// one batch; the next batch waits until the members on another loop have the last one; with
// `--fanout-interval-ms`, at most one write per interval. Always in order, each event once.
@testable import CaseCore
@testable import ConferenceHub
import Messaging
import NIOCore
import NIOEmbedded
import XCTest

final class RoomBatchingTests: XCTestCase {
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
    private func member(of room: Room, on loop: EmbeddedEventLoop, person: String = "p") throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        XCTAssertTrue(room.admit(channel: channel, person: PersonID(person), unit: UnitID("u")))
        XCTAssertTrue(room.completeJoin(channel: channel, reply: { _ in ByteBuffer(string: "{}") }, replay: [], replayedThrough: 0))
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
        for sequence in Int64(1)...3 { loop.execute { room.deliver([RoomEventRecord.test(sequence)]) } }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":1}"#, #"{"seq":2}"#, #"{"seq":3}"#]], "one write with all three, in order")
    }

    func testAQuietRoomWritesEachCommitWhenTheLoopGetsToIt() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop)
        let channel = try member(of: room, on: loop)
        loop.execute { room.deliver([RoomEventRecord.test(1)]) }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":1}"#]], "no timer: written in the same turn of the loop")
        loop.execute { room.deliver([RoomEventRecord.test(2), RoomEventRecord.test(3)]) }
        loop.execute { room.deliver([RoomEventRecord.test(4)]) }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":2}"#, #"{"seq":3}"#, #"{"seq":4}"#]])
        XCTAssertEqual(room.memberCount, 1)
    }

    /// Members on another event loop get each batch from one task on that loop; the room writes
    /// its next batch only once that loop is done with the last one, so what arrives meanwhile goes
    /// out together, to every member, in order.
    func testTheNextBatchWaitsForTheOtherLoop() throws {
        let home = EmbeddedEventLoop(), other = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: home)
        let local = try member(of: room, on: home)
        let remote = EmbeddedChannel(loop: other)
        XCTAssertFalse(room.admit(channel: remote, person: PersonID("p"), unit: UnitID("u")), "the same person's second connection")
        XCTAssertTrue(room.completeJoin(channel: remote, reply: { _ in ByteBuffer(string: "{}") }, replay: [], replayedThrough: 0))
        _ = try remote.readOutbound(as: WebSocketMessage.self)
        home.execute { room.deliver([RoomEventRecord.test(1)]) }
        home.run()
        XCTAssertEqual(try writes(to: local), [[#"{"seq":1}"#]])
        XCTAssertTrue(room.lastBatchTogether, "a quiet room: both loops write at once")
        home.execute { room.deliver([RoomEventRecord.test(2)]) }
        home.execute { room.deliver([RoomEventRecord.test(3)]) }
        home.run()
        XCTAssertEqual(try writes(to: local), [], "the other loop has not written the first batch yet")
        other.run()
        XCTAssertEqual(try writes(to: remote), [[#"{"seq":1}"#]])
        home.run()
        XCTAssertEqual(try writes(to: local), [[#"{"seq":2}"#, #"{"seq":3}"#]])
        XCTAssertFalse(room.lastBatchTogether, "a busy room: this loop first, then the other")
        other.run()
        XCTAssertEqual(try writes(to: remote), [[#"{"seq":2}"#, #"{"seq":3}"#]])
        home.run()
        // Quiet again: the next batch goes out on both loops at once.
        home.execute { room.deliver([RoomEventRecord.test(4)]) }
        home.run()
        other.run()
        XCTAssertTrue(room.lastBatchTogether)
        XCTAssertEqual(try writes(to: local), [[#"{"seq":4}"#]])
        XCTAssertEqual(try writes(to: remote), [[#"{"seq":4}"#]])
    }

    /// A batch for many members goes out a chunk of members at a time. Between chunks the loop
    /// is free for other work (on a real loop: reading its sockets, so that a post is not held up
    /// until a thousand members have the last batch); the next batch waits until every chunk of
    /// the last is out, and each member gets every event once, in order.
    func testABatchForManyMembersGoesOutAChunkAtATime() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop, writeChunk: 2)
        let channels = try (0..<5).map { try member(of: room, on: loop, person: "p\($0)") }
        var received = Array(repeating: [[String]](), count: channels.count)
        func collect() throws -> Int {
            for (index, channel) in channels.enumerated() { received[index] += try writes(to: channel) }
            return received.filter { !$0.isEmpty }.count
        }
        loop.execute { room.deliver([RoomEventRecord.test(1)]) }
        loop.run()
        XCTAssertEqual(try collect(), 2, "the first chunk only; the rest wait while the loop does other work")
        var otherWorkRan = false
        loop.execute {
            otherWorkRan = true
            room.deliver([RoomEventRecord.test(2)])
        }
        loop.run()
        XCTAssertTrue(otherWorkRan)
        XCTAssertEqual(try collect(), 2)
        XCTAssertFalse(received.joined().contains([#"{"seq":2}"#]), "the next batch waits for the last one's remaining chunks")
        loop.advanceTime(by: Room.pauseBetweenChunks)
        XCTAssertEqual(try collect(), 4)
        for _ in 0..<6 { loop.advanceTime(by: Room.pauseBetweenChunks) }
        XCTAssertEqual(try collect(), 5)
        for writes in received {
            XCTAssertEqual(writes, [[#"{"seq":1}"#], [#"{"seq":2}"#]], "every member: each batch once, in order")
        }
    }

    /// `serve --fanout-interval-ms`: at most one write per interval; what arrives meanwhile waits
    /// for the next one, in order.
    func testWithAnIntervalARoomWritesAtMostOncePerInterval() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop, coalescing: .milliseconds(50))
        let channel = try member(of: room, on: loop)
        loop.execute { room.deliver([RoomEventRecord.test(1)]) }
        loop.run()
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":1}"#]], "the first write does not wait")
        loop.execute { room.deliver([RoomEventRecord.test(2)]) }
        loop.advanceTime(by: .milliseconds(10))
        loop.execute { room.deliver([RoomEventRecord.test(3)]) }
        loop.advanceTime(by: .milliseconds(39))
        XCTAssertEqual(try writes(to: channel), [], "49 ms after the last write: nothing yet")
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":2}"#, #"{"seq":3}"#]], "50 ms after it: both, in one write")
        loop.execute { room.deliver([RoomEventRecord.test(4)]) }
        loop.advanceTime(by: .milliseconds(50))
        XCTAssertEqual(try writes(to: channel), [[#"{"seq":4}"#]])
    }
}
