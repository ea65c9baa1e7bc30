// SocketOptions: the options every connection's socket gets, at the level each belongs to, and
// nothing that needs a privilege. TCP_NODELAY is a TCP option (IPPROTO_TCP): set at the socket level
// (SOL_SOCKET) the same number means SO_DEBUG, which needs CAP_NET_ADMIN, and an ordinary user's
// connections were reset. A failure to set one is logged and counted, and the connection goes on
// without it: a missing option costs latency, never the connection.
import Logging
import NIOCore

/// One option a connection's socket is given.
public enum ConnectionSocketOption: String, CaseIterable, Sendable {
    /// `TCP_NODELAY` at `IPPROTO_TCP`: no Nagle delay on small frames.
    case tcpNoDelay = "tcp_nodelay"
    /// `SO_SNDBUF` at `SOL_SOCKET`, when a send buffer size is configured.
    case sendBuffer = "so_sndbuf"
}

enum SocketOptions {
    /// Sets `TCP_NODELAY` (and `SO_SNDBUF` when `sendBufferBytes` is set) on a connected channel.
    /// Each failure is logged with the option and the error, and passed to `failed`.
    static func apply(
        to channel: Channel, sendBufferBytes: Int?, logger: Logger,
        failed: (ConnectionSocketOption) -> Void = { _ in }
    ) {
        guard let options = channel.syncOptions else { return }
        apply(sendBufferBytes: sendBufferBytes, logger: logger, failed: failed) { try options.setOption($0, value: $1) }
    }

    /// The same through `set`, which sets one option (a test gives one that fails).
    static func apply(
        sendBufferBytes: Int?, logger: Logger, failed: (ConnectionSocketOption) -> Void,
        set: (ChannelOptions.Types.SocketOption, SocketOptionValue) throws -> Void
    ) {
        func attempt(_ option: ConnectionSocketOption, _ name: ChannelOptions.Types.SocketOption, _ value: SocketOptionValue) {
            do { try set(name, value) } catch {
                failed(option)
                logger.warning("could not set a socket option; the connection goes on without it", metadata: [
                    "option": "\(option.rawValue)", "error": "\(error)",
                ])
            }
        }
        attempt(.tcpNoDelay, .tcpOption(.tcp_nodelay), 1)
        if let sendBufferBytes { attempt(.sendBuffer, .socketOption(.so_sndbuf), SocketOptionValue(sendBufferBytes)) }
    }
}
