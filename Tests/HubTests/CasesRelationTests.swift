// CasesRelationTests: `cases` with `relation` answers the unit's part in each case — `involved`,
// `lead`, `co_handling` (the one spelling on the wire) — for every role: a coordinator's, leader's
// or auditor's "lead" is their own unit's, not every case; without `relation` those roles see all.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub

final class CasesRelationTests: XCTestCase {
    private func ask(_ hub: HubTestServer, _ person: String, _ fields: [String: Any]) async throws -> [String: Any] {
        let client = try await hub.connect(as: person)
        defer { Task { await client.close() } }
        let inbox = Inbox(client)
        var request = fields
        request["id"] = "q"
        try await client.send(request)
        return try await inbox.reply(to: "q").reply
    }

    private func listed(_ hub: HubTestServer, _ person: String, _ fields: [String: Any], file: StaticString = #filePath, line: UInt = #line) async throws -> Set<String> {
        let reply = try await ask(hub, person, ["type": "cases"].merging(fields) { $1 })
        XCTAssertEqual(reply["type"] as? String, "ok", "\(person) \(fields): \(reply)", file: file, line: line)
        return Set((result(reply)["cases"] as? [[String: Any]] ?? []).compactMap { $0["case"] as? String })
    }

    func testEveryRelationForEveryRole() async throws {
        let hub = try await HubTestServer.hub()
        func register(_ units: [String], lead: String?, coHandling: [String]) async throws -> String {
            let registered = try await ask(hub, "coord", [
                "type": "case.register", "title": "Case of \(units.joined(separator: "+"))", "summary": "", "category": "claim",
                "channel": "visit", "received_on": "2026-11-01", "involved_units": units, "petitioner": ["name": "Zhang San", "contact": ""],
            ])
            let id = try XCTUnwrap(result(registered)["case"] as? String, "\(registered)")
            if let lead {
                let assigned = try await ask(hub, "coord", ["type": "case.change", "case": id, "change": [
                    "type": "assigned", "assignment": ["lead": lead, "co_handling": coHandling, "rationale": "by the office"],
                ] as [String: Any]])
                XCTAssertEqual(assigned["type"] as? String, "ok", "\(assigned)")
            }
            return id
        }
        let shared = try await register(["housing", "finance"], lead: "housing", coHandling: ["finance"])
        let financeOnly = try await register(["finance", "district"], lead: "finance", coHandling: [])
        let open = try await register(["housing", "district"], lead: nil, coHandling: [])
        let all: Set = [shared, financeOnly, open]

        // Officers: their own unit's part.
        let officer = [("h-officer", [shared, open], [shared], [String]()), ("f-officer", [shared, financeOnly], [financeOnly], [shared])]
        for (person, involved, lead, coHandling) in officer {
            let noRelation = try await listed(hub, person, [:])
            XCTAssertEqual(noRelation, Set(involved), "\(person): involved by default")
            let byInvolved = try await listed(hub, person, ["relation": "involved"])
            XCTAssertEqual(byInvolved, Set(involved), person)
            let byLead = try await listed(hub, person, ["relation": "lead"])
            XCTAssertEqual(byLead, Set(lead), person)
            let byCoHandling = try await listed(hub, person, ["relation": "co_handling"])
            XCTAssertEqual(byCoHandling, Set(coHandling), person)
        }
        // A leader: their own unit's part when a relation is named, everything without one.
        let leaderLead = try await listed(hub, "h-leader", ["relation": "lead"])
        XCTAssertEqual(leaderLead, [shared], "a leader's 本单位主办 is not every case")
        let leaderCoHandling = try await listed(hub, "h-leader", ["relation": "co_handling"])
        XCTAssertEqual(leaderCoHandling, [])
        let leaderInvolved = try await listed(hub, "h-leader", ["relation": "involved"])
        XCTAssertEqual(leaderInvolved, [shared, open])
        let leaderAll = try await listed(hub, "h-leader", [:])
        XCTAssertEqual(leaderAll, all)
        // Another unit's, by name: for those who see every case.
        let financeCoHandling = try await listed(hub, "d-leader", ["unit": "finance", "relation": "co_handling"])
        XCTAssertEqual(financeCoHandling, [shared])
        let financeLead = try await listed(hub, "coord", ["unit": "finance", "relation": "lead"])
        XCTAssertEqual(financeLead, [financeOnly])
        // Coordinators and auditors: their own unit (the conference office) leads nothing here.
        for person in ["coord", "auditor"] {
            let ownLead = try await listed(hub, person, ["relation": "lead"])
            XCTAssertEqual(ownLead, [], "\(person)'s 本单位主办")
            let ownCoHandling = try await listed(hub, person, ["relation": "co_handling"])
            XCTAssertEqual(ownCoHandling, [], person)
            let everything = try await listed(hub, person, [:])
            XCTAssertEqual(everything, all, person)
        }
        // An officer may not name another unit; the old spelling is not a relation.
        let foreign = try await ask(hub, "h-officer", ["type": "cases", "unit": "finance"])
        XCTAssertEqual(errorCode(foreign), "forbidden")
        let oldSpelling = try await ask(hub, "f-officer", ["type": "cases", "relation": "cohandling"])
        XCTAssertEqual(errorCode(oldSpelling), "bad_request")
        try await hub.stop()
    }
}
