// ServerMetrics: what the WebSocket server counts about connections, through swift-metrics (the
// hub exports them in the Prometheus format; without a factory they cost a no-op call). No label
// takes unbounded values: close codes, drop reasons and socket options are fixed sets.
import CoreMetrics

/// Why a connection ended before its TLS handshake completed (a label of
/// `conferencehub_connections_dropped_total`).
public enum ConnectionDropReason: String, CaseIterable, Sendable {
    /// Refused on accept: the address holds too many connections not yet authenticated.
    case pendingLimit = "pending_limit"
    /// The server could not set up the connection's handlers.
    case setupFailed = "setup_failed"
    /// The TLS handshake failed (untrusted or expired certificate, protocol error).
    case tlsFailed = "tls_failed"
    /// The TLS handshake did not complete in time.
    case tlsTimeout = "tls_timeout"
    /// The peer closed (or reset) the connection before the handshake completed.
    case closedBeforeTLS = "closed_before_tls"
}

/// The server's connection metrics.
public struct ServerMetrics: Sendable {
    /// Close codes counted under their own label; any other is counted as `other`, and a
    /// connection that ended without a close frame (TLS failure, HTTP only, connection lost) as
    /// `none`.
    public static let closeCodes: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011]

    let accepted: Counter
    let handshakeFailures: Counter
    let slowConsumers: Counter
    private let closedByCode: [UInt16: Counter]
    private let closedOther: Counter
    private let closedNone: Counter
    private let droppedByReason: [ConnectionDropReason: Counter]
    private let optionFailures: [ConnectionSocketOption: Counter]

    public init(factory: any MetricsFactory) {
        accepted = Counter(label: "conferencehub_connections_accepted_total", factory: factory)
        handshakeFailures = Counter(label: "conferencehub_tls_handshake_failures_total", factory: factory)
        slowConsumers = Counter(label: "conferencehub_slow_consumers_closed_total", factory: factory)
        let label = "conferencehub_connections_closed_total"
        closedByCode = Dictionary(uniqueKeysWithValues: Self.closeCodes.map {
            ($0, Counter(label: label, dimensions: [("code", "\($0)")], factory: factory))
        })
        closedOther = Counter(label: label, dimensions: [("code", "other")], factory: factory)
        closedNone = Counter(label: label, dimensions: [("code", "none")], factory: factory)
        droppedByReason = Dictionary(uniqueKeysWithValues: ConnectionDropReason.allCases.map {
            ($0, Counter(label: "conferencehub_connections_dropped_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        optionFailures = Dictionary(uniqueKeysWithValues: ConnectionSocketOption.allCases.map {
            ($0, Counter(label: "conferencehub_socket_option_failures_total", dimensions: [("option", $0.rawValue)], factory: factory))
        })
    }

    /// Metrics that go nowhere.
    public static let none = ServerMetrics(factory: NOOPMetricsHandler.instance)

    /// A connection closed; `code` is the WebSocket close code it ended with, if any.
    func closed(code: UInt16?) {
        guard let code else { return closedNone.increment() }
        (closedByCode[code] ?? closedOther).increment()
    }

    /// A connection ended before its TLS handshake completed.
    func dropped(_ reason: ConnectionDropReason) {
        droppedByReason[reason]?.increment()
    }

    /// A socket option could not be set on a connection.
    @Sendable func socketOptionFailed(_ option: ConnectionSocketOption) {
        optionFailures[option]?.increment()
    }
}
