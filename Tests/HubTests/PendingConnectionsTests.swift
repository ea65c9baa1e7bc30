// PendingConnectionsTests: one address may hold only so many connections that have not yet
// authenticated; authenticating or closing gives the slot back, and nothing leaks.
import CaseCore
import Foundation
import NIOCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class PendingConnectionsTests: XCTestCase {
    func testSlotsAreCountedPerAddressAndGivenBackOnce() {
        let pending = PendingConnections(limit: 2)
        let first = pending.admit("10.0.0.1"), second = pending.admit("10.0.0.1")
        XCTAssertNotNil(first)
        XCTAssertNotNil(second)
        XCTAssertNil(pending.admit("10.0.0.1"), "a third from the same address")
        XCTAssertNotNil(pending.admit("10.0.0.2"), "another address has its own")
        XCTAssertEqual(pending.count("10.0.0.1"), 2)
        first?.release()
        first?.release()  // established, then closed: given back once
        XCTAssertEqual(pending.count("10.0.0.1"), 1)
        XCTAssertNotNil(pending.admit("10.0.0.1"))
        XCTAssertEqual(pending.total, 3)

        let unlimited = PendingConnections(limit: 0)
        for _ in 0..<1_000 { XCTAssertNotNil(unlimited.admit("10.0.0.1")) }
        XCTAssertEqual(unlimited.total, 0, "no limit: nothing counted")
    }

    func testAnAddressHoldsOnlySoManyConnectionsBeforeTheyAuthenticate() async throws {
        let hub = try await HubTestServer.hub { $0.maxPendingConnectionsPerAddress = 2 }
        // Authenticated connections do not count.
        let member = try await hub.connect(as: "h-officer")
        let other = try await hub.connect(as: "f-officer")

        // Two upgraded but unauthenticated connections fill 127.0.0.1's slots.
        let first = try await hub.connect()
        let second = try await hub.connect()
        XCTAssertEqual(hub.server.pendingConnectionCount, 2)
        do {
            let third = try await hub.connect()
            await third.close()
            XCTFail("a third unauthenticated connection from the same address must be refused")
        } catch {
            // Closed as soon as it was accepted: the TLS handshake never starts.
        }

        // Authenticating gives the slot back (before the reply is sent).
        let reply = try await first.request(["id": "a", "type": "auth", "token": hub.tokens[PersonID("d-officer")]!])
        XCTAssertEqual(reply["type"] as? String, "ok")
        let fourth = try await hub.connect()
        XCTAssertEqual(hub.server.pendingConnectionCount, 2)

        for client in [member, other, first, second, fourth] { await client.close() }
        // Shutdown waits for every connection to close: each closed one gave its slot back.
        await hub.server.shutdown()
        XCTAssertEqual(hub.server.pendingConnectionCount, 0)
        try await hub.stop()
    }
}
