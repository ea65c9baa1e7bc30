// NegotiationProtocolTests: lead negotiation end to end over TLS with four clients (three units and
// a coordinator): a contested case goes from negotiation to dispute to a coordinator's decision,
// every client sees the same case-room events in the same order and the same lobby notices, and
// the answers are checked (a unit not involved, an officer answering for another unit).
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class NegotiationProtocolTests: XCTestCase {
    /// A client for `person` whose every message is recorded.
    private func client(_ hub: HubTestServer, _ person: String) async throws -> (HubClient, LineRecorder<HubMessage>) {
        let recorder = LineRecorder<HubMessage>()
        let configuration = HubClientConfiguration(
            connection: WebSocketClientConfiguration(
                host: "127.0.0.1", port: hub.port, tls: TestPKI.clientConfiguration(hostname: "127.0.0.1")),
            token: hub.tokens[PersonID(person)])
        let client = try await HubClient.connect(configuration: configuration, group: hub.group) { recorder.record($0) }
        return (client, recorder)
    }

    private static func caseEventType(_ message: HubMessage) -> String? {
        guard message.kind == "case" else { return nil }
        return ((message.object["case_event"] as? [String: Any])?["change"] as? [String: Any])?["type"] as? String
    }

    func testAContestedCaseGoesFromNegotiationToDisputeToAssignmentAndEveryoneSeesTheSame() async throws {
        let clock = ManualClock(Timestamp(ISO8601DateFormatter().date(from: "2026-11-02T01:00:00Z")!))
        let hub = try await HubTestServer.hub(clock: clock)
        let (coordinator, coordinatorSeen) = try await client(hub, "coord")
        let (housing, housingSeen) = try await client(hub, "h-officer")
        let (finance, financeSeen) = try await client(hub, "f-officer")
        let (district, districtSeen) = try await client(hub, "d-officer")
        let everyone = [(coordinator, coordinatorSeen), (housing, housingSeen), (finance, financeSeen), (district, districtSeen)]
        for (client, _) in everyone { try await client.join("lobby") }

        let registered = try await coordinator.request("case.register", [
            "title": "Relocation compensation", "summary": "Household asks for the promised compensation.", "category": "claim",
            "channel": "visit", "received_on": "2026-11-01", "involved_units": ["housing", "finance", "district"],
            "petitioner": ["name": "Zhang San", "contact": "138-0000-0000"],
        ])
        XCTAssertEqual(registered.result["status"] as? String, "negotiating")
        let room = try XCTUnwrap(registered.result["case"] as? String)
        for (client, _) in everyone { try await client.join(room, lastSeq: 0) }
        for (_, seen) in everyone {
            let notice = try await seen.first { $0.kind == "notice" && $0.object["notice"] as? String == "negotiation_opened" }
            XCTAssertEqual(notice.object["units"] as? [String], ["district", "finance", "housing"])
            XCTAssertEqual(notice.object["due"] as? String, "2026-11-09")
            XCTAssertNil(notice.object["petitioner"], "no petitioner data in the lobby")
            XCTAssertFalse(notice.text.contains("Zhang San"))
        }

        // Refusals: a unit not on the case, an officer answering for another unit.
        let other = try await coordinator.request("case.register", [
            "title": "Street lighting", "summary": "", "category": "suggestion", "channel": "online", "received_on": "2026-11-01",
            "involved_units": ["housing", "finance"], "petitioner": ["name": "Li Si", "contact": ""],
        ])
        let otherCase = try XCTUnwrap(other.result["case"] as? String)
        let outsider = try await district.send("negotiation.answer", ["case": otherCase, "answer": "claim"])
        XCTAssertEqual(outsider.errorCode, "forbidden", outsider.text)
        let impostor = try await finance.send("negotiation.answer", ["case": room, "unit": "housing", "answer": "claim"])
        XCTAssertEqual(impostor.errorCode, "forbidden", impostor.text)
        let noBasis = try await finance.send("negotiation.answer", ["case": room, "answer": "decline", "reason": "Not ours"])
        XCTAssertEqual(noBasis.errorCode, "invalid_argument", noBasis.text)
        let badAnswer = try await finance.send("negotiation.answer", ["case": room, "answer": "maybe"])
        XCTAssertEqual(badAnswer.errorCode, "bad_request", badAnswer.text)

        // The answers: housing claims; finance declines, then changes to co-handling; district claims too.
        clock.advance(seconds: 3_600)
        let claim = try await housing.request("negotiation.answer", ["case": room, "answer": "claim"])
        XCTAssertEqual(claim.result["status"] as? String, "negotiating")
        try await finance.request("negotiation.answer", [
            "case": room, "answer": "decline", "reason": "Compensation is not paid from our budget lines.",
            "basis": "Municipal budget rules, Art. 12",
        ])
        clock.advance(seconds: 1_800)
        try await finance.request("negotiation.answer", ["case": room, "answer": "cohandle"])
        let state = try await coordinator.request("negotiation.get", ["case": room])
        XCTAssertEqual(state.result["unanswered"] as? [String], ["district"])
        XCTAssertEqual((state.result["answers"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual(state.result["seconds_left"] as? Int, Int(ISO8601DateFormatter().date(from: "2026-11-09T16:00:00Z")!.timeIntervalSince(clock.now().date)))
        clock.advance(seconds: 1_800)
        let contest = try await district.request("negotiation.answer", ["case": room, "answer": "claim"])
        XCTAssertEqual(contest.result["status"] as? String, "disputed")
        XCTAssertEqual(contest.result["outcome"] as? String, "negotiation_disputed")
        let late = try await housing.send("negotiation.answer", ["case": room, "answer": "cohandle"])
        XCTAssertEqual(late.errorCode, "invalid_state", "the round is closed")

        let disputed = try await housing.request("negotiation.get", ["case": room])
        XCTAssertEqual((disputed.result["dispute"] as? [String: Any])?["reason"] as? String, "competing_claims")
        XCTAssertEqual((disputed.result["escalation"] as? [String: Any])?["decided_by"] as? String, "coordinator")
        let supervision = try await coordinator.request("supervision")
        let items = supervision.result["negotiations"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.first { $0["case"] as? String == room }?["owes"] as? String, "a decision by a coordinator")
        XCTAssertEqual(items.first { $0["case"] as? String == otherCase }?["owed_by"] as? [String], ["finance", "housing"])
        let notForOfficers = try await housing.send("supervision")
        XCTAssertEqual(notForOfficers.errorCode, "forbidden")

        // Only a coordinator decides (no common superior); the decision settles the case.
        let decision: [String: Any] = [
            "case": room,
            "change": ["type": "lead_decided", "assignment": ["lead": "housing", "co_handling": ["finance", "district"],
                                                              "rationale": "Housing signed the relocation agreement."]],
        ]
        let selfDecided = try await district.send("case.change", decision)
        XCTAssertEqual(selfDecided.errorCode, "forbidden")
        let decided = try await coordinator.request("case.change", decision)
        XCTAssertEqual(decided.result["status"] as? String, "assigned")

        // Every client saw the same case-room events, in the same order, ending with the decision.
        var logs: [[String]] = []
        for (_, seen) in everyone {
            _ = try await seen.first { $0.room == room && Self.caseEventType($0) == "lead_decided" }
            let events = seen.all.filter { $0.isEvent && $0.room == room }
            XCTAssertEqual(events.map { $0.seq ?? 0 }, Array(1...events.count), "no gap, no duplicate")
            logs.append(events.map(\.text))
        }
        XCTAssertEqual(Set(logs.map { $0 }).count, 1, "four identical logs")
        let types = logs[0].compactMap { text -> String? in
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
            return ((object?["case_event"] as? [String: Any])?["change"] as? [String: Any])?["type"] as? String
        }
        XCTAssertEqual(types, [
            "registered", "negotiation_opened", "negotiation_answered", "negotiation_answered", "negotiation_answered",
            "negotiation_answered", "negotiation_disputed", "lead_decided",
        ])
        for (_, seen) in everyone {
            let notices = seen.all.filter { $0.kind == "notice" && $0.object["case"] as? String == room }.map { $0.object["notice"] as? String ?? "" }
            XCTAssertEqual(notices.prefix(2), ["negotiation_opened", "negotiation_disputed"])
        }
        for (_, seen) in everyone {
            _ = try await seen.first { $0.kind == "notice" && $0.object["notice"] as? String == "lead_decided" }
        }

        // The other case lapses: the sweep disputes it, names who did not answer, and the lobby hears.
        let otherState = try await hub.store.caseState(CaseID(otherCase)!)
        clock.set(try XCTUnwrap(otherState?.deadline(.negotiation)?.dueAt))
        let swept = try await hub.store.sweep()
        XCTAssertEqual(swept.map(\.change.type), ["negotiation_disputed"])
        let lapsed = try await coordinatorSeen.first {
            $0.kind == "notice" && $0.object["case"] as? String == otherCase && $0.object["notice"] as? String == "negotiation_disputed"
        }
        XCTAssertEqual(lapsed.object["reason"] as? String, "deadline_passed")

        // Per-unit figures.
        let figures = try await coordinator.request("negotiation.figures")
        let byUnit = Dictionary(uniqueKeysWithValues: (figures.result["figures"] as? [[String: Any]] ?? []).map { ($0["unit"] as? String ?? "", $0) })
        XCTAssertEqual(byUnit["housing"]?["joined"] as? Int, 2)
        XCTAssertEqual(byUnit["housing"]?["claims"] as? Int, 1)
        XCTAssertEqual(byUnit["housing"]?["unanswered_at_deadline"] as? Int, 1)
        XCTAssertEqual(byUnit["finance"]?["declines"] as? Int, 0, "finance's last answer was co-handling")
        XCTAssertEqual(byUnit["finance"]?["median_seconds_to_answer"] as? Int, 3_600, "one answered round: opened, first answer an hour later")
        XCTAssertEqual(byUnit["district"]?["claims"] as? Int, 1)
        let own = try await finance.request("negotiation.figures")
        XCTAssertEqual((own.result["figures"] as? [[String: Any]])?.map { $0["unit"] as? String }, ["finance"])
        let others = try await finance.send("negotiation.figures", ["unit": "housing"])
        XCTAssertEqual(others.errorCode, "forbidden")

        for (client, _) in everyone { await client.close() }
        try await hub.stop()
    }
}
