// InboxTests: `inbox` (我的待办) — each person sees what the open cases wait for from them: their
// unit's answers in a negotiation, the lead unit's notice of acceptance and objection window, a
// dispute for the office to decide; nothing for an auditor; paged; most urgent first.
import CaseCore
import Foundation
import Messaging
import XCTest

@testable import ConferenceHub

final class InboxTests: XCTestCase {
    private func inbox(_ client: WebSocketClientConnection, _ fields: [String: Any] = [:]) async throws -> [String: Any] {
        let reply = try await client.request(["id": "i", "type": "inbox"].merging(fields) { $1 })
        XCTAssertEqual(reply["type"] as? String, "ok", "\(reply)")
        return result(reply)
    }

    private func kinds(_ inbox: [String: Any]) -> [String] {
        (inbox["items"] as? [[String: Any]] ?? []).map { "\($0["case"] ?? "")/\($0["kind"] ?? "")" }
    }

    private func register(_ coordinator: WebSocketClientConnection, _ title: String) async throws -> String {
        let reply = try await coordinator.request([
            "id": "r", "type": "case.register", "title": title, "summary": "s", "category": "claim", "channel": "visit",
            "received_on": "2026-11-01", "involved_units": ["housing", "finance"], "petitioner": ["name": "Zhang San", "contact": "138-0000-0000"],
        ])
        return try XCTUnwrap(result(reply)["case"] as? String, "\(reply)")
    }

    private func answer(_ client: WebSocketClientConnection, _ room: String, _ position: String) async throws {
        let reply = try await client.request(["id": "n", "type": "negotiation.answer", "case": room, "answer": position])
        XCTAssertEqual(reply["type"] as? String, "ok", "\(reply)")
    }

    func testEachPersonSeesWhatTheCasesWaitForFromThem() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = try await hub.connect(as: "coord"), housing = try await hub.connect(as: "h-officer")
        let finance = try await hub.connect(as: "f-officer"), auditor = try await hub.connect(as: "auditor")
        let district = try await hub.connect(as: "d-officer")

        let first = try await register(coordinator, "Relocation compensation")
        let housingInbox = try await inbox(housing)
        XCTAssertEqual(kinds(housingInbox), ["\(first)/answer_negotiation"])
        XCTAssertEqual(housingInbox["count"] as? Int, 1)
        let item = try XCTUnwrap((housingInbox["items"] as? [[String: Any]])?.first)
        XCTAssertEqual(item["unit"] as? String, "housing")
        XCTAssertEqual(item["obligation"] as? String, "negotiation")
        XCTAssertNotNil(item["due_at"] as? Int)
        XCTAssertGreaterThan(item["seconds_left"] as? Int ?? 0, 0)
        XCTAssertEqual(item["title"] as? String, "Relocation compensation")
        // The negotiation's limit counts working days: the same count as the case's overview.
        let overview = result(try await housing.request(["id": "o", "type": "case.overview", "case": first]))
        let negotiation = try XCTUnwrap((overview["deadlines"] as? [[String: Any]])?.first { $0["kind"] as? String == "negotiation" })
        XCTAssertNotNil(item["working_days_left"] as? Int)
        XCTAssertEqual(item["working_days_left"] as? Int, negotiation["working_days_left"] as? Int)
        let financeFirst = try await inbox(finance)
        XCTAssertEqual(kinds(financeFirst), ["\(first)/answer_negotiation"])
        let coordinatorFirst = try await inbox(coordinator)
        XCTAssertEqual(kinds(coordinatorFirst), [], "nothing waits on the office while units negotiate")
        let districtFirst = try await inbox(district)
        XCTAssertEqual(kinds(districtFirst), [], "another unit owes nothing")
        let auditorInbox = try await inbox(auditor)
        XCTAssertEqual(kinds(auditorInbox), [])

        // Settled: housing leads, finance co-handles. Housing owes the notice of acceptance, and
        // its window to object is open; finance owes nothing yet.
        try await answer(housing, first, "claim")
        try await answer(finance, first, "cohandle")
        let housingSettled = try await inbox(housing)
        XCTAssertEqual(Set(kinds(housingSettled)), ["\(first)/send_acceptance_notice", "\(first)/objection_window"])
        let financeSettled = try await inbox(finance)
        XCTAssertEqual(kinds(financeSettled), [])

        // Disputed (both claim; no common superior): the office decides.
        let second = try await register(coordinator, "Budget dispute")
        try await answer(housing, second, "claim")
        try await answer(finance, second, "claim")
        let coordinatorDisputed = try await inbox(coordinator)
        XCTAssertEqual(kinds(coordinatorDisputed), ["\(second)/decide_lead"])

        // Most urgent first, and paged.
        let all = try await inbox(housing)
        let dues = (all["items"] as? [[String: Any]] ?? []).compactMap { $0["due_at"] as? Int }
        XCTAssertEqual(dues, dues.sorted())
        let page = try await inbox(housing, ["limit": 1])
        XCTAssertEqual((page["items"] as? [Any])?.count, 1)
        XCTAssertEqual(page["count"] as? Int, all["count"] as? Int)
        XCTAssertEqual(page["next"] as? Int, 1)
        let rest = try await inbox(housing, ["limit": 500, "offset": 1])
        XCTAssertEqual(kinds(rest), Array(kinds(all).dropFirst()))
        XCTAssertNil(rest["next"])
        let bad = try await housing.request(["id": "b", "type": "inbox", "offset": -1])
        XCTAssertEqual(errorCode(bad), "bad_request")

        for client in [coordinator, housing, finance, auditor, district] { await client.close() }
        let admin = try await hub.connect(as: "adm")
        let refused = try await admin.request(["id": "x", "type": "inbox"])
        XCTAssertEqual(errorCode(refused), "forbidden")
        await admin.close()
        try await hub.stop()
    }

    func testTheWorkItemsOfACaseNameWhoMayDoThem() {
        let leader = Actor(person: PersonID("l"), unit: UnitID("housing"), roles: [.leader])
        let officer = Actor(person: PersonID("o"), unit: UnitID("housing"), roles: [.officer])
        let coordinator = Actor(person: PersonID("c"), unit: UnitID("office"), roles: [.coordinator])
        let forLeaders = WorkItem.testItem(.decideExtension, unit: UnitID("housing"), role: .leader)
        XCTAssertTrue(forLeaders.isFor(leader))
        XCTAssertFalse(forLeaders.isFor(officer))
        XCTAssertFalse(forLeaders.isFor(coordinator))
        let forTheUnit = WorkItem.testItem(.acknowledgeTask, unit: UnitID("housing"), role: nil)
        XCTAssertTrue(forTheUnit.isFor(officer))
        XCTAssertTrue(forTheUnit.isFor(leader))
        let forTheOffice = WorkItem.testItem(.route, unit: nil, role: nil)
        XCTAssertTrue(forTheOffice.isFor(coordinator))
        XCTAssertFalse(forTheOffice.isFor(officer))
    }
}

/// My work at a size the old inbox could not read whole (it stopped at 5,000 open cases, and its
/// count with it): every item is listed and counted, the newest cases' included.
final class InboxAtScaleTests: XCTestCase {
    func testEveryItemIsListedAndCountedPastFiveThousandOpenCases() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = Actor(person: PersonID("coord"), unit: TestPeople.office, roles: [.coordinator])
        func registration(_ title: String) -> Registration {
            Registration(title: title, summary: "s", category: .claim, channel: .visit, receivedOn: LocalDate("2026-11-01")!,
                         involvedUnits: [TestPeople.housing], petitioner: Petitioner(name: "Wang Wu", contact: "2"))
        }
        // 5,050 cases assigned to housing (each owes a notice of acceptance and has its objection
        // window open), then 12 still to be routed by the office: the newest cases.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<5_050 { group.addTask { _ = try await hub.store.register(registration("Assigned \(index)"), by: coordinator, open: true) } }
            try await group.waitForAll()
        }
        for index in 0..<12 { _ = try await hub.store.register(registration("To route \(index)"), by: coordinator) }

        func page(_ client: WebSocketClientConnection, _ fields: [String: Any]) async throws -> [String: Any] {
            let reply = try await client.request(["id": "i", "type": "inbox"].merging(fields) { $1 })
            return try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)")
        }
        let officer = try await hub.connect(as: "h-officer")
        var first = try await page(officer, ["limit": 500])
        XCTAssertEqual(first["count"] as? Int, 10_100, "two items for each of the 5,050 cases")
        var seen = (first["items"] as? [[String: Any]] ?? []).count
        while let next = first["next"] as? Int {
            first = try await page(officer, ["offset": next, "limit": 500])
            seen += (first["items"] as? [[String: Any]] ?? []).count
        }
        XCTAssertEqual(seen, 10_100, "every page walked, every item once")

        let office = try await hub.connect(as: "coord")
        let owed = try await page(office, ["limit": 500])
        XCTAssertEqual(owed["count"] as? Int, 12)
        let routed = (owed["items"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "route" }
        XCTAssertEqual(routed.count, 12, "the newest cases' items are there")
        XCTAssertEqual(Set(routed.compactMap { $0["title"] as? String }), Set((0..<12).map { "To route \($0)" }))
        await officer.close()
        await office.close()
        try await hub.stop()
    }
}
