// ListenerProbe: whether a listener completes connections, asked as a client would ask it — a TCP
// connection from this process to the listener's own address (a wildcard address is reached over
// loopback) and a full TLS handshake. It asks whether connections complete, not whether the
// certificate is trusted (its expiry has a metric of its own), so it checks no chain. A
// listener that accepts and then resets every connection (a socket option it may not set, a
// broken certificate) answers "listening" to the kernel but serves no one: only such a probe sees it.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// What one probe found.
public enum ListenerProbeResult: Sendable, Equatable {
    case reachable
    /// The reason, in words (for the log and the health answer's detail).
    case unreachable(String)
}

/// The client addresses of the probes under way, so that the server logs their connections at
/// debug level: a probe every few seconds would otherwise fill the log with open and close lines.
public final class ProbeRegistry: Sendable {
    private let addresses = NIOLockedValueBox<Set<String>>([])

    public init() {}

    func insert(_ address: String) { addresses.withLockedValue { _ = $0.insert(address) } }
    func remove(_ address: String) { addresses.withLockedValue { _ = $0.remove(address) } }
    /// Whether `peer` (`127.0.0.1:PORT`) is a probe's address.
    public func contains(_ peer: String) -> Bool { addresses.withLockedValue { $0.contains(peer) } }
}

public enum ListenerProbe {
    /// Connects to `address` and completes a TLS handshake within `timeout`. With `registry`, the
    /// probe's own address is in it while it runs (before its first byte leaves).
    public static func probe(
        _ address: SocketAddress, group: EventLoopGroup, timeout: TimeAmount = .seconds(5),
        registry: ProbeRegistry? = nil, logger: Logger = Logger(label: "conferencehub.probe")
    ) async -> ListenerProbeResult {
        let target: SocketAddress
        do { target = try reachableAddress(address) } catch { return .unreachable("no address to reach: \(error)") }
        let context: TLSContext
        do {
            let tls = TLSConfiguration(
                certificateChainPEM: nil, privateKeyPEM: nil, trustRootsPEM: nil, clientCertificateMode: .none,
                serverHostname: nil, verifyServer: false, handshakeTimeout: timeout)
            context = try TLSContext(role: .client, configuration: tls)
        } catch {
            return .unreachable("the probe's TLS settings: \(error)")
        }
        let loop = group.any()
        let done = loop.makePromise(of: ListenerProbeResult.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    SocketOptions.apply(to: channel, sendBufferBytes: nil, logger: logger)
                    if let registry { try channel.pipeline.syncOperations.addHandler(ProbeRegistration(registry: registry)) }
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(ProbeHandler(done: done))
                }
            }
        do {
            let channel = try await bootstrap.connect(to: target).get()
            let result = try await done.futureResult.get()
            try? await channel.close().get()
            return result
        } catch {
            done.succeed(.unreachable("\(error)"))
            return .unreachable("connect to \(target): \(error)")
        }
    }

    /// `address`, or loopback of its family when it is a wildcard (0.0.0.0, ::).
    static func reachableAddress(_ address: SocketAddress) throws -> SocketAddress {
        guard let ip = address.ipAddress, let port = address.port else { return address }
        switch ip {
        case "0.0.0.0": return try SocketAddress(ipAddress: "127.0.0.1", port: port)
        case "::": return try SocketAddress(ipAddress: "::1", port: port)
        default: return address
        }
    }
}

/// Completes `done` with the handshake's outcome.
private final class ProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let done: EventLoopPromise<ListenerProbeResult>

    init(done: EventLoopPromise<ListenerProbeResult>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSHandshakeCompleted { done.succeed(.reachable) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        done.succeed(.unreachable("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(.unreachable("the connection was closed before the TLS handshake completed"))
        context.fireChannelInactive()
    }
}

/// Puts the probe's local address in the registry when it connects (ahead of the TLS handler, so
/// before the ClientHello leaves) and takes it out when it closes.
private final class ProbeRegistration: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let registry: ProbeRegistry
    private var address: String?

    init(registry: ProbeRegistry) {
        self.registry = registry
    }

    func channelActive(context: ChannelHandlerContext) {
        if let local = context.channel.localAddress {
            let text = WebSocketServer.describe(local)
            address = text
            registry.insert(text)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let address { registry.remove(address) }
        context.fireChannelInactive()
    }
}
