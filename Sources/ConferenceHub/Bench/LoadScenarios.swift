// Load scenarios of `conference-hub bench`: fanout, durable, connect, idle, recover. Each takes
// its sizes as options, stops by itself (bounded count, with a timeout that fails the run), and
// prints a table and a JSON result. Loopback only.
import ArgumentParser
import CaseCore
import Foundation
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Opens `count` load connections, `concurrency` at a time.
func openConnections(
    _ count: Int, concurrency: Int, hub: BenchHub, group: EventLoopGroup, join room: @escaping @Sendable (Int) -> String?,
    handler: @escaping @Sendable (Int, ByteBuffer) -> Void
) async throws -> [LoadConnection] {
    var opened = [LoadConnection?](repeating: nil, count: count)
    var next = 0
    try await withThrowingTaskGroup(of: (Int, LoadConnection).self) { tasks in
        func launch() {
            let index = next
            next += 1
            tasks.addTask { (index, try await LoadConnection.open(hub: hub, group: group, join: room(index)) { handler(index, $0) }) }
        }
        while next < min(concurrency, count) { launch() }
        while let (index, connection) = try await tasks.next() {
            opened[index] = connection
            if next < count { launch() }
        }
    }
    return opened.compactMap { $0 }
}

/// Per-event-loop counters, touched only on their loop (no locks on the fast path).
final class LoopStats: @unchecked Sendable {
    var latency = LatencyHistogram()
    /// A second figure where a scenario has one (fanout: post to its acknowledgement).
    var acknowledgement = LatencyHistogram()
    var received = 0
    /// `latency` by the second each message was sent in, counted from `origin` (fanout).
    var bySecond = LatencyBySecond()
    var origin: UInt64 = 0
}

/// A stat object per event loop of `group`, found from the current loop.
final class PerLoop: @unchecked Sendable {
    private let stats: [ObjectIdentifier: LoopStats]

    init(_ group: MultiThreadedEventLoopGroup) {
        var stats: [ObjectIdentifier: LoopStats] = [:]
        for loop in group.makeIterator() { stats[ObjectIdentifier(loop)] = LoopStats() }
        self.stats = stats
    }

    var current: LoopStats {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop, let found = stats[ObjectIdentifier(loop)] else { preconditionFailure("not on a load loop") }
        return found
    }

    /// Read once the run is over (every loop is idle).
    var all: [LoopStats] { Array(stats.values) }

    /// Sets every loop's `origin` on that loop, before the messages it times are sent.
    func setOrigin(_ origin: UInt64, group: MultiThreadedEventLoopGroup) async throws {
        for loop in group.makeIterator() {
            let found = stats[ObjectIdentifier(loop)]!
            try await loop.submit { found.origin = origin }.get()
        }
    }
}

/// Counts down to zero once, then completes a promise.
final class Countdown: Sendable {
    private let remaining: NIOLockedValueBox<Int>
    private let completed = NIOLockedValueBox(false)
    let done: EventLoopPromise<Void>

    init(_ count: Int, on loop: EventLoop) {
        remaining = NIOLockedValueBox(count)
        done = loop.makePromise()
        if count == 0 { complete() }
    }

    func tick() {
        let left = remaining.withLockedValue { value -> Int in
            value -= 1
            return value
        }
        if left == 0 { complete() }
    }

    var left: Int { remaining.withLockedValue { $0 } }

    /// Ends the wait early (the run has failed).
    func abandon() { complete() }

    private func complete() {
        completed.withLockedValue { $0 = true }
        done.succeed(())
    }

    deinit {
        // A run that failed before anything counted down (a connection could not be opened, the
        // hub went away) never waited on `done`: fail it rather than leave it unfulfilled.
        if !completed.withLockedValue({ $0 }) { done.fail(ClientFailure("the run ended before its countdown")) }
    }
}

/// What went wrong in a run (the first 20 problems, in the order found).
final class RunProblems: Sendable {
    private let list = NIOLockedValueBox<[String]>([])

    func record(_ problem: String) {
        list.withLockedValue { if $0.count < 20 { $0.append(problem) } }
    }

    var all: [String] { list.withLockedValue { $0 } }

    /// Throws when anything went wrong.
    func check(_ what: String) throws {
        let found = all
        guard found.isEmpty else { throw ClientFailure("\(what): \(found.joined(separator: "; "))") }
    }
}

/// How far the first subscriber has got with each publisher's messages; wakes blocked publishers.
final class DeliveryGate: @unchecked Sendable {
    private let lock = NSLock()
    private var seenCounts: [Int]
    private var blocked: [Bool]
    /// Called (off the lock) when a blocked publisher may send again.
    var onProgress: (@Sendable (Int) -> Void)?

    init(_ publishers: Int) {
        seenCounts = Array(repeating: 0, count: publishers)
        blocked = Array(repeating: false, count: publishers)
    }

    func seen(_ publisher: Int) -> Int { lock.withLock { seenCounts[publisher] } }

    /// Marks the publisher blocked if its window is still full (checked under the same lock the
    /// first subscriber's progress takes, so no wake-up is missed); returns whether it blocked.
    func blockIfFull(_ publisher: Int, sent: Int, window: Int) -> Bool {
        lock.withLock {
            guard sent - seenCounts[publisher] >= window else { return false }
            blocked[publisher] = true
            return true
        }
    }

    func delivered(_ publisher: Int, through count: Int) {
        let wake = lock.withLock { () -> Bool in
            seenCounts[publisher] = count
            defer { blocked[publisher] = false }
            return blocked[publisher]
        }
        if wake { onProgress?(publisher) }
    }
}

/// Waits for `future`, failing after `seconds`.
func wait(_ future: EventLoopFuture<Void>, seconds: Int, what: @escaping @Sendable () -> String) async throws {
    let loop = future.eventLoop
    let timeout = loop.scheduleTask(in: .seconds(Int64(seconds))) { () }
    let timedOut = timeout.futureResult.map { false }
    let finished = future.map { true }
    let first = loop.makePromise(of: Bool.self)
    finished.cascade(to: first)
    timedOut.whenSuccess { first.succeed($0) }
    timedOut.whenFailure { _ in }
    let completed = try await first.futureResult.get()
    timeout.cancel()
    if !completed { throw ClientFailure("timed out after \(seconds) s: \(what())") }
}

/// The text of a load message: `p<P> m<N> t<T> ` padded with `x` to `size` bytes.
func loadText(publisher: Int, number: Int, size: Int) -> String {
    let head = "p\(publisher) m\(number) t\(monotonicNanoseconds()) "
    let missing = size - head.utf8.count
    return missing <= 0 ? head : head + loadPadding.prefix(missing)
}

/// Filler for load texts (ASCII, so a byte count is a character count).
private let loadPadding = String(repeating: "x", count: 4_096)

func postRequest(id: String, room: String, text: String, key: String) -> String {
    #"{"id":"\#(id)","type":"post","room":"\#(room)","text":"\#(text)","key":"\#(key)"}"#
}

struct FanoutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout", abstract: "N subscribers in one room, P publishers: deliveries per second and publish-to-delivery latency.")

    @OptionGroup var target: HubTargetOptions
    @Option(help: "Subscriber connections.") var subscribers = 1_000
    @Option(help: "Publisher connections.") var publishers = 16
    @Option(help: "Messages each publisher posts.") var messages = 200
    @Option(help: "Message text size in bytes.") var size = 256
    @Option(help: "Total posts per second across publishers (0: flat out).") var rate = 0
    @Option(help: "Flat out: messages each publisher may have posted but not yet delivered (to the first subscriber).") var window = 4
    @Option(help: "Give up (and fail) after this many seconds.") var timeout = 300

    func validate() throws {
        guard subscribers > 0, publishers > 0, messages > 0, size >= 32, size <= 4_000, rate >= 0, window > 0, timeout > 0 else {
            throw ValidationError("positive sizes; --size 32...4000")
        }
    }

    func run() async throws {
        let hub = try await BenchHub.make(target)
        defer { hub.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: target.clientThreads)
        let stats = PerLoop(group)
        let expected = publishers * messages
        let complete = Countdown(subscribers, on: group.any())
        let problems = RunProblems()
        let publishers = self.publishers
        // Each subscriber's next expected number per publisher (touched only on its loop).
        final class Progress: @unchecked Sendable { var next: [Int]; var count = 0; init(_ publishers: Int) { next = Array(repeating: 0, count: publishers) } }
        let progress = (0..<subscribers).map { _ in Progress(publishers) }
        let gate = DeliveryGate(publishers)
        let readers = try await openConnections(subscribers, concurrency: 64, hub: hub, group: group, join: { _ in hub.room }) { index, buffer in
            guard let (publisher, number, sent) = FastJSON.loadMessage(buffer), publisher < publishers else { return }
            let state = progress[index]
            if number != state.next[publisher] {
                problems.record("subscriber \(index): publisher \(publisher) message \(number), expected \(state.next[publisher])")
            }
            state.next[publisher] = number + 1
            state.count += 1
            if index == 0 { gate.delivered(publisher, through: number + 1) }
            let loop = stats.current
            loop.received += 1
            let latency = (monotonicNanoseconds() &- sent) / 1_000
            loop.latency.record(microseconds: latency)
            loop.bySecond.record(sent: sent, origin: loop.origin, microseconds: latency)
            if state.count == expected { complete.tick() }
        }

        // A subscriber the server closes (it fell too far behind) fails the run at once.
        let finished = NIOLockedValueBox(false)
        for (index, reader) in readers.enumerated() {
            reader.connection.closeFrame.whenComplete { result in
                guard progress[index].count < expected, !finished.withLockedValue({ $0 }) else { return }
                let frame = (try? result.get()) ?? nil
                let how = frame.map { "close \($0.code ?? 0) \($0.reason)" } ?? "closed without a close frame"
                problems.record("subscriber \(index) was closed by the server after \(progress[index].count) of \(expected) messages (\(how))")
                complete.abandon()
            }
        }

        // Publishers: keep `window` posts in flight (or pace to the rate), each acknowledged once durable.
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        // Touched only on the publisher's loop: its posts, their replies and when each was sent.
        final class Sender: @unchecked Sendable {
            var sent = 0
            var acknowledged = 0
            var sentAt: [UInt64]
            init(_ messages: Int) { sentAt = Array(repeating: 0, count: messages) }
        }
        let senders = (0..<publishers).map { _ in Sender(self.messages) }
        let size = self.size, window = self.window, messages = self.messages
        let pacing = rate > 0
        let room = hub.room
        let writerBox = NIOLockedValueBox<[LoadConnection]>([])
        let writers = try await openConnections(publishers, concurrency: 16, hub: hub, group: group, join: { _ in room }) { index, buffer in
            guard FastJSON.replyID(buffer) != nil else { return }
            if let refusal = FastJSON.refusal(buffer) {
                // The message will never arrive: fail now, with the hub's reason.
                problems.record("publisher \(index): a post was refused: \(refusal)")
                return complete.abandon()
            }
            let sender = senders[index]
            sender.acknowledged += 1
            if let id = FastJSON.replyID(buffer), let number = Int(id), number >= 0, number < sender.sentAt.count {
                stats.current.acknowledgement.record(microseconds: (monotonicNanoseconds() &- sender.sentAt[number]) / 1_000)
            }
        }
        writerBox.withLockedValue { $0 = writers }
        // Flat out: a publisher posts while fewer than `window` of its messages are on their way
        // (posted, not yet delivered to the first subscriber), so the run measures what the hub
        // delivers rather than how deep queues grow.
        let sendable: @Sendable (Int) -> Void = { index in
            let sender = senders[index], writer = writers[index]
            while sender.sent < messages {
                if sender.sent - gate.seen(index) >= window {
                    if gate.blockIfFull(index, sent: sender.sent, window: window) { return }
                    continue
                }
                let number = sender.sent
                sender.sent += 1
                sender.sentAt[number] = monotonicNanoseconds()
                writer.send(postRequest(id: "\(number)", room: room, text: loadText(publisher: index, number: number, size: size), key: "\(run)-\(index)-\(number)"))
            }
        }
        gate.onProgress = { index in writers[index].connection.channel.eventLoop.execute { sendable(index) } }
        let started = monotonicNanoseconds()
        try await stats.setOrigin(started, group: group)
        let machine = MachineSeconds(loop: group.any(), origin: started)
        let meter = CostMeter(hub)
        var pacers: [RepeatedTask] = []
        for (index, writer) in writers.enumerated() {
            let loop = writer.connection.channel.eventLoop
            let sender = senders[index]
            if pacing {
                // Each publisher posts every `interval`, the publishers spread evenly over it, so
                // the hub sees a steady rate rather than a burst from every publisher at once.
                let interval = TimeAmount.nanoseconds(Int64(1_000_000_000.0 * Double(publishers) / Double(rate)))
                let offset = TimeAmount.nanoseconds(interval.nanoseconds * Int64(index) / Int64(publishers))
                pacers.append(loop.scheduleRepeatedTask(initialDelay: offset, delay: interval) { task in
                    guard sender.sent < messages else { return task.cancel() }
                    let number = sender.sent
                    sender.sent += 1
                    sender.sentAt[number] = monotonicNanoseconds()
                    writer.send(postRequest(id: "\(number)", room: room, text: loadText(publisher: index, number: number, size: size), key: "\(run)-\(index)-\(number)"))
                })
            } else {
                loop.execute { sendable(index) }
            }
        }
        do {
            try await wait(complete.done.futureResult, seconds: timeout) { "\(complete.left) subscribers still missing messages" }
        } catch {
            finished.withLockedValue { $0 = true }
            for pacer in pacers { pacer.cancel() }
            throw error
        }
        let elapsed = Double(monotonicNanoseconds() - started) / 1e9
        let cost = meter.figures(per: expected * subscribers, unit: "delivery")
        let slow = meter.slowCommits()
        finished.withLockedValue { $0 = true }
        for pacer in pacers { pacer.cancel() }
        let machineSeconds = await machine.stop()
        var latency = LatencyHistogram(), acknowledgement = LatencyHistogram()
        var bySecond = LatencyBySecond()
        var delivered = 0
        for loop in stats.all {
            latency.add(loop.latency)
            acknowledgement.add(loop.acknowledgement)
            bySecond.add(loop.bySecond)
            delivered += loop.received
        }
        let seconds = bySecond.report(machine: machineSeconds)
        for connection in readers + writers { await connection.close() }
        try? await group.shutdownGracefully()
        let found = problems.all
        guard found.isEmpty, delivered == expected * subscribers else {
            throw ClientFailure("delivery check failed: \(delivered) of \(expected * subscribers) delivered; \(found.joined(separator: "; "))")
        }
        let summary = latency.summary
        try BenchReport.emit(
            scenario: "fanout",
            parameters: ["subscribers": subscribers, "publishers": publishers, "messages_per_publisher": messages, "size_bytes": size,
                         "rate": rate == 0 ? "flat out" : "\(rate)/s", "target": target.url ?? "started hub"],
            figures: [("deliveries", "\(delivered) in \(String(format: "%.2f", elapsed)) s, every one checked for order and completeness"),
                      ("deliveries per second", BenchReport.rate(Double(delivered) / elapsed)),
                      ("posts per second", BenchReport.rate(Double(expected) / elapsed)),
                      ("publish-to-delivery latency", BenchReport.milliseconds(summary))]
                + (seconds.map { [("p99 of each second of posting", $0.row)] } ?? [])
                + [("post acknowledgement latency", BenchReport.milliseconds(acknowledgement.summary))] + cost.rows
                + (slow.map { [$0.row] } ?? []),
            result: ["deliveries": delivered, "seconds": elapsed, "deliveries_per_second": Double(delivered) / elapsed,
                     "posts_per_second": Double(expected) / elapsed, "latency": summary, "latency_by_second": seconds?.json ?? [],
                     "acknowledgement_latency": acknowledgement.summary, "slow_commits": slow?.json as Any? ?? NSNull()]
                .merging(cost.json) { first, _ in first },
            json: target.json)
    }
}

struct DurableBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durable", abstract: "C publishers, each waiting for its acknowledgement: acknowledged (on-disk) posts per second.")

    @OptionGroup var target: HubTargetOptions
    @Option(help: "Concurrent publishers, each in its own room.") var publishers = 100
    @Option(help: "Posts each publisher makes.") var messages = 500
    @Option(help: "Message text size in bytes.") var size = 256
    @Option(help: "Give up (and fail) after this many seconds.") var timeout = 300

    func validate() throws {
        guard publishers > 0, messages > 0, size >= 32, size <= 4_000, timeout > 0 else { throw ValidationError("positive sizes; --size 32...4000") }
    }

    func run() async throws {
        let hub = try await BenchHub.make(target, rooms: publishers)
        defer { hub.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: target.clientThreads)
        let stats = PerLoop(group)
        let complete = Countdown(publishers * messages, on: group.any())
        final class Sender: @unchecked Sendable { var sent = 0; var sentAt: UInt64 = 0 }
        let senders = (0..<publishers).map { _ in Sender() }
        let size = self.size, messages = self.messages
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let writerBox = NIOLockedValueBox<[LoadConnection]>([])
        let rooms = hub.rooms
        let problems = RunProblems()
        let writers = try await openConnections(publishers, concurrency: 32, hub: hub, group: group, join: { rooms[$0 % rooms.count] }) { index, buffer in
            guard FastJSON.replyID(buffer) != nil else { return }
            if let refusal = FastJSON.refusal(buffer) {
                // Only an `ok` reply says the post is on disk.
                problems.record("publisher \(index): a post was refused: \(refusal)")
                return complete.abandon()
            }
            let sender = senders[index]
            let loop = stats.current
            loop.latency.record(microseconds: (monotonicNanoseconds() &- sender.sentAt) / 1_000)
            loop.received += 1
            complete.tick()
            guard sender.sent < messages, let writer = writerBox.withLockedValue({ $0.count > index ? $0[index] : nil }) else { return }
            let number = sender.sent
            sender.sent += 1
            sender.sentAt = monotonicNanoseconds()
            writer.send(postRequest(id: "\(number)", room: rooms[index % rooms.count], text: loadText(publisher: index, number: number, size: size), key: "\(run)-\(index)-\(number)"))
        }
        writerBox.withLockedValue { $0 = writers }
        let started = monotonicNanoseconds()
        let meter = CostMeter(hub)
        for (index, writer) in writers.enumerated() {
            let sender = senders[index]
            writer.connection.channel.eventLoop.execute {
                sender.sent = 1
                sender.sentAt = monotonicNanoseconds()
                writer.send(postRequest(id: "0", room: rooms[index % rooms.count], text: loadText(publisher: index, number: 0, size: size), key: "\(run)-\(index)-0"))
            }
        }
        try await wait(complete.done.futureResult, seconds: timeout) { "\(complete.left) acknowledgements missing" }
        try problems.check("durable run failed")
        let elapsed = Double(monotonicNanoseconds() - started) / 1e9
        let cost = meter.figures(per: publishers * messages, unit: "post", storage: true)
        let slow = meter.slowCommits()
        var latency = LatencyHistogram()
        for loop in stats.all { latency.add(loop.latency) }
        for writer in writers { await writer.close() }
        try? await group.shutdownGracefully()
        let total = publishers * messages
        let summary = latency.summary
        try BenchReport.emit(
            scenario: "durable", parameters: ["publishers": publishers, "messages_per_publisher": messages, "size_bytes": size, "target": target.url ?? "started hub"],
            figures: [("acknowledged posts", "\(total) in \(String(format: "%.2f", elapsed)) s (each acknowledged after its commit is on disk)"),
                      ("acknowledged posts per second", BenchReport.rate(Double(total) / elapsed)),
                      ("acknowledgement latency", BenchReport.milliseconds(summary))] + cost.rows + (slow.map { [$0.row] } ?? []),
            result: ["posts": total, "seconds": elapsed, "posts_per_second": Double(total) / elapsed, "latency": summary,
                     "slow_commits": slow?.json as Any? ?? NSNull()]
                .merging(cost.json) { first, _ in first }, json: target.json)
    }
}

struct ConnectBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Full connection set-up (TCP, TLS 1.3, WebSocket upgrade, authentication, join) per second.")

    @OptionGroup var target: HubTargetOptions
    @Option(help: "Connections to set up.") var connections = 5_000
    @Option(help: "Set-ups in flight at once.") var concurrency = 64
    @Option(help: "Give up (and fail) after this many seconds.") var timeout = 300

    func validate() throws { guard connections > 0, concurrency > 0, timeout > 0 else { throw ValidationError("positive sizes") } }

    func run() async throws {
        let hub = try await BenchHub.make(target)
        defer { hub.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: target.clientThreads)
        let latency = NIOLockedValueBox(LatencyHistogram())
        let started = monotonicNanoseconds()
        let meter = CostMeter(hub)
        let deadline = ContinuousClock.now + .seconds(timeout)
        var next = 0, done = 0
        let connections = self.connections
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            func launch() {
                next += 1
                tasks.addTask {
                    let begin = monotonicNanoseconds()
                    let connection = try await LoadConnection.open(hub: hub, group: group, join: hub.room) { _ in }
                    let took = (monotonicNanoseconds() - begin) / 1_000
                    latency.withLockedValue { $0.record(microseconds: took) }
                    connection.connection.channel.close(promise: nil)
                }
            }
            while next < min(concurrency, connections) { launch() }
            while try await tasks.next() != nil {
                done += 1
                if ContinuousClock.now > deadline { throw ClientFailure("timed out after \(timeout) s with \(done) connections set up") }
                if next < connections { launch() }
            }
        }
        let elapsed = Double(monotonicNanoseconds() - started) / 1e9
        let cost = meter.figures(per: connections, unit: "connection")
        try? await group.shutdownGracefully()
        let summary = latency.withLockedValue { $0.summary }
        try BenchReport.emit(
            scenario: "connect", parameters: ["connections": connections, "concurrency": concurrency, "target": target.url ?? "started hub"],
            figures: [("connections set up", "\(connections) in \(String(format: "%.2f", elapsed)) s (TCP, TLS 1.3, upgrade, auth, join)"),
                      ("connections per second", BenchReport.rate(Double(connections) / elapsed)),
                      ("set-up latency", BenchReport.milliseconds(summary))] + cost.rows,
            result: ["connections": connections, "seconds": elapsed, "connections_per_second": Double(connections) / elapsed, "latency": summary]
                .merging(cost.json) { first, _ in first },
            json: target.json)
    }
}

struct IdleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "K authenticated idle connections: the server's resident memory per connection and its CPU use while idle.")

    @OptionGroup var target: HubTargetOptions
    @Option(help: "Idle connections to hold.") var connections = 10_000
    @Option(help: "Set-ups in flight at once.") var concurrency = 64
    @Option(help: "Seconds to measure CPU use while idle.") var idleSeconds = 10

    func validate() throws { guard connections > 0, concurrency > 0, idleSeconds > 0 else { throw ValidationError("positive sizes") } }

    func run() async throws {
        let hub = try await BenchHub.make(target)
        defer { hub.stop() }
        guard hub.pid != nil else { throw ClientFailure("the idle scenario needs the server's process id (--server-pid with --url)") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: target.clientThreads)
        // Warm the server up with one connection so that one-time allocations are not counted.
        let warm = try await LoadConnection.open(hub: hub, group: group, join: nil) { _ in }
        try await Task.sleep(for: .milliseconds(500))
        let before = hub.residentBytes() ?? 0
        let held = try await openConnections(connections, concurrency: concurrency, hub: hub, group: group, join: { _ in nil }) { _, _ in }
        try await Task.sleep(for: .seconds(1))
        let after = hub.residentBytes() ?? 0
        let cpuStart = hub.cpuSeconds() ?? 0
        try await Task.sleep(for: .seconds(idleSeconds))
        let cpuEnd = hub.cpuSeconds() ?? 0
        let perConnection = Double(after - before) / Double(held.count)
        let cpuPercent = (cpuEnd - cpuStart) / Double(idleSeconds) * 100
        for connection in held + [warm] { connection.connection.channel.close(promise: nil) }
        try? await group.shutdownGracefully()
        try BenchReport.emit(
            scenario: "idle", parameters: ["connections": connections, "idle_seconds": idleSeconds, "target": target.url ?? "started hub"],
            figures: [("connections held", "\(held.count) (authenticated, TLS 1.3)"),
                      ("server resident memory", String(format: "%.1f MiB before, %.1f MiB after", Double(before) / 1_048_576, Double(after) / 1_048_576)),
                      ("memory per connection", String(format: "%.1f KB", perConnection / 1000)),
                      ("server CPU while idle", String(format: "%.2f %% of one core", cpuPercent))],
            result: ["connections": held.count, "rss_before_bytes": before, "rss_after_bytes": after, "bytes_per_connection": perConnection,
                     "idle_cpu_percent": cpuPercent], json: target.json)
    }
}

struct RecoverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover", abstract: "A client rejoins after missing M events: time until it is caught up.")

    @OptionGroup var target: HubTargetOptions
    @Option(help: "Events the client misses (at most the hub's replay limit, 10,000 by default).") var missed = 10_000
    @Option(help: "Rejoins to time.") var runs = 5
    @Option(help: "Message text size in bytes.") var size = 256
    @Option(help: "Give up (and fail) when one step of a rejoin (the posts, the catch-up) takes longer than this many seconds.") var timeout = 300

    func validate() throws {
        guard missed > 0, runs > 0, size >= 32, size <= 4_000, timeout > 0 else { throw ValidationError("positive sizes; --size 32...4000") }
    }

    func run() async throws {
        let hub = try await BenchHub.make(target)
        defer { hub.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: target.clientThreads)
        let room = hub.room, size = self.size, missed = self.missed
        var timings: [Double] = []
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        // The writer stays in the room throughout (the same person as the reader), so the
        // reader's comings and goings add no presence events: it misses exactly the posts.
        final class Sender: @unchecked Sendable { var sent = 0; var limit = 0; var round = 0; var acknowledged: Countdown? }
        let sender = Sender()
        let writerBox = NIOLockedValueBox<LoadConnection?>(nil)
        let problems = RunProblems()
        let writer = try await LoadConnection.open(hub: hub, group: group, join: room) { buffer in
            guard FastJSON.replyID(buffer) != nil else { return }
            if let refusal = FastJSON.refusal(buffer) {
                problems.record("a post was refused: \(refusal)")
                sender.acknowledged?.abandon()
                return
            }
            sender.acknowledged?.tick()
            guard sender.sent < sender.limit, let writer = writerBox.withLockedValue({ $0 }) else { return }
            let number = sender.sent
            sender.sent += 1
            writer.send(postRequest(id: "\(number)", room: room, text: loadText(publisher: 0, number: number, size: size), key: "\(runID)-\(sender.round)-\(number)"))
        }
        writerBox.withLockedValue { $0 = writer }
        for round in 0..<runs {
            // Where the reader was: join once, note the room's epoch and sequence, leave.
            let position = NIOLockedValueBox<(String, Int)?>(nil)
            let seen = group.any().makePromise(of: Void.self)
            let first = try await LoadConnection.open(hub: hub, group: group, join: nil) { buffer in
                guard FastJSON.replyID(buffer) == "j",
                    let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any],
                    let result = object["result"] as? [String: Any], let epoch = result["epoch"] as? String, let seq = result["seq"] as? Int
                else { return }
                position.withLockedValue { $0 = (epoch, seq) }
                seen.succeed(())
            }
            first.send(#"{"id":"j","type":"join","room":"\#(room)"}"#)
            try await seen.futureResult.get()
            await first.close()
            // Meanwhile M events happen.
            let acknowledged = Countdown(missed, on: group.any())
            try await writer.connection.channel.eventLoop.submit {
                sender.sent = 0
                sender.limit = missed
                sender.round = round
                sender.acknowledged = acknowledged
                while sender.sent < min(32, missed) {
                    let number = sender.sent
                    sender.sent += 1
                    writer.send(postRequest(id: "\(number)", room: room, text: loadText(publisher: 0, number: number, size: size), key: "\(runID)-\(round)-\(number)"))
                }
            }.get()
            try await wait(acknowledged.done.futureResult, seconds: timeout) { "\(acknowledged.left) posts unacknowledged" }
            try problems.check("recover run failed")
            // Rejoin from the noted position and time the catch-up.
            guard let (epoch, seq) = position.withLockedValue({ $0 }) else { throw ClientFailure("no join position") }
            let caughtUp = Countdown(missed, on: group.any())
            let replyText = NIOLockedValueBox<String?>(nil)
            let reader = try await LoadConnection.open(hub: hub, group: group, join: nil) { buffer in
                if FastJSON.loadMessage(buffer) != nil {
                    caughtUp.tick()
                } else if FastJSON.replyID(buffer) == "r" {
                    replyText.withLockedValue { $0 = String(buffer: buffer) }
                }
            }
            let begin = monotonicNanoseconds()
            reader.send(#"{"id":"r","type":"join","room":"\#(room)","last_seq":\#(seq),"epoch":"\#(epoch)"}"#)
            try await wait(caughtUp.done.futureResult, seconds: timeout) {
                "\(caughtUp.left) missed events not replayed (join reply: \(replyText.withLockedValue { $0 ?? "none" }.prefix(300)))"
            }
            timings.append(Double(monotonicNanoseconds() - begin) / 1e6)
            await reader.close()
        }
        await writer.close()
        try? await group.shutdownGracefully()
        let sorted = timings.sorted()
        let median = sorted[sorted.count / 2]
        try BenchReport.emit(
            scenario: "recover", parameters: ["missed": missed, "runs": runs, "size_bytes": size, "target": target.url ?? "started hub"],
            figures: [("catch-up time", timings.map { String(format: "%.1f ms", $0) }.joined(separator: ", ")),
                      ("median", String(format: "%.1f ms for %d missed events", median, missed))],
            result: ["missed": missed, "catch_up_ms": timings, "median_ms": median, "max_ms": sorted.last ?? 0], json: target.json)
    }
}
