// WebSocketConfiguration: every limit and timer of a WebSocket connection, with its default.
import NIOCore

/// Limits and timers for one WebSocket connection.
public struct WebSocketConfiguration: Sendable {
    /// Largest reassembled message accepted, in bytes; larger closes with 1009. Default 1 MiB.
    public var maxMessageSize: Int = 1 << 20
    /// Interval between server pings. Default 30 s.
    public var pingInterval: TimeAmount = .seconds(30)
    /// How long a ping may go unanswered before the connection is closed. Default 10 s.
    public var pongTimeout: TimeAmount = .seconds(10)
    /// Bytes that may wait to be written to a peer before it is deemed not to be reading and is
    /// closed with 1008. Default 4 MiB.
    public var maxOutboundBytes: Int = 4 << 20
    /// How long to wait for the peer's close frame after sending ours. Default 5 s.
    public var closeTimeout: TimeAmount = .seconds(5)

    public init() {}
}
