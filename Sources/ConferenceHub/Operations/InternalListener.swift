// InternalListener: plain HTTP for the machines that watch the hub — Prometheus scrapes
// `/metrics`, systemd and load balancers ask `/health/live` and `/health/ready` — on its own
// address, loopback by default, apart from the public TLS listener. One request per connection;
// a request that does not arrive whole within a few seconds is dropped.
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// What the internal listener answers.
struct InternalEndpoints: Sendable {
    /// The Prometheus text exposition, or nil when metrics are off (404).
    let metrics: (@Sendable () -> String)?
    /// Whether the hub should get new work.
    let readiness: @Sendable () -> Readiness
    /// When set, `/metrics` needs `Authorization: Bearer <token>` (the health checks never do).
    let metricsToken: String?

    /// The answer to one request.
    func respond(method: HTTPMethod, path: String, authorization: String?) -> (status: HTTPResponseStatus, contentType: String, body: String) {
        guard method == .GET || method == .HEAD else {
            return (.methodNotAllowed, "application/json", #"{"error":"method_not_allowed"}"#)
        }
        switch path {
        case "/health/live":
            return (.ok, "application/json", #"{"status":"live"}"#)
        case "/health/ready":
            let readiness = readiness()
            return (readiness.isReady ? .ok : .serviceUnavailable, "application/json", readiness.json)
        case "/metrics":
            guard let metrics else { return (.notFound, "application/json", #"{"error":"not_found","message":"metrics are off"}"#) }
            if let metricsToken, !InternalEndpoints.matches(authorization, token: metricsToken) {
                return (.unauthorized, "application/json", #"{"error":"unauthorized","message":"send Authorization: Bearer <metrics token>"}"#)
            }
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics())
        default:
            return (.notFound, "application/json", #"{"error":"not_found"}"#)
        }
    }

    /// Compares in time independent of where the first difference is.
    static func matches(_ authorization: String?, token: String) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let given = Array(authorization.dropFirst("Bearer ".count).utf8), expected = Array(token.utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, expected) { difference |= a ^ b }
        return difference == 0
    }
}

/// The running internal listener.
final class InternalListener: Sendable {
    /// How long a connection has to send its request.
    static let requestTimeout: TimeAmount = .seconds(5)

    let localAddress: SocketAddress
    private let channel: Channel

    private init(channel: Channel, localAddress: SocketAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    var port: Int { localAddress.port ?? 0 }

    static func start(host: String, port: Int, group: EventLoopGroup, endpoints: InternalEndpoints, logger: Logger) async throws -> InternalListener {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(InternalRequestHandler(endpoints: endpoints))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        logger.info("internal listener (metrics and health)", metadata: ["address": "\(address)"])
        return InternalListener(channel: channel, localAddress: address)
    }

    func close() async {
        try? await channel.close()
    }
}

/// Answers one request, then closes.
private final class InternalRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: InternalEndpoints
    private var head: HTTPRequestHead?
    private var timer: Scheduled<Void>?

    init(endpoints: InternalEndpoints) {
        self.endpoints = endpoints
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: InternalListener.requestTimeout) { loopBound.value.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received): head = received
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            timer?.cancel()
            let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
            let answer = endpoints.respond(method: head.method, path: path, authorization: head.headers.first(name: "Authorization"))
            var headers = HTTPHeaders([
                ("Content-Type", answer.contentType), ("Content-Length", "\(answer.body.utf8.count)"),
                ("Cache-Control", "no-store"), ("Connection", "close"),
            ])
            if answer.status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Bearer") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
            if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil) }
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension InternalRequestHandler: Sendable {}
