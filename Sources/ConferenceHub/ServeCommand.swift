// `conference-hub serve`: run the hub. On first start with an empty data directory it initializes
// it. SIGINT/SIGTERM (or, with --parent-pid, the end of the process that started it) stop
// accepting, close WebSockets with 1001 and exit 0.
import ArgumentParser
import CaseCore
import Foundation
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the hub (initializing the data directory on first start).")

    @OptionGroup var data: DataDirectoryOptions

    @Option(name: .long, help: "Address to listen on.")
    var host: String = WebSocketServerConfiguration.Defaults.host

    @Option(name: .long, help: "Port to listen on (0 picks a free port; see --port-file).")
    var port: Int = WebSocketServerConfiguration.Defaults.port

    @Option(name: .long, help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(name: .long, help: "Client certificates: none, optional (verified when presented) or required.")
    var clientCert: ClientCertificateMode = .optional

    @Option(name: .long, help: "Largest WebSocket message accepted, in bytes (larger closes with 1009).")
    var maxMessageBytes: Int = ServeDefaults.webSocket.maxMessageSize

    @Option(name: .long, help: "Bytes that may queue for one client before it is closed with 1008.")
    var maxOutboundBytes: Int = ServeDefaults.webSocket.maxOutboundBytes

    @Option(name: .long, help: "Seconds between server pings.")
    var pingInterval: Int = ServeDefaults.seconds(ServeDefaults.webSocket.pingInterval)

    @Option(name: .long, help: "Seconds a ping may go unanswered before the connection is closed.")
    var pongTimeout: Int = ServeDefaults.seconds(ServeDefaults.webSocket.pongTimeout)

    @Option(name: .long, help: "Seconds a TLS handshake may take.")
    var handshakeTimeout: Int = ServeDefaults.seconds(WebSocketServerConfiguration.Defaults.handshakeTimeout)

    @Option(name: .long, help: "Seconds a connection has, after its TLS handshake and after each HTTP response, to send a complete HTTP request (the WebSocket upgrade).")
    var requestTimeout: Int = ServeDefaults.seconds(WebSocketServerConfiguration.Defaults.requestTimeout)

    @Option(name: .long, help: "Connections one IP address may hold that have not authenticated yet (more are closed at once; 0: no limit).")
    var maxPendingPerAddress: Int = WebSocketServerConfiguration.Defaults.maxPendingConnectionsPerAddress

    @Option(name: .long, help: "Requests per second per connection (bursts of twice that).")
    var rateLimit: Int = Int(ServeDefaults.hub.requestsPerSecond)

    @Option(name: .long, help: "Rooms one connection may join.")
    var maxRooms: Int = ServeDefaults.hub.maxRoomsPerConnection

    @Option(name: .long, help: "Open connections per person.")
    var maxConnectionsPerPerson: Int = ServeDefaults.hub.maxConnectionsPerPerson

    @Option(name: .long, help: "Longest message text, in characters.")
    var maxTextLength: Int = ServeDefaults.hub.maxTextLength

    @Option(name: .long, help: "Seconds a connection has to authenticate.")
    var authTimeout: Int = ServeDefaults.seconds(ServeDefaults.hub.authenticationTimeout)

    @Option(name: .long, help: "Least milliseconds between two writes of a room to one member (0: none).")
    var fanoutIntervalMs = Int(ServeDefaults.hub.fanoutPacing.interval.nanoseconds / 1_000_000)

    @Option(name: .long, help: "Microseconds per member that a room's round of writes on one event loop takes at least (0: no pacing).")
    var fanoutPaceUs = Int(ServeDefaults.hub.fanoutPacing.perMember.nanoseconds / 1_000)

    @Option(name: .long, help: "Log a warning for each database transaction that takes this many milliseconds or more (0: never).")
    var slowCommitMs = 100

    @Option(name: .long, help: "Seconds between checks for lapsed negotiation and decision deadlines.")
    var deadlineSweepSeconds = ServeDefaults.seconds(ServeDefaults.hub.deadlineSweepInterval)

    @Option(name: .long, help: "Working-day calendar: lines `YYYY-MM-DD holiday|workday` (default: weekends only).")
    var calendar: String?

    @Option(name: .long, help: "JSON file overriding legal time limits, e.g. {\"handling_days\": 45}.")
    var timeLimits: String?

    @Option(name: .long, help: "The conference's time zone (IANA name), for day-based limits.")
    var timeZone: String = "Asia/Shanghai"

    @Option(name: .long, help: "Event-loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log format: text (key=value lines) or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Flag(name: .long, help: "Echo every WebSocket message back (conformance testing only; not the hub protocol).")
    var echo: Bool = false

    @Option(name: .long, help: ArgumentHelp(
        "Stop, as on SIGTERM, once the process with this id is no longer the hub's parent (checked every second).",
        discussion: "For a tool that starts the hub as its child, such as bench, so that the hub does not outlive it."))
    var parentPid: Int32?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxMessageBytes >= 125 else { throw ValidationError("--max-message-bytes must be at least 125") }
        guard maxOutboundBytes >= 64 * 1024 else { throw ValidationError("--max-outbound-bytes must be at least 65536") }
        guard maxOutboundBytes > maxMessageBytes else {
            throw ValidationError("--max-outbound-bytes must be larger than --max-message-bytes (one reply must fit)")
        }
        guard pingInterval > 0, pongTimeout > 0, handshakeTimeout > 0, requestTimeout > 0 else {
            throw ValidationError("--ping-interval, --pong-timeout, --handshake-timeout and --request-timeout must be positive")
        }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        guard maxPendingPerAddress >= 0 else { throw ValidationError("--max-pending-per-address must be 0 (no limit) or more") }
        if let parentPid, parentPid <= 1 { throw ValidationError("--parent-pid must be a process id above 1") }
        guard rateLimit > 0, maxRooms > 0, maxConnectionsPerPerson > 0, authTimeout > 0 else {
            throw ValidationError("--rate-limit, --max-rooms, --max-connections-per-person and --auth-timeout must be positive")
        }
        guard (1...100_000).contains(maxTextLength) else { throw ValidationError("--max-text-length must be 1...100000") }
        guard (0...1_000).contains(fanoutIntervalMs) else { throw ValidationError("--fanout-interval-ms must be 0...1000") }
        guard (0...10_000).contains(fanoutPaceUs) else { throw ValidationError("--fanout-pace-us must be 0...10000") }
        guard (1...3_600).contains(deadlineSweepSeconds) else { throw ValidationError("--deadline-sweep-seconds must be 1...3600") }
        guard (0...60_000).contains(slowCommitMs) else { throw ValidationError("--slow-commit-ms must be 0...60000") }
    }

    func run() async throws {
        HubLogging.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "conferencehub")
        if let parentPid, getppid() != parentPid {
            throw ValidationError("--parent-pid: process \(parentPid) is not this hub's parent (it may have ended already)")
        }
        if let files = OpenFileLimit.raise() {
            if files.after < OpenFileLimit.lowWatermark {
                logger.warning("the open-file limit caps the connections this hub can hold; raise the hard limit (systemd: LimitNOFILE=)",
                               metadata: ["limit": "\(files.after)"])
            } else if files.after > files.before {
                logger.info("open-file limit raised to the hard limit", metadata: ["from": "\(files.before)", "to": "\(files.after)"])
            }
        }
        // Settings first, so that a mistake in them changes nothing on disk.
        let policy = try HubSettings.deadlinePolicy(calendar: calendar, timeLimits: timeLimits, timeZone: timeZone)
        let directory = DataDirectory(data.dataDir)
        // One hub per data directory, taken before anything is created or opened.
        let lock = try ServeLock.acquire(directory)
        var firstRun: DataDirectory.Created?
        if !directory.isInitialized {
            firstRun = try await directory.initialize()
        }

        // A schema upgrade may rewrite a table (version 7 copies every room event): say so first.
        let upgrade = directory.pendingSchemaUpgrade()
        if let upgrade {
            logger.notice("upgrading the database schema; this may take a while on a large database",
                          metadata: ["from": "\(upgrade.from)", "to": "\(upgrade.to)"])
        }
        var hubConfiguration = HubConfiguration()
        hubConfiguration.requestsPerSecond = Double(rateLimit)
        hubConfiguration.requestBurst = Double(rateLimit * 2)
        hubConfiguration.maxRoomsPerConnection = maxRooms
        hubConfiguration.maxConnectionsPerPerson = maxConnectionsPerPerson
        hubConfiguration.maxTextLength = maxTextLength
        hubConfiguration.authenticationTimeout = .seconds(Int64(authTimeout))
        hubConfiguration.deadlineSweepInterval = .seconds(Int64(deadlineSweepSeconds))
        hubConfiguration.fanoutPacing = FanoutPacing(
            interval: .milliseconds(Int64(fanoutIntervalMs)), perMember: .microseconds(Int64(fanoutPaceUs)))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let rooms = RoomHub(group: group, pacing: hubConfiguration.fanoutPacing)
        let opened = ContinuousClock.now
        let store = try CaseStore(
            path: directory.database, policy: policy,
            rooming: Hub.rooming(delivering: rooms, decisionLog: try directory.decisionLogIdentity()))
        if upgrade != nil {
            logger.notice("database schema upgraded", metadata: ["seconds": "\(String(format: "%.1f", (ContinuousClock.now - opened) / .seconds(1)))"])
        }
        if slowCommitMs > 0 {
            // Every write waits for its transaction: a slow one is usually storage stalling on fsync.
            let storeLogger = logger
            store.setSlowCommitObserver(threshold: .milliseconds(slowCommitMs)) { slow in
                storeLogger.warning("slow commit", metadata: [
                    "duration_ms": "\(SlowCommitFormat.milliseconds(slow.duration))",
                    "commit_ms": "\(SlowCommitFormat.milliseconds(slow.commitDuration))", "writes": "\(slow.writes)",
                ])
            }
        }

        var configuration = WebSocketServerConfiguration(tls: try directory.serverTLS(clientCertificateMode: clientCert))
        let certificate = try directory.serverCertificateDetails()
        CertificateExpiry.log(certificate, logger: logger)
        configuration.host = host
        configuration.port = port
        configuration.tls.handshakeTimeout = .seconds(Int64(handshakeTimeout))
        configuration.requestTimeout = .seconds(Int64(requestTimeout))
        configuration.maxPendingConnectionsPerAddress = maxPendingPerAddress
        configuration.webSocket.maxMessageSize = maxMessageBytes
        configuration.webSocket.maxOutboundBytes = maxOutboundBytes
        configuration.webSocket.pingInterval = .seconds(Int64(pingInterval))
        configuration.webSocket.pongTimeout = .seconds(Int64(pongTimeout))
        configuration.subprotocols = [ConferenceProtocol.subprotocol]

        let signals = TerminationSignals()
        let parentWatch = parentPid.map { pid in
            ParentWatch(pid) { signals.stop(because: "its parent process \(pid) ended") }
        }
        let hub = Hub(store: store, rooms: rooms, configuration: hubConfiguration, logger: logger)
        let server = try await HubServer.start(
            configuration: configuration, group: group, logger: logger, application: echo ? .echo : .hub(hub), certificate: certificate)
        // The certificate in use warns once a day as it nears its expiry (a renewed one is used
        // from the next start).
        let certificateCheck = group.next().scheduleRepeatedTask(initialDelay: .hours(24), delay: .hours(24)) { _ in
            CertificateExpiry.log(certificate, logger: logger)
        }
        hub.startRevocationWatch(on: group.next())
        hub.startDeadlineSweep(on: group.next())
        if let firstRun {
            Console.write(FirstRunMessage.text(directory: directory, created: firstRun, host: host, port: server.port))
        }
        Console.write("conference-hub \(HubProtocol.serverVersion) listening on wss://\(host):\(server.port)/v1/ws\(echo ? " (echo mode)" : "")")
        if let portFile {
            try "\(server.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
        }
        let reason = await signals.wait()
        parentWatch?.cancel()
        certificateCheck.cancel()
        logger.info("stopping", metadata: ["reason": "\(reason)"])
        hub.stopRevocationWatch()
        hub.stopDeadlineSweep()
        await server.shutdown()
        // The store's last writes (presence of the closed connections) are delivered on the event
        // loops, so it closes before they do.
        store.close()
        try await group.shutdownGracefully()
        logger.info("stopped")
        withExtendedLifetime(lock) {}
    }
}

extension ClientCertificateMode: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Reads the deadline settings named on the command line.
enum HubSettings {
    struct SettingsError: Error, CustomStringConvertible {
        let description: String
    }

    static func deadlinePolicy(calendar: String?, timeLimits: String?, timeZone: String) throws -> DeadlinePolicy {
        guard let zone = TimeZone(identifier: timeZone) else {
            throw SettingsError(description: "unknown time zone `\(timeZone)` (use an IANA name such as Asia/Shanghai)")
        }
        var policy = DeadlinePolicy(timeZone: ConferenceTimeZone(timeZone: zone))
        if let calendar {
            policy.calendar = try WorkingCalendar(parsing: read(calendar))
        }
        if let timeLimits {
            policy.limits = try TimeLimits.load(json: Array(read(timeLimits).utf8))
        }
        return policy
    }

    private static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SettingsError(description: "cannot read \(path): \(error.localizedDescription)")
        }
    }
}

/// Starts the WebSocket server with the hub (or echo) application behind it.
enum HubServer {
    /// What answers on `/v1/ws`.
    enum Application: Sendable {
        /// The conference protocol.
        case hub(Hub)
        /// Every message echoed back (conformance testing).
        case echo
    }

    /// - Parameter certificate: the server certificate in use, whose days left `/healthz` reports.
    static func start(
        configuration: WebSocketServerConfiguration, group: EventLoopGroup, logger: Logger, application: Application,
        certificate: CertificateDetails? = nil
    ) async throws -> WebSocketServer {
        let started = Date()
        let serverBox = NIOLockedValueBox<WebSocketServer?>(nil)
        let server = try await WebSocketServer.start(
            configuration: configuration, group: group, logger: logger,
            health: {
                let connections = serverBox.withLockedValue { $0?.connectionCount ?? 0 }
                let uptime = Int(Date().timeIntervalSince(started))
                let days = certificate.map { #","certificate_days_left":\#($0.daysLeft())"# } ?? ""
                return #"{"status":"ok","version":"\#(HubProtocol.serverVersion)","connections":\#(connections),"uptime_seconds":\#(uptime)\#(days)}"#
            },
            application: { connection, _ in
                switch application {
                case .echo:
                    connection.markEstablished()  // nothing to authenticate
                    return EchoSession()
                case .hub(let hub): return HubSession(hub: hub, connection: connection)
                }
            })
        serverBox.withLockedValue { $0 = server }
        return server
    }
}

/// Waits for SIGINT or SIGTERM (installed before the server starts, so none is missed), or for
/// `stop(because:)`.
final class TerminationSignals: @unchecked Sendable {
    private let lock = NIOLock()
    private var sources: [DispatchSourceSignal] = []
    private var received: String?
    private var waiter: CheckedContinuation<String, Never>?

    init() {
        sources = Self.install { [weak self] number in self?.deliver(number == SIGTERM ? "SIGTERM" : "SIGINT") }
    }

    /// Ends `wait()` as a signal would, for a stop that does not come as one.
    func stop(because reason: String) {
        deliver(reason)
    }

    /// Calls `handler` (on a dispatch queue) for SIGINT and SIGTERM instead of their default
    /// action. Returns once the dispatch sources are registered (libdispatch installs its signal
    /// handler then, not at `resume()`): a signal sent as soon as this returns — for example by a
    /// script that read the line printed next — is handled, not ignored.
    static func install(_ handler: @escaping @Sendable (Int32) -> Void) -> [DispatchSourceSignal] {
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

    private func deliver(_ reason: String) {
        let continuation: CheckedContinuation<String, Never>? = lock.withLock {
            guard received == nil else { return nil }
            received = reason
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume(returning: reason)
    }

    /// Returns why the hub is to stop: the first termination signal received ("SIGTERM",
    /// "SIGINT") or the reason given to `stop(because:)`.
    func wait() async -> String {
        await withCheckedContinuation { continuation in
            let already: String? = lock.withLock {
                if let received { return received }
                waiter = continuation
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}

/// Calls `ended` (once, on a dispatch queue) when process `pid` is no longer this process's
/// parent: it ended and this process was handed to another (init or a subreaper). Checked every
/// second; a process cannot be told when its parent ends without asking the kernel to signal it,
/// which Linux does per parent thread, not per process.
final class ParentWatch: @unchecked Sendable {
    private let timer = DispatchSource.makeTimerSource(queue: .global())

    init(_ pid: Int32, ended: @escaping @Sendable () -> Void) {
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [timer] in
            guard getppid() != pid else { return }
            timer.cancel()
            ended()
        }
        timer.resume()
    }

    func cancel() {
        timer.cancel()
    }
}

/// Unbuffered standard output, so scripts reading it see each line at once.
enum Console {
    static func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Process-wide logging set-up: key=value lines, or JSON lines, on standard error.
enum HubLogging {
    static func bootstrap(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

extension LogFormat: ExpressibleByArgument {}

/// How `serve` writes a slow commit's durations in its warning (and `bench` reads them back).
enum SlowCommitFormat {
    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15)
    }
}

/// Warnings about the server certificate's expiry: clients refuse an expired one, so every
/// connection would fail from that day on.
enum CertificateExpiry {
    /// From this many days before the expiry, a warning a day.
    static let warningDays = 30

    /// The log line for `details` at `now`, or nil while the expiry is further off.
    static func warning(_ details: CertificateDetails, now: Date = Date()) -> (level: Logger.Level, message: String)? {
        let days = details.daysLeft(at: now)
        let date = CertificateDetails.day(details.notAfter)
        let renew = "issue a new one with `conference-hub admin server-cert --renew` and restart the hub"
        if details.notAfter <= now {
            return (.error, "the server certificate expired on \(date): clients refuse it; \(renew)")
        }
        guard days < warningDays else { return nil }
        return (.warning, "the server certificate expires on \(date), in \(days) days; \(renew)")
    }

    static func log(_ details: CertificateDetails, logger: Logger, now: Date = Date()) {
        guard let (level, message) = warning(details, now: now) else { return }
        logger.log(level: level, "\(message)")
    }
}

/// Where `serve`'s options take their defaults: the configurations they set, whose defaults are
/// written once there (HubConfiguration, WebSocketConfiguration, WebSocketServerConfiguration).
enum ServeDefaults {
    static let hub = HubConfiguration()
    static let webSocket = WebSocketConfiguration()

    /// Whole seconds of a default timer.
    static func seconds(_ amount: TimeAmount) -> Int { Int(amount.nanoseconds / 1_000_000_000) }
}
