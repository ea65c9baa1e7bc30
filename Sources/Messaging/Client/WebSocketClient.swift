// WebSocketClient: opens a WebSocket over our TLS layer (client mode) and exposes it as an async
// stream of messages plus send and close. Used by the CLI, the tests and the benchmarks.
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Why a client connection could not be opened.
public struct WebSocketClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Where and how to connect.
public struct WebSocketClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Request path. Default `/v1/ws`.
    public var path: String = "/v1/ws"
    /// TLS: trust roots, expected server name, optional client certificate.
    public var tls: TLSConfiguration
    /// Subprotocols to offer.
    public var subprotocols: [String] = []
    /// The `Origin` to send, as a browser page would (nil: none, as a program sends).
    public var origin: String?
    /// Limits for the connection (only `maxMessageSize`, `maxOutboundBytes` and `closeTimeout`
    /// apply to clients; clients do not ping).
    public var webSocket: WebSocketConfiguration = {
        var configuration = WebSocketConfiguration()
        configuration.pingInterval = .zero
        return configuration
    }()
    /// How long TCP connect may take.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Kernel receive buffer (SO_RCVBUF), or nil for the system's autotuning.
    public var socketReceiveBufferBytes: Int?
    /// When set, messages are handed to this closure on the connection's event loop instead of
    /// the ``WebSocketClientConnection/inbound`` stream (for load generators that must not pay
    /// for a task switch per message).
    public var onMessage: (@Sendable (WebSocketMessage) -> Void)?
    /// A TLS context to share between connections made with `tls` (building one parses the trust
    /// roots and sets up an SSL_CTX, which a load generator should not pay per connection).
    public var sharedTLSContext: TLSContext?

    public init(host: String, port: Int, tls: TLSConfiguration) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}

/// An open client connection. Messages arrive on ``inbound``; it finishes when the connection closes.
public final class WebSocketClientConnection: Sendable {
    /// Messages from the server, in order.
    public let inbound: AsyncStream<WebSocketMessage>
    /// What TLS negotiated.
    public let tls: TLSHandshakeCompleted
    /// The subprotocol the server chose, if any.
    public let subprotocol: String?
    /// The underlying channel (for tests and tools that need it).
    public let channel: Channel

    /// The server's close frame, once one arrives; nil if the connection closed without one.
    public let closeFrame: EventLoopFuture<WebSocketCloseReceived?>

    init(
        inbound: AsyncStream<WebSocketMessage>, tls: TLSHandshakeCompleted, subprotocol: String?, channel: Channel,
        closeFrame: EventLoopFuture<WebSocketCloseReceived?>
    ) {
        self.inbound = inbound
        self.closeFrame = closeFrame
        self.tls = tls
        self.subprotocol = subprotocol
        self.channel = channel
    }

    /// Sends one message; returns once it has been written to the socket.
    public func send(_ message: WebSocketMessage) async throws {
        try await channel.writeAndFlush(message).get()
    }

    /// Sends a text message.
    public func send(text: String) async throws {
        try await send(.text(text))
    }

    /// Starts the close handshake (code 1000) and waits until the connection is closed.
    public func close() async {
        try? await channel.close().get()
        try? await channel.closeFuture.get()
    }

    /// Completes when the connection is closed, for whatever reason.
    public var closed: EventLoopFuture<Void> { channel.closeFuture }
}

/// Opens client connections.
public enum WebSocketClient {
    /// Connects, completes the TLS handshake and the WebSocket upgrade, and returns the connection.
    public static func connect(
        configuration: WebSocketClientConfiguration, group: EventLoopGroup,
        logger: Logger = Logger(label: "conferencehub.client")
    ) async throws -> WebSocketClientConnection {
        let tlsContext = try configuration.sharedTLSContext ?? TLSContext(role: .client, configuration: configuration.tls)
        let (stream, continuation) = AsyncStream<WebSocketMessage>.makeStream()
        let loop = group.any()
        let upgraded = loop.makePromise(of: (TLSHandshakeCompleted, String?).self)
        let closeFrame = loop.makePromise(of: WebSocketCloseReceived?.self)
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(
                .writeBufferWaterMark,
                value: .init(low: configuration.webSocket.maxOutboundBytes / 2, high: configuration.webSocket.maxOutboundBytes))
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.closeFuture.whenComplete { _ in closeFrame.succeed(nil) }
                return channel.eventLoop.makeCompletedFuture {
                    SocketOptions.apply(to: channel, sendBufferBytes: nil, logger: logger)
                    let connection = ConnectionContext(
                        id: "client", peer: "\(configuration.host):\(configuration.port)", logger: logger)
                    let sync = channel.pipeline.syncOperations
                    let tls = try TLSHandler(context: tlsContext)
                    try sync.addHandler(tls)
                    try sync.addHandler(ConnectionLogHandler(connection: connection, level: .debug))
                    let boundConnection = NIOLoopBound(connection, eventLoop: channel.eventLoop)
                    let upgrader = NIOWebSocketClientUpgrader(
                        maxFrameSize: configuration.webSocket.maxMessageSize,
                        automaticErrorHandling: false
                    ) { channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            try sync.addHandler(
                                WebSocketConnectionHandler(
                                    role: .client, configuration: configuration.webSocket,
                                    connection: boundConnection.value))
                            try sync.addHandler(InboundStreamHandler(continuation: continuation, closeFrame: closeFrame, onMessage: configuration.onMessage))
                            let handshake = try sync.handler(type: TLSHandler.self).handshake
                            let chosen = response.headers.first(name: "Sec-WebSocket-Protocol")
                            if let handshake { upgraded.succeed((handshake, chosen)) }
                        }
                    }
                    let request = UpgradeRequestHandler(
                        host: configuration.host, port: configuration.port, path: configuration.path,
                        subprotocols: configuration.subprotocols, origin: configuration.origin, upgraded: upgraded)
                    try sync.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            let sync = context.pipeline.syncOperations
                            if let request = try? sync.context(handlerType: UpgradeRequestHandler.self) {
                                sync.removeHandler(context: request, promise: nil)
                            }
                        }))
                    try sync.addHandler(request)
                }
            }
        if let bytes = configuration.socketReceiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: bytes)
        }
        let channel: Channel
        do {
            // An address given as an IP literal needs no name resolution (NIO would hand it to
            // getaddrinfo on another thread and race the results); a host name does.
            if let address = try? SocketAddress(ipAddress: configuration.host, port: configuration.port) {
                channel = try await bootstrap.connect(to: address).get()
            } else {
                channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
            }
        } catch {
            continuation.finish()
            let failure = WebSocketClientError("could not connect to \(configuration.host):\(configuration.port): \(error)")
            upgraded.fail(failure)
            closeFrame.succeed(nil)
            throw failure
        }
        channel.closeFuture.whenComplete { _ in
            upgraded.fail(WebSocketClientError("the connection closed before the WebSocket upgrade finished"))
        }
        do {
            let (handshake, subprotocol) = try await upgraded.futureResult.get()
            return WebSocketClientConnection(
                inbound: stream, tls: handshake, subprotocol: subprotocol, channel: channel,
                closeFrame: closeFrame.futureResult)
        } catch {
            channel.close(promise: nil)
            continuation.finish()
            throw error
        }
    }
}

/// Sends the upgrade request once the channel is active and reports a refused upgrade or an error.
private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let host: String
    private let port: Int
    private let path: String
    private let subprotocols: [String]
    private let origin: String?
    private let upgraded: EventLoopPromise<(TLSHandshakeCompleted, String?)>
    private var firstError: Error?

    init(host: String, port: Int, path: String, subprotocols: [String], origin: String? = nil,
         upgraded: EventLoopPromise<(TLSHandshakeCompleted, String?)>) {
        self.host = host
        self.port = port
        self.path = path
        self.subprotocols = subprotocols
        self.origin = origin
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        // RFC 7230 §5.4: an IPv6 literal is written in brackets.
        let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        var headers = HTTPHeaders([("Host", "\(name):\(port)"), ("Content-Length", "0")])
        if !subprotocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", ")) }
        if let origin { headers.add(name: "Origin", value: origin) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let response) = unwrapInboundIn(data) {
            upgraded.fail(WebSocketClientError("the server refused the WebSocket upgrade: \(response.status.code) \(response.status.reasonPhrase)"))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        upgraded.fail(WebSocketClientError("\(error)"))
        context.close(promise: nil)
    }
}

/// Feeds received messages into an AsyncStream and finishes it when the connection closes.
final class InboundStreamHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage

    private let continuation: AsyncStream<WebSocketMessage>.Continuation
    private let closeFrame: EventLoopPromise<WebSocketCloseReceived?>
    private let onMessage: (@Sendable (WebSocketMessage) -> Void)?

    init(continuation: AsyncStream<WebSocketMessage>.Continuation, closeFrame: EventLoopPromise<WebSocketCloseReceived?>,
         onMessage: (@Sendable (WebSocketMessage) -> Void)? = nil) {
        self.continuation = continuation
        self.closeFrame = closeFrame
        self.onMessage = onMessage
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let close = event as? WebSocketCloseReceived { closeFrame.succeed(close) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let onMessage {
            onMessage(unwrapInboundIn(data))
        } else {
            continuation.yield(unwrapInboundIn(data))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        continuation.finish()
    }
}
