// WebSocketServer: accepts TCP, runs TLS, answers HTTPS, upgrades `/v1/ws` to WebSocket and hands
// each connection's messages to an application handler. Shuts down gracefully with close 1001.
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Settings of a ``WebSocketServer``.
public struct WebSocketServerConfiguration: Sendable {
    /// The defaults, written once (`serve`'s options take theirs from here).
    public enum Defaults {
        public static let host = "127.0.0.1"
        public static let port = 8443
        public static let requestTimeout: TimeAmount = .seconds(10)
        public static let maxPendingConnectionsPerAddress = 256
        public static let handshakeTimeout: TimeAmount = .seconds(10)
    }

    /// Address to bind. Default `127.0.0.1`.
    public var host: String = Defaults.host
    /// Port to bind; 0 picks a free one (read it back from ``WebSocketServer/localAddress``).
    public var port: Int = Defaults.port
    /// The server's TLS identity, trust roots and client-certificate mode.
    public var tls: TLSConfiguration
    /// Per-connection WebSocket limits and timers.
    public var webSocket = WebSocketConfiguration()
    /// The path that upgrades to WebSocket. Default `/v1/ws`.
    public var webSocketPath = "/v1/ws"
    /// Subprotocols we speak, in order of preference; one the client offers is echoed back.
    public var subprotocols: [String] = []
    /// How long a connection has, after its TLS handshake and after each HTTP response, to send
    /// a complete HTTP request (the WebSocket upgrade, or `GET /healthz`); it is closed otherwise.
    /// Default 10 s.
    public var requestTimeout: TimeAmount = Defaults.requestTimeout
    /// How many connections one IP address may hold that the application has not yet marked
    /// established (``ConnectionContext/markEstablished()``; the hub marks a connection when it
    /// authenticates). Further connections from that address are closed as soon as they are
    /// accepted, before any TLS work. 0: no limit. Default 256.
    public var maxPendingConnectionsPerAddress = Defaults.maxPendingConnectionsPerAddress
    /// How long shutdown waits for connections to finish their close handshakes. Default 5 s.
    public var shutdownGracePeriod: TimeAmount = .seconds(5)
    /// Kernel send buffer per connection (SO_SNDBUF), or nil for the system's autotuning. A small
    /// value bounds kernel memory per connection and makes a client that stops reading show up
    /// in the outbound limit sooner.
    public var socketSendBufferBytes: Int?
    /// Where connections are counted (nowhere by default).
    public var metrics: ServerMetrics = .none
    /// Which browser origins may upgrade to WebSocket (a request without `Origin` always may).
    /// Default: none.
    public var originPolicy = OriginPolicy()
    /// The hub's own readiness probes (ListenerProbe), whose connections are logged at debug level.
    public var probes: ProbeRegistry?

    public init(tls: TLSConfiguration) {
        self.tls = tls
    }
}

/// Makes the application handler for a newly upgraded WebSocket connection. Called on the
/// connection's event loop; the handler receives and writes ``WebSocketMessage``s.
public typealias WebSocketApplicationFactory =
    @Sendable (_ connection: ConnectionContext, _ channel: Channel) throws -> ChannelHandler

/// A running server. Create it with ``start(configuration:group:logger:health:application:)``.
public final class WebSocketServer: Sendable {
    /// Where the server listens.
    public let localAddress: SocketAddress
    private let serverChannel: Channel
    private let configuration: WebSocketServerConfiguration
    let connections: NIOLockedValueBox<[ObjectIdentifier: Channel]>
    private let pending: PendingConnections
    private let logger: Logger

    private init(
        serverChannel: Channel, configuration: WebSocketServerConfiguration,
        connections: NIOLockedValueBox<[ObjectIdentifier: Channel]>, pending: PendingConnections, logger: Logger
    ) throws {
        guard let address = serverChannel.localAddress else {
            throw TLSError(.invalidConfiguration, detail: "the server channel has no local address")
        }
        self.localAddress = address
        self.serverChannel = serverChannel
        self.configuration = configuration
        self.connections = connections
        self.pending = pending
        self.logger = logger
    }

    /// The bound port.
    public var port: Int { localAddress.port ?? 0 }

    /// Number of open connections (TLS, HTTP or WebSocket).
    public var connectionCount: Int { connections.withLockedValue { $0.count } }

    /// Open connections not yet marked established, from every address (0 when there is no limit).
    public var pendingConnectionCount: Int { pending.total }

    /// Binds and starts accepting.
    /// - Parameters:
    ///   - health: the answer to `GET /healthz`.
    ///   - responder: answers the other plain HTTP requests (nil: 404).
    ///   - application: makes the handler behind each WebSocket connection.
    public static func start(
        configuration: WebSocketServerConfiguration, group: EventLoopGroup, logger: Logger,
        health: @escaping @Sendable () -> HealthReport = { HealthReport(healthy: true, body: #"{"status":"ok"}"#) },
        responder: HTTPResponder? = nil,
        application: @escaping WebSocketApplicationFactory
    ) async throws -> WebSocketServer {
        let context = try TLSContext(role: .server, configuration: configuration.tls)
        let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
        let counter = NIOLockedValueBox<UInt64>(0)
        let pending = PendingConnections(limit: configuration.maxPendingConnectionsPerAddress)
        let refusals = RefusalLog(logger: logger)
        let webSocket = configuration.webSocket
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: webSocket.maxOutboundBytes / 2, high: webSocket.maxOutboundBytes))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let address = channel.remoteAddress?.ipAddress ?? "unknown"
                    guard let ticket = pending.admit(address) else {
                        refusals.refused(address, limit: pending.limit)
                        configuration.metrics.dropped(.pendingLimit)
                        throw PendingLimitReached()  // closes the connection
                    }
                    channel.closeFuture.whenComplete { _ in ticket.release() }
                    configuration.metrics.accepted.increment()
                    SocketOptions.apply(
                        to: channel, sendBufferBytes: configuration.socketSendBufferBytes, logger: logger,
                        failed: configuration.metrics.socketOptionFailed)
                    let id = counter.withLockedValue { value -> UInt64 in
                        value += 1
                        return value
                    }
                    let connection = ConnectionContext(
                        id: "c\(id)", peer: channel.remoteAddress.map(Self.describe) ?? "unknown", logger: logger)
                    connection.onEstablished = { ticket.release() }
                    let key = ObjectIdentifier(channel)
                    connections.withLockedValue { $0[key] = channel }
                    channel.closeFuture.whenComplete { _ in connections.withLockedValue { _ = $0.removeValue(forKey: key) } }
                    do {
                        try Self.configurePipeline(
                            channel: channel, connection: connection, tlsContext: context,
                            configuration: configuration, health: health, responder: responder, application: application)
                    } catch {
                        configuration.metrics.dropped(.setupFailed)
                        connection.logger.warning("connection dropped: its pipeline could not be set up", metadata: [
                            "reason": "\(ConnectionDropReason.setupFailed.rawValue)", "error": "\(error)",
                        ])
                        throw error
                    }
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        let server = try WebSocketServer(
            serverChannel: channel, configuration: configuration, connections: connections, pending: pending, logger: logger)
        logger.info("listening", metadata: ["address": "\(describe(server.localAddress))"])
        return server
    }

    private static func configurePipeline(
        channel: Channel, connection: ConnectionContext, tlsContext: TLSContext,
        configuration: WebSocketServerConfiguration, health: @escaping @Sendable () -> HealthReport,
        responder: HTTPResponder?, application: @escaping WebSocketApplicationFactory
    ) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(TLSHandler(context: tlsContext))
        try sync.addHandler(ConnectionLogHandler(connection: connection, metrics: configuration.metrics, probes: configuration.probes))
        let boundConnection = NIOLoopBound(connection, eventLoop: channel.eventLoop)
        let path = configuration.webSocketPath
        let subprotocols = configuration.subprotocols
        let originPolicy = configuration.originPolicy
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.webSocket.maxMessageSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                let requestPath = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                guard requestPath == path else { return channel.eventLoop.makeSucceededFuture(nil) }
                // A foreign browser origin is answered 403 by the endpoint handler instead.
                let origins = head.headers[canonicalForm: "Origin"]
                let localPort = channel.localAddress?.port ?? 0
                guard origins.count <= 1,
                      originPolicy.allows(origin: origins.first.map(String.init), localPort: localPort)
                else { return channel.eventLoop.makeSucceededFuture(nil) }
                // A `Host` that is not one of the hub's names is answered 421, as the console's
                // requests are.
                guard HTTPEndpointHandler.hostAllowed(head.headers, originPolicy: originPolicy, localPort: localPort) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                // RFC 6455 §4.2.1: the key is 16 bytes in base64; anything else is answered 400
                // by the endpoint handler instead of upgraded.
                guard WebSocketHandshake.isValidKey(head.headers[canonicalForm: "Sec-WebSocket-Key"].first.map(String.init)) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                var headers = HTTPHeaders()
                let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map { String($0) }
                if let chosen = subprotocols.first(where: offered.contains) {
                    headers.add(name: "Sec-WebSocket-Protocol", value: chosen)
                }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let connection = boundConnection.value
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(
                        WebSocketConnectionHandler(role: .server, configuration: configuration.webSocket, connection: connection))
                    try sync.addHandler(application(connection, channel))
                    connection.logger.debug("websocket upgraded")
                }
            })
        let endpoints = HTTPEndpointHandler(
            webSocketPath: path, connection: connection, requestTimeout: configuration.requestTimeout,
            originPolicy: originPolicy, responder: responder, health: health)
        try sync.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                // The endpoint handler is not needed on a WebSocket connection.
                let sync = context.pipeline.syncOperations
                if let endpoints = try? sync.context(handlerType: HTTPEndpointHandler.self) {
                    sync.removeHandler(context: endpoints, promise: nil)
                }
            }),
            withErrorHandling: true)
        try sync.addHandler(endpoints)
    }

    /// `127.0.0.1:443` or `[::1]:443`.
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress else { return "\(address)" }
        let port = address.port.map(String.init) ?? "?"
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Stops accepting, closes every WebSocket with 1001 (going away) and every other connection,
    /// and waits up to the grace period for them to finish.
    public func shutdown() async {
        logger.info("shutting down", metadata: ["connections": "\(connectionCount)"])
        try? await serverChannel.close()
        let open = connections.withLockedValue { Array($0.values) }
        let request = WebSocketCloseRequest(code: .goingAway, reason: "server shutting down")
        for channel in open {
            channel.eventLoop.execute {
                if (try? channel.pipeline.syncOperations.handler(type: WebSocketConnectionHandler.self)) != nil {
                    channel.triggerUserOutboundEvent(request, promise: nil)
                } else {
                    channel.close(promise: nil)
                }
            }
        }
        let deadline = NIODeadline.now() + configuration.shutdownGracePeriod
        for channel in open {
            let remaining = deadline - .now()
            let timeout = channel.eventLoop.scheduleTask(in: max(remaining, .zero)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            timeout.cancel()
        }
    }
}

/// Why a connection was closed as soon as it was accepted.
private struct PendingLimitReached: Error {}

/// Logs refused connections at most once a minute per address, with how many were refused since,
/// so that a flood shows in the log without filling it.
private final class RefusalLog: Sendable {
    private let logger: Logger
    private let state = NIOLockedValueBox<[String: (logged: NIODeadline, since: Int)]>([:])

    init(logger: Logger) {
        self.logger = logger
    }

    func refused(_ address: String, limit: Int) {
        let now = NIODeadline.now()
        let report = state.withLockedValue { state -> Int? in
            if let entry = state[address], now - entry.logged < .minutes(1) {
                state[address] = (entry.logged, entry.since + 1)
                return nil
            }
            let count = (state[address]?.since ?? 0) + 1
            state[address] = (now, 0)
            if state.count > 10_000 { state = state.filter { now - $0.value.logged < .minutes(1) } }
            return count
        }
        guard let report else { return }
        logger.notice("connection refused: too many connections from this address not yet authenticated", metadata: [
            "address": "\(address)", "limit": "\(limit)", "refused": "\(report)",
        ])
    }
}

/// Checks of the opening handshake that NIO's upgrader leaves to the server.
enum WebSocketHandshake {
    /// Whether `key` is a valid `Sec-WebSocket-Key`: base64 of exactly 16 bytes.
    static func isValidKey(_ key: String?) -> Bool {
        guard let key, key.utf8.count == 24, let bytes = Data(base64Encoded: key) else { return false }
        return bytes.count == 16
    }
}
