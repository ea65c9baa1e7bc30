// AccessProtocolTests: the access rules as a client meets them over TLS — an administrator reads
// nothing about cases even when their unit is on one, and a review goes to the next level up
// (the store hands the unit hierarchy to the rules).
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class AccessProtocolTests: XCTestCase {
    func testAnAdministratorReadsNothingAboutCasesEvenWhenTheirUnitIsOnOne() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = try await hub.connect(as: "coord")
        let registered = try await coordinator.request([
            "id": "r", "type": "case.register", "title": "Office and housing", "summary": "s", "category": "claim", "channel": "visit",
            "received_on": "2026-11-01", "involved_units": ["conference-office", "housing"], "petitioner": ["name": "Li Si", "contact": "1"],
        ])
        let room = try XCTUnwrap((registered["result"] as? [String: Any])?["case"] as? String, "\(registered)")
        let admin = try await hub.connect(as: "adm")
        let refused: [[String: Any]] = [
            ["type": "case.get", "case": room], ["type": "case.overview", "case": room], ["type": "case.history", "case": room],
            ["type": "case.petitioner", "case": room], ["type": "join", "room": room], ["type": "history", "room": room],
            ["type": "join", "room": "lobby"], ["type": "cases"], ["type": "rooms"], ["type": "meetings"], ["type": "decisions.entries"],
            ["type": "negotiation.get", "case": room], ["type": "negotiation.figures"], ["type": "supervision"],
            ["type": "post", "room": "lobby", "text": "hi", "key": "k"],
        ]
        for (index, request) in refused.enumerated() {
            var object = request
            object["id"] = "a\(index)"
            let reply = try await admin.request(object)
            XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "forbidden", "\(request["type"]!): \(reply)")
        }
        // The decision record's checkpoints are hashes and signatures: an administrator may check them.
        let checkpoint = try await admin.request(["id": "c", "type": "decisions.checkpoint"])
        XCTAssertEqual((checkpoint["error"] as? [String: Any])?["code"] as? String, "not_found", "the log is empty, not forbidden: \(checkpoint)")
        // An officer of the same unit still reads the case.
        let officer = try await hub.connect(as: "h-officer")
        let read = try await officer.request(["id": "o", "type": "case.get", "case": room])
        XCTAssertEqual(read["type"] as? String, "ok")
        await admin.close()
        await officer.close()
        await coordinator.close()
        try await hub.stop()
    }

    func testAReviewIsRecordedByTheNextLevelUpNotByTheAnsweringUnitsLeader() async throws {
        let district = UnitID("district"), office = UnitID("conference-office")
        let units = [
            CaseCore.Unit(id: office, name: "Conference Office", kind: .petitionBureau),
            CaseCore.Unit(id: district, name: "District Government", kind: .government),
            CaseCore.Unit(id: UnitID("housing"), name: "Housing", kind: .department, parent: district),
            CaseCore.Unit(id: UnitID("finance"), name: "Finance", kind: .department, parent: district),
        ]
        let hub = try await HubTestServer.hub(units: units)
        let store = hub.store
        let coordinator = Actor(person: PersonID("coord"), unit: office, roles: [.coordinator])
        let housingOfficer = Actor(person: PersonID("h-officer"), unit: UnitID("housing"), roles: [.officer])
        let registration = Registration(
            title: "t", summary: "s", category: .claim, channel: .visit, receivedOn: LocalDate("2026-11-01")!, involvedUnits: [UnitID("housing")],
            petitioner: Petitioner(name: "Wang Wu", contact: "2"))
        let id = try await store.register(registration, by: coordinator, open: true).caseID
        for change: CaseChange in [.accepted, .handlingStarted] { _ = try await store.perform(change, on: id, by: housingOfficer) }
        _ = try await store.perform(.answered(Answer(request: "r", factsAndReasons: "f", decision: .explain, legalBasis: "Art. 33")), on: id, by: housingOfficer)
        _ = try await store.perform(.reviewRequested, on: id, by: coordinator)

        let review = CaseChange.reviewed(ReviewOpinion(upheld: true, opinion: "The answer stands"))
        let client = try await hub.connect(as: "h-leader")
        let own = try await client.request(["id": "1", "type": "case.change", "case": RoomID.case(id),
                                            "change": ["type": "reviewed", "opinion": ["upheld": true, "opinion": "Fine"]]])
        XCTAssertEqual((own["error"] as? [String: Any])?["code"] as? String, "forbidden", "the housing leader reviews housing's answer: \(own)")
        let districtLeader = Actor(person: PersonID("d-leader"), unit: district, roles: [.leader])
        let event = try await store.perform(review, on: id, by: districtLeader)
        XCTAssertEqual(event.change.type, "reviewed")
        await client.close()
        try await hub.stop()
    }
}
