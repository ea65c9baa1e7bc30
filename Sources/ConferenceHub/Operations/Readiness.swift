// Readiness: whether the hub should be sent new work, for `/health/ready` and `/healthz`. A pure
// value: the hub fills it in, the internal listener writes it.

/// The hub's readiness and the reasons it is not ready.
struct Readiness: Equatable, Sendable {
    /// The hub is stopping (SIGTERM): it finishes what it has and takes nothing new.
    var draining: Bool
    /// The store takes writes (false: the disk is full or failing).
    var storageWritable: Bool
    /// The public listener completes connections, as its last probe found (a TCP connection and a
    /// TLS handshake from the hub itself: ListenerProbe).
    var listenerReachable: Bool = true

    var isReady: Bool { !draining && storageWritable && listenerReachable }

    /// Machine-readable reasons, in a fixed order (empty when ready).
    var reasons: [String] {
        var reasons: [String] = []
        if draining { reasons.append("draining") }
        if !storageWritable { reasons.append("storage_unavailable") }
        if !listenerReachable { reasons.append("listener_unreachable") }
        return reasons
    }

    /// `{"status":"ready"}`, or `{"status":"not_ready","reasons":[…]}`.
    var json: String {
        isReady ? #"{"status":"ready"}"# : #"{"status":"not_ready","reasons":[\#(reasons.map { "\"\($0)\"" }.joined(separator: ","))]}"#
    }
}
