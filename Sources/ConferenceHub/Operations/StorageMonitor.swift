// StorageMonitor: applies StorageCondition. It hears every transaction's outcome from the store's
// writer, logs the condition's start, reminders and end, sets the `storage_writable` gauge that
// readiness reads, and while writes fail probes the store every few seconds, so that the hub
// notices space coming back even when nobody writes.
import CaseCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Whether the store takes writes, as the hub last saw it.
final class StorageMonitor: Sendable {
    /// How often the store is probed while writes fail (and reminders are considered).
    static let probeInterval: TimeAmount = .seconds(5)

    private let condition = NIOLockedValueBox(StorageCondition())
    private let probeTask = NIOLockedValueBox<RepeatedTask?>(nil)
    private let logger: Logger
    private let metrics: HubMetrics

    init(logger: Logger, metrics: HubMetrics) {
        self.logger = logger
        self.metrics = metrics
    }

    var isWritable: Bool { condition.withLockedValue { $0.isWritable } }

    /// From the store's writer thread: one transaction's outcome.
    func observe(_ report: CommitReport) {
        let now = ContinuousClock.now
        let notice: StorageCondition.Notice?
        switch report {
        case .committed(_, _, let succeeded):
            guard succeeded > 0 else { return }
            notice = condition.withLockedValue { $0.succeeded(at: now) }
        case .storageUnavailable(let error):
            notice = condition.withLockedValue { $0.failed("\(error)", at: now) }
        }
        if let notice { log(notice) }
    }

    private func log(_ notice: StorageCondition.Notice) {
        switch notice {
        case .began(let error):
            metrics.storageWritable.set(0)
            logger.error("the store cannot write: writes are refused with storage_unavailable and readiness fails until it can; reads go on",
                         metadata: ["error": "\(error)"])
        case .continuing(let duration, let refused):
            logger.error("the store still cannot write", metadata: [
                "seconds": "\(duration.components.seconds)", "refused_transactions": "\(refused)",
            ])
        case .ended(let duration, let refused):
            metrics.storageWritable.set(1)
            logger.notice("the store writes again", metadata: [
                "seconds": "\(duration.components.seconds)", "refused_transactions": "\(refused)",
            ])
        }
    }

    /// Starts the periodic check: while writes fail, a reminder when due and a probe write.
    func start(on loop: EventLoop, store: CaseStore, interval: TimeAmount = StorageMonitor.probeInterval) {
        let task = loop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { [self] _ in
            let promise = loop.makePromise(of: Void.self)
            promise.completeWithTask { await self.check(store: store) }
            return promise.futureResult
        }
        probeTask.withLockedValue { $0 = task }
    }

    /// One check: while writes fail, a reminder when due, then a probe write, whose outcome
    /// reaches `observe` (and ends the condition if it succeeds) before this returns.
    func check(store: CaseStore) async {
        let reminder = condition.withLockedValue { $0.isWritable ? nil : $0.tick(at: .now) }
        if let reminder { log(reminder) }
        guard !isWritable else { return }
        try? await store.probeWrite()
    }

    func stop() {
        probeTask.withLockedValue { $0?.cancel() }
    }
}
