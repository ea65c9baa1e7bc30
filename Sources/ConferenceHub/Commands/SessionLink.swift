// SessionLink: the connection a command came on, as its handler may use it. Requests on a
// connection are served one at a time, so what it has joined is read when the command starts
// and changed only through `apply`, on the connection's event loop.
import CaseCore
import Logging
import Messaging
import NIOCore

/// A change a command makes to its connection's state.
enum SessionChange: Sendable {
    /// The connection authenticated; false when the person already has as many connections as
    /// they may.
    case authenticated(Identity)
    /// A token was refused; after too many the connection is closed once the reply is out.
    case authenticationFailed
    /// The connection is now in `room`; false when it closed meanwhile (the caller leaves again).
    case joined(String)
    /// The connection left `room`; false when it was not in it.
    case left(String)
}

/// The connection as a command's handler sees it.
struct SessionLink: Sendable {
    let channel: Channel
    /// The rooms joined when the command started.
    let joined: Set<String>
    /// The TLS session (nil only in tests without TLS).
    let tls: TLSHandshakeCompleted?
    /// Carries the connection, person and unit.
    let logger: Logger
    /// Applies a change on the connection's event loop.
    let apply: @Sendable (SessionChange) async -> Bool
}
