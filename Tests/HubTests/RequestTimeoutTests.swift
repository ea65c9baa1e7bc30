// RequestTimeoutTests: a connection that never sends a whole HTTP request is closed after the
// request timeout (it holds a socket without having authenticated); an upgraded one is not.
import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class RequestTimeoutTests: XCTestCase {
    /// A TLS client that writes what it is told and records what comes back. Confined to its
    /// channel's event loop: the test reads `received` through that loop.
    private final class RawClient: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let handshake: EventLoopPromise<Void>
        var received = ""

        init(handshake: EventLoopPromise<Void>) { self.handshake = handshake }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is TLSHandshakeCompleted { handshake.succeed(()) }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {}

        func channelInactive(context: ChannelHandlerContext) {
            handshake.fail(ChannelError.eof)
        }
    }

    /// Connects over TLS, waits for the handshake, sends `request` (if any) and returns what the
    /// server sent by the time it closed the connection.
    private func sendAndAwaitClose(_ request: String?, port: Int, group: EventLoopGroup) async throws -> String {
        let loop = group.next()
        let handshake = loop.makePromise(of: Void.self)
        let client = RawClient(handshake: handshake)
        let context = try TLSContext(role: .client, configuration: TestPKI.clientConfiguration(hostname: "127.0.0.1"))
        let channel = try await ClientBootstrap(group: loop).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
                try channel.pipeline.syncOperations.addHandler(client)
            }
        }.connect(host: "127.0.0.1", port: port).get()
        try await handshake.futureResult.get()
        if let request { try await channel.writeAndFlush(ByteBuffer(string: request)).get() }
        // Bounded: a server that never closes fails the test instead of hanging it.
        let closed = loop.makePromise(of: Void.self)
        channel.closeFuture.cascade(to: closed)
        let bound = loop.scheduleTask(in: .seconds(30)) { closed.fail(ChannelError.ioOnClosedChannel) }
        do {
            try await closed.futureResult.get()
        } catch {
            channel.close(promise: nil)
            XCTFail("the server did not close the connection within 30 s (\(request ?? "nothing sent"))")
        }
        bound.cancel()
        return try await loop.submit { client.received }.get()
    }

    func testAConnectionWithoutAWholeRequestIsClosed() async throws {
        let hub = try await HubTestServer.hub { $0.requestTimeout = .milliseconds(200) }
        // An upgraded, authenticated connection made first: its HTTP timer must be gone.
        let member = try await hub.connect(as: "h-officer")

        // Nothing at all after the handshake.
        let silent = try await sendAndAwaitClose(nil, port: hub.port, group: hub.group)
        XCTAssertEqual(silent, "")
        // Half a request head.
        let partial = try await sendAndAwaitClose("GET /v1/ws HTTP/1.1\r\nHost: localhost\r\n", port: hub.port, group: hub.group)
        XCTAssertEqual(partial, "")
        // A whole request on a kept-alive connection is answered; the idle connection then closes.
        let kept = try await sendAndAwaitClose("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", port: hub.port, group: hub.group)
        XCTAssertTrue(kept.hasPrefix("HTTP/1.1 200 OK"), kept)
        XCTAssertEqual(kept.components(separatedBy: "HTTP/1.1").count, 2, "one response: \(kept)")

        // Each of those took longer than the timeout after the member's own handshake.
        let reply = try await member.request(["id": "h", "type": "hello"])
        XCTAssertEqual(reply["type"] as? String, "ok")
        await member.close()
        try await hub.stop()
    }

    func testAnUpgradeWithAKeyThatIsNotSixteenBytesOfBase64IsRefusedWith400() async throws {
        // RFC 6455 §4.2.1: the key is 16 bytes in base64. NIO's upgrader checks only that it is there.
        XCTAssertTrue(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="))
        for key in [nil, "", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZXg=", "dGhlIHNhbXBsZSBub25jZQ==x", "!GhlIHNhbXBsZSBub25jZQ=="] {
            XCTAssertFalse(WebSocketHandshake.isValidKey(key), key ?? "nil")
        }
        let hub = try await HubTestServer.hub()
        func upgrade(key: String) -> String {
            "GET /v1/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: conferencehub.v1\r\n\r\n"
        }
        let refused = try await sendAndAwaitClose(upgrade(key: "c2hvcnQ="), port: hub.port, group: hub.group)
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 400 Bad Request"), refused)
        XCTAssertTrue(refused.contains("Sec-WebSocket-Key"), refused)
        try await hub.stop()
    }
}
