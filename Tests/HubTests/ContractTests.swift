// ContractTests: the loose ends of the contract, each as docs/protocol.md states it — a WebSocket
// upgrade for another host is refused as the console's requests are (421); an overflowing
// Content-Length gets 400 and its connection closes; a bad `id` is echoed as far as is safe; a
// change only the hub records is `forbidden` to people; a dispute always names `escalated_to`.
import CaseCore
import Foundation
import NIOCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class ContractTests: XCTestCase {
    private static let upgrade = [
        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
    ]

    func testAWebSocketUpgradeForAnotherHostIsMisdirected() async throws {
        let hub = try await HubTestServer.hub { $0.originPolicy = OriginPolicy(ownHosts: ["localhost", "127.0.0.1"]) }
        let foreign = try await httpRequest(.GET, "/v1/ws", port: hub.port, group: hub.group,
                                            headers: [("Host", "intranet-proxy.example:\(hub.port)")] + Self.upgrade)
        XCTAssertEqual(foreign.status, .misdirectedRequest)
        XCTAssertTrue(String(decoding: foreign.body, as: UTF8.self).contains(#""error":"misdirected_request""#))
        XCTAssertEqual(foreign.headers.first(name: "Connection"), "close")
        let otherPort = try await httpRequest(.GET, "/v1/ws", port: hub.port, group: hub.group, headers: [("Host", "localhost:1")] + Self.upgrade)
        XCTAssertEqual(otherPort.status, .misdirectedRequest)
        // The hub's own names upgrade as before (the test client sends Host 127.0.0.1:port).
        let member = try await hub.connect(as: "h-officer")
        await member.close()
        try await hub.stop()
    }

    func testAnOverflowingContentLengthIsRefusedAndTheConnectionClosed() async throws {
        // A request timeout longer than sendAndAwaitClose waits: a connection left open until then
        // fails the test.
        let hub = try await HubTestServer.hub { $0.requestTimeout = .seconds(120) }
        for length in ["99999999999999999999999999", "18446744073709551616", "-1"] {
            let answer = try await sendAndAwaitClose(
                "POST /v1/session HTTP/1.1\r\nHost: 127.0.0.1:\(hub.port)\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\n\r\n{}",
                port: hub.port, group: hub.group)
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 400"), "Content-Length \(length): \(answer.prefix(200))")
        }
        let health = try await hub.httpsGet("/healthz")
        XCTAssertEqual(health.status, .ok, "the server is intact")
        try await hub.stop()
    }

    func testABadIdIsEchoedAsFarAsIsSafe() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "h-officer")
        let inbox = Inbox(client)
        try await client.send(text: #"{"id": "", "type": "hello"}"#)
        let empty = try await inbox.next()
        XCTAssertEqual(empty["id"] as? String, "", "an empty id comes back empty, not null")
        XCTAssertEqual(errorCode(empty), "bad_request")
        let long = String(repeating: "案", count: 100)  // 300 bytes
        try await client.send(text: #"{"id": "\#(long)", "type": "hello"}"#)
        let cut = try await inbox.next()
        XCTAssertEqual(cut["id"] as? String, String(repeating: "案", count: 42), "the first 128 bytes, whole characters")
        XCTAssertEqual(errorCode(cut), "bad_request")
        try await client.send(text: #"{"id": 7, "type": "hello"}"#)
        let number = try await inbox.next()
        XCTAssertTrue(number["id"] is NSNull, "no string to echo")
        await client.close()
        try await hub.stop()
    }

    func testAChangeOnlyTheHubRecordsIsForbiddenToPeopleWhateverItsFields() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = try await hub.connect(as: "coord")
        let inbox = Inbox(coordinator)
        for (id, change) in [("a", #"{"type": "negotiation_settled"}"#), ("b", #"{"type": "escalation_overdue"}"#),
                             ("c", #"{"type": "meeting_decision", "decision": 3}"#)] {
            try await coordinator.send(text: #"{"id": "\#(id)", "type": "case.change", "case": "case-1", "change": \#(change)}"#)
            let reply = try await inbox.reply(to: id).reply
            XCTAssertEqual(errorCode(reply), "forbidden", "\(change): \(reply)")
        }
        try await coordinator.send(text: #"{"id": "m", "type": "meeting.change", "meeting": 1, "change": {"type": "sealed"}}"#)
        let sealed = try await inbox.reply(to: "m").reply
        XCTAssertEqual(errorCode(sealed), "forbidden", "\(sealed)")
        await coordinator.close()
        try await hub.stop()
    }

    func testADisputeAlwaysNamesWhereItWent() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = try await hub.connect(as: "coord"), coordinatorInbox = Inbox(coordinator)
        try await coordinator.send([
            "id": "r", "type": "case.register", "title": "Relocation compensation", "summary": "", "category": "claim", "channel": "visit",
            "received_on": "2026-11-01", "involved_units": ["housing", "finance"], "petitioner": ["name": "Zhang San", "contact": ""],
        ])
        let registered = try await coordinatorInbox.reply(to: "r").reply
        let room = try XCTUnwrap(result(registered)["case"] as? String, "\(registered)")
        for (person, unit) in [("h-officer", "housing"), ("f-officer", "finance")] {
            let client = try await hub.connect(as: person), inbox = Inbox(client)
            try await client.send(["id": "c", "type": "case.change", "case": room,
                                   "change": ["type": "negotiation_answered", "unit": unit, "answer": ["position": "claim"]]])
            let answered = try await inbox.reply(to: "c").reply
            XCTAssertEqual(answered["type"] as? String, "ok", "\(answered)")
            await client.close()
        }
        try await coordinator.send(["id": "g", "type": "case.get", "case": room])
        let state = result(try await coordinatorInbox.reply(to: "g").reply)["case"] as? [String: Any] ?? [:]
        let dispute = try XCTUnwrap(((state["negotiation"] as? [String: Any])?["dispute"]) as? [String: Any], "\(state)")
        XCTAssertTrue(dispute.keys.contains("escalated_to"), "\(dispute)")
        XCTAssertTrue(dispute["escalated_to"] is NSNull, "no common superior: the conference office decides")
        await coordinator.close()
        try await hub.stop()
    }

    func testTheConferenceOfficeIsFoundByItsKindNotByAnId() async throws {
        // The office here is 信访局 (`xfj`); a unit called `conference-office` is an ordinary one.
        let units = [
            CaseCore.Unit(id: UnitID("xfj"), name: "信访局", kind: .petitionBureau),
            CaseCore.Unit(id: TestPeople.office, name: "Not the office", kind: .other),
            CaseCore.Unit(id: TestPeople.housing, name: "Housing", kind: .department),
            CaseCore.Unit(id: TestPeople.finance, name: "Finance", kind: .department),
            CaseCore.Unit(id: TestPeople.district, name: "District", kind: .government),
        ]
        let hub = try await HubTestServer.hub(units: units)
        let coordinator = try await hub.connect(as: "coord"), inbox = Inbox(coordinator)
        try await coordinator.send([
            "id": "r", "type": "case.register", "title": "Relocation compensation", "summary": "", "category": "claim", "channel": "visit",
            "received_on": "2026-11-01", "involved_units": ["housing", "finance"], "petitioner": ["name": "Zhang San", "contact": ""],
        ])
        let registered = try await inbox.reply(to: "r").reply
        let room = try XCTUnwrap(result(registered)["case"] as? String)
        for (person, unit) in [("h-officer", "housing"), ("f-officer", "finance")] {
            let client = try await hub.connect(as: person), answers = Inbox(client)
            try await client.send(["id": "c", "type": "case.change", "case": room,
                                   "change": ["type": "negotiation_answered", "unit": unit, "answer": ["position": "claim"]]])
            _ = try await answers.reply(to: "c")
            await client.close()
        }
        // Disputed with no common superior: the office decides, and is named by its unit.
        try await coordinator.send(["id": "s", "type": "supervision"])
        let supervision = result(try await inbox.reply(to: "s").reply)
        let negotiation = (supervision["negotiations"] as? [[String: Any]])?.first { $0["case"] as? String == room }
        XCTAssertEqual(negotiation?["owed_by"] as? [String], ["xfj"], "\(supervision)")
        try await coordinator.send(["id": "o", "type": "case.overview", "case": room])
        let overview = result(try await inbox.reply(to: "o").reply)
        let escalation = (overview["deadlines"] as? [[String: Any]])?.first { $0["kind"] as? String == "escalation" }
        XCTAssertEqual(escalation?["owed_by"] as? [String], ["xfj"], "\(overview)")
        let waiting = (overview["waiting_on"] as? [[String: Any]])?.compactMap { $0["unit"] as? String } ?? []
        XCTAssertTrue(waiting.contains("xfj"), "\(overview)")
        XCTAssertFalse("\(overview)\(supervision)".contains("conference-office"))
        await coordinator.close()
        try await hub.stop()
    }
}
