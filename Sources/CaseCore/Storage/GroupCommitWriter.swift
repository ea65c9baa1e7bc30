// GroupCommitWriter: the single owner of the writer connection. Writes from many callers that
// arrive together are committed in one transaction (one fsync); each runs inside its own
// savepoint so one caller's failure does not spoil the others, and every caller is answered only
// after the COMMIT that made its write durable.
import Foundation

/// What the writer tells its context about transactions (all on the writer thread).
protocol WriterLifecycle: AnyObject, SendableMetatype {
    /// A job is about to run inside its savepoint.
    func jobStarted()
    /// That job failed; its savepoint was rolled back.
    func jobFailed()
    /// The transaction committed (durably).
    func transactionCommitted()
    /// The whole transaction was rolled back.
    func transactionRolledBack()
}

/// A transaction that took longer than the threshold set with
/// ``CaseStore/setSlowCommitObserver(threshold:_:)``: usually storage that stalled on fsync.
public struct SlowCommit: Sendable, Equatable {
    /// From BEGIN to the end of COMMIT.
    public let duration: Duration
    /// The COMMIT alone (the WAL write and its fsync).
    public let commitDuration: Duration
    /// Writes committed together in it (each waited for all of it).
    public let writes: Int
}

/// What became of one transaction, for ``CaseStore/setCommitObserver(_:)``.
public enum CommitReport: Sendable {
    /// It committed: from BEGIN to the end of COMMIT, with the writes in it and how many of them
    /// succeeded (the others were refused and rolled back to their savepoints).
    case committed(duration: Duration, writes: Int, succeeded: Int)
    /// Its BEGIN, a write or its COMMIT failed because the storage cannot take writes now (disk
    /// full, I/O error, read-only file system): `error` is SQLite's.
    case storageUnavailable(SQLiteError)
}

/// Runs write jobs on one dedicated thread, batching them into transactions.
final class GroupCommitWriter<Context: WriterLifecycle>: @unchecked Sendable {
    private struct Job {
        /// Runs the caller's body (inside a savepoint) and keeps its outcome: nil when it
        /// succeeded, its error otherwise.
        let execute: (Context) -> Error?
        /// Delivers the outcome; the argument is the COMMIT error, if the commit failed.
        let finish: (Error?) -> Void
    }

    private let condition = NSCondition()
    private var pending: [Job] = []
    private var stopped = false
    private var thread: Thread?
    private let context: Context
    private let connection: SQLiteConnection
    /// Largest number of jobs committed together.
    let maxBatch: Int
    /// Transactions committed so far (for tests and benchmarks).
    private(set) var commitCount = 0
    private let finished = DispatchSemaphore(value: 0)
    private let observerLock = NSLock()
    private var slowCommitObserver: (threshold: Duration, observer: @Sendable (SlowCommit) -> Void)?
    private var commitObserver: (@Sendable (CommitReport) -> Void)?

    /// - Parameters:
    ///   - context: what jobs receive (it holds `connection`); used only on the writer thread.
    init(connection: SQLiteConnection, context: Context, maxBatch: Int = 512, name: String = "conferencehub.writer") {
        self.connection = connection
        self.context = context
        self.maxBatch = maxBatch
        // The thread keeps the writer alive until `stop()`; owners must call it (CaseStore.close()).
        let thread = Thread { self.run() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    /// Calls `observer` (on the writer thread, before the transaction's writes are answered) for
    /// each transaction that takes `threshold` or longer; nil stops it.
    func setSlowCommitObserver(threshold: Duration, _ observer: (@Sendable (SlowCommit) -> Void)?) {
        observerLock.withLock { slowCommitObserver = observer.map { (threshold, $0) } }
    }

    /// Calls `observer` (on the writer thread, before the transaction's writes are answered) for
    /// every transaction; nil stops it.
    func setCommitObserver(_ observer: (@Sendable (CommitReport) -> Void)?) {
        observerLock.withLock { commitObserver = observer }
    }

    private func report(_ report: CommitReport) {
        observerLock.withLock { commitObserver }?(report)
    }

    /// Tells the commit observer that the storage refused a write, if `error` says so.
    private func reportIfStorage(_ error: Error) {
        if let error = error as? SQLiteError, error.isStorageUnavailable { report(.storageUnavailable(error)) }
    }

    /// Stops after the queued jobs; waits for the thread to end.
    func stop() {
        condition.lock()
        let wasRunning = !stopped
        stopped = true
        condition.broadcast()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    /// Runs `body` in the next transaction; returns once that transaction is durable.
    func write<T: Sendable>(_ body: @escaping (Context) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            submit(body) { continuation.resume(with: $0) }
        }
    }

    /// Runs `body` in the next transaction and calls `completion` with its outcome once that
    /// transaction is durable (or failed). `completion` runs on the writer thread (or at once on
    /// the caller's, when the writer has stopped): it must only hand the result on (no blocking,
    /// no store calls).
    func submit<T>(_ body: @escaping (Context) throws -> T, completion: @escaping (Result<T, Error>) -> Void) {
        let box = OutcomeBox<T>()
        let job = Job(
            execute: { context in
                do {
                    box.result = .success(try body(context))
                    return nil
                } catch {
                    box.result = .failure(error)
                    return error
                }
            },
            finish: { commitError in
                if let commitError {
                    completion(.failure(commitError))
                } else {
                    completion(box.result ?? .failure(CancellationError()))
                }
            })
        condition.lock()
        if stopped {
            condition.unlock()
            completion(.failure(SQLiteError(extendedCode: 21, message: "the store is closed")))
            return
        }
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty && stopped {
                condition.unlock()
                finished.signal()
                return
            }
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            condition.unlock()
            commit(batch)
        }
    }

    private func commit(_ batch: [Job]) {
        let clock = ContinuousClock()
        let began = clock.now
        do {
            try connection.execute("BEGIN IMMEDIATE")
        } catch {
            reportIfStorage(error)
            batch.forEach { $0.finish(error) }
            return
        }
        var succeeded = 0
        var storageError: SQLiteError?
        for job in batch {
            do {
                try connection.run("SAVEPOINT job")
                context.jobStarted()
                if let error = job.execute(context) {
                    if let error = error as? SQLiteError, error.isStorageUnavailable { storageError = error }
                    try connection.run("ROLLBACK TO job")
                    context.jobFailed()
                } else {
                    succeeded += 1
                }
                try connection.run("RELEASE job")
            } catch {
                // The savepoint machinery itself failed: abandon the whole transaction.
                try? connection.execute("ROLLBACK")
                context.transactionRolledBack()
                reportIfStorage(error)
                batch.forEach { $0.finish(error) }
                return
            }
        }
        let committing = clock.now
        do {
            try connection.execute("COMMIT")
            commitCount += 1
        } catch {
            try? connection.execute("ROLLBACK")
            context.transactionRolledBack()
            reportIfStorage(error)
            batch.forEach { $0.finish(error) }
            return
        }
        let ended = clock.now
        context.transactionCommitted()
        if let storageError {
            report(.storageUnavailable(storageError))
        } else {
            report(.committed(duration: ended - began, writes: batch.count, succeeded: succeeded))
        }
        // Told before the writes are answered, so that a caller that has its answer also finds
        // the report made (a report is rare and only handed on).
        if let (threshold, observer) = observerLock.withLock({ slowCommitObserver }), ended - began >= threshold {
            observer(SlowCommit(duration: ended - began, commitDuration: ended - committing, writes: batch.count))
        }
        batch.forEach { $0.finish(nil) }
    }
}

/// Holds one job's outcome between its execution and its commit (same thread, then handed off
/// once through the continuation).
private final class OutcomeBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
