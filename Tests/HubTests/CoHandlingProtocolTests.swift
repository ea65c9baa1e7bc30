// CoHandlingProtocolTests: a case with a lead and two co-handling units, end to end over TLS —
// plan, tasks and progress, a late task's warnings, a supervision item and its answer, a co-signed
// answer with one objection and a revision, answered and rated — with a hub restart in the middle
// that loses nothing.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class CoHandlingProtocolTests: XCTestCase {
    private func connect(_ hub: HubTestServer, _ person: String, positions: [String: RoomPositionSeen] = [:]) async throws -> (HubClient, LineRecorder<HubMessage>) {
        let recorder = LineRecorder<HubMessage>()
        let configuration = HubClientConfiguration(
            connection: WebSocketClientConfiguration(host: "127.0.0.1", port: hub.port, tls: TestPKI.clientConfiguration(hostname: "127.0.0.1")),
            token: hub.tokens[PersonID(person)])
        let client = try await HubClient.connect(configuration: configuration, group: hub.group, positions: positions) { recorder.record($0) }
        return (client, recorder)
    }

    @discardableResult
    private func change(_ client: HubClient, _ room: String, _ change: [String: Any], file: StaticString = #filePath, line: UInt = #line) async throws -> HubMessage {
        let reply = try await client.send("case.change", ["case": room, "change": change])
        XCTAssertTrue(reply.isOK, "\(change["type"] ?? ""): \(reply.text)", file: file, line: line)
        return reply
    }

    func testACaseGoesFromPlanThroughTasksSupervisionAndACoSignedAnswerToRatedAcrossARestart() async throws {
        let clock = ManualClock(Timestamp(ISO8601DateFormatter().date(from: "2026-11-02T01:00:00Z")!))  // Monday 09:00 Beijing
        var hub = try await HubTestServer.hub(clock: clock)
        var (coordinator, _) = try await connect(hub, "coord")
        var (housing, housingSeen) = try await connect(hub, "h-officer")
        var (finance, _) = try await connect(hub, "f-officer")
        var (district, _) = try await connect(hub, "d-officer")

        let registered = try await coordinator.request("case.register", [
            "title": "Relocation compensation", "summary": "Household asks for the promised compensation.", "category": "claim",
            "channel": "visit", "received_on": "2026-11-01", "involved_units": ["housing", "finance", "district"],
            "petitioner": ["name": "Zhang San", "contact": "138-0000-0000"],
        ])
        let room = try XCTUnwrap(registered.result["case"] as? String)
        try await housing.join(room, lastSeq: 0)
        try await housing.request("negotiation.answer", ["case": room, "answer": "claim"])
        try await finance.request("negotiation.answer", ["case": room, "answer": "cohandle"])
        let settled = try await district.request("negotiation.answer", ["case": room, "answer": "support", "supports": "housing"])
        XCTAssertEqual(settled.result["outcome"] as? String, "negotiation_settled")

        try await change(housing, room, ["type": "accepted"])
        try await change(housing, room, ["type": "handling_started"])
        try await change(housing, room, ["type": "plan_set", "plan": [
            "responsible_leader": "h-leader", "responsible_person": "h-officer",
            "measures": ["Verify the relocation agreement", "Pay the compensation"], "resolution_deadline": "2026-12-15",
        ]])
        // Each reply says what the change created: here the task's number.
        let firstTask = try await change(housing, room, ["type": "task_assigned", "task": ["unit": "finance", "what": "Confirm the budget line", "due": "2026-11-06"]])
        XCTAssertEqual(firstTask.result["task"] as? Int, 1)
        let secondTask = try await change(housing, room, ["type": "task_assigned", "task": ["unit": "district", "what": "Survey the plot", "due": "2026-11-13"]])
        XCTAssertEqual(secondTask.result["task"] as? Int, 2)
        // One name per concept: the case is `case`, the lead `lead`, a task `task`, the plan one object.
        let got = try await coordinator.request("case.get", ["case": room])
        let state = try XCTUnwrap(got.result["case"] as? [String: Any])
        XCTAssertEqual(state["case"] as? String, room)
        XCTAssertEqual(state["lead"] as? String, "housing")
        XCTAssertEqual(state["co_handling"] as? [String], ["district", "finance"])
        for old in ["id", "lead_unit", "co_handling_units", "measures", "responsible_leader"] { XCTAssertNil(state[old], old) }
        let plan = try XCTUnwrap(state["plan"] as? [String: Any])
        XCTAssertEqual(plan["responsible_person"] as? String, "h-officer")
        XCTAssertEqual(plan["measures"] as? [String], ["Verify the relocation agreement", "Pay the compensation"])
        XCTAssertEqual((state["tasks"] as? [[String: Any]])?.compactMap { $0["task"] as? Int }, [1, 2])
        let listed = try await coordinator.request("cases", ["unit": "housing"])
        XCTAssertEqual((listed.result["cases"] as? [[String: Any]])?.first?["case"] as? String, room)
        let history = try await coordinator.request("case.history", ["case": room, "limit": 1])
        XCTAssertEqual((history.result["events"] as? [[String: Any]])?.first?["case"] as? String, room)
        let wrongUnit = try await finance.send("case.change", ["case": room, "change": ["type": "task_acknowledged", "task": 2]])
        XCTAssertEqual(wrongUnit.errorCode, "forbidden")
        try await change(finance, room, ["type": "task_acknowledged", "task": 1])
        try await change(district, room, ["type": "task_progress", "task": 2, "report": ["text": "Survey team booked", "status": "on_track"]])

        let overview = try await housing.request("case.overview", ["case": room])
        let waiting = (overview.result["waiting_on"] as? [[String: Any]] ?? []).map { "\($0["unit"] as? String ?? ""): \($0["what"] as? String ?? "")" }
        XCTAssertEqual(waiting, [
            "finance: task 1: Confirm the budget line (by 2026-11-06)", "district: task 2: Survey the plot (by 2026-11-13)", "housing: draft the answer",
        ])
        XCTAssertEqual(((overview.result["tasks_by_unit"] as? [String: Any])?["district"] as? [[String: Any]])?.first?["progress"] as? String, "on_track")
        // What each person may do now, named as the changes are (CaseActions).
        let actions = (overview.result["actions"] as? [[String: Any]] ?? []).map { ($0["type"] as? String ?? "") + (($0["task"] as? Int).map { " \($0)" } ?? "") }
        XCTAssertEqual(Array(actions.prefix(3)), ["plan_set", "task_assigned", "answer_drafted"], overview.text)
        let financeOverview = try await finance.request("case.overview", ["case": room])
        XCTAssertEqual((financeOverview.result["actions"] as? [[String: Any]] ?? []).map { "\($0["type"] as? String ?? "") \($0["task"] as? Int ?? 0)" },
                       ["task_progress 1", "task_done 1"], "finance: its acknowledged task, nothing of district's")

        // Restart: the clients come back with what they had seen and lose nothing.
        let before = try await hub.store.history(of: CaseID(room)!)
        let housingPositions = housing.positions
        for client in [coordinator, housing, finance, district] { await client.close() }
        hub = try await hub.restarted()
        (coordinator, _) = try await connect(hub, "coord")
        (housing, housingSeen) = try await connect(hub, "h-officer", positions: housingPositions)
        (finance, _) = try await connect(hub, "f-officer")
        (district, _) = try await connect(hub, "d-officer")
        let after = try await hub.store.history(of: CaseID(room)!)
        XCTAssertEqual(after, before)
        let rejoined = try await housing.join(room)
        XCTAssertEqual(rejoined.result["recovered"] as? Bool, true, rejoined.text)

        // The finance task runs late: warnings reach the case room, then it is overdue and on the list.
        clock.advance(seconds: 3 * 86_400)
        try await hub.hub!.sweepDeadlines()
        let warning = try await housingSeen.first { $0.kind == "deadline" && $0.object["obligation"] as? String == "task-1" }
        XCTAssertEqual(warning.object["owed_by"] as? [String], ["finance"])
        XCTAssertEqual(warning.object["level"] as? Int, 50)
        clock.advance(seconds: 2 * 86_400)
        try await hub.hub!.sweepDeadlines()
        let overdue = try await housingSeen.first { $0.kind == "deadline" && $0.object["obligation"] as? String == "task-1" && $0.object["overdue"] as? Bool == true }
        XCTAssertEqual(overdue.object["what"] as? String, "task 1: Confirm the budget line")
        let levels = housingSeen.all.filter { $0.kind == "deadline" && $0.object["obligation"] as? String == "task-1" }.map { $0.object["level"] as? Int ?? 0 }
        XCTAssertEqual(levels, [50, 75, 85, 99, 100], "each level once")
        let list = try await coordinator.request("supervision")
        XCTAssertEqual((list.result["overdue_tasks"] as? [[String: Any]])?.map { $0["owed_by"] as? [String] }, [["finance"]])

        // A supervision item and its written answer.
        let opened = try await change(coordinator, room, ["type": "supervision_opened", "demand": [
            "unit": "finance", "reason": "Task 1 is overdue", "demand": "Explain the delay and give a date", "due": "2026-11-10",
        ]])
        XCTAssertEqual(opened.result["item"] as? Int, 1)
        let items = try await coordinator.request("supervision")
        XCTAssertEqual((items.result["supervision_items"] as? [[String: Any]])?.first?["owed_by"] as? [String], ["finance"])
        try await change(finance, room, ["type": "supervision_answered", "item": 1, "text": "The budget office confirms by 9 November."])
        try await change(finance, room, ["type": "task_done", "task": 1, "result": "Budget line 2026-17 confirmed"])
        try await change(housing, room, ["type": "task_accepted", "task": 1])
        try await change(district, room, ["type": "task_done", "task": 2, "result": "Plot surveyed: 86 m²"])
        try await change(housing, room, ["type": "task_returned", "task": 2, "reason": "Attach the signed survey"])
        try await change(district, room, ["type": "task_done", "task": 2, "result": "Signed survey attached"])
        try await change(housing, room, ["type": "task_accepted", "task": 2])
        let cleared = try await coordinator.request("supervision")
        XCTAssertEqual((cleared.result["overdue_tasks"] as? [[String: Any]])?.count, 0)
        XCTAssertEqual((cleared.result["supervision_items"] as? [[String: Any]])?.count, 0)

        // The answer: district objects to version 1; version 2 is co-signed by both; answered; rated.
        var answer: [String: Any] = [
            "request": "Pay the promised compensation", "facts_and_reasons": "The agreement of 2019 promises it.",
            "decision": "support", "legal_basis": "Relocation regulations, Art. 33",
        ]
        let drafted = try await change(housing, room, ["type": "answer_drafted", "answer": answer])
        XCTAssertEqual(drafted.result["version"] as? Int, 1)
        try await change(finance, room, ["type": "answer_cosigned", "version": 1])
        try await change(district, room, ["type": "answer_objected", "version": 1, "reason": "The surveyed area is missing"])
        let blocked = try await housing.send("case.change", ["case": room, "change": ["type": "answered", "answer": answer]])
        XCTAssertEqual(blocked.errorCode, "invalid_state")
        answer["facts_and_reasons"] = "The agreement of 2019 promises it; the plot measures 86 m² (survey of 11 November)."
        let redrafted = try await change(housing, room, ["type": "answer_drafted", "answer": answer])
        XCTAssertEqual(redrafted.result["version"] as? Int, 2)
        XCTAssertNil(redrafted.result["task"], "only what the change created")
        let stale = try await finance.send("case.change", ["case": room, "change": ["type": "answer_cosigned", "version": 1]])
        XCTAssertEqual(stale.errorCode, "invalid_state", "version 1 is stale")
        try await change(finance, room, ["type": "answer_cosigned", "version": 2])
        try await change(district, room, ["type": "answer_cosigned", "version": 2])
        let answered = try await change(housing, room, ["type": "answered", "answer": answer])
        XCTAssertEqual(answered.result["status"] as? String, "answered")
        try await change(coordinator, room, ["type": "satisfaction_rated", "satisfaction": "satisfied"])

        let final = try await hub.store.caseState(CaseID(room)!)
        XCTAssertEqual(final?.answerRecord?.version, 2)
        XCTAssertEqual(final?.answerRecord?.signers, [UnitID("district"), UnitID("finance")])
        XCTAssertEqual(final?.satisfaction, .satisfied)
        let violations = try await hub.store.verifyChains()
        XCTAssertEqual(violations, [])
        let mismatches = try await hub.store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
        // The room log the lead unit saw has no gap across the restart.
        let seqs = housingSeen.all.filter { $0.isEvent && $0.room == room }.compactMap(\.seq)
        XCTAssertEqual(seqs, Array((seqs.first ?? 1)...(seqs.last ?? 0)))

        for client in [coordinator, housing, finance, district] { await client.close() }
        try await hub.stop()
    }
}
