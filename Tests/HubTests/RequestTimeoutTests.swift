// RequestTimeoutTests: a connection that never sends a whole HTTP request is closed after the
// request timeout (it holds a socket without having authenticated); an upgraded one is not.
import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class RequestTimeoutTests: XCTestCase {
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
