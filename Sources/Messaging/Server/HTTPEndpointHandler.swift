// HTTPEndpointHandler: plain HTTPS answers for requests that are not WebSocket upgrades:
// `GET /healthz` → 200 with a small JSON status (503 when the application reports it cannot serve), the WebSocket path without an upgrade → 426 (and
// with an upgrade the server refused, such as a bad Sec-WebSocket-Key → 400),
// anything else → 404. Request bodies are discarded. A connection that sends no complete request
// within the request timeout (after its TLS handshake, and after each response) is closed: it
// holds a socket and memory without having authenticated, and the WebSocket's own timers (auth,
// ping) start only once it has upgraded. The upgrade removes this handler, and its timer with it.
import NIOCore
import NIOHTTP1

/// The answer to `GET /healthz`: 200 when `healthy`, 503 otherwise, with `body` (JSON).
public struct HealthReport: Sendable {
    public var healthy: Bool
    public var body: String

    public init(healthy: Bool, body: String) {
        self.healthy = healthy
        self.body = body
    }
}

/// Answers the non-WebSocket HTTP requests.
public final class HTTPEndpointHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias OutboundOut = HTTPServerResponsePart

    private let webSocketPath: String
    private let health: @Sendable () -> HealthReport
    private let connection: ConnectionContext
    private let requestTimeout: TimeAmount
    private var pending: HTTPRequestHead?
    private var requestTimer: Scheduled<Void>?
    /// Set once the upgrade (or the channel's end) removed this handler: no timer after that.
    private var removed = false

    /// - Parameters:
    ///   - requestTimeout: how long the client has, from its TLS handshake and from each
    ///     response, to send a whole request (head and body); the connection is closed otherwise.
    ///   - health: returns the answer to `/healthz`.
    public init(
        webSocketPath: String, connection: ConnectionContext, requestTimeout: TimeAmount = .seconds(10),
        health: @escaping @Sendable () -> HealthReport
    ) {
        self.webSocketPath = webSocketPath
        self.connection = connection
        self.requestTimeout = requestTimeout
        self.health = health
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        requestTimer?.cancel()
        requestTimer = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        requestTimer = nil
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The clock starts once the handshake is done (the TLS handshake timeout bounds that).
        if event is TLSHandshakeCompleted { armRequestTimer(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    private func armRequestTimer(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        // A response's write can complete after an upgrade that followed it on the same
        // connection removed this handler; the WebSocket's own timers apply from then on.
        guard !removed else { return }
        let timeout = requestTimeout
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        requestTimer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.requestTimer = nil
            handler.connection.recordClose("no complete HTTP request within \(timeout)")
            context.close(promise: nil)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            pending = head
        case .body:
            break
        case .end:
            guard let head = pending else { return }
            pending = nil
            respond(context: context, to: head)
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let body: String
        var extraHeaders: [(String, String)] = []
        var close = !head.isKeepAlive
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            let report = health()
            status = report.healthy ? .ok : .serviceUnavailable
            body = report.body
        case (_, webSocketPath) where head.headers[canonicalForm: "Upgrade"].contains { $0.lowercased() == "websocket" }:
            // An upgrade the server refused: a Sec-WebSocket-Key that is not 16 bytes of base64
            // (RFC 6455 §4.2.1). The connection closes after the answer.
            status = .badRequest
            body = #"{"error":"bad_request","message":"Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 4.2.1)"}"#
            close = true
        case (_, webSocketPath):
            status = .upgradeRequired
            body = #"{"error":"upgrade_required","message":"connect with a WebSocket upgrade"}"#
            extraHeaders = [("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]
        default:
            status = .notFound
            body = #"{"error":"not_found","message":"no such resource"}"#
        }
        var headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)"),
            ("Cache-Control", "no-store"),
        ])
        headers.add(contentsOf: extraHeaders)
        if close { headers.add(name: "Connection", value: "close") }
        connection.logger.debug("http request", metadata: ["path": "\(LogText.escaped(path, limit: 64))", "status": "\(status.code)"])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        let keepAlive = !close
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            let (handler, context) = loopBound.value
            if keepAlive {
                // The next request gets the whole timeout again.
                if context.channel.isActive { handler.armRequestTimer(context: context) }
            } else {
                context.close(promise: nil)
            }
        }
    }
}

@available(*, unavailable)
extension HTTPEndpointHandler: Sendable {}
