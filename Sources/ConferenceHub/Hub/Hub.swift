// Hub: what all connections share — the store, the live rooms, the limits, and who is connected
// with which credential (so that revoking a credential closes its connections).
import CaseCore
import Foundation
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// One authenticated connection, as the hub tracks it.
struct SessionEntry {
    let channel: Channel
    let person: PersonID
    let credentialID: Int64
}

final class Hub: Sendable {
    let store: CaseStore
    let rooms: RoomHub
    let configuration: HubConfiguration
    let logger: Logger
    let clock: HubClock
    /// What the hub counts (nowhere unless `serve` turns metrics on).
    let metrics: HubMetrics
    /// Whether the store takes writes (readiness, `storage_unavailable`).
    let storage: StorageMonitor
    /// Whether the public listener completes connections (readiness, `listener_unreachable`).
    let listener: ListenerMonitor
    /// Browser sign-in: passwords, certificates, sessions.
    let signIn: SignInService
    /// Set once the hub is stopping: readiness fails while connections are still served.
    private let drainingState = NIOLockedValueBox(false)
    private let sessions = NIOLockedValueBox<[ObjectIdentifier: SessionEntry]>([:])
    private let revocationWatermark: NIOLockedValueBox<Timestamp>
    private let revocationTask = NIOLockedValueBox<RepeatedTask?>(nil)
    private let sweepTask = NIOLockedValueBox<RepeatedTask?>(nil)
    /// For tests: awaited in a `join` right after its member is admitted, with the joining
    /// connection's channel (to close it there, as a dropped network would). Nil in the hub.
    let joinAdmittedHook = NIOLockedValueBox<(@Sendable (Channel) async -> Void)?>(nil)

    /// A hub on `store`, which must have been made with `Hub.rooming(delivering: rooms, …)` so
    /// that its committed events reach `rooms`.
    init(store: CaseStore, rooms: RoomHub, configuration: HubConfiguration = HubConfiguration(),
         clock: HubClock = SystemClock(), logger: Logger, metrics: HubMetrics = .none) {
        self.store = store
        self.rooms = rooms
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.metrics = metrics
        let storage = StorageMonitor(logger: logger, metrics: metrics)
        self.storage = storage
        listener = ListenerMonitor(logger: logger, metrics: metrics)
        signIn = SignInService(
            store: store, clock: clock, sessionLifetime: configuration.sessionLifetime, parameters: configuration.passwordParameters,
            throttle: configuration.signInThrottle, metrics: metrics, logger: logger)
        revocationWatermark = NIOLockedValueBox(clock.now())
        store.setCommitObserver { report in
            storage.observe(report)
            metrics.committed(report)
        }
    }

    // MARK: Readiness

    /// The hub is stopping: readiness fails from now on (connections are still served).
    func startDraining() {
        drainingState.withLockedValue { $0 = true }
        metrics.draining.set(1)
    }

    var isDraining: Bool { drainingState.withLockedValue { $0 } }

    /// Whether a load balancer should send new connections here, and why not.
    var readiness: Readiness {
        Readiness(draining: isDraining, storageWritable: storage.isWritable, listenerReachable: listener.isReachable)
    }

    /// The store's hooks for a hub: committed room events go to `rooms`, and case, notice,
    /// deadline and meeting events are written as the protocol shows them (WireEvents).
    static func rooming(delivering rooms: RoomHub, decisionLog: DecisionLogIdentity?) -> RoomingConfiguration {
        var rooming = recording(decisionLog: decisionLog)
        rooming.sink = { records in rooms.deliver(records) }
        return rooming
    }

    /// The same hooks with no one to deliver to: the rooms' events are written as a hub writes
    /// them (`init --demo` makes its conference so, before any hub runs).
    static func recording(decisionLog: DecisionLogIdentity?) -> RoomingConfiguration {
        RoomingConfiguration(
            caseEventEncoder: { event, position in try WireEvents.caseEvent(event, position) },
            lobbyNoticeEncoder: { event, state, position in try WireEvents.notice(event, state, position) },
            meetingEventEncoder: { event, meeting, position in try WireEvents.meeting(event, meeting, position) },
            deadlineWarningEncoder: { warning, state, position in try WireEvents.deadline(warning, state, position) },
            decisionLogIdentity: decisionLog)
    }

    // MARK: Sessions

    /// Registers an authenticated connection; false when the person has too many.
    func register(_ entry: SessionEntry) -> Bool {
        let limit = configuration.maxConnectionsPerPerson
        return sessions.withLockedValue { sessions in
            if sessions.values.filter({ $0.person == entry.person }).count >= limit { return false }
            sessions[ObjectIdentifier(entry.channel)] = entry
            return true
        }
    }

    func unregister(_ channel: Channel) {
        sessions.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// A person's open connections.
    func channels(of person: PersonID) -> [Channel] {
        sessions.withLockedValue { $0.values.filter { $0.person == person }.map(\.channel) }
    }

    /// Connections authenticated with `credentialID`.
    func channels(usingCredential credentialID: Int64) -> [Channel] {
        sessions.withLockedValue { $0.values.filter { $0.credentialID == credentialID }.map(\.channel) }
    }

    // MARK: Revocation

    /// Looks for newly revoked credentials every `revocationPollInterval` and closes their
    /// connections with 1008.
    func startRevocationWatch(on loop: EventLoop) {
        let interval = configuration.revocationPollInterval
        let task = loop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { [self] _ in
            let promise = loop.makePromise(of: Void.self)
            promise.completeWithTask { try await self.closeRevokedConnections() }
            return promise.futureResult.flatMapErrorThrowing { error in
                self.logger.warning("revocation check failed", metadata: ["error": "\(error)"])
            }
        }
        revocationTask.withLockedValue { $0 = task }
    }

    func stopRevocationWatch() {
        revocationTask.withLockedValue { $0?.cancel() }
    }

    // MARK: Deadlines

    /// Records lapsed negotiation and decision deadlines every `deadlineSweepInterval` (and once
    /// at start, for what lapsed while the hub was down).
    func startDeadlineSweep(on loop: EventLoop) {
        let interval = configuration.deadlineSweepInterval
        let task = loop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: interval) { [self] _ in
            let promise = loop.makePromise(of: Void.self)
            promise.completeWithTask { try await self.sweepDeadlines() }
            return promise.futureResult.flatMapErrorThrowing { error in
                self.logger.warning("deadline sweep failed", metadata: ["error": "\(error)"])
            }
        }
        sweepTask.withLockedValue { $0 = task }
    }

    /// One pass: lapsed negotiations and decisions, overdue supervision items, then the warnings
    /// every running deadline, task and supervision item has reached.
    func sweepDeadlines() async throws {
        let recorded = try await store.sweep().map(\.change.type) + store.sweepMeetings().map(\.change.type)
        var warnings = 0
        while true {
            let posted = try await store.postDeadlineWarnings()
            warnings += posted.count
            for warning in posted { metrics.deadlineWarned(warning.level) }
            if posted.isEmpty { break }
        }
        if !recorded.isEmpty || warnings > 0 {
            logger.info("deadlines swept", metadata: ["events": "\(recorded.count)", "warnings": "\(warnings)"])
        }
    }

    func stopDeadlineSweep() {
        sweepTask.withLockedValue { $0?.cancel() }
    }

    /// Closes the connections of credentials revoked since the last check; returns how many.
    @discardableResult
    func closeRevokedConnections() async throws -> Int {
        let since = revocationWatermark.withLockedValue { $0 }
        let revoked = try await store.credentialsRevoked(since: since)
        guard let newest = revoked.map(\.revokedAt).max() else { return 0 }
        revocationWatermark.withLockedValue { $0 = max($0, newest) }
        var closed = 0
        for credential in revoked {
            for channel in channels(usingCredential: credential.id) {
                logger.notice("closing a connection whose credential was revoked", metadata: ["credential": "\(credential.id)"])
                channel.triggerUserOutboundEvent(WebSocketCloseRequest(code: .policyViolation, reason: "credential revoked"), promise: nil)
                closed += 1
            }
        }
        return closed
    }
}
