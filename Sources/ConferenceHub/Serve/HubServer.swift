// HubServer: the WebSocket server with the hub (or echo) behind it, and what stops it: the
// termination signals and the watch on a parent process.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Starts the WebSocket server with the hub (or echo) application behind it.
enum HubServer {
    /// What answers on `/v1/ws`.
    enum Application: Sendable {
        /// The conference protocol.
        case hub(Hub)
        /// Every message echoed back (conformance testing).
        case echo
    }

    /// - Parameter certificate: the server certificate in use, whose days left `/healthz` reports.
    static func start(
        configuration: WebSocketServerConfiguration, group: EventLoopGroup, logger: Logger, application: Application,
        certificate: CertificateDetails? = nil
    ) async throws -> WebSocketServer {
        let started = Date()
        let serverBox = NIOLockedValueBox<WebSocketServer?>(nil)
        var responder: HTTPResponder?
        if case .hub(let hub) = application {
            let sessions = SessionEndpoint(service: hub.signIn, origins: configuration.originPolicy)
            let console = ConsoleEndpoint(origins: configuration.originPolicy)
            responder = { request in
                if let answer = await sessions.respond(to: request) { return answer }
                return console.respond(to: request)
            }
        }
        let server = try await WebSocketServer.start(
            configuration: configuration, group: group, logger: logger,
            health: {
                let connections = serverBox.withLockedValue { $0?.connectionCount ?? 0 }
                let uptime = Int(Date().timeIntervalSince(started))
                let days = certificate.map { #","certificate_days_left":\#($0.daysLeft())"# } ?? ""
                var readiness = Readiness(draining: false, storageWritable: true)
                if case .hub(let hub) = application { readiness = hub.readiness }
                let status = readiness.isReady
                    ? #""status":"ok""#
                    : #""status":"not_ready","reasons":[\#(readiness.reasons.map { "\"\($0)\"" }.joined(separator: ","))]"#
                return HealthReport(
                    healthy: readiness.isReady,
                    body: #"{\#(status),"version":"\#(HubProtocol.serverVersion)","connections":\#(connections),"uptime_seconds":\#(uptime)\#(days)}"#)
            },
            responder: responder,
            application: { connection, _ in
                switch application {
                case .echo:
                    connection.markEstablished()  // nothing to authenticate
                    return EchoSession()
                case .hub(let hub): return HubSession(hub: hub, connection: connection)
                }
            })
        serverBox.withLockedValue { $0 = server }
        return server
    }
}

/// Waits for SIGINT or SIGTERM (installed before the server starts, so none is missed), or for
/// `stop(because:)`.
final class TerminationSignals: @unchecked Sendable {
    private let lock = NIOLock()
    private var sources: [DispatchSourceSignal] = []
    private var received: String?
    private var waiter: CheckedContinuation<String, Never>?

    init() {
        sources = Self.install { [weak self] number in self?.deliver(number == SIGTERM ? "SIGTERM" : "SIGINT") }
    }

    /// Ends `wait()` as a signal would, for a stop that does not come as one.
    func stop(because reason: String) {
        deliver(reason)
    }

    /// Calls `handler` (on a dispatch queue) for SIGINT and SIGTERM instead of their default
    /// action. Returns once the dispatch sources are registered (libdispatch installs its signal
    /// handler then, not at `resume()`): a signal sent as soon as this returns — for example by a
    /// script that read the line printed next — is handled, not ignored.
    static func install(_ handler: @escaping @Sendable (Int32) -> Void) -> [DispatchSourceSignal] {
        let registered = DispatchGroup()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            registered.enter()
            source.setRegistrationHandler { registered.leave() }
            source.resume()
            sources.append(source)
        }
        registered.wait()
        return sources
    }

    private func deliver(_ reason: String) {
        let continuation: CheckedContinuation<String, Never>? = lock.withLock {
            guard received == nil else {
                // A second signal: it ends the drain, if one is under way.
                again = true
                defer { againWaiter = nil }
                return againWaiter
            }
            received = reason
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume(returning: reason)
    }

    private var again = false
    private var againWaiter: CheckedContinuation<String, Never>?
    private var stopWaitingForAnother = false

    /// Returns when a signal comes after the first (an operator who does not want to wait for
    /// the drain sends SIGTERM or SIGINT again), or when the calling task is cancelled.
    func waitForAnother() async {
        await withTaskCancellationHandler {
            _ = await withCheckedContinuation { continuation in
                let already: Bool = lock.withLock {
                    if again || stopWaitingForAnother { return true }
                    againWaiter = continuation
                    return false
                }
                if already { continuation.resume(returning: "again") }
            }
        } onCancel: {
            let waiting: CheckedContinuation<String, Never>? = lock.withLock {
                stopWaitingForAnother = true
                defer { againWaiter = nil }
                return againWaiter
            }
            waiting?.resume(returning: "cancelled")
        }
    }

    /// Returns why the hub is to stop: the first termination signal received ("SIGTERM",
    /// "SIGINT") or the reason given to `stop(because:)`.
    func wait() async -> String {
        await withCheckedContinuation { continuation in
            let already: String? = lock.withLock {
                if let received { return received }
                waiter = continuation
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}

/// Calls `ended` (once, on a dispatch queue) when process `pid` is no longer this process's
/// parent: it ended and this process was handed to another (init or a subreaper). Checked every
/// second; a process cannot be told when its parent ends without asking the kernel to signal it,
/// which Linux does per parent thread, not per process.
final class ParentWatch: @unchecked Sendable {
    private let timer = DispatchSource.makeTimerSource(queue: .global())

    init(_ pid: Int32, ended: @escaping @Sendable () -> Void) {
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [timer] in
            guard getppid() != pid else { return }
            timer.cancel()
            ended()
        }
        timer.resume()
    }

    func cancel() {
        timer.cancel()
    }
}

