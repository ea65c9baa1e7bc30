// `conference-hub serve`: run the hub. On first start with an empty data directory it initializes
// it. Its settings come from flags, CONFERENCEHUB_* environment variables, a configuration file
// and defaults (ServeSettings, SettingsReader). SIGTERM fails readiness, serves on for the drain
// period, then closes WebSockets with 1001 and exits 0; SIGINT (or, with --parent-pid, the end of
// the process that started it) skips the drain period.
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

    // Settings: each flag is optional, so that the environment and the configuration file count
    // where it is not given (ServeSettings.specs holds every default).
    @Option(name: .long, help: "The hub's data directory (certificates, credentials, database). Default ./hub-data.")
    var dataDir: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("listen.host")))
    var host: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("listen.port")))
    var port: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("tls.client-cert")))
    var clientCert: ClientCertificateMode?
    @Option(name: .long, help: ArgumentHelp(Self.help("websocket.max-message-bytes")))
    var maxMessageBytes: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("websocket.max-outbound-bytes")))
    var maxOutboundBytes: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("websocket.ping-interval-seconds")))
    var pingInterval: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("websocket.pong-timeout-seconds")))
    var pongTimeout: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("tls.handshake-timeout-seconds")))
    var handshakeTimeout: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("http.request-timeout-seconds")))
    var requestTimeout: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("limits.max-pending-per-address")))
    var maxPendingPerAddress: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("limits.rate-limit")))
    var rateLimit: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("limits.max-rooms")))
    var maxRooms: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("limits.max-connections-per-person")))
    var maxConnectionsPerPerson: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("limits.max-text-length")))
    var maxTextLength: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("limits.auth-timeout-seconds")))
    var authTimeout: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("fanout.interval-ms")))
    var fanoutIntervalMs: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("fanout.pace-us")))
    var fanoutPaceUs: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("store.slow-commit-ms")))
    var slowCommitMs: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("deadlines.sweep-seconds")))
    var deadlineSweepSeconds: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("deadlines.calendar")))
    var calendar: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("deadlines.time-limits")))
    var timeLimits: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("deadlines.time-zone")))
    var timeZone: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("threads")))
    var threads: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("log.level")))
    var logLevel: Logger.Level?
    @Option(name: .long, help: ArgumentHelp(Self.help("log.format")))
    var logFormat: LogFormat?
    @Option(name: .long, help: ArgumentHelp(Self.help("internal.host")))
    var internalHost: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("internal.port")))
    var internalPort: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("internal.metrics")))
    var metrics: Bool?
    @Option(name: .long, help: ArgumentHelp(Self.help("internal.metrics-token")))
    var metricsToken: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("web.origins")))
    var allowedOrigins: String?
    @Option(name: .long, help: ArgumentHelp(Self.help("web.session-minutes")))
    var sessionMinutes: Int?
    @Option(name: .long, help: ArgumentHelp(Self.help("shutdown.drain-seconds")))
    var drainSeconds: Int?

    // Not settings: how this run is started.
    @Option(name: .long, help: ArgumentHelp(
        "A JSON configuration file (default: $CONFERENCEHUB_CONFIG, else none).",
        discussion: "Keys as in `--print-config`, nested or dotted: {\"listen\": {\"port\": 8443}}. Flags and CONFERENCEHUB_* variables win over it."))
    var config: String?

    @Flag(name: .long, help: "Print the settings in effect (secrets hidden) and where each comes from, then exit.")
    var printConfig = false

    @Option(name: .long, help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(name: .long, help: "Write the internal listener's bound port to this file once listening.")
    var internalPortFile: String?

    @Flag(name: .long, help: "Echo every WebSocket message back (conformance testing only; not the hub protocol).")
    var echo: Bool = false

    @Flag(name: .long, help: "On the first start in a new data directory, make a demonstration conference (as `init --demo`) and print its sign-ins once.")
    var demo: Bool = false

    @Option(name: .long, help: ArgumentHelp(
        "Stop, as on SIGINT, once the process with this id is no longer the hub's parent (checked every second).",
        discussion: "For a tool that starts the hub as its child, such as bench, so that the hub does not outlive it."))
    var parentPid: Int32?

    /// A setting's help, with its default and environment variable.
    static func help(_ key: String) -> String {
        guard let spec = ServeSettings.specsByKey[key] else { return "" }
        let value = spec.defaultValue.map { " Default \($0)." } ?? ""
        return "\(spec.help)\(value) [\(spec.environmentVariable)]"
    }

    func validate() throws {
        if let parentPid, parentPid <= 1 { throw ValidationError("--parent-pid must be a process id above 1") }
    }

    /// The values given as flags, by setting key.
    var flagValues: [String: SettingSpec.Value] {
        var values: [String: SettingSpec.Value] = [:]
        func put(_ key: String, _ value: Int?) { if let value { values[key] = .int(value) } }
        func put(_ key: String, _ value: String?) { if let value { values[key] = .string(value) } }
        put("data.dir", dataDir)
        put("listen.host", host)
        put("listen.port", port)
        put("tls.client-cert", clientCert?.rawValue)
        put("websocket.max-message-bytes", maxMessageBytes)
        put("websocket.max-outbound-bytes", maxOutboundBytes)
        put("websocket.ping-interval-seconds", pingInterval)
        put("websocket.pong-timeout-seconds", pongTimeout)
        put("tls.handshake-timeout-seconds", handshakeTimeout)
        put("http.request-timeout-seconds", requestTimeout)
        put("limits.max-pending-per-address", maxPendingPerAddress)
        put("limits.rate-limit", rateLimit)
        put("limits.max-rooms", maxRooms)
        put("limits.max-connections-per-person", maxConnectionsPerPerson)
        put("limits.max-text-length", maxTextLength)
        put("limits.auth-timeout-seconds", authTimeout)
        put("fanout.interval-ms", fanoutIntervalMs)
        put("fanout.pace-us", fanoutPaceUs)
        put("store.slow-commit-ms", slowCommitMs)
        put("deadlines.sweep-seconds", deadlineSweepSeconds)
        put("deadlines.calendar", calendar)
        put("deadlines.time-limits", timeLimits)
        put("deadlines.time-zone", timeZone)
        put("threads", threads)
        put("log.level", logLevel?.rawValue)
        put("log.format", logFormat?.rawValue)
        put("internal.host", internalHost)
        put("internal.port", internalPort)
        if let metrics { values["internal.metrics"] = .bool(metrics) }
        put("internal.metrics-token", metricsToken)
        put("web.origins", allowedOrigins)
        put("web.session-minutes", sessionMinutes)
        put("shutdown.drain-seconds", drainSeconds)
        return values
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configFile = config ?? environment["CONFERENCEHUB_CONFIG"]
        var format = LogFormat.requested(flags: flagValues, environment: environment, configFile: configFile)
        do {
            // A SettingsError lists every problem; the hub exits 1 without touching the data directory.
            let resolved = try await SettingsReader.read(flags: flagValues, environment: environment, configFile: configFile)
            if printConfig {
                Console.write(resolved.printed())
                return
            }
            format = resolved.settings.logFormat
            try await HubRun(settings: resolved.settings, portFile: portFile, internalPortFile: internalPortFile,
                             echo: echo, parentPid: parentPid, demo: demo).run()
        } catch let error where format == .json && !(error is CleanExit) && !(error is ExitCode) {
            // With JSON logs, even the reason the hub could not start is one JSON line.
            Console.announce("conference-hub cannot start: \(FileProblem.plain(error))", format: .json, level: .critical, to: true)
            throw ExitCode.failure
        }
    }
}

extension ClientCertificateMode: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
