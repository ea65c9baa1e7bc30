// WriteRepliesTests: a write answers with the state the requester now sees, from the write's own
// transaction — case.register and case.change with `overview` (the requester's actions included)
// and `case_state`, the hub's follow-ups included (an answer that settles a negotiation answers
// with the settled case); meeting.convene and meeting.change with `meeting_state`; case.overview
// with `include_case` gives the case in the same reply.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class WriteRepliesTests: XCTestCase {
    private func ask(_ client: WebSocketClientConnection, _ inbox: Inbox, _ id: String, _ request: [String: Any]) async throws -> [String: Any] {
        try await client.send(["id": id].merging(request) { $1 })
        let reply = try await inbox.reply(to: id).reply
        XCTAssertEqual(reply["type"] as? String, "ok", "\(request["type"] ?? ""): \(reply)")
        return result(reply)
    }

    func testACaseWriteAnswersWithTheCaseAsTheRequesterNowSeesIt() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = try await hub.connect(as: "coord"), housing = try await hub.connect(as: "h-officer"), finance = try await hub.connect(as: "f-officer")
        let (office, h, f) = (Inbox(coordinator), Inbox(housing), Inbox(finance))
        let registered = try await ask(coordinator, office, "r", [
            "type": "case.register", "title": "Relocation compensation", "summary": "", "category": "claim", "channel": "visit",
            "received_on": "2026-11-01", "involved_units": ["housing", "finance"], "petitioner": ["name": "Zhang San", "contact": ""]])
        let room = try XCTUnwrap(registered["case"] as? String)
        // Registration opened the negotiation in the same transaction: the reply shows it.
        let registeredState = try XCTUnwrap(registered["case_state"] as? [String: Any])
        XCTAssertEqual(registeredState["status"] as? String, "negotiating")
        XCTAssertEqual(registeredState["last_sequence"] as? Int, 2, "registered, then negotiation_opened")
        let registeredOverview = try XCTUnwrap(registered["overview"] as? [String: Any])
        XCTAssertTrue((registeredOverview["actions"] as? [[String: Any]] ?? []).contains { $0["type"] as? String == "assigned" })

        _ = try await ask(housing, h, "a", ["type": "case.change", "case": room, "change": ["type": "negotiation_answered", "unit": "housing", "answer": ["position": "claim"]] as [String: Any]])
        // Finance's answer settles the negotiation (a follow-up of the hub): its reply is the settled case.
        let settled = try await ask(finance, f, "b", ["type": "case.change", "case": room, "change": ["type": "negotiation_answered", "unit": "finance", "answer": ["position": "cohandle"]] as [String: Any]])
        XCTAssertEqual(settled["seq"] as? Int, 4)
        XCTAssertEqual(settled["status"] as? String, "assigned")
        let settledState = try XCTUnwrap(settled["case_state"] as? [String: Any])
        XCTAssertEqual(settledState["last_sequence"] as? Int, 5, "the answer, then negotiation_settled")
        XCTAssertEqual(settledState["lead"] as? String, "housing")
        let financeView = try XCTUnwrap(settled["overview"] as? [String: Any])
        XCTAssertEqual(financeView["lead"] as? String, "housing")
        XCTAssertEqual((financeView["actions"] as? [[String: Any]])?.compactMap { $0["type"] as? String }, [], "finance co-handles: nothing to do yet")

        // The lead unit's act answers with its own next actions.
        let accepted = try await ask(housing, h, "c", ["type": "case.change", "case": room, "change": ["type": "accepted"]])
        let actions = (accepted["overview"] as? [String: Any])?["actions"] as? [[String: Any]] ?? []
        XCTAssertTrue(actions.contains { $0["type"] as? String == "handling_started" }, "\(actions)")
        let task = try await ask(housing, h, "d", ["type": "case.change", "case": room, "change": ["type": "handling_started"]])
        XCTAssertEqual((task["case_state"] as? [String: Any])?["status"] as? String, "in_handling")

        // case.overview reads the case in one request with include_case, and only then.
        let plain = try await ask(finance, f, "e", ["type": "case.overview", "case": room])
        XCTAssertNil(plain["case_state"])
        let whole = try await ask(finance, f, "g", ["type": "case.overview", "case": room, "include_case": true])
        XCTAssertEqual((whole["case_state"] as? [String: Any])?["last_sequence"] as? Int, 7)
        XCTAssertEqual((whole["case_state"] as? [String: Any])?["petitioner"] as? String, nil, "no petitioner data in the case")

        // A meeting write answers with the meeting.
        let convened = try await ask(coordinator, office, "m", [
            "type": "meeting.convene", "title": "Working meeting", "scheduled_at": Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000,
            "invited": [["unit": "housing", "required": true], ["unit": "finance", "required": true]],
            "agenda": [["case": room, "description": "The amount"]]])
        let meetingState = try XCTUnwrap(convened["meeting_state"] as? [String: Any])
        XCTAssertEqual(meetingState["status"] as? String, "scheduled")
        XCTAssertEqual(meetingState["meeting"] as? String, convened["meeting"] as? String)
        let answered = try await ask(housing, h, "n", ["type": "meeting.change", "meeting": convened["meeting"]!,
                                                      "change": ["type": "invitation_answered", "unit": "housing", "response": "accepted"]])
        let invitations = (answered["meeting_state"] as? [String: Any])?["invitations"] as? [[String: Any]] ?? []
        XCTAssertEqual(invitations.first { $0["unit"] as? String == "housing" }?["response"] as? String, "accepted")
        for client in [coordinator, housing, finance] { await client.close() }
        try await hub.stop()
    }
}
