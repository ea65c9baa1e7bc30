// RoomBatchingTests: how a live room groups committed events into writes to its members, on
// EmbeddedEventLoops run by hand. Commits that queue up while the room's loop is busy go out in one
// write; each event loop goes round its own members a chunk at a time, and each member gets at its
// turn everything it lacks; with `--fanout-interval-ms` and `--fanout-pace-us`, writes to a member
// are spaced. Always in order, each event once.
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

    /// Each event loop goes round its own members: the room's loop writes to its members without
    /// waiting for another loop to write to its own, and a member on a loop that was busy gets
    /// everything it lacks in one write, in order. Once everyone has everything, nothing is kept.
    func testEachLoopWritesToItsOwnMembersWithoutWaitingForAnother() throws {
        let home = EmbeddedEventLoop(), other = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: home)
        let local = try member(of: room, on: home)
        let remote = EmbeddedChannel(loop: other)
        XCTAssertFalse(room.admit(channel: remote, person: PersonID("p"), unit: UnitID("u")), "the same person's second connection")
        XCTAssertTrue(room.completeJoin(channel: remote, reply: { _ in ByteBuffer(string: "{}") }, replay: [], replayedThrough: 0))
        other.run()
        _ = try remote.readOutbound(as: WebSocketMessage.self)
        home.execute { room.deliver([RoomEventRecord.test(1)]) }
        home.run()
        XCTAssertEqual(try writes(to: local), [[#"{"seq":1}"#]])
        home.execute { room.deliver([RoomEventRecord.test(2)]) }
        home.execute { room.deliver([RoomEventRecord.test(3)]) }
        home.run()
        XCTAssertEqual(try writes(to: local), [[#"{"seq":2}"#, #"{"seq":3}"#]], "two commits queued before the loop got to them: one write")
        XCTAssertEqual(try writes(to: remote), [], "the other loop has not run yet")
        other.run()
        XCTAssertEqual(try writes(to: remote), [[#"{"seq":1}"#, #"{"seq":2}"#, #"{"seq":3}"#]], "what it lacked, in one write")
        home.execute { room.deliver([RoomEventRecord.test(4)]) }
        home.run()
        other.run()
        XCTAssertEqual(try writes(to: local), [[#"{"seq":4}"#]])
        XCTAssertEqual(try writes(to: remote), [[#"{"seq":4}"#]])
        XCTAssertEqual(room.sweep(on: home)?.eventsKept, 0, "everyone has everything: nothing kept")
        XCTAssertEqual(room.sweep(on: other)?.eventsKept, 0)
        // The last member on a loop leaves: that loop has nothing more to do for the room.
        XCTAssertNil(room.remove(channel: remote))
        XCTAssertNil(room.sweep(on: other))
        other.run()
        home.execute { room.deliver([RoomEventRecord.test(5)]) }
        home.run()
        other.run()
        XCTAssertEqual(try writes(to: remote), [])
        XCTAssertEqual(try writes(to: local), [[#"{"seq":5}"#]])
    }

    /// The loop goes round its members a chunk at a time, and serves other work between chunks
    /// (on a real loop: reads its sockets, so that a post is not held up until a thousand members
    /// have been written to). Each member gets, at its turn, every event it lacks: members late in
    /// the round get an event that came during it in the same write, members early in it at their
    /// next turn. Each member gets every event once, in order.
    func testARoundGoesAChunkAtATimeAndEachTurnBringsWhatCameSince() throws {
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
        XCTAssertEqual(try collect(), 2, "the next chunk waits for its pause")
        loop.advanceTime(by: RoomSweep.pauseBetweenChunks)
        XCTAssertEqual(try collect(), 4)
        for _ in 0..<6 { loop.advanceTime(by: RoomSweep.pauseBetweenChunks) }
        XCTAssertEqual(try collect(), 5)
        let one = [#"{"seq":1}"#], two = [#"{"seq":2}"#], both = [#"{"seq":1}"#, #"{"seq":2}"#]
        XCTAssertEqual(received, [[one, two], [one, two], [both], [both], [both]])
        XCTAssertEqual(room.sweep(on: loop)?.eventsKept, 0)
        for _ in 0..<3 { loop.advanceTime(by: RoomSweep.pauseBetweenChunks) }
        XCTAssertEqual(try writes(to: channels[0]), [], "nothing more once everyone is up to date")
    }

    /// A member that leaves during a round costs no one else their turn.
    func testAMemberLeavingMidRoundDoesNotEndItEarly() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop, writeChunk: 1)
        let channels = try (0..<3).map { try member(of: room, on: loop, person: "p\($0)") }
        loop.execute { room.deliver([RoomEventRecord.test(1)]) }
        loop.run()
        loop.advanceTime(by: RoomSweep.pauseBetweenChunks)
        XCTAssertEqual(try writes(to: channels[0]), [[#"{"seq":1}"#]])
        XCTAssertEqual(try writes(to: channels[1]), [[#"{"seq":1}"#]])
        XCTAssertNotNil(room.remove(channel: channels[0]))
        loop.advanceTime(by: RoomSweep.pauseBetweenChunks)
        XCTAssertEqual(try writes(to: channels[2]), [[#"{"seq":1}"#]], "the last member still has its turn")
        loop.execute { room.deliver([RoomEventRecord.test(2)]) }
        for _ in 0..<3 { loop.advanceTime(by: RoomSweep.pauseBetweenChunks) }
        XCTAssertEqual(try writes(to: channels[0]), [], "gone")
        XCTAssertEqual(try writes(to: channels[1]), [[#"{"seq":2}"#]])
        XCTAssertEqual(try writes(to: channels[2]), [[#"{"seq":2}"#]])
    }

    /// Under a steady stream each round drops what every member has, so a room keeps only what
    /// someone still lacks (about a round's worth).
    func testARoomKeepsOnlyWhatSomeMemberLacks() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop, writeChunk: 1)
        let channels = try (0..<3).map { try member(of: room, on: loop, person: "p\($0)") }
        var next: Int64 = 1
        var kept: [Int] = []
        var received = Array(repeating: [String](), count: channels.count)
        for _ in 0..<30 {
            let sequence = next
            next += 1
            loop.execute { room.deliver([RoomEventRecord.test(sequence)]) }
            loop.advanceTime(by: RoomSweep.pauseBetweenChunks)
            kept.append(room.sweep(on: loop)?.eventsKept ?? -1)
            for (index, channel) in channels.enumerated() { received[index] += try writes(to: channel).joined() }
        }
        XCTAssertLessThanOrEqual(kept.max() ?? 0, 4, "kept: \(kept)")
        for _ in 0..<4 { loop.advanceTime(by: RoomSweep.pauseBetweenChunks) }
        for (index, channel) in channels.enumerated() { received[index] += try writes(to: channel).joined() }
        let all = (1...30).map { #"{"seq":\#($0)}"# }
        for each in received { XCTAssertEqual(each, all, "every event once, in order") }
        XCTAssertEqual(room.sweep(on: loop)?.eventsKept, 0)
    }

    /// `serve --fanout-interval-ms`: at most one write to a member per interval; what arrives
    /// meanwhile waits for the next one, in order.
    func testWithAnIntervalAMemberGetsAtMostOneWritePerInterval() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop, pacing: FanoutPacing(interval: .milliseconds(50)))
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

    /// `serve --fanout-pace-us`: the least time between two writes to one member grows with the
    /// members on the loop, so a large room's writes carry more events each; a small room's
    /// events go at once.
    func testPacingGrowsWithTheMembersOnTheLoop() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop, pacing: FanoutPacing(perMember: .milliseconds(10)))
        let channels = try (0..<3).map { try member(of: room, on: loop, person: "p\($0)") }
        loop.execute { room.deliver([RoomEventRecord.test(1)]) }
        loop.run()
        for channel in channels { XCTAssertEqual(try writes(to: channel), [[#"{"seq":1}"#]], "not written to lately: at once") }
        loop.execute { room.deliver([RoomEventRecord.test(2)]) }
        loop.advanceTime(by: .milliseconds(29))
        for channel in channels { XCTAssertEqual(try writes(to: channel), [], "three members: 30 ms between writes") }
        loop.advanceTime(by: .milliseconds(1))
        for channel in channels { XCTAssertEqual(try writes(to: channel), [[#"{"seq":2}"#]]) }
        XCTAssertNotNil(room.remove(channel: channels[2]))
        loop.execute { room.deliver([RoomEventRecord.test(3)]) }
        loop.advanceTime(by: .milliseconds(19))
        XCTAssertEqual(try writes(to: channels[0]), [], "two members: 20 ms")
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try writes(to: channels[0]), [[#"{"seq":3}"#]])
        XCTAssertEqual(try writes(to: channels[1]), [[#"{"seq":3}"#]])
        XCTAssertEqual(try writes(to: channels[2]), [])
    }

    /// A member whose replay reached past events the room still had for others gets only the
    /// events after its replay.
    func testAJoiningMemberGetsOnlyWhatFollowsItsReplay() throws {
        let loop = EmbeddedEventLoop()
        let room = Room(id: "case-1", loop: loop)
        let first = try member(of: room, on: loop, person: "a")
        loop.execute { room.deliver([RoomEventRecord.test(1), RoomEventRecord.test(2)]) }
        loop.run()
        XCTAssertEqual(try writes(to: first), [[#"{"seq":1}"#, #"{"seq":2}"#]])
        let joining = EmbeddedChannel(loop: loop)
        XCTAssertTrue(room.admit(channel: joining, person: PersonID("c"), unit: UnitID("u")))
        loop.execute { room.deliver([RoomEventRecord.test(3)]) }
        loop.run()
        XCTAssertTrue(room.completeJoin(
            channel: joining, reply: { _ in ByteBuffer(string: "{}") },
            replay: [RoomEventRecord.test(1), RoomEventRecord.test(2)], replayedThrough: 2))
        var direct: [String] = []
        while let message = try joining.readOutbound(as: WebSocketMessage.self) { direct.append(message.text ?? "") }
        XCTAssertEqual(direct, ["{}", #"{"seq":1}"#, #"{"seq":2}"#, #"{"seq":3}"#], "reply, replay, then what came meanwhile")
        XCTAssertEqual(try writes(to: first), [[#"{"seq":3}"#]])
        loop.execute { room.deliver([RoomEventRecord.test(4)]) }
        loop.run()
        XCTAssertEqual(try writes(to: joining), [[#"{"seq":4}"#]], "from the room: only what followed")
        XCTAssertEqual(try writes(to: first), [[#"{"seq":4}"#]])
    }
}
