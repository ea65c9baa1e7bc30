// HTTPEndpointHandler: plain HTTPS answers for requests that are not WebSocket upgrades:
// `GET /healthz` → 200 with a small JSON status, the WebSocket path without an upgrade → 426,
// anything else → 404. Request bodies are discarded.
import NIOCore
import NIOHTTP1

/// Answers the non-WebSocket HTTP requests.
public final class HTTPEndpointHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias OutboundOut = HTTPServerResponsePart

    private let webSocketPath: String
    private let health: @Sendable () -> String
    private let connection: ConnectionContext
    private var pending: HTTPRequestHead?

    /// - Parameter health: returns the JSON body of `/healthz`.
    public init(webSocketPath: String, connection: ConnectionContext, health: @escaping @Sendable () -> String) {
        self.webSocketPath = webSocketPath
        self.connection = connection
        self.health = health
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
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            status = .ok
            body = health()
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
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        connection.logger.debug("http request", metadata: ["path": "\(path.prefix(64))", "status": "\(status.code)"])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        let keepAlive = head.isKeepAlive
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { loopBound.value.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension HTTPEndpointHandler: Sendable {}
