// HubServer: the WebSocket server with the hub (or echo) behind it (what stops it is in
// HubServices).
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
            let schema = SchemaEndpoint(store: hub.store, configuration: hub.configuration)
            let console = ConsoleEndpoint(origins: configuration.originPolicy)
            responder = { request in
                if let answer = await sessions.respond(to: request) { return answer }
                if let answer = await schema.respond(to: request) { return answer }
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
