// MeetingProtocolTests: a joint meeting end to end over TLS with three units and a chair —
// convene, join (attendance), two agenda items (one adopted by consensus, one objected and decided
// by the chair), the cases changed, minutes drafted, signed and sealed, and the decision log
// verified by a client from the checkpoint and proofs alone.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class MeetingProtocolTests: XCTestCase {
    private func connect(_ hub: HubTestServer, _ person: String) async throws -> (HubClient, LineRecorder<HubMessage>) {
        let recorder = LineRecorder<HubMessage>()
        let configuration = HubClientConfiguration(
            connection: WebSocketClientConfiguration(host: "127.0.0.1", port: hub.port, tls: TestPKI.clientConfiguration(hostname: "127.0.0.1")),
            token: hub.tokens[PersonID(person)])
        return (try await HubClient.connect(configuration: configuration, group: hub.group) { recorder.record($0) }, recorder)
    }

    @discardableResult
    private func change(_ client: HubClient, _ meeting: String, _ change: [String: Any], file: StaticString = #filePath, line: UInt = #line) async throws -> HubMessage {
        let reply = try await client.send("meeting.change", ["meeting": meeting, "change": change])
        XCTAssertTrue(reply.isOK, "\(change["type"] ?? ""): \(reply.text)", file: file, line: line)
        return reply
    }

    private func bytes(_ base64: Any?) -> [UInt8] { Array(Data(base64Encoded: base64 as? String ?? "") ?? Data()) }

    func testAMeetingDecidesTwoCasesAndAnyUnitCanVerifyTheRecord() async throws {
        let signer = try CheckpointSigner()
        let hub = try await HubTestServer.hub(decisionLog: DecisionLogIdentity(signer: signer, origin: "ConferenceHub decision log"))
        let (coordinator, coordinatorSeen) = try await connect(hub, "coord")
        let (chair, _) = try await connect(hub, "d-leader")
        let (housing, _) = try await connect(hub, "h-officer")
        let (finance, _) = try await connect(hub, "f-officer")
        let (district, districtSeen) = try await connect(hub, "d-officer")
        try await coordinator.join("lobby")

        var cases: [String] = []
        for units in [["housing", "finance"], ["finance", "district"]] {
            let reply = try await coordinator.request("case.register", [
                "title": "Case of \(units.joined(separator: " and "))", "summary": "", "category": "claim", "channel": "letter",
                "received_on": "2026-11-01", "involved_units": units, "petitioner": ["name": "Li Si", "contact": ""],
            ])
            cases.append(try XCTUnwrap(reply.result["case"] as? String))
        }
        let convened = try await coordinator.request("meeting.convene", [
            "title": "Working meeting, November", "scheduled_at": 1_762_135_200_000, "chair": "d-leader",
            "invited": [["unit": "housing", "required": true], ["unit": "finance", "required": true], ["unit": "district", "required": true]],
            "agenda": [["case": cases[0], "description": "Who leads the relocation case"], ["case": cases[1], "description": "Budget dispute"]],
        ])
        let meeting = try XCTUnwrap(convened.result["meeting"] as? String)
        let notice = try await coordinatorSeen.first { $0.kind == "notice" && $0.object["notice"] as? String == "meeting_convened" }
        XCTAssertEqual(notice.object["units"] as? [String], ["housing", "finance", "district"])
        try await change(finance, meeting, ["type": "invitation_answered", "unit": "finance", "response": "accepted"])

        // The coordinator staffs the meeting; an auditor looks on and enters no record.
        let (auditor, _) = try await connect(hub, "auditor")
        for client in [chair, housing, finance, district, coordinator, auditor] { try await client.join(meeting) }
        try await change(chair, meeting, ["type": "session_opened"])
        let started = try await coordinator.request("meeting.get", ["meeting": meeting])
        let state = try XCTUnwrap(started.result["meeting"] as? [String: Any])
        XCTAssertEqual(state["present_units"] as? [String], ["district", "finance", "housing"], "staff and auditors are not units present")
        let spans = try XCTUnwrap(state["attendance"] as? [[String: Any]])
        XCTAssertEqual(spans.filter { $0["staff"] as? Bool == true }.compactMap { $0["person"] as? String }, ["coord"])
        XCTAssertFalse(spans.contains { $0["person"] as? String == "auditor" }, "an auditor's presence is not in the meeting's record")
        XCTAssertEqual(state["quorum"] as? Bool, true)

        // Item 1: adopted by consensus.
        try await change(chair, meeting, ["type": "item_opened", "item": 1])
        try await change(chair, meeting, ["type": "proposal_tabled", "item": 1, "text": "Housing leads; finance co-handles.",
                                         "effects": ["lead": "housing", "co_handling": ["finance"], "resolution_deadline": "2026-12-31"]])
        let outsider = try await coordinator.send("meeting.change", ["meeting": meeting, "change": ["type": "position_stated", "item": 1, "version": 1, "position": "agree"]])
        XCTAssertEqual(outsider.errorCode, "forbidden", "a unit that was not invited states no position")
        let notChair = try await housing.send("meeting.change", ["meeting": meeting, "change": ["type": "proposal_closed", "item": 1, "closing": "close"]])
        XCTAssertEqual(notChair.errorCode, "forbidden")
        for client in [housing, finance, district] {
            try await change(client, meeting, ["type": "position_stated", "item": 1, "version": 1, "position": "agree"])
        }
        let adopted = try await change(chair, meeting, ["type": "proposal_closed", "item": 1, "closing": "close"])
        XCTAssertEqual((adopted.result["outcome"] as? [String: Any])?["kind"] as? String, "adopted_by_consensus")
        try await change(chair, meeting, ["type": "item_closed", "item": 1])
        let first = try await coordinator.request("case.get", ["case": cases[0]])
        XCTAssertEqual((first.result["case"] as? [String: Any])?["lead"] as? String, "housing")
        XCTAssertEqual((first.result["case"] as? [String: Any])?["status"] as? String, "assigned")

        // Item 2: district objects; the chair (a leader) decides over the objection.
        try await change(chair, meeting, ["type": "item_opened", "item": 2])
        try await change(chair, meeting, ["type": "proposal_tabled", "item": 2, "text": "Finance leads; district surveys.",
                                         "effects": ["lead": "finance", "co_handling": ["district"]]])
        let noReason = try await district.send("meeting.change", ["meeting": meeting, "change": ["type": "position_stated", "item": 2, "version": 1, "position": "object"]])
        XCTAssertEqual(noReason.errorCode, "invalid_argument")
        try await change(district, meeting, ["type": "position_stated", "item": 2, "version": 1, "position": "object", "reason": "No survey budget this year"])
        try await change(finance, meeting, ["type": "position_stated", "item": 2, "version": 1, "position": "agree"])
        try await change(housing, meeting, ["type": "position_stated", "item": 2, "version": 1, "position": "abstain"])
        let decided = try await change(chair, meeting, ["type": "proposal_closed", "item": 2, "closing": "decide"])
        let outcome = try XCTUnwrap(decided.result["outcome"] as? [String: Any])
        XCTAssertEqual(outcome["kind"] as? String, "decided_by_chair")
        XCTAssertEqual((outcome["dissent"] as? [[String: Any]])?.first?["reason"] as? String, "No survey budget this year")
        try await change(chair, meeting, ["type": "item_closed", "item": 2])
        let second = try await coordinator.request("case.get", ["case": cases[1]])
        XCTAssertEqual((second.result["case"] as? [String: Any])?["lead"] as? String, "finance")
        _ = try await districtSeen.first { $0.kind == "meeting" && (($0.object["meeting_event"] as? [String: Any])?["change"] as? [String: Any])?["type"] as? String == "proposal_closed" }

        // Minutes: drafted on adjournment, signed off by the three units, sealed.
        let adjourned = try await change(chair, meeting, ["type": "adjourned"])
        XCTAssertEqual(adjourned.result["events"] as? [String], ["adjourned", "minutes_circulated"])
        let minutes = try await housing.request("meeting.minutes", ["meeting": meeting, "format": "markdown"])
        let markdown = try XCTUnwrap(minutes.result["markdown"] as? String)
        XCTAssertTrue(markdown.contains("- Lead unit: housing"), markdown)
        XCTAssertTrue(markdown.contains("- Dissent: district (d-officer): No survey budget this year"), markdown)
        XCTAssertTrue(markdown.contains("- Staff (conference office): coord"), markdown)
        XCTAssertFalse(markdown.contains("conference-office (not invited)"), markdown)
        XCTAssertFalse(markdown.contains("auditor"), markdown)
        let json = try await housing.request("meeting.minutes", ["meeting": meeting, "format": "json"])
        XCTAssertEqual(((json.result["minutes"] as? [String: Any])?["items"] as? [[String: Any]])?.count, 2)
        try await change(housing, meeting, ["type": "minutes_signed_off", "approve": true])
        try await change(finance, meeting, ["type": "minutes_signed_off", "approve": true])
        let sealed = try await change(district, meeting, ["type": "minutes_signed_off", "approve": false, "reason": "Our objection is recorded too briefly"])
        XCTAssertEqual(sealed.result["status"] as? String, "sealed")
        let forged = try await chair.send("meeting.change", ["meeting": meeting, "change": ["type": "sealed", "non_signers": []]])
        XCTAssertEqual(forged.errorCode, "forbidden")

        // Any unit verifies the record from what the protocol gives it.
        let checkpoint = try await finance.request("decisions.checkpoint")
        let size = try XCTUnwrap(checkpoint.result["size"] as? Int)
        XCTAssertEqual(size, 6, "two outcomes, three sign-offs, the seal")
        let root = bytes(checkpoint.result["root"])
        XCTAssertTrue(CheckpointSigner.verify(
            signature: bytes(checkpoint.result["signature"]), message: Array((checkpoint.result["note"] as? String ?? "").utf8),
            publicKey: bytes(checkpoint.result["public_key"])))
        XCTAssertEqual(bytes(checkpoint.result["public_key"]), signer.publicKey)
        XCTAssertEqual(checkpoint.result["note"] as? String, Checkpoint.note(origin: "ConferenceHub decision log", size: size, root: root))
        for index in 0..<size {
            let proof = try await district.request("decisions.inclusion", ["index": index])
            let entry = Array((proof.result["entry"] as? String ?? "").utf8)
            let path = (proof.result["path"] as? [String] ?? []).map { bytes($0) }
            XCTAssertTrue(MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(entry), index: index, size: size, path: path, root: root), "entry \(index)")
        }
        let consistency = try await housing.request("decisions.consistency", ["first": 2])
        let older = try await hub.store.checkpoint(size: 2)
        XCTAssertTrue(MerkleTree.verifyConsistency(
            first: 2, second: size, firstRoot: older?.root ?? [], secondRoot: root, path: (consistency.result["path"] as? [String] ?? []).map { bytes($0) }))
        let entries = try await finance.request("decisions.entries", ["from": 0, "limit": 10])
        XCTAssertEqual((entries.result["entries"] as? [[String: Any]])?.map { $0["kind"] as? String ?? "" },
                       ["outcome", "outcome", "signoff", "signoff", "signoff", "seal"])
        let problems = try await hub.store.verifyDecisionLog(publicKey: signer.publicKey)
        XCTAssertEqual(problems, [])

        for client in [coordinator, chair, housing, finance, district, auditor] { await client.close() }
        try await hub.stop()
    }
}
