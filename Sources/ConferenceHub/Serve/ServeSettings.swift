// ServeSettings: every setting of `serve`, defined once — its key (in the configuration file and,
// as CONFERENCEHUB_<KEY>, in the environment), its command-line flag, its default, its allowed
// values and whether it is a secret. docs/operations.md lists them from this table (a test keeps
// the two in step).
import Foundation
import Logging
import Messaging
import NIOCore

/// One setting.
struct SettingSpec: Sendable {
    /// What values it takes.
    enum Kind: Sendable, Equatable {
        case int(ClosedRange<Int>)
        case string
        case choice([String])
        case bool
    }

    /// A value.
    enum Value: Sendable, Equatable, CustomStringConvertible {
        case int(Int)
        case string(String)
        case bool(Bool)

        var description: String {
            switch self {
            case .int(let value): "\(value)"
            case .string(let value): value
            case .bool(let value): "\(value)"
            }
        }
    }

    /// Dotted key, for example `listen.port`.
    let key: String
    /// The command-line flag, for example `--port`.
    let flag: String
    let kind: Kind
    /// Nil: unset unless given (an optional file, a token).
    let defaultValue: Value?
    let help: String
    var secret = false

    /// The environment variable: `CONFERENCEHUB_` and the key in capitals, with `_` for `.` and `-`.
    var environmentVariable: String {
        "CONFERENCEHUB_" + key.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}

/// What `serve` runs with, once read and checked.
struct ServeSettings: Sendable, Equatable {
    var values: [String: SettingSpec.Value]

    /// Every setting, in the order `--print-config` and the documentation show them.
    static let specs: [SettingSpec] = [
        SettingSpec(key: "data.dir", flag: "--data-dir", kind: .string, defaultValue: .string("./hub-data"),
                    help: "The hub's data directory (certificates, credentials, database)."),
        SettingSpec(key: "listen.host", flag: "--host", kind: .string, defaultValue: .string(WebSocketServerConfiguration.Defaults.host),
                    help: "Address of the public TLS listener (WebSocket, /healthz)."),
        SettingSpec(key: "listen.port", flag: "--port", kind: .int(0...65_535), defaultValue: .int(WebSocketServerConfiguration.Defaults.port),
                    help: "Port of the public listener (0 picks a free port)."),
        SettingSpec(key: "tls.client-cert", flag: "--client-cert", kind: .choice(ClientCertificateMode.allCases.map(\.rawValue)), defaultValue: .string("optional"),
                    help: "Client certificates: none, optional (verified when presented) or required."),
        SettingSpec(key: "tls.handshake-timeout-seconds", flag: "--handshake-timeout", kind: .int(1...300),
                    defaultValue: .int(ServeDefaults.seconds(WebSocketServerConfiguration.Defaults.handshakeTimeout)),
                    help: "Seconds a TLS handshake may take."),
        SettingSpec(key: "http.request-timeout-seconds", flag: "--request-timeout", kind: .int(1...300),
                    defaultValue: .int(ServeDefaults.seconds(WebSocketServerConfiguration.Defaults.requestTimeout)),
                    help: "Seconds a connection has, after its TLS handshake and after each HTTP response, to send a complete HTTP request."),
        SettingSpec(key: "websocket.max-message-bytes", flag: "--max-message-bytes", kind: .int(125...(64 << 20)),
                    defaultValue: .int(ServeDefaults.webSocket.maxMessageSize),
                    help: "Largest WebSocket message accepted, in bytes (larger closes with 1009)."),
        SettingSpec(key: "websocket.max-outbound-bytes", flag: "--max-outbound-bytes", kind: .int((64 << 10)...(1 << 30)),
                    defaultValue: .int(ServeDefaults.webSocket.maxOutboundBytes),
                    help: "Bytes that may queue for one client before it is closed with 1008 (more than the largest message)."),
        SettingSpec(key: "websocket.ping-interval-seconds", flag: "--ping-interval", kind: .int(1...3_600),
                    defaultValue: .int(ServeDefaults.seconds(ServeDefaults.webSocket.pingInterval)), help: "Seconds between server pings."),
        SettingSpec(key: "websocket.pong-timeout-seconds", flag: "--pong-timeout", kind: .int(1...3_600),
                    defaultValue: .int(ServeDefaults.seconds(ServeDefaults.webSocket.pongTimeout)),
                    help: "Seconds a ping may go unanswered before the connection is closed."),
        SettingSpec(key: "limits.max-pending-per-address", flag: "--max-pending-per-address", kind: .int(0...1_000_000),
                    defaultValue: .int(WebSocketServerConfiguration.Defaults.maxPendingConnectionsPerAddress),
                    help: "Connections one IP address may hold that have not authenticated yet (0: no limit)."),
        SettingSpec(key: "limits.rate-limit", flag: "--rate-limit", kind: .int(1...10_000_000), defaultValue: .int(Int(ServeDefaults.hub.requestsPerSecond)),
                    help: "Requests per second per connection (bursts of twice that)."),
        SettingSpec(key: "limits.max-rooms", flag: "--max-rooms", kind: .int(1...100_000), defaultValue: .int(ServeDefaults.hub.maxRoomsPerConnection),
                    help: "Rooms one connection may join."),
        SettingSpec(key: "limits.max-connections-per-person", flag: "--max-connections-per-person", kind: .int(1...1_000_000),
                    defaultValue: .int(ServeDefaults.hub.maxConnectionsPerPerson), help: "Open connections per person."),
        SettingSpec(key: "limits.max-text-length", flag: "--max-text-length", kind: .int(1...100_000), defaultValue: .int(ServeDefaults.hub.maxTextLength),
                    help: "Longest message text, in characters."),
        SettingSpec(key: "limits.auth-timeout-seconds", flag: "--auth-timeout", kind: .int(1...3_600),
                    defaultValue: .int(ServeDefaults.seconds(ServeDefaults.hub.authenticationTimeout)), help: "Seconds a connection has to authenticate."),
        SettingSpec(key: "fanout.interval-ms", flag: "--fanout-interval-ms", kind: .int(0...1_000),
                    defaultValue: .int(Int(ServeDefaults.hub.fanoutPacing.interval.nanoseconds / 1_000_000)),
                    help: "Least milliseconds between two writes of a room to one member (0: none)."),
        SettingSpec(key: "fanout.pace-us", flag: "--fanout-pace-us", kind: .int(0...10_000),
                    defaultValue: .int(Int(ServeDefaults.hub.fanoutPacing.perMember.nanoseconds / 1_000)),
                    help: "Microseconds per member that a room's round of writes on one event loop takes at least (0: no pacing)."),
        SettingSpec(key: "store.slow-commit-ms", flag: "--slow-commit-ms", kind: .int(0...60_000), defaultValue: .int(100),
                    help: "Log a warning for each database transaction that takes this many milliseconds or more (0: never)."),
        SettingSpec(key: "deadlines.sweep-seconds", flag: "--deadline-sweep-seconds", kind: .int(1...3_600),
                    defaultValue: .int(ServeDefaults.seconds(ServeDefaults.hub.deadlineSweepInterval)),
                    help: "Seconds between checks for lapsed negotiation and decision deadlines."),
        SettingSpec(key: "deadlines.calendar", flag: "--calendar", kind: .string, defaultValue: nil,
                    help: "Working-day calendar: a file of lines `YYYY-MM-DD holiday|workday` (default: weekends only)."),
        SettingSpec(key: "deadlines.time-limits", flag: "--time-limits", kind: .string, defaultValue: nil,
                    help: "JSON file overriding legal time limits, e.g. {\"handling_days\": 45}."),
        SettingSpec(key: "deadlines.time-zone", flag: "--time-zone", kind: .string, defaultValue: .string("Asia/Shanghai"),
                    help: "The conference's time zone (IANA name), for day-based limits."),
        SettingSpec(key: "threads", flag: "--threads", kind: .int(1...256), defaultValue: .int(System.coreCount),
                    help: "Event-loop threads (default: one per core)."),
        SettingSpec(key: "log.level", flag: "--log-level", kind: .choice(Logger.Level.allCases.map(\.rawValue)), defaultValue: .string("info"),
                    help: "Log level: trace, debug, info, notice, warning, error, critical."),
        SettingSpec(key: "log.format", flag: "--log-format", kind: .choice(LogFormat.allCases.map(\.rawValue)), defaultValue: .string("text"),
                    help: "Log format: text (key=value lines) or json (one JSON object per line)."),
        SettingSpec(key: "internal.host", flag: "--internal-host", kind: .string, defaultValue: .string("127.0.0.1"),
                    help: "Address of the internal HTTP listener (/metrics, /health/live, /health/ready); keep it off public networks."),
        SettingSpec(key: "internal.port", flag: "--internal-port", kind: .int(0...65_535), defaultValue: .int(8444),
                    help: "Port of the internal listener (0 picks a free port)."),
        SettingSpec(key: "internal.metrics", flag: "--metrics", kind: .bool, defaultValue: .bool(true),
                    help: "Serve Prometheus metrics on /metrics of the internal listener (false: the hub counts nothing)."),
        SettingSpec(key: "internal.metrics-token", flag: "--metrics-token", kind: .string, defaultValue: nil,
                    help: "When set, /metrics needs `Authorization: Bearer <token>` (a secret: never shown, never logged).", secret: true),
        SettingSpec(key: "web.origins", flag: "--allowed-origins", kind: .string, defaultValue: nil,
                    help: "Browser origins allowed besides the hub's own (https://<a name of its certificate>:<port>), comma-separated, e.g. https://xf.example.gov.cn."),
        SettingSpec(key: "web.session-minutes", flag: "--session-minutes", kind: .int(5...1_440), defaultValue: .int(480),
                    help: "How long a browser session lasts after its person signs in."),
        SettingSpec(key: "shutdown.drain-seconds", flag: "--drain-seconds", kind: .int(0...600), defaultValue: .int(5),
                    help: "On SIGTERM: seconds readiness fails while the hub still serves, before it closes connections with 1001."),
    ]

    static let specsByKey = Dictionary(uniqueKeysWithValues: specs.map { ($0.key, $0) })

    func int(_ key: String) -> Int {
        guard case .int(let value)? = values[key] else { preconditionFailure("\(key) is not a set int setting") }
        return value
    }

    func string(_ key: String) -> String? {
        guard case .string(let value)? = values[key] else { return nil }
        return value
    }

    func bool(_ key: String) -> Bool {
        guard case .bool(let value)? = values[key] else { preconditionFailure("\(key) is not a set bool setting") }
        return value
    }

    var dataDir: String { string("data.dir")! }
    var clientCert: ClientCertificateMode { ClientCertificateMode(rawValue: string("tls.client-cert")!)! }
    var logLevel: Logger.Level { Logger.Level(rawValue: string("log.level")!)! }
    var logFormat: LogFormat { LogFormat(rawValue: string("log.format")!)! }
    var additionalOrigins: [String] { string("web.origins").map(Self.origins) ?? [] }

    static func origins(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Checks what one setting's range cannot: settings that depend on each other.
    static func crossCheck(_ values: [String: SettingSpec.Value]) -> [String] {
        var problems: [String] = []
        if case .int(let outbound)? = values["websocket.max-outbound-bytes"], case .int(let message)? = values["websocket.max-message-bytes"],
           outbound <= message {
            problems.append("websocket.max-outbound-bytes (\(outbound)) must be larger than websocket.max-message-bytes (\(message)): one reply must fit")
        }
        if case .string(let zone)? = values["deadlines.time-zone"], TimeZone(identifier: zone) == nil {
            problems.append("deadlines.time-zone: unknown time zone `\(zone)` (use an IANA name such as Asia/Shanghai)")
        }
        if case .string(let origins)? = values["web.origins"] {
            for origin in ServeSettings.origins(origins) where !OriginPolicy.isValidOrigin(origin) {
                problems.append("web.origins: `\(origin)` is not an origin (scheme://host[:port], nothing after it)")
            }
        }
        if case .string(let token)? = values["internal.metrics-token"], token.count < 16 {
            problems.append("internal.metrics-token must have at least 16 characters")
        }
        return problems
    }
}
