// ListenerMonitor: whether the public listener completes connections, as a client would find it.
// Every `interval` (and once at start) the hub connects to its own listener and completes a TLS
// handshake (ListenerProbe); readiness and `/healthz` fail with `listener_unreachable` while that
// fails, the gauge `conferencehub_listener_reachable` follows, and the log says when it starts
// failing (with the reason) and when it works again.
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOCore

final class ListenerMonitor: Sendable {
    /// How often the listener is probed.
    static let interval: TimeAmount = .seconds(10)

    private let state = NIOLockedValueBox<ListenerProbeResult?>(nil)
    private let task = NIOLockedValueBox<RepeatedTask?>(nil)
    private let logger: Logger
    private let metrics: HubMetrics

    init(logger: Logger, metrics: HubMetrics) {
        self.logger = logger
        self.metrics = metrics
    }

    /// False only once a probe has failed (and until one succeeds).
    var isReachable: Bool {
        state.withLockedValue { if case .unreachable = $0 { return false } else { return true } }
    }

    /// Records one probe's outcome: the gauge, and a log line when it changes.
    func record(_ result: ListenerProbeResult) {
        let previous = state.withLockedValue { state -> ListenerProbeResult? in
            defer { state = result }
            return state
        }
        metrics.listenerReachable.set(result == .reachable ? 1 : 0)
        switch (previous, result) {
        case (.unreachable, .unreachable), (.reachable, .reachable), (nil, .reachable): return
        case (_, .unreachable(let reason)):
            logger.error("the listener does not complete connections: readiness fails until it does", metadata: ["reason": "\(reason)"])
        case (.unreachable, .reachable):
            logger.notice("the listener completes connections again")
        }
    }

    /// Probes now, then every `interval` until `stop()`.
    func start(address: SocketAddress, group: EventLoopGroup, registry: ProbeRegistry? = nil, interval: TimeAmount = ListenerMonitor.interval) async {
        let logger = self.logger
        record(await ListenerProbe.probe(address, group: group, registry: registry, logger: logger))
        let loop = group.next()
        let repeated = loop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            let promise = loop.makePromise(of: Void.self)
            promise.completeWithTask {
                self.record(await ListenerProbe.probe(address, group: group, registry: registry, logger: logger))
            }
            return promise.futureResult
        }
        task.withLockedValue { $0 = repeated }
    }

    func stop() {
        task.withLockedValue { $0?.cancel() }
    }
}
