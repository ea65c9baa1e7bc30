// BenchHub: the hub a load scenario runs against — either a `conference-hub serve` child process
// on a fresh data directory (seeded with a unit, a person, a token and a case), or an existing
// server given by URL (our hub or the peer in Benchmarks/). The load connections are in
// LoadConnection.swift, what a run measures in BenchMeasurements.swift.
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
        return try await serve(root: root, directory: directory, token: token, rooms: rooms, threads: threads, extra: extra)
    }

    /// Starts `serve` (this binary, or `binary`) on `directory`, whose files live under `root`
    /// (removed when the hub stops), with limits opened up for load.
    static func serve(root: String, directory: DataDirectory, token: String, rooms: [String], threads: Int?, extra: [String] = [],
                      binary: String? = nil, keep: Bool = false) async throws -> BenchHub {
        let portFile = root + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        let process = Process()
        process.executableURL = binary.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var arguments = [
            "serve", "--data-dir", directory.root, "--port", "0", "--internal-port", "0", "--drain-seconds", "0", "--port-file", portFile, "--log-level", "warning",
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
                if !keep { try? FileManager.default.removeItem(atPath: root) }
                throw ClientFailure("the hub did not start: \(output.suffix(2_000))")
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let hub = BenchHub(host: "127.0.0.1", port: port!, caPEM: try directory.read(directory.caCertificate), token: token, rooms: rooms,
                           pid: process.processIdentifier, process: process, directory: keep ? nil : root,
                           slowCommitMs: slowCommitThreshold(in: arguments) ?? defaultSlowCommitMs)
        hub.stopOnTerminationSignal()
        FileHandle.standardError.write(Data("bench: started a hub, pid \(process.processIdentifier), wss://127.0.0.1:\(port!)/v1/ws, data in \(root)\n".utf8))
        return hub
    }

    /// Stops the started hub if the run is interrupted (SIGINT, SIGTERM), so that neither the hub
    /// process nor its data directory outlives the bench; then exits with 128 + the signal. The
    /// handler runs on a dispatch queue, apart from the run's own tasks and event loops.
    private func stopOnTerminationSignal() {
        signalSources = Self.installSignalHandlers { [self] number in
            Self.interrupted.withLockedValue { $0 = true }
            FileHandle.standardError.write(Data("bench: interrupted; stopping the hub it started\n".utf8))
            stopOnce()
            exit(128 + number)
        }
    }

    /// Calls `handler` (on a dispatch queue) for SIGINT and SIGTERM instead of their default
    /// action. Returns once the dispatch sources are registered (libdispatch installs its signal
    /// handler then, not at `resume()`), so that a signal sent right after is handled.
    private static func installSignalHandlers(_ handler: @escaping @Sendable (Int32) -> Void) -> [DispatchSourceSignal] {
        let registered = DispatchGroup()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            registered.enter()
            source.setRegistrationHandler { registered.leave() }
            source.resume()
            sources.append(source)
        }
        registered.wait()
        return sources
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

    func connectionConfiguration(onMessage: (@Sendable (WebSocketMessage) -> Void)?) -> WebSocketClientConfiguration {
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
