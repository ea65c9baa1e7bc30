// SocketOptionsTests: every connection's socket has TCP_NODELAY at the TCP level and no option that
// needs a privilege (SO_DEBUG, the socket-level option with TCP_NODELAY's number, needs
// CAP_NET_ADMIN: set by mistake it reset every connection of an ordinary user). Read back with
// getsockopt from the accepted socket and from the client's.
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import XCTest

@testable import ConferenceHub
@testable import Messaging

#if canImport(Glibc)
import Glibc
#endif

final class SocketOptionsTests: XCTestCase {
    private func options(of channel: Channel) async throws -> (noDelay: Int, debug: Int) {
        let noDelay = try await channel.getOption(.tcpOption(.tcp_nodelay)).get()
        let debug = try await channel.getOption(
            ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_DEBUG))).get()
        return (noDelay, debug)
    }

    func testAcceptedAndClientSocketsHaveTCPNoDelayAndNoDebug() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "h-officer")

        let clientOptions = try await options(of: client.channel)
        XCTAssertEqual(clientOptions.noDelay, 1, "the client's socket: TCP_NODELAY at IPPROTO_TCP")
        XCTAssertEqual(clientOptions.debug, 0, "the client's socket: SO_DEBUG off")

        let accepted = hub.server.connections.withLockedValue { Array($0.values) }
        XCTAssertEqual(accepted.count, 1)
        for channel in accepted {
            let serverOptions = try await options(of: channel)
            XCTAssertEqual(serverOptions.noDelay, 1, "the accepted socket: TCP_NODELAY at IPPROTO_TCP")
            XCTAssertEqual(serverOptions.debug, 0, "the accepted socket: SO_DEBUG off")
        }
        await client.close()
        try await hub.stop()
    }

    func testAnOptionThatCannotBeSetIsLoggedAndCountedAndTheConnectionGoesOn() throws {
        // A setter that refuses every option stands in for a kernel that refuses one.
        struct Refused: Error {}
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "test") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        var failed: [ConnectionSocketOption] = []
        SocketOptions.apply(sendBufferBytes: 4096, logger: logger, failed: { failed.append($0) }) { _, _ in throw Refused() }
        XCTAssertEqual(failed, [.tcpNoDelay, .sendBuffer])
        let logged = lines.withLockedValue { $0 }
        XCTAssertEqual(logged.filter { $0.contains("could not set a socket option") }.count, 2, logged.joined(separator: "\n"))
        XCTAssertTrue(logged.contains { $0.contains("tcp_nodelay") })

        let export = MetricsExport()
        let metrics = ServerMetrics(factory: export.factory)
        metrics.socketOptionFailed(.tcpNoDelay)
        let text = export.render {}
        XCTAssertTrue(text.contains(#"conferencehub_socket_option_failures_total{option="tcp_nodelay"} 1"#), text)
    }

    func testTheOptionIsSetAtTheTCPLevel() throws {
        let channel = EmbeddedChannel()
        SocketOptions.apply(to: channel, sendBufferBytes: nil, logger: Logger(label: "test"))
        let levels = channel.options.compactMap { $0.option as? ChannelOptions.Types.SocketOption }
        XCTAssertEqual(levels.map { Int32($0.level) }, [Int32(IPPROTO_TCP)])
        XCTAssertEqual(levels.map { Int32($0.name) }, [Int32(TCP_NODELAY)])
        _ = try channel.finish()
    }
}
