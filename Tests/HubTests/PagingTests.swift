// PagingTests: `rooms`, `cases` and `meetings` pages — `limit` counts everything the page
// holds (the lobby too), and `next` is given only when another page follows.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class PagingTests: XCTestCase {
    private func result(_ reply: [String: Any]) throws -> [String: Any] {
        try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)")
    }

    func testPagesCountWhatTheyHoldAndSayNextOnlyWhenMoreFollows() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "coord")
        for index in 1...3 {
            let reply = try await client.request([
                "id": "r\(index)", "type": "case.register", "title": "Case \(index)", "summary": "s", "category": "claim", "channel": "visit",
                "received_on": "2026-11-01", "involved_units": ["housing"], "petitioner": ["name": "Zhao", "contact": "1"],
            ])
            XCTAssertEqual(reply["type"] as? String, "ok", "\(reply)")
        }
        let first = try result(try await client.request(["id": "a", "type": "rooms", "limit": 2]))
        XCTAssertEqual((first["rooms"] as? [[String: Any]])?.compactMap { $0["room"] as? String }, ["lobby", "case-1"])
        XCTAssertEqual(first["next"] as? String, "case-1")
        let second = try result(try await client.request(["id": "b", "type": "rooms", "after": "case-1", "limit": 2]))
        XCTAssertEqual((second["rooms"] as? [[String: Any]])?.compactMap { $0["room"] as? String }, ["case-2", "case-3"])
        XCTAssertNil(second["next"], "nothing follows case-3")
        let lobbyOnly = try result(try await client.request(["id": "c", "type": "rooms", "limit": 1]))
        XCTAssertEqual((lobbyOnly["rooms"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(lobbyOnly["next"] as? String, "lobby")
        let fromLobby = try result(try await client.request(["id": "d", "type": "rooms", "after": "lobby", "limit": 5]))
        XCTAssertEqual((fromLobby["rooms"] as? [[String: Any]])?.compactMap { $0["room"] as? String }, ["case-1", "case-2", "case-3"])
        XCTAssertNil(fromLobby["next"])

        let exact = try result(try await client.request(["id": "e", "type": "cases", "limit": 3]))
        XCTAssertEqual((exact["cases"] as? [Any])?.count, 3)
        XCTAssertNil(exact["next"], "three cases fill a page of three: nothing follows")
        let short = try result(try await client.request(["id": "f", "type": "cases", "limit": 2]))
        XCTAssertEqual(short["next"] as? String, "case-2")
        let meetings = try result(try await client.request(["id": "g", "type": "meetings", "limit": 2]))
        XCTAssertEqual((meetings["meetings"] as? [Any])?.count, 0)
        XCTAssertNil(meetings["next"])
        await client.close()
        try await hub.stop()
    }
}
