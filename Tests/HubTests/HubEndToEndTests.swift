// HubEndToEndTests: the hub over real TLS sockets on loopback — upgrade, mutual TLS, HTTPS
// endpoints, limits, bad input, slow readers and graceful shutdown.
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class HubEndToEndTests: XCTestCase {
    func testHelloWithClientCertificateReportsTheVerifiedIdentity() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(identity: TestPKI.client)
        XCTAssertEqual(client.subprotocol, "conferencehub.v1")
        XCTAssertEqual(client.tls.protocolVersion, "TLSv1.3")
        let reply = try await client.request(["id": "r1", "type": "hello"])
        XCTAssertEqual(reply["id"] as? String, "r1")
        XCTAssertEqual(reply["type"] as? String, "ok")
        let result = try XCTUnwrap(reply["result"] as? [String: Any])
        let certificate = try XCTUnwrap(result["certificate"] as? [String: Any])
        XCTAssertEqual(certificate["sha256"] as? String, TestPKI.client.fingerprintSHA256)
        XCTAssertEqual(certificate["subject"] as? String, "CN=officer-1,O=Housing Bureau")
        // Issued an hour ago for 825 days.
        XCTAssertEqual(certificate["days_left"] as? Int, 824)
        let expiry = Date().addingTimeInterval(825 * 86_400 - 3_600)
        let days = [expiry.addingTimeInterval(-60), expiry.addingTimeInterval(60)].map { CertificateDetails.day($0) }
        XCTAssertTrue(days.contains(certificate["expires"] as? String ?? ""), "\(certificate)")
        await client.close()
        try await hub.stop()
    }

    func testConnectionWithoutClientCertificateIsAcceptedWhenOptional() async throws {
        let hub = try await HubTestServer.hub(mode: .optional)
        let client = try await hub.connect()
        let hello = try await client.request(["id": "1", "type": "hello"])
        let result = try XCTUnwrap(hello["result"] as? [String: Any])
        XCTAssertNil(result["certificate"])
        await client.close()
        try await hub.stop()
    }

    func testRequiredClientCertificateRefusesConnectionWithoutOne() async throws {
        let hub = try await HubTestServer.hub(mode: .required)
        do {
            let client = try await hub.connect()
            // TLS 1.3 clients finish before the server checks; the server then aborts.
            _ = try await client.request(["id": "1", "type": "hello"])
            XCTFail("the server must not serve a connection without a certificate")
        } catch {}
        let client = try await hub.connect(identity: TestPKI.client)
        let reply = try await client.request(["id": "1", "type": "hello"])
        XCTAssertEqual(reply["type"] as? String, "ok")
        await client.close()
        try await hub.stop()
    }

    func testClientTrustingAnotherCAFails() async throws {
        let hub = try await HubTestServer.hub()
        do {
            _ = try await hub.connect(trusting: TestPKI.otherAuthority)
            XCTFail("the server certificate is not signed by the trusted CA")
        } catch {
            XCTAssertTrue("\(error)".contains("certificate verification failed"), "\(error)")
        }
        try await hub.stop()
    }

    func testHealthzAndNotFoundAndUpgradeRequired() async throws {
        let hub = try await HubTestServer.hub()
        let health = try await hub.httpsGet("/healthz")
        XCTAssertEqual(health.status, .ok)
        let status = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any])
        XCTAssertEqual(status["status"] as? String, "ok")
        XCTAssertEqual(status["certificate_days_left"] as? Int, 824, "the test server certificate: 825 days from an hour ago")
        let missing = try await hub.httpsGet("/nowhere")
        XCTAssertEqual(missing.status, .notFound)
        let plain = try await hub.httpsGet("/v1/ws")
        XCTAssertEqual(plain.status, .upgradeRequired)
        try await hub.stop()
    }

    func testWrongUpgradePathIsRefused() async throws {
        let hub = try await HubTestServer.hub()
        var configuration = WebSocketClientConfiguration(
            host: "127.0.0.1", port: hub.port, tls: TestPKI.clientConfiguration(hostname: "127.0.0.1"))
        configuration.path = "/v2/other"
        do {
            _ = try await WebSocketClient.connect(configuration: configuration, group: hub.group)
            XCTFail("only /v1/ws upgrades")
        } catch {
            XCTAssertTrue("\(error)".contains("404"), "\(error)")
        }
        try await hub.stop()
    }

    func testBadInputGetsErrorRepliesAndTheConnectionStaysOpen() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect()
        try await client.send(text: "{not json")
        var reply = try await client.nextJSON()
        XCTAssertEqual(reply["type"] as? String, "error")
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "bad_request")
        XCTAssertTrue(reply["id"] is NSNull)

        try await client.send(text: "[1, 2, 3]")
        reply = try await client.nextJSON()
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "bad_request")

        reply = try await client.request(["id": 42, "type": "hello"])
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "bad_request", "id must be a string")

        reply = try await client.request(["id": String(repeating: "x", count: 500), "type": "hello"])
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "bad_request", "id too long")

        reply = try await client.request(["id": "7", "type": "fly_to_the_moon"])
        XCTAssertEqual(reply["id"] as? String, "7")
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "unknown_command")

        try await client.send(.binary(ByteBuffer(bytes: [1, 2, 3])))
        reply = try await client.nextJSON()
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "bad_request")

        reply = try await client.request(["id": "8", "type": "hello", "extra": ["ignored": true]])
        XCTAssertEqual(reply["type"] as? String, "ok", "unknown fields are ignored")
        await client.close()
        try await hub.stop()
    }

    func testOversizedMessageClosesWith1009() async throws {
        let hub = try await HubTestServer.hub { $0.webSocket.maxMessageSize = 4096 }
        let client = try await hub.connect()
        try await client.send(text: String(repeating: "a", count: 5000))
        let close = try await client.closeFrame.get()
        XCTAssertEqual(close?.code, 1009)
        try await client.closed.get()
        try await hub.stop()
    }

    func testInvalidUTF8ClosesWith1007AndOtherClientsAreUnaffected() async throws {
        let hub = try await HubTestServer.hub()
        let bystander = try await hub.connect()
        let client = try await hub.connect()
        try await client.send(WebSocketMessage(kind: .text, data: ByteBuffer(bytes: [0x7B, 0xFF, 0x7D])))
        let close = try await client.closeFrame.get()
        XCTAssertEqual(close?.code, 1007)
        let reply = try await bystander.request(["id": "1", "type": "hello"])
        XCTAssertEqual(reply["type"] as? String, "ok")
        await bystander.close()
        try await hub.stop()
    }

    func testFragmentedAndLargeMessagesEcho() async throws {
        let hub = try await HubTestServer.hub(echo: true)
        let client = try await hub.connect()
        let large = String(repeating: "信访", count: 100_000)  // 600 kB of UTF-8, many TLS records
        try await client.send(text: large)
        var iterator = client.inbound.makeAsyncIterator()
        let echoed = await iterator.next()
        XCTAssertEqual(echoed?.text, large)
        await client.close()
        try await hub.stop()
    }

    func testClientThatStopsReadingIsClosedWith1008() async throws {
        // The server may create the session just after the client has seen the upgrade response,
        // so the test waits for it rather than looking once.
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let serverSide = loop.makePromise(of: Channel.self)
        let hub = try await HubTestServer.custom(configure: {
            $0.webSocket.maxOutboundBytes = 256 * 1024
            $0.webSocket.closeTimeout = .milliseconds(100)
            $0.tls.shutdownTimeout = .milliseconds(100)
        }) { _, channel in
            serverSide.succeed(channel)
            return EchoSession()
        }
        let client = try await hub.connect(subprotocols: [])
        try await client.channel.setOption(ChannelOptions.autoRead, value: false).get()
        let serverChannel = try await serverSide.futureResult.get()
        // Keep sending; the server echoes into a socket nobody reads until its buffer passes the limit.
        let chunk = String(repeating: "z", count: 64 * 1024)
        for _ in 0..<400 {
            if !serverChannel.isActive { break }
            try? await client.send(text: chunk)
        }
        try await serverChannel.closeFuture.get()
        XCTAssertEqual(hub.server.connectionCount, 0)
        client.channel.close(promise: nil)
        try await hub.stop()
    }

    func testShutdownClosesWebSocketsWithGoingAway() async throws {
        let hub = try await HubTestServer.hub()
        let first = try await hub.connect()
        let second = try await hub.connect(identity: TestPKI.client)
        await hub.server.shutdown()
        let firstClose = try await first.closeFrame.get()
        let secondClose = try await second.closeFrame.get()
        XCTAssertEqual(firstClose?.code, 1001)
        XCTAssertEqual(secondClose?.code, 1001)
        try await first.closed.get()
        try await hub.stop()  // the rest of the stop: the store, the event loops, the hub's files
    }
}
