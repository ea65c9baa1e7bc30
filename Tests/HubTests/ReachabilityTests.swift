// ReachabilityTests: readiness means reachable. The hub probes its own listener as a client would
// (TCP, then a TLS handshake); a listener that accepts and resets every connection is found out,
// and readiness and /healthz say `listener_unreachable`. A connection dropped before its TLS
// handshake completes leaves a log line with the reason and is counted by reason.
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class ReachabilityTests: XCTestCase {
    func testTheProbeCompletesATLSHandshakeWithAWorkingListener() async throws {
        let hub = try await HubTestServer.hub()
        let result = await ListenerProbe.probe(hub.server.localAddress, group: hub.group)
        XCTAssertEqual(result, .reachable)
        try await hub.stop()
    }

    func testTheProbeFindsAListenerThatResetsEveryConnection() async throws {
        // As the hub was for an ordinary user: the kernel accepts, the server resets.
        struct Refused: Error {}
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeFailedFuture(Refused()) }
            .bind(host: "127.0.0.1", port: 0).get()
        let address = try XCTUnwrap(listener.localAddress)
        let result = await ListenerProbe.probe(address, group: group, timeout: .seconds(5))
        guard case .unreachable(let reason) = result else { return XCTFail("a listener that resets every connection was found reachable") }
        XCTAssertFalse(reason.isEmpty)
        try await listener.close()

        // Nothing listening at all.
        let closedPort = await ListenerProbe.probe(address, group: group)
        XCTAssertNotEqual(closedPort, .reachable)
        try await group.shutdownGracefully()
    }

    func testTheProbesConnectionsAreLoggedAtDebugLevelOnly() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "test") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        let registry = ProbeRegistry()
        let hub = try await HubTestServer.hub(logger: logger) { $0.probes = registry }
        let quiet = await ListenerProbe.probe(hub.server.localAddress, group: hub.group, registry: registry)
        XCTAssertEqual(quiet, .reachable)
        let member = try await hub.connect(as: "h-officer")  // an ordinary connection, for comparison
        await member.close()
        try await hub.stop()
        let opened = lines.withLockedValue { $0 }.filter { $0.contains(#""message":"connection opened""#) }
        XCTAssertEqual(opened.count, 1, "only the ordinary connection is logged at info: \(opened)")
    }

    func testAWildcardAddressIsProbedOverLoopback() throws {
        XCTAssertEqual(try ListenerProbe.reachableAddress(SocketAddress(ipAddress: "0.0.0.0", port: 8443)).ipAddress, "127.0.0.1")
        XCTAssertEqual(try ListenerProbe.reachableAddress(SocketAddress(ipAddress: "::", port: 8443)).ipAddress, "::1")
        XCTAssertEqual(try ListenerProbe.reachableAddress(SocketAddress(ipAddress: "10.2.3.4", port: 8443)).ipAddress, "10.2.3.4")
    }

    func testReadinessAndHealthzSayWhenTheListenerIsUnreachable() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "test") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        let hub = try await HubTestServer.hub(logger: logger)
        let core = try XCTUnwrap(hub.hub)
        let internalListener = try await InternalListener.start(
            host: "127.0.0.1", port: 0, group: hub.group,
            endpoints: InternalEndpoints(metrics: nil, readiness: { core.readiness }, metricsToken: nil), logger: logger)

        await core.listener.start(address: hub.server.localAddress, group: hub.group, interval: .hours(1))
        let ready = try await httpGet("/health/ready", port: internalListener.port, group: hub.group)
        XCTAssertEqual(ready.body, #"{"status":"ready"}"#, "the probe of a working listener")

        core.listener.record(.unreachable("connection reset by peer"))
        let notReady = try await httpGet("/health/ready", port: internalListener.port, group: hub.group)
        XCTAssertEqual(notReady.status, .serviceUnavailable)
        XCTAssertEqual(notReady.body, #"{"status":"not_ready","reasons":["listener_unreachable"]}"#)
        let health = try await hub.httpsGet("/healthz")
        XCTAssertEqual(health.status, .serviceUnavailable)
        XCTAssertTrue(health.body.contains(#""reasons":["listener_unreachable"]"#), health.body)
        let logged = lines.withLockedValue { $0 }
        XCTAssertTrue(logged.contains { $0.contains("the listener does not complete connections") && $0.contains("connection reset by peer") })

        core.listener.record(.reachable)
        let again = try await httpGet("/health/ready", port: internalListener.port, group: hub.group)
        XCTAssertEqual(again.body, #"{"status":"ready"}"#)
        XCTAssertTrue(lines.withLockedValue { $0 }.contains { $0.contains("the listener completes connections again") })
        core.listener.stop()
        await internalListener.close()
        try await hub.stop()
    }

    func testAConnectionDroppedBeforeTLSIsLoggedWithItsReasonAndCounted() async throws {
        let (dropLines, dropped) = AsyncStream<String>.makeStream()
        let logger = Logger(label: "test") { label in
            JSONLogHandler(label: label) { line in if line.contains("connection dropped before TLS completed") { dropped.yield(line) } }
        }
        let export = MetricsExport()
        let hub = try await HubTestServer.hub(logger: logger, metrics: HubMetrics(factory: export.factory))

        // A client that connects and closes without a TLS handshake (a port scanner, a TCP check).
        let silent = try await ClientBootstrap(group: hub.group).connect(to: hub.server.localAddress).get()
        try await silent.close()
        var iterator = dropLines.makeAsyncIterator()
        let next = await iterator.next()
        let line = try XCTUnwrap(next)
        XCTAssertTrue(line.contains(#""reason":"closed_before_tls""#), line)

        // A client that speaks something else than TLS.
        let plain = try await ClientBootstrap(group: hub.group).connect(to: hub.server.localAddress).get()
        try await plain.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")).get()
        let following = await iterator.next()
        let second = try XCTUnwrap(following)
        XCTAssertTrue(second.contains(#""reason":"tls_failed""#), second)
        try? await plain.close()

        let text = export.render {}
        XCTAssertTrue(text.contains(#"conferencehub_connections_dropped_total{reason="closed_before_tls"} 1"#), text)
        XCTAssertTrue(text.contains(#"conferencehub_connections_dropped_total{reason="tls_failed"} 1"#), text)
        try await hub.stop()
    }
}
