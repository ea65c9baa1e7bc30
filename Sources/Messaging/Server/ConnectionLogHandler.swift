// ConnectionLogHandler: one log line when a connection opens (after TLS) and one when it closes,
// with peer, TLS version, cipher and close reason. Sits right after the TLS handler.
import Logging
import NIOCore

/// Records the TLS session in the ``ConnectionContext`` and logs the connection's open and close.
public final class ConnectionLogHandler: ChannelInboundHandler {
    public typealias InboundIn = NIOAny
    public typealias InboundOut = NIOAny

    private let connection: ConnectionContext
    private var level: Logger.Level
    /// The hub's own readiness probes, logged at debug level (they come every few seconds).
    private let probes: ProbeRegistry?
    private let metrics: ServerMetrics
    private var opened = false
    /// Why the TLS handshake failed, when it did.
    private var dropReason: ConnectionDropReason?

    /// - Parameters:
    ///   - level: the level of the open/close lines (`.info` on servers, `.debug` on clients).
    ///   - metrics: where closes and TLS handshake failures are counted (servers).
    public init(connection: ConnectionContext, level: Logger.Level = .info, metrics: ServerMetrics = .none, probes: ProbeRegistry? = nil) {
        self.connection = connection
        self.level = level
        self.probes = probes
        self.metrics = metrics
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let handshake = event as? TLSHandshakeCompleted {
            connection.tls = handshake
            opened = true
            if probes?.contains(connection.peer) == true { level = .debug }
            var metadata: Logger.Metadata = [
                "tls": "\(handshake.protocolVersion)", "cipher": "\(handshake.cipherSuite)",
            ]
            if let peer = handshake.peerCertificate {
                metadata["client_cert"] = "\(peer.fingerprintSHA256.prefix(16))"
            }
            connection.logger.log(level: level, "connection opened", metadata: metadata)
        }
        if event is TLSCloseNotifyReceived { connection.recordClose("peer sent close_notify") }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? TLSError {
            connection.recordClose(error.description)
            if !opened, dropReason == nil {
                switch error.kind {
                case .eofDuringHandshake: dropReason = .closedBeforeTLS
                case .handshakeTimeout: dropReason = .tlsTimeout
                default: dropReason = .tlsFailed
                }
                metrics.handshakeFailures.increment()
            }
        } else {
            connection.recordClose("error: \(error)")
        }
        context.fireErrorCaught(error)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if !opened {
            // Before or during TLS: one line with the reason, and the drop counted by reason.
            let reason = dropReason ?? .closedBeforeTLS
            metrics.dropped(reason)
            metrics.closed(code: nil)
            connection.logger.log(level: level, "connection dropped before TLS completed", metadata: [
                "reason": "\(reason.rawValue)", "error": "\(LogText.escaped(connection.closeReason ?? "closed"))",
            ])
            return context.fireChannelInactive()
        }
        // The reason may quote the peer (its close frame's text).
        var metadata: Logger.Metadata = ["reason": "\(LogText.escaped(connection.closeReason ?? "closed"))"]
        if let tls = connection.tls {
            metadata["tls"] = "\(tls.protocolVersion)"
            metadata["cipher"] = "\(tls.cipherSuite)"
        }
        connection.logger.log(level: level, "connection closed", metadata: metadata)
        metrics.closed(code: connection.closeCode)
        if connection.closedAsSlowConsumer { metrics.slowConsumers.increment() }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ConnectionLogHandler: Sendable {}
