// ConnectionContext: per-connection facts shared by the handlers of one channel, for logging.
import Logging
import NIOCore

/// What is known about one connection: its peer, its TLS session and why it closed.
/// Confined to the channel's event loop; handlers of that channel share one instance.
public final class ConnectionContext {
    /// A short identifier for log lines.
    public let id: String
    /// The peer's address as text.
    public let peer: String
    /// The TLS session, once the handshake finished.
    public internal(set) var tls: TLSHandshakeCompleted?
    /// Why the connection closed, as recorded by the layer that closed it.
    public var closeReason: String?
    /// The WebSocket close code it ended with (ours or the peer's, whichever came first).
    public var closeCode: UInt16?
    /// It was closed because it did not read what was sent to it (1008, outbound limit).
    public var closedAsSlowConsumer = false
    /// A logger carrying `connection` and `peer` metadata.
    public var logger: Logger

    public init(id: String, peer: String, logger: Logger) {
        self.id = id
        self.peer = peer
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
    }

    /// Set by the server: gives back the connection's slot among its address's pending ones.
    var onEstablished: (() -> Void)?

    /// The application counts this connection as established (the hub: authenticated; where
    /// nothing authenticates, upgraded): it no longer counts against the server's
    /// `maxPendingConnectionsPerAddress`. Later calls do nothing.
    public func markEstablished() {
        let action = onEstablished
        onEstablished = nil
        action?()
    }

    /// Records `reason` unless an earlier, more specific one is already recorded.
    public func recordClose(_ reason: String) {
        if closeReason == nil { closeReason = reason }
    }
}

@available(*, unavailable)
extension ConnectionContext: Sendable {}
