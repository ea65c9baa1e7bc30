// HubServices: what `serve` runs under swift-service-lifecycle's ServiceGroup once its listeners
// are bound. SIGTERM is the group's graceful shutdown: the services stop in the reverse of their
// order, so the drain (last) runs first — readiness fails and the hub keeps serving for the drain
// time or until another SIGTERM or SIGINT — then the background work stops, then the public and
// the internal listener. SIGINT, and the end of a watched parent process, cancel the group: no
// drain. The store closes after the group, once no listener can write.
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals

/// Why the hub stopped, as the last log lines say it (a cancelled group does not say why).
final class StopReason: Sendable {
    private let reason = NIOLockedValueBox<String?>(nil)

    func set(_ text: String) { reason.withLockedValue { $0 = $0 ?? text } }
    var text: String? { reason.withLockedValue { $0 } }
}

/// Work that runs until the group stops: `start` when the group runs it, `stop` on its graceful
/// shutdown or cancellation.
struct BackgroundService: Service, CustomStringConvertible {
    let description: String
    let start: @Sendable () async -> Void
    let stop: @Sendable () async -> Void

    init(_ description: String, start: @escaping @Sendable () async -> Void = {}, stop: @escaping @Sendable () async -> Void) {
        self.description = description
        self.start = start
        self.stop = stop
    }

    func run() async throws {
        await start()
        try? await gracefulShutdown()  // returns on graceful shutdown, throws on cancellation: either way, stop
        await stop()
    }
}

/// The drain: on SIGTERM (the group's graceful shutdown), readiness fails at once and the hub
/// serves on for `seconds`, or until a second SIGTERM or a SIGINT (which cancels the group).
struct DrainService: Service, CustomStringConvertible {
    let description = "drain"
    let seconds: Int
    let logger: Logger
    let reason: StopReason
    /// SIGTERM, trapped before the group runs (so before the hub is announced): every SIGTERM the
    /// group sees, this sees too — the first starts the drain, a second ends it.
    let terms: UnixSignalsSequence
    /// Starts the group's graceful shutdown (for a SIGTERM the group's own trap did not see).
    let shutdownGroup: @Sendable () async -> Void
    /// Makes readiness fail.
    let startDraining: @Sendable () -> Void

    func run() async throws {
        let (again, anotherTerm) = AsyncStream<Void>.makeStream()
        let listener = Task { [terms, shutdownGroup] in
            var seen = 0
            for await _ in terms {
                seen += 1
                if seen == 1 { await shutdownGroup() } else { anotherTerm.yield() }
            }
        }
        defer {
            listener.cancel()
            logger.info("stopping", metadata: ["reason": "\(reason.text ?? "SIGTERM")"])
        }
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: SIGINT, or the parent process ended (its service said so). No drain.
            reason.set("SIGINT")
            startDraining()
            return
        }
        if reason.text != nil {
            // The parent process ended (its service ended the group gracefully): no drain.
            startDraining()
            return
        }
        reason.set("SIGTERM")
        // Readiness fails first, so that a load balancer stops sending new connections while
        // those already here are still served.
        startDraining()
        guard seconds > 0 else { return }
        logger.info("draining: readiness fails; still serving (a second SIGTERM or SIGINT stops at once)",
                    metadata: ["reason": "SIGTERM", "seconds": "\(seconds)"])
        let seconds = self.seconds
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            group.addTask { for await _ in again { return } }
            await group.next()  // the time is up, another SIGTERM came, or SIGINT cancelled the group
            group.cancelAll()
        }
    }
}

/// Ends the group when process `pid` is no longer this process's parent (it ended, and this
/// process was handed to init or a subreaper): it returns, and the group shuts down in order
/// (`successTerminationBehavior: .gracefullyShutdownGroup`), without a drain.
struct ParentWatchService: Service, CustomStringConvertible {
    let description = "parent watch"
    let pid: Int32
    let reason: StopReason

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while getppid() == pid {
                try await Task.sleep(for: .seconds(1))  // throws when the group stops for another reason
            }
            reason.set("its parent process \(pid) ended")
        }
    }
}
