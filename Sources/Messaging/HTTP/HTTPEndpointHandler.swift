// HTTPEndpointHandler: plain HTTPS answers for requests that are not WebSocket upgrades:
// `GET /healthz` → 200 with a small JSON status (503 when the application reports it cannot
// serve); the WebSocket path without an upgrade → 426; an upgrade the server refused → 403 for a
// foreign `Origin`, 400 for a bad Sec-WebSocket-Key; anything else → the application's
// ``HTTPResponder``, or 404. Request bodies are read up to ``HTTPLimits/maxRequestBodyBytes``
// (413 beyond). A connection that sends no complete request
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
    private let originPolicy: OriginPolicy
    private let responder: HTTPResponder?
    private var pending: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var requestTimer: Scheduled<Void>?
    /// Set once the upgrade (or the channel's end) removed this handler: no timer after that.
    private var removed = false

    /// - Parameters:
    ///   - requestTimeout: how long the client has, from its TLS handshake and from each
    ///     response, to send a whole request (head and body); the connection is closed otherwise.
    ///   - health: returns the answer to `/healthz`.
    ///   - originPolicy: which browser origins may upgrade to WebSocket.
    ///   - responder: answers every other request (nil: 404).
    public init(
        webSocketPath: String, connection: ConnectionContext, requestTimeout: TimeAmount = .seconds(10),
        originPolicy: OriginPolicy = OriginPolicy(), responder: HTTPResponder? = nil,
        health: @escaping @Sendable () -> HealthReport
    ) {
        self.webSocketPath = webSocketPath
        self.originPolicy = originPolicy
        self.responder = responder
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

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A request the HTTP decoder could not read (an overflowing or negative Content-Length, a
        // malformed head): NIO's protocol error handler has answered 400 with `Connection: close`;
        // nothing more can be read from this connection, so it closes now, not at the request timeout.
        if let error = error as? HTTPParserError {
            connection.recordClose("malformed HTTP request: \(error)")
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
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
            body = context.channel.allocator.buffer(capacity: 0)
            tooLarge = false
        case .body(var part):
            guard pending != nil, !tooLarge else { return }
            if body.readableBytes + part.readableBytes > HTTPLimits.maxRequestBodyBytes {
                tooLarge = true
                body.clear()
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            guard let head = pending else { return }
            pending = nil
            if tooLarge {
                write(.json(.payloadTooLarge, #"{"error":"payload_too_large","message":"a request body may hold at most \#(HTTPLimits.maxRequestBodyBytes) bytes"}"#),
                      for: head, close: true, context: context)
                return
            }
            respond(context: context, to: head, body: body)
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead, body: ByteBuffer) {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? head.uri
        let close = !head.isKeepAlive
        let isUpgrade = head.headers[canonicalForm: "Upgrade"].contains { $0.lowercased() == "websocket" }
        let localPort = context.channel.localAddress?.port ?? 0
        let origin = head.headers[canonicalForm: "Origin"]
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            let report = health()
            write(.json(report.healthy ? .ok : .serviceUnavailable, report.body), for: head, close: close, context: context)
        case (_, webSocketPath) where isUpgrade && (origin.count > 1 || !originPolicy.allows(origin: origin.first.map(String.init), localPort: localPort)):
            // A page from another site (or a request naming several origins): refused before any
            // upgrade, so that it cannot use the credentials the browser holds for the hub.
            connection.logger.notice("websocket upgrade refused: foreign origin", metadata: ["origin": "\(LogText.escaped(origin.joined(separator: ","), limit: 128))"])
            write(.json(.forbidden, #"{"error":"forbidden_origin","message":"this origin may not open the hub's WebSocket"}"#), for: head, close: true, context: context)
        case (_, webSocketPath) where isUpgrade && !Self.hostAllowed(head.headers, originPolicy: originPolicy, localPort: localPort):
            // Not for one of the hub's names (nor an allowed origin's host): refused as the
            // console's requests are.
            write(.json(.misdirectedRequest, #"{"error":"misdirected_request","message":"connect to one of the hub's own names (its certificate's), or add this origin to web.origins"}"#),
                  for: head, close: true, context: context)
        case (_, webSocketPath) where isUpgrade:
            // An upgrade the server refused: a Sec-WebSocket-Key that is not 16 bytes of base64
            // (RFC 6455 §4.2.1). The connection closes after the answer.
            write(.json(.badRequest, #"{"error":"bad_request","message":"Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 4.2.1)"}"#),
                  for: head, close: true, context: context)
        case (_, webSocketPath):
            write(.json(.upgradeRequired, #"{"error":"upgrade_required","message":"connect with a WebSocket upgrade"}"#,
                        headers: HTTPHeaders([("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")])),
                  for: head, close: close, context: context)
        default:
            guard let responder else {
                write(Self.notFound, for: head, close: close, context: context)
                return
            }
            let request = HTTPRequest(
                method: head.method, path: path, query: parts.count == 2 ? String(parts[1]) : "", headers: head.headers, body: body,
                peerAddress: context.channel.remoteAddress?.ipAddress ?? "unknown", localPort: localPort,
                certificate: connection.tls?.peerCertificate, logger: connection.logger)
            // The request timer stays off while the application works; HTTP/1.1 pipelining
            // (NIO's pipeline handler) holds any next request until this answer is written.
            requestTimer?.cancel()
            requestTimer = nil
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await responder(request) }.whenComplete { result in
                let (handler, context) = loopBound.value
                guard context.channel.isActive else { return }
                let response = (try? result.get()).flatMap { $0 } ?? Self.notFound
                handler.write(response, for: head, close: close, context: context)
            }
        }
    }

    /// One `Host` header, naming the hub (OriginPolicy.allowsHost).
    static func hostAllowed(_ headers: HTTPHeaders, originPolicy: OriginPolicy, localPort: Int) -> Bool {
        let hosts = headers[canonicalForm: "Host"]
        return hosts.count == 1 && originPolicy.allowsHost(hosts.first.map(String.init), localPort: localPort)
    }

    private static let notFound = HTTPResponse.json(.notFound, #"{"error":"not_found","message":"no such resource"}"#)

    private func write(_ response: HTTPResponse, for head: HTTPRequestHead, close: Bool, context: ChannelHandlerContext) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.readableBytes)")
        if close { headers.replaceOrAdd(name: "Connection", value: "close") }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        connection.logger.debug("http request", metadata: ["path": "\(LogText.escaped(path, limit: 64))", "status": "\(response.status.code)"])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
        if head.method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
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
