// BenchHub: the hub a load scenario runs against — either a `conference-hub serve` child process
// on a fresh data directory (seeded with a unit, a person, a token and a case), or an existing
// server given by URL (our hub or the peer in Benchmarks/). Also the load connections: a thin
// client that hands each message to a closure on its event loop, with no JSON parsing on the
// fast path.
import ArgumentParser
import CaseCore
import Foundation
import Histogram
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where the scenario's server is and how to reach it.
struct HubTargetOptions: ParsableArguments {
    @Option(help: "Target an already running server (wss://127.0.0.1:PORT) instead of starting a hub. Loopback only.")
    var url: String?

    @Option(help: "With --url: the CA certificate that signed the server's certificate.")
    var ca: String?

    @Option(help: "With --url: a bearer token accepted by the server.")
    var token: String?

    @Option(help: "With --url: the room to use.")
    var room: String?

    @Option(help: "With --url: the server's process id (for the idle scenario's memory and CPU figures).")
    var serverPid: Int32?

    @Option(help: "Event-loop threads of a started hub (default: one per core).")
    var serverThreads: Int?

    @Option(help: "A started hub's --fanout-interval-ms (default: the hub's default).")
    var fanoutIntervalMs: Int?

    @Option(
        parsing: .unconditionalSingleValue,
        help: "Another `serve` option for a started hub, e.g. --hub-option=--max-text-length=100 (repeatable; later ones win).")
    var hubOption: [String] = []

    @Option(help: "Event-loop threads of the load generator.")
    var clientThreads: Int = System.coreCount

    @Option(help: "Write the JSON result to this file as well.")
    var json: String?

    func validate() throws {
        if let url {
            guard let endpoint = try? ClientEndpoint(url: url), ["127.0.0.1", "::1", "localhost"].contains(endpoint.host) else {
                throw ValidationError("--url must be a loopback wss:// address (benchmarks run on this machine only)")
            }
            guard ca != nil, token != nil, room != nil else { throw ValidationError("--url needs --ca, --token and --room") }
        }
        guard clientThreads > 0, (serverThreads ?? 1) > 0 else { throw ValidationError("thread counts must be positive") }
        if url != nil, !hubOption.isEmpty { throw ValidationError("--hub-option applies to a started hub, not to --url") }
        for option in hubOption where !option.hasPrefix("--") { throw ValidationError("--hub-option takes a serve option such as --rate-limit=100, not \"\(option)\"") }
    }
}

/// A running server for a scenario.
final class BenchHub: @unchecked Sendable {
    let host: String
    let port: Int
    let caPEM: String
    let token: String
    /// Rooms the token may join and post to (the first is the scenario's room).
    let rooms: [String]
    var room: String { rooms[0] }
    /// The server's process id, when known.
    let pid: Int32?
    private let process: Process?
    private let directory: String?
    /// The started hub's `--slow-commit-ms` (nil for a hub given by options: its log is not ours).
    let slowCommitMs: Int?

    /// What a started hub logs as slow: commits that take this long are what stall a run.
    static let defaultSlowCommitMs = 50

    private init(host: String, port: Int, caPEM: String, token: String, rooms: [String], pid: Int32?, process: Process?, directory: String?,
                 slowCommitMs: Int? = nil) {
        self.host = host
        self.port = port
        self.caPEM = caPEM
        self.token = token
        self.rooms = rooms
        self.pid = pid
        self.process = process
        self.directory = directory
        self.slowCommitMs = slowCommitMs
    }

    /// The last `--slow-commit-ms` in `serve` arguments (a `--hub-option` overrides the bench's).
    static func slowCommitThreshold(in arguments: [String]) -> Int? {
        var found: Int?
        for (index, argument) in arguments.enumerated() {
            if argument == "--slow-commit-ms", index + 1 < arguments.count {
                found = Int(arguments[index + 1])
            } else if argument.hasPrefix("--slow-commit-ms=") {
                found = Int(argument.dropFirst("--slow-commit-ms=".count))
            }
        }
        return found
    }

    /// The started hub's log (standard output and error).
    var logPath: String? { directory.map { $0 + "/serve.log" } }

    /// The target given by options, or a hub started for the run.
    static func make(_ options: HubTargetOptions, rooms: Int = 1) async throws -> BenchHub {
        // This process (and the hub it starts, which inherits it) may hold as many sockets as the system allows.
        OpenFileLimit.raise()
        if let url = options.url, let caFile = options.ca, let token = options.token, let room = options.room {
            let endpoint = try ClientEndpoint(url: url)
            guard let ca = FileManager.default.contents(atPath: caFile) else { throw ClientFailure("cannot read \(caFile)") }
            return BenchHub(host: endpoint.host, port: endpoint.port, caPEM: String(decoding: ca, as: UTF8.self), token: token,
                            rooms: Array(repeating: room, count: max(rooms, 1)), pid: options.serverPid, process: nil, directory: nil)
        }
        return try await start(threads: options.serverThreads, rooms: rooms, extra: (options.fanoutIntervalMs.map { ["--fanout-interval-ms", "\($0)"] } ?? []) + options.hubOption)
    }

    /// Starts `conference-hub serve` on a new data directory with limits opened up for load, and
    /// `rooms` case rooms the load generator may use.
    static func start(threads: Int?, rooms roomCount: Int = 1, extra: [String] = []) async throws -> BenchHub {
        let root = NSTemporaryDirectory() + "chub-bench-hub-" + UUID().uuidString
        let directory = DataDirectory(root + "/data")
        _ = try await directory.initialize()
        let token = CaseStore.makeToken()
        var rooms: [String] = []
        do {
            let store = try CaseStore(path: directory.database)
            defer { store.close() }
            let unit = UnitID("bench")
            try await store.addUnit(Unit(id: unit, name: "Benchmark unit", kind: .department))
            try await store.addPerson(Person(id: PersonID("bench"), name: "Load generator", unit: unit, roles: [.officer]))
            _ = try await store.addCredential(person: PersonID("bench"), kind: .token, digest: CaseStore.tokenDigest(token), label: "bench", at: Timestamp(Date()))
            let coordinator = Actor(person: DataDirectory.adminPerson, unit: DataDirectory.officeUnit, roles: [.coordinator])
            for number in 1...max(roomCount, 1) {
                let event = try await store.register(Registration(
                    title: "Benchmark case \(number)", summary: "", category: .suggestion, channel: .online, receivedOn: LocalDate("2026-01-05")!,
                    involvedUnits: [unit], petitioner: Petitioner(name: "Benchmark", contact: "")), by: coordinator, open: true)
                rooms.append(RoomID.case(event.caseID))
            }
        }
        let portFile = root + "/port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var arguments = [
            "serve", "--data-dir", directory.root, "--port", "0", "--port-file", portFile, "--log-level", "warning",
            "--rate-limit", "1000000", "--max-connections-per-person", "1000000", "--max-pending-per-address", "0", "--max-rooms", "16",
            // Transactions this slow are logged; the scenarios that commit count them.
            "--slow-commit-ms", "\(defaultSlowCommitMs)",
            // Killed outright (SIGKILL, which no handler sees), the bench cannot stop its hub; the
            // hub then stops by itself once it notices.
            "--parent-pid", "\(getpid())",
        ]
        if let threads { arguments += ["--threads", "\(threads)"] }
        arguments += extra
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: root + "/serve.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/serve.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Wait for the port file (the server writes it once listening); give up after 60 s.
        let deadline = ContinuousClock.now + .seconds(60)
        var port: Int?
        while port == nil {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = value
            } else if !process.isRunning || ContinuousClock.now > deadline {
                let output = (try? String(contentsOfFile: root + "/serve.log", encoding: .utf8)) ?? ""
                if process.isRunning {
                    process.terminate()
                    process.waitUntilExit()
                }
                try? FileManager.default.removeItem(atPath: root)
                throw ClientFailure("the hub did not start: \(output.suffix(2_000))")
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let hub = BenchHub(host: "127.0.0.1", port: port!, caPEM: try directory.read(directory.caCertificate), token: token, rooms: rooms,
                           pid: process.processIdentifier, process: process, directory: root,
                           slowCommitMs: slowCommitThreshold(in: arguments) ?? defaultSlowCommitMs)
        hub.stopOnTerminationSignal()
        FileHandle.standardError.write(Data("bench: started a hub, pid \(process.processIdentifier), wss://127.0.0.1:\(port!)/v1/ws, data in \(root)\n".utf8))
        return hub
    }

    /// Stops the started hub if the run is interrupted (SIGINT, SIGTERM), so that neither the hub
    /// process nor its data directory outlives the bench; then exits with 128 + the signal. The
    /// handler runs on a dispatch queue, apart from the run's own tasks and event loops.
    private func stopOnTerminationSignal() {
        signalSources = TerminationSignals.install { [self] number in
            Self.interrupted.withLockedValue { $0 = true }
            FileHandle.standardError.write(Data("bench: interrupted; stopping the hub it started\n".utf8))
            stopOnce()
            exit(128 + number)
        }
    }

    /// Set when a termination signal arrived: its handler then ends the process.
    private static let interrupted = NIOLockedValueBox(false)
    private var signalSources: [DispatchSourceSignal] = []
    private let stopLock = NSLock()
    private var stopped = false

    /// Stops a started hub (SIGTERM, then waits) and removes its files.
    func stop() {
        stopOnce()
        if Self.interrupted.withLockedValue({ $0 }) {
            // The run failed because its hub went away on a signal: the signal's handler ends the
            // process with 128 + the signal; this run must not end it first with its own error.
            DispatchSemaphore(value: 0).wait()
        }
    }

    /// The stop itself, done once however many callers (the run, a signal handler) ask.
    private func stopOnce() {
        stopLock.lock()
        defer { stopLock.unlock() }
        guard !stopped else { return }
        stopped = true
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// One client TLS context for every load connection.
    private lazy var tlsConfiguration: TLSConfiguration = .client(trustRootsPEM: caPEM, serverHostname: host)
    private lazy var tlsContext: TLSContext? = try? TLSContext(role: .client, configuration: tlsConfiguration)
    private let contextLock = NSLock()

    func connectionConfiguration(onMessage: @escaping @Sendable (WebSocketMessage) -> Void) -> WebSocketClientConfiguration {
        let (tls, context) = contextLock.withLock { (tlsConfiguration, tlsContext) }
        var configuration = WebSocketClientConfiguration(host: host, port: port, tls: tls)
        configuration.sharedTLSContext = context
        configuration.subprotocols = [ConferenceProtocol.subprotocol]
        configuration.onMessage = onMessage
        configuration.webSocket.maxOutboundBytes = 64 * 1024 * 1024
        return configuration
    }

    // MARK: Server process figures

    /// Resident memory of the server process, in bytes (VmRSS).
    func residentBytes() -> Int? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// CPU time (user + system) the server process has used, in seconds.
    func cpuSeconds() -> Double? {
        pid.flatMap(Self.cpuSeconds(pid:))
    }

    /// Bytes the server process has caused to be written to storage (`write_bytes` of
    /// /proc/PID/io: the database, its WAL and checkpoints; not sockets).
    func storageWriteBytes() -> Int? {
        guard let pid, let io = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return nil }
        for line in io.split(separator: "\n") where line.hasPrefix("write_bytes:") {
            return Int(line.dropFirst("write_bytes:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// CPU time (user + system) process `pid` has used, in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// One load connection: authenticated, its messages handed to `handler` on its event loop.
final class LoadConnection: Sendable {
    let connection: WebSocketClientConnection

    private init(connection: WebSocketClientConnection) { self.connection = connection }

    /// Connects, authenticates with the token and optionally joins `room`; after that every
    /// message goes to `handler`.
    static func open(hub: BenchHub, group: EventLoopGroup, join room: String?, handler: @escaping @Sendable (ByteBuffer) -> Void) async throws -> LoadConnection {
        let setup = NIOLockedValueBox<(waiting: String?, promise: EventLoopPromise<Void>?)>((nil, nil))
        let configuration = hub.connectionConfiguration { message in
            let (waiting, promise) = setup.withLockedValue { $0 }
            if let waiting, let promise, FastJSON.replyID(message.data) == waiting {
                setup.withLockedValue { $0 = (nil, nil) }
                if FastJSON.isOK(message.data) {
                    promise.succeed(())
                } else {
                    promise.fail(ClientFailure("refused: \(String(buffer: message.data).prefix(300))"))
                }
                return
            }
            handler(message.data)
        }
        let connection = try await WebSocketClient.connect(configuration: configuration, group: group)
        func request(_ id: String, _ text: String) async throws {
            let promise = connection.channel.eventLoop.makePromise(of: Void.self)
            setup.withLockedValue { $0 = (id, promise) }
            connection.channel.closeFuture.whenComplete { _ in promise.fail(ClientFailure("the connection closed during setup")) }
            try await connection.send(text: text)
            try await promise.futureResult.get()
        }
        do {
            try await request("auth", #"{"id":"auth","type":"auth","token":"\#(hub.token)"}"#)
            if let room { try await request("join", #"{"id":"join","type":"join","room":"\#(room)"}"#) }
        } catch {
            await connection.close()
            throw error
        }
        return LoadConnection(connection: connection)
    }

    func send(_ text: String) {
        connection.channel.writeAndFlush(WebSocketMessage.text(text), promise: nil)
    }

    func close() async { await connection.close() }
}

/// Just enough JSON reading for the load generator's fast path: the reply id, ok or not, and the
/// `text` of a message event. Our hub and the peer both write compact JSON.
enum FastJSON {
    /// A byte string to look for, with the byte of it that is least common in JSON text, which
    /// the search jumps between with `memchr`.
    struct Needle {
        let bytes: [UInt8]
        let anchor: Int

        init(_ text: String) {
            let bytes = Array(text.utf8)
            precondition(!bytes.isEmpty)
            // Most common first; a byte not listed is rarer than all of them.
            let common = Array(#"":,etaoinsrlcdumphgyfbwvk0123456789{}-_"#.utf8)
            let rank = { (byte: UInt8) in common.firstIndex(of: byte) ?? common.count }
            self.bytes = bytes
            anchor = bytes.indices.max { rank(bytes[$0]) < rank(bytes[$1]) }!
        }
    }

    /// Where `needle` first occurs in `bytes` (this runs for every delivery the load generator
    /// checks; a byte-by-byte search was 4 % of its time).
    static func find(_ needle: Needle, in bytes: UnsafeRawBufferPointer) -> Int? {
        let count = needle.bytes.count, anchor = needle.anchor, anchorByte = Int32(needle.bytes[anchor])
        guard count <= bytes.count, let base = bytes.baseAddress else { return nil }
        var from = anchor
        let last = bytes.count - count + anchor
        while from <= last {
            guard let hit = memchr(base + from, anchorByte, last - from + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            let start = at - anchor
            if needle.bytes.withUnsafeBytes({ memcmp(base + start, $0.baseAddress!, count) }) == 0 { return start }
            from = at + 1
        }
        return nil
    }

    private static let eventType = Needle(#""type":"event""#)
    private static let idKey = Needle(#""id":""#)
    private static let okType = Needle(#""type":"ok""#)
    private static let textKey = Needle(#""text":"p"#)

    /// The `id` of a reply (nil for events).
    static func replyID(_ buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { bytes in
            if find(eventType, in: bytes) != nil { return nil }
            guard let start = find(idKey, in: bytes) else { return nil }
            let from = start + idKey.bytes.count
            var end = from
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<end]), as: UTF8.self)
        }
    }

    static func isOK(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { find(okType, in: $0) != nil }
    }

    /// For a reply (not an event) that is not `ok`: its text, shortened, to report.
    static func refusal(_ buffer: ByteBuffer) -> String? {
        guard replyID(buffer) != nil, !isOK(buffer) else { return nil }
        return String(String(buffer: buffer).prefix(300))
    }

    /// `(publisher, number, sentNanoseconds)` from a message whose text is `p<P> m<N> t<T> …`.
    static func loadMessage(_ buffer: ByteBuffer) -> (publisher: Int, number: Int, sent: UInt64)? {
        buffer.withUnsafeReadableBytes { bytes in
            guard var index = find(textKey, in: bytes) else { return nil }
            index += textKey.bytes.count
            func number() -> UInt64? {
                var value: UInt64 = 0
                var digits = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    value = value * 10 + UInt64(bytes[index] - 48)
                    index += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            guard let publisher = number(), index + 2 < bytes.count, bytes[index] == 32, bytes[index + 1] == UInt8(ascii: "m") else { return nil }
            index += 2
            guard let sequence = number(), index + 2 < bytes.count, bytes[index] == 32, bytes[index + 1] == UInt8(ascii: "t") else { return nil }
            index += 2
            guard let sent = number() else { return nil }
            return (Int(publisher), Int(sequence), sent)
        }
    }
}

/// Latencies in microseconds, with HdrHistogram.
struct LatencyHistogram {
    private var histogram: Histogram<UInt64>

    /// `digits`: the precision kept (three for a run's figures; two for its seconds, at a tenth
    /// of the memory).
    init(digits: SignificantDigits = .three) {
        histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: digits)
    }

    mutating func record(microseconds: UInt64) { _ = histogram.record(min(microseconds, 600_000_000)) }
    mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    var count: UInt64 { histogram.totalCount }

    /// p50, p99, p99.9 and max, in milliseconds.
    var summary: [String: Double] {
        guard histogram.totalCount > 0 else { return ["p50_ms": 0, "p99_ms": 0, "p999_ms": 0, "max_ms": 0] }
        return [
            "p50_ms": Double(histogram.valueAtPercentile(50)) / 1000, "p99_ms": Double(histogram.valueAtPercentile(99)) / 1000,
            "p999_ms": Double(histogram.valueAtPercentile(99.9)) / 1000, "max_ms": Double(histogram.max) / 1000,
        ]
    }
}

/// Slow commits read from a hub's log (`serve` warns of each, with `duration_ms=`).
struct SlowCommits: Equatable {
    let threshold: Int
    private(set) var durations: [Double] = []

    init(log: String, threshold: Int) {
        self.threshold = threshold
        for line in log.split(separator: "\n") where line.contains("slow commit") {
            guard let range = line.range(of: "duration_ms=") else { continue }
            let value = line[range.upperBound...].prefix { $0.isNumber || $0 == "." }
            if let milliseconds = Double(value) { durations.append(milliseconds) }
        }
    }

    var row: (String, String) {
        let name = "commits of \(threshold) ms or more"
        guard let longest = durations.max() else { return (name, "none") }
        return (name, String(format: "%d, longest %.1f ms, %.0f ms in all", durations.count, longest, durations.reduce(0, +)))
    }

    var json: [String: Any] {
        ["threshold_ms": threshold, "count": durations.count, "longest_ms": durations.max() ?? 0, "total_ms": durations.reduce(0, +)]
    }
}

/// Latencies by the second in which each message was sent (counted from an origin), so that a
/// run's tail can be told apart: steady in every second, or from a few bad ones. Read together
/// with ``MachineSeconds``, which says how much time the hypervisor stole in each.
struct LatencyBySecond {
    /// Seconds kept; later messages are not counted here (the run's own figures count them).
    static let limit = 600
    private(set) var seconds: [LatencyHistogram] = []

    mutating func record(sent: UInt64, origin: UInt64, microseconds: UInt64) {
        let second = sent > origin ? Int((sent - origin) / 1_000_000_000) : 0
        guard second < Self.limit else { return }
        while seconds.count <= second { seconds.append(LatencyHistogram(digits: .two)) }
        seconds[second].record(microseconds: microseconds)
    }

    mutating func add(_ other: LatencyBySecond) {
        while seconds.count < other.seconds.count { seconds.append(LatencyHistogram(digits: .two)) }
        for (index, histogram) in other.seconds.enumerated() { seconds[index].add(histogram) }
    }

    /// One entry per second with messages: its count, p99 and max (ms), and the machine's busy
    /// and stolen share in that second when `machine` has it.
    func report(machine: [MachineSeconds.Second]) -> (row: String, json: [[String: Any]])? {
        var entries: [(second: Int, count: UInt64, p99: Double, max: Double)] = []
        for (second, histogram) in seconds.enumerated() where histogram.count > 0 {
            let summary = histogram.summary
            entries.append((second, histogram.count, summary["p99_ms"] ?? 0, summary["max_ms"] ?? 0))
        }
        guard !entries.isEmpty else { return nil }
        let json: [[String: Any]] = entries.map { entry in
            var object: [String: Any] = ["second": entry.second, "count": Int(entry.count), "p99_ms": entry.p99, "max_ms": entry.max]
            if entry.second < machine.count {
                object["busy_percent"] = machine[entry.second].busy
                object["steal_percent"] = machine[entry.second].steal
            }
            return object
        }
        let sorted = entries.sorted { $0.p99 < $1.p99 }
        let worst = sorted.last!
        let stolen = worst.second < machine.count ? String(format: ", %.1f %% stolen in it", machine[worst.second].steal) : ""
        let row = String(format: "median %.2f ms over %d s, best %.2f ms, worst %.2f ms",
                         sorted[sorted.count / 2].p99, sorted.count, sorted[0].p99, worst.p99) + " (second \(worst.second)\(stolen))"
        return (row, json)
    }
}

/// The machine's busy and stolen share of each second from an origin, sampled from /proc/stat
/// by a repeated task (touched only on its event loop).
final class MachineSeconds: @unchecked Sendable {
    struct Second: Sendable {
        let busy: Double
        let steal: Double
    }

    private let loop: EventLoop
    private var seconds: [Second] = []
    private var last: [Int]?
    private var task: RepeatedTask?

    /// Samples on `loop` every second from `origin` (a `monotonicNanoseconds()` value, now or
    /// just past), for at most `LatencyBySecond.limit` seconds.
    init(loop: EventLoop, origin: UInt64) {
        self.loop = loop
        loop.execute {
            self.last = CostMeter.machineTicks()
            let first = NIODeadline.uptimeNanoseconds(origin) + .seconds(1) - .now()
            self.task = loop.scheduleRepeatedTask(initialDelay: max(.zero, first), delay: .seconds(1)) { task in
                guard self.seconds.count < LatencyBySecond.limit else { return task.cancel() }
                self.sample()
            }
        }
    }

    private func sample() {
        let now = CostMeter.machineTicks()
        defer { last = now }
        let shares = last.flatMap { CostMeter.shares(from: $0, to: now) }
        seconds.append(Second(busy: shares?.busy ?? 0, steal: shares?.steal ?? 0))
    }

    /// Stops sampling and returns what was sampled, one entry per whole second.
    func stop() async -> [Second] {
        (try? await loop.submit { () -> [Second] in
            self.task?.cancel()
            return self.seconds
        }.get()) ?? []
    }
}

/// Prints a scenario's table and JSON result (and writes the JSON to a file if asked).
enum BenchReport {
    static func emit(scenario: String, parameters: [String: Any], figures: [(String, String)], result: [String: Any], json file: String?) throws {
        print("conference-hub bench \(scenario)")
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { print("  \(name): \(value)") }
        let width = figures.map(\.0.count).max() ?? 0
        for (name, value) in figures { print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        var object = result
        object["scenario"] = scenario
        object["parameters"] = parameters
        object["machine"] = ["cores": System.coreCount, "memory_bytes": Int(ProcessInfo.processInfo.physicalMemory)]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        let text = String(decoding: data, as: UTF8.self)
        print(text)
        if let file { try (text + "\n").write(toFile: file, atomically: true, encoding: .utf8) }
    }

    static func rate(_ value: Double) -> String { String(format: "%.0f/s", value) }
    static func milliseconds(_ summary: [String: Double]) -> String {
        String(format: "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
               summary["p50_ms"] ?? 0, summary["p99_ms"] ?? 0, summary["p999_ms"] ?? 0, summary["max_ms"] ?? 0)
    }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// What a run cost: CPU of the server and of this load generator, and the server's writes to
/// storage, between `init` and `figures(per:)`. Shows what a figure is bounded by.
struct CostMeter {
    private let hub: BenchHub
    private let serverCPU: Double?
    private let ownCPU: Double?
    private let written: Int?
    private let machine: [Int]?
    /// Where the started hub's log stood when the measured part began.
    private let logOffset: UInt64?

    init(_ hub: BenchHub) {
        self.hub = hub
        serverCPU = hub.cpuSeconds()
        ownCPU = BenchHub.cpuSeconds(pid: getpid())
        written = hub.storageWriteBytes()
        machine = Self.machineTicks()
        logOffset = hub.logPath.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? UInt64 }
    }

    /// The slow commits the started hub logged since `init`: how many, the longest and their
    /// sum (ms). Nil for a hub given by options.
    func slowCommits() -> SlowCommits? {
        guard let path = hub.logPath, let offset = logOffset, let threshold = hub.slowCommitMs, threshold > 0,
              let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard (try? file.seek(toOffset: offset)) != nil, let data = try? file.readToEnd() ?? Data() else { return nil }
        return SlowCommits(log: String(decoding: data, as: UTF8.self), threshold: threshold)
    }

    /// The machine's CPU time counters (the `cpu` line of /proc/stat: user, nice, system, idle,
    /// iowait, irq, softirq, steal, …).
    static func machineTicks() -> [Int]? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        return ticks.count >= 8 ? ticks : nil
    }

    /// The machine's busy and stolen shares (percent) between two readings of `machineTicks()`;
    /// nil when either is missing or no time passed.
    static func shares(from before: [Int], to after: [Int]?) -> (busy: Double, steal: Double)? {
        guard let after else { return nil }
        let delta = zip(before, after).map { $1 - $0 }
        let total = delta.reduce(0, +)
        guard total > 0 else { return nil }
        return (Double(total - delta[3] - delta[4]) / Double(total) * 100, Double(delta[7]) / Double(total) * 100)
    }

    /// Table rows and JSON fields per `count` operations called `unit`.
    func figures(per count: Int, unit: String, storage: Bool = false) -> (rows: [(String, String)], json: [String: Any]) {
        var rows: [(String, String)] = []
        var json: [String: Any] = [:]
        let server = zip(serverCPU, hub.cpuSeconds()).map { ($1 - $0) * 1e6 / Double(count) }
        let own = zip(ownCPU, BenchHub.cpuSeconds(pid: getpid())).map { ($1 - $0) * 1e6 / Double(count) }
        if let server, let own {
            rows.append(("CPU per \(unit)", String(format: "server %.1f µs, load generator %.1f µs", server, own)))
            json["server_cpu_us_per_\(unit)"] = server
            json["load_generator_cpu_us_per_\(unit)"] = own
        }
        // Time the hypervisor gave to others while the run wanted the CPU: a run with much of it
        // is not comparable with one without.
        if let before = machine, let (busy, steal) = Self.shares(from: before, to: Self.machineTicks()) {
            rows.append(("machine while running", String(format: "%.0f %% busy, %.1f %% stolen by the hypervisor", busy, steal)))
            json["machine_busy_percent"] = busy
            json["steal_percent"] = steal
        }
        if storage, let before = written, let after = hub.storageWriteBytes() {
            let bytes = Double(after - before) / Double(count)
            rows.append(("written to storage per \(unit)", String(format: "%.0f bytes (database, WAL, checkpoints)", bytes)))
            json["storage_bytes_per_\(unit)"] = bytes
        }
        return (rows, json)
    }
}

private func zip(_ first: Double?, _ second: Double?) -> (Double, Double)? {
    guard let first, let second else { return nil }
    return (first, second)
}
