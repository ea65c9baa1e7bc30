// CaseFilterTests: `cases` filters at the hub, over all cases and every page — status, relation,
// overdue, listed supervision, and a search by registration number or title — alone and together,
// each case whole or as a list shows it (`view`).
import CaseCore
import Foundation
import Messaging
import XCTest

@testable import ConferenceHub

final class CaseFilterTests: XCTestCase {
    /// Every case id `fields` lists, walking all pages of `limit`: the same in both views, and
    /// each summary as the whole case says.
    private func listed(_ client: WebSocketClientConnection, _ fields: [String: Any], limit: Int = 7) async throws -> [String] {
        func walk(_ view: String) async throws -> [[String: Any]] {
            var cases: [[String: Any]] = [], after: String?
            repeat {
                var request: [String: Any] = ["id": "c", "type": "cases", "limit": limit, "view": view].merging(fields) { $1 }
                if let after { request["after"] = after }
                let reply = try await client.request(request)
                let result = try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)")
                cases += result["cases"] as? [[String: Any]] ?? []
                after = result["next"] as? String
            } while after != nil
            return cases
        }
        let full = try await walk("full"), summaries = try await walk("summary")
        XCTAssertEqual(full.compactMap { $0["case"] as? String }, summaries.compactMap { $0["case"] as? String }, "\(fields)")
        for (whole, summary) in zip(full, summaries) {
            XCTAssertEqual(Set(summary.keys).subtracting(["lead", "handling_due_at"]), ["case", "number", "title", "status", "registered_at", "listed"])
            XCTAssertEqual(summary["number"] as? String, whole["number"] as? String)
            XCTAssertNotNil(summary["number"] as? String)
            XCTAssertEqual(summary["title"] as? String, whole["title"] as? String)
            XCTAssertEqual(summary["status"] as? String, whole["status"] as? String)
            XCTAssertEqual(summary["lead"] as? String, whole["lead"] as? String)
            XCTAssertEqual(summary["registered_at"] as? Int, whole["registered_at"] as? Int)
            let handling = (whole["deadlines"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "handling" }
            XCTAssertEqual(summary["handling_due_at"] as? Int, handling?["due_at"] as? Int)
            XCTAssertEqual(summary["listed"] as? Bool, whole["listed_supervision"] != nil && !(whole["listed_supervision"] is NSNull))
        }
        return full.compactMap { $0["case"] as? String }
    }

    func testEveryFilterIsDoneByTheHubOverAllCases() async throws {
        let clock = ManualClock(Timestamp(ISO8601DateFormatter().date(from: "2026-11-02T01:00:00Z")!))
        let hub = try await HubTestServer.hub(clock: clock)
        let coordinator = Actor(person: PersonID("coord"), unit: TestPeople.office, roles: [.coordinator])
        let housingOfficer = Actor(person: PersonID("h-officer"), unit: TestPeople.housing, roles: [.officer])
        func register(_ title: String, _ units: [UnitID]) async throws -> CaseID {
            try await hub.store.register(
                Registration(title: title, summary: "s", category: .claim, channel: .visit, receivedOn: LocalDate("2026-11-01")!,
                             involvedUnits: units, petitioner: Petitioner(name: "Wang Wu", contact: "2")),
                by: coordinator, open: true
            ).caseID
        }
        // 40 cases: housing alone (assigned to it), or housing and finance (negotiating); every
        // fifth about a leaking roof; two under listed supervision; among the first ten, the
        // negotiated ones settled on housing with finance co-handling, accepted, and a task to
        // finance due on 5 November.
        var ids: [CaseID] = []
        for index in 0..<40 {
            let title = index % 5 == 0 ? "屋顶漏水 roof leak \(index)" : "拆迁补偿 relocation \(index)"
            ids.append(try await register(title, index % 2 == 0 ? [TestPeople.housing] : [TestPeople.housing, TestPeople.finance]))
        }
        let financeOfficer = Actor(person: PersonID("f-officer"), unit: TestPeople.finance, roles: [.officer])
        for id in ids.prefix(10) where id.rawValue % 2 == 0 {
            _ = try await hub.store.perform(.negotiationAnswered(unit: TestPeople.housing, answer: .claim), on: id, by: housingOfficer)
            _ = try await hub.store.perform(.negotiationAnswered(unit: TestPeople.finance, answer: .cohandle), on: id, by: financeOfficer)
            _ = try await hub.store.perform(.accepted, on: id, by: housingOfficer)
            _ = try await hub.store.perform(.handlingStarted, on: id, by: housingOfficer)
            _ = try await hub.store.perform(.taskAssigned(TaskAssignment(unit: TestPeople.finance, what: "Confirm the budget",
                                                                          due: LocalDate("2026-11-05")!)), on: id, by: housingOfficer)
        }
        for id in [ids[7], ids[33]] {
            _ = try await hub.store.perform(.listedSupervisionSet(reason: "Repeated visits"), on: id, by: coordinator)
        }
        let name = { (id: CaseID) in RoomID.case(id) }
        let client = try await hub.connect(as: "coord")

        let all = try await listed(client, [:])
        XCTAssertEqual(all, ids.map(name), "every case, every page")
        let negotiating = try await listed(client, ["status": "negotiating"])
        XCTAssertEqual(negotiating, ids.enumerated().filter { $0.offset % 2 == 1 && $0.offset >= 10 }.map { name($0.element) })
        let listedOnes = try await listed(client, ["listed": true])
        XCTAssertEqual(listedOnes, [ids[7], ids[33]].map(name))
        let roof = try await listed(client, ["search": "ROOF"])
        XCTAssertEqual(roof, ids.enumerated().filter { $0.offset % 5 == 0 }.map { name($0.element) }, "title words, letters in any case")
        let chinese = try await listed(client, ["search": "漏水"])
        XCTAssertEqual(chinese, roof)
        let byNumber = try await listed(client, ["search": "case-12"])
        XCTAssertEqual(byNumber, [name(CaseID(12))])
        let byDigits = try await listed(client, ["search": " 12 "])
        XCTAssertEqual(byDigits, [name(CaseID(12)), name(ids[12])], "case-12 by its number, and the case whose title has 12")
        let literal = try await listed(client, ["search": "100%_"])
        XCTAssertEqual(literal, [], "% and _ are taken literally")
        // Nothing is overdue yet; then the tasks' date passes.
        let none = try await listed(client, ["overdue": true])
        XCTAssertEqual(none, [])
        clock.set(Timestamp(ISO8601DateFormatter().date(from: "2026-11-06T01:00:00Z")!))
        let overdue = try await listed(client, ["overdue": true])
        XCTAssertEqual(overdue, [ids[1], ids[3], ids[5], ids[7], ids[9]].map(name))
        // Together: every condition holds.
        let together = try await listed(client, ["overdue": true, "listed": true])
        XCTAssertEqual(together, [name(ids[7])])
        let housingLed = try await listed(client, ["unit": "housing", "relation": "lead", "search": "roof"])
        XCTAssertEqual(housingLed, ids.enumerated().filter { $0.offset % 10 == 0 || $0.offset == 5 }.map { name($0.element) },
                       "housing leads the ones it alone was given, and the settled ones")
        // An officer's filters stay within their unit; finance is in the negotiated cases only.
        let finance = try await hub.connect(as: "f-officer")
        let financeRoof = try await listed(finance, ["search": "roof"])
        XCTAssertEqual(financeRoof, ids.enumerated().filter { $0.offset % 10 == 5 }.map { name($0.element) })
        // Bad input: a clear refusal.
        for bad: [String: Any] in [["search": ""], ["search": String(repeating: "x", count: 101)], ["overdue": "yes"], ["view": "brief"]] {
            let reply = try await client.request(["id": "b", "type": "cases"].merging(bad) { $1 })
            XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "bad_request", "\(bad): \(reply)")
        }
        await client.close()
        await finance.close()
        try await hub.stop()
    }
}
