// HubMetrics: what the hub counts, through swift-metrics. Every metric object is made once, here
// (a lookup per event would cost more than the count); labels take only fixed sets of values
// (commands of the command table, error codes, close codes, outcomes), never a person, unit, room
// or case. docs/operations.md lists each metric and what to alert on.
import CaseCore
import CoreMetrics
import Foundation
import Messaging

/// The hub's metrics; `HubMetrics.none` when they are off.
struct HubMetrics: Sendable {
    /// How a connection authenticated (`session`: with a browser session; `password`: a browser
    /// signing in with a password).
    enum Method: String, CaseIterable {
        case token, certificate, session, password
    }

    let server: ServerMetrics
    private let authentications: [String: Counter]
    let roomMembers: Meter
    let rooms: Meter
    let connectionsOpen: Meter
    private let commandDurations: [String: CoreMetrics.Timer]
    private let errorReplies: [ErrorCode: Counter]
    let rateLimitedReplies: Counter
    let deliveries: Counter
    let sentBytes: Counter
    let commitDuration: CoreMetrics.Timer
    let commitBatch: Recorder
    let commitFailures: Counter
    private let rejoins: [String: Counter]
    private let deadlineWarnings: [WarningLevel: Counter]
    let queuedRequests: Meter
    let storageWritable: Meter
    let draining: Meter
    let listenerReachable: Meter
    /// 1 while /health/ready answers ready, set at each scrape.
    let ready: Meter
    private let certificateExpiry: [String: Meter]
    let heapInUse: Meter

    init(factory: any MetricsFactory) {
        server = ServerMetrics(factory: factory)
        var authentications: [String: Counter] = [:]
        for method in Method.allCases {
            for outcome in ["success", "failure"] {
                authentications["\(method.rawValue)/\(outcome)"] = Counter(
                    label: "conferencehub_authentications_total", dimensions: [("method", method.rawValue), ("outcome", outcome)], factory: factory)
            }
        }
        self.authentications = authentications
        roomMembers = Meter(label: "conferencehub_room_members", factory: factory)
        rooms = Meter(label: "conferencehub_rooms", factory: factory)
        connectionsOpen = Meter(label: "conferencehub_connections_open", factory: factory)
        heapInUse = Meter(label: "conferencehub_heap_in_use_bytes", factory: factory)
        commandDurations = Dictionary(uniqueKeysWithValues: CommandTable.names.map {
            ($0, CoreMetrics.Timer(label: "conferencehub_command_duration_seconds", dimensions: [("command", $0)], factory: factory))
        })
        errorReplies = Dictionary(uniqueKeysWithValues: ErrorCode.allCases.map {
            ($0, Counter(label: "conferencehub_error_replies_total", dimensions: [("code", $0.rawValue)], factory: factory))
        })
        rateLimitedReplies = Counter(label: "conferencehub_rate_limited_replies_total", factory: factory)
        deliveries = Counter(label: "conferencehub_deliveries_total", factory: factory)
        sentBytes = Counter(label: "conferencehub_sent_bytes_total", factory: factory)
        commitDuration = CoreMetrics.Timer(label: "conferencehub_commit_duration_seconds", factory: factory)
        commitBatch = Recorder(label: "conferencehub_commit_batch_size", factory: factory)
        commitFailures = Counter(label: "conferencehub_commit_failures_total", factory: factory)
        var rejoins: [String: Counter] = [:]
        rejoins["recovered"] = Counter(
            label: "conferencehub_rejoins_total", dimensions: [("outcome", "recovered"), ("reason", "none")], factory: factory)
        for reason in Rejoin.Reason.allCases {
            rejoins[reason.rawValue] = Counter(
                label: "conferencehub_rejoins_total", dimensions: [("outcome", "fresh"), ("reason", reason.rawValue)], factory: factory)
        }
        self.rejoins = rejoins
        deadlineWarnings = Dictionary(uniqueKeysWithValues: WarningLevel.allCases.map { level in
            let counter = level == .overdue
                ? Counter(label: "conferencehub_overdue_events_total", factory: factory)
                : Counter(label: "conferencehub_deadline_warnings_total", dimensions: [("level", "\(level.rawValue)")], factory: factory)
            return (level, counter)
        })
        queuedRequests = Meter(label: "conferencehub_queued_requests", factory: factory)
        storageWritable = Meter(label: "conferencehub_storage_writable", factory: factory)
        draining = Meter(label: "conferencehub_draining", factory: factory)
        listenerReachable = Meter(label: "conferencehub_listener_reachable", factory: factory)
        ready = Meter(label: "conferencehub_ready", factory: factory)
        certificateExpiry = Dictionary(uniqueKeysWithValues: ["server", "ca"].map {
            ($0, Meter(label: "conferencehub_certificate_expiry_timestamp_seconds", dimensions: [("certificate", $0)], factory: factory))
        })
        Meter(label: "conferencehub_build_info", dimensions: [("version", HubProtocol.serverVersion)], factory: factory).set(1)
        storageWritable.set(1)
        draining.set(0)
        ready.set(1)
        listenerReachable.set(1)  // until a probe finds otherwise (the first runs before the hub says it listens)
    }

    /// Metrics that go nowhere.
    static let none = HubMetrics(factory: NOOPMetricsHandler.instance)

    /// When the certificate in use (`server`) or the conference CA (`ca`) expires, in seconds since
    /// 1970: `conferencehub_certificate_expiry_timestamp_seconds - time()` is what is left.
    func certificateExpires(_ which: String, at notAfter: Date) {
        certificateExpiry[which]?.set(notAfter.timeIntervalSince1970)
    }

    func authenticated(by method: Method, success: Bool) {
        authentications["\(method.rawValue)/\(success ? "success" : "failure")"]?.increment()
    }

    /// A command's time from its start to its reply.
    func commandFinished(_ name: String, nanoseconds: Int64) {
        commandDurations[name]?.recordNanoseconds(nanoseconds)
    }

    func errorReplied(_ code: ErrorCode) {
        errorReplies[code]?.increment()
        if code == .rateLimited { rateLimitedReplies.increment() }
    }

    func rejoined(_ rejoin: Rejoin) {
        switch rejoin {
        case .recovered: rejoins["recovered"]?.increment()
        case .fresh(let reason): rejoins[reason.rawValue]?.increment()
        }
    }

    func deadlineWarned(_ level: WarningLevel) {
        deadlineWarnings[level]?.increment()
    }

    /// One transaction's outcome, from the store's writer.
    func committed(_ report: CommitReport) {
        switch report {
        case .committed(let duration, let writes, _):
            commitDuration.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
            commitBatch.record(writes)
        case .storageUnavailable:
            commitFailures.increment()
        }
    }
}
