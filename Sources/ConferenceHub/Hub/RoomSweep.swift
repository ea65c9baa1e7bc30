// RoomSweep: how a live room's events reach its members on one event loop. The loop goes round
// its members in a fixed order, a chunk at a time, and writes to each, as one slice of one buffer,
// every event that member does not have yet; it stops once a whole round finds everyone up to
// date. Nothing waits for a batch to reach every member before the next one starts.
import CaseCore
import CoreMetrics
import Messaging
import NIOCore

/// How often a room may write to one member: at most once per `interval`, and at most once per
/// `perMember` times the members of the room on that event loop (a round over many members
/// takes at least that long), whichever is longer.
struct FanoutPacing: Sendable, Equatable {
    var interval: TimeAmount = .zero
    var perMember: TimeAmount = .zero

    /// The least time between two writes to one member of a room with `members` on a loop.
    func spacing(members: Int) -> TimeAmount {
        max(interval, .nanoseconds(perMember.nanoseconds * Int64(members)))
    }
}

/// Writes a room's events to the room's live members on one event loop.
///
/// Why a round rather than batches: with batches, an event that arrives while a batch is being
/// written waits for that batch to reach every member, then goes out with the next one, which
/// takes as long again; under load the wait before the last member has it is up to two batch
/// writes. Going round, each member is written to once per round and gets everything that arrived
/// since its last turn: an event waits at most one round for any member. `pacing` spaces the
/// writes to each member (`serve --fanout-pace-us` times the members here, or
/// `--fanout-interval-ms`), so that in a large room each write carries several events: unpaced,
/// rounds ran as fast as the cores allowed and each write carried about one. A loop reads its
/// sockets between two chunks (a task scheduled after `pauseBetweenChunks`; tasks queued with
/// `execute` all run before NIO polls again), so a round over a thousand members does not hold
/// up the requests of everyone else on the loop.
///
/// Created by its room on the room's loop; touched only on `loop` after that.
final class RoomSweep: @unchecked Sendable {
    /// Committed events of one room, encoded as server text frames once for every loop.
    struct Batch: Sendable {
        struct Event: Sendable {
            let sequence: Int64
            /// The size of the event's frame in `frames`.
            let length: Int
        }

        let frames: ByteBuffer
        let events: [Event]

        init(_ records: [RoomEventRecord]) {
            var size = 0
            for record in records { size += record.body.count + 10 }
            var frames = ByteBufferAllocator().buffer(capacity: size)
            events = records.map { Event(sequence: $0.position.sequence, length: WebSocketMessage.appendTextFrame($0.body, to: &frames)) }
            self.frames = frames
        }
    }

    /// The frames of the events some member may still need, in sequence order, in one buffer.
    private struct Log {
        private var frames = ByteBufferAllocator().buffer(capacity: 0)
        private var sequences: [Int64] = []
        /// Where each event's frame starts in `frames`.
        private var starts: [Int] = []
        /// Events before this index are dropped (kept until compacting pays).
        private var head = 0
        /// The last sequence appended (whether or not it has been dropped since).
        private(set) var latest = Int64.min

        /// Events kept.
        var count: Int { sequences.count - head }

        mutating func append(_ batch: Batch) {
            var offset = frames.writerIndex
            for event in batch.events {
                sequences.append(event.sequence)
                starts.append(offset)
                offset += event.length
            }
            frames.writeImmutableBuffer(batch.frames)
            if let last = batch.events.last { latest = last.sequence }
        }

        /// The frames of every kept event after `sequence`, as a slice (no copy); nil if none.
        func frames(after sequence: Int64) -> ByteBuffer? {
            var low = head, high = sequences.count
            while low < high {
                let middle = (low + high) / 2
                if sequences[middle] > sequence { high = middle } else { low = middle + 1 }
            }
            guard low < sequences.count else { return nil }
            return frames.getSlice(at: starts[low], length: frames.writerIndex - starts[low])
        }

        /// Drops the events up to `sequence`, which every member has.
        mutating func drop(through sequence: Int64) {
            while head < sequences.count, sequences[head] <= sequence { head += 1 }
            if head == sequences.count {
                frames.clear()
                sequences.removeAll(keepingCapacity: true)
                starts.removeAll(keepingCapacity: true)
                head = 0
            } else if head * 2 >= sequences.count {
                let base = starts[head]
                frames.moveReaderIndex(to: base)
                frames.discardReadBytes()
                sequences.removeFirst(head)
                starts.removeFirst(head)
                for index in starts.indices { starts[index] -= base }
                head = 0
            }
        }
    }

    private struct Member {
        let channel: Channel
        /// The last sequence written to it.
        var delivered: Int64
        /// When it was last written to (by this sweep; nil: never).
        var lastWrite: NIODeadline?
    }

    /// How long a loop steps away between two chunks of writes. Any future deadline makes NIO
    /// poll its sockets before it runs the next chunk; with 1 µs the deadline had often passed
    /// by the time the loop looked, and the next chunk ran at once.
    static let pauseBetweenChunks = TimeAmount.microseconds(20)

    let loop: EventLoop
    private let chunk: Int
    private let pacing: FanoutPacing
    /// In the order the round visits them.
    private var members: [Member] = []
    private var log = Log()
    /// The next member the round visits.
    private var cursor = 0
    /// Members found up to date in a row, counted since the last event came: once it reaches
    /// the number of members, everyone has everything and the round stops.
    private var upToDate = 0
    /// A step of the round is queued or scheduled.
    private var stepPending = false

    /// Where writes to members and their bytes are counted (once per step, not per write).
    private let deliveries: Counter
    private let sentBytes: Counter

    init(loop: EventLoop, chunk: Int, pacing: FanoutPacing,
         deliveries: Counter = HubMetrics.none.deliveries, sentBytes: Counter = HubMetrics.none.sentBytes) {
        precondition(chunk > 0)
        self.deliveries = deliveries
        self.sentBytes = sentBytes
        self.loop = loop
        self.chunk = chunk
        self.pacing = pacing
    }

    /// New events for the members (in sequence order, after any appended before).
    func append(_ batch: Batch) {
        loop.assertInEventLoop()
        log.append(batch)
        upToDate = 0
        goRound()
    }

    /// A member that has every event up to `delivered` (from its join's replay).
    func add(_ channel: Channel, delivered: Int64) {
        loop.assertInEventLoop()
        members.append(Member(channel: channel, delivered: delivered, lastWrite: nil))
        upToDate = 0
        goRound()
    }

    func remove(_ channel: Channel) {
        loop.assertInEventLoop()
        guard let index = members.firstIndex(where: { $0.channel === channel }) else { return }
        members.remove(at: index)
        if index < cursor { cursor -= 1 }
        // It may have been counted as up to date: counting one fewer costs at most a visit,
        // counting one too many would end the round before someone has everything.
        upToDate = max(0, upToDate - 1)
    }

    /// Events kept for members that do not have them yet.
    var eventsKept: Int {
        loop.assertInEventLoop()
        return log.count
    }

    /// Starts the round if it is not under way, from a task queued behind the loop's waiting
    /// tasks: events that reach the loop meanwhile go out in the same writes.
    private func goRound() {
        guard !stepPending else { return }
        stepPending = true
        loop.execute { self.step() }
    }

    /// Writes to up to `chunk` members that lack events, in turn, then schedules the next step.
    private func step() {
        stepPending = false
        let spacing = pacing.spacing(members: members.count)
        let now = spacing > .zero ? loop.now : .uptimeNanoseconds(0)
        var written = 0, bytes = 0
        defer {
            if written > 0 {
                deliveries.increment(by: written)
                sentBytes.increment(by: bytes)
            }
        }
        while upToDate < members.count {
            if cursor >= members.count {
                // A round is over: what every member has is no longer needed.
                cursor = 0
                log.drop(through: members.lazy.map(\.delivered).min() ?? log.latest)
            }
            let member = members[cursor]
            guard member.delivered < log.latest, let frames = log.frames(after: member.delivered) else {
                upToDate += 1
                cursor += 1
                continue
            }
            if written == chunk { break }
            if spacing > .zero, let last = member.lastWrite, now < last + spacing {
                stepPending = true
                loop.scheduleTask(deadline: last + spacing) { self.step() }
                return
            }
            members[cursor].delivered = log.latest
            members[cursor].lastWrite = now
            member.channel.writeAndFlush(WebSocketMessage(kind: .frames, data: frames), promise: nil)
            written += 1
            bytes += frames.readableBytes
            upToDate += 1
            cursor += 1
        }
        if upToDate >= members.count {
            log.drop(through: log.latest)
            return
        }
        stepPending = true
        loop.scheduleTask(in: Self.pauseBetweenChunks) { self.step() }
    }
}
