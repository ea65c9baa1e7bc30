// CaseAccessTests: who reads a case, and who reads the petitioner's personal data.
import Foundation
import XCTest

@testable import CaseCore

final class CaseAccessTests: XCTestCase {
    /// A fresh store with the fixture units, and its directory (for removal).
    private func makeStore() async throws -> (CaseStore, String) {
        let directory = NSTemporaryDirectory() + "chub-access-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: ManualClock(Fixtures.start))
        for unit in [Fixtures.bureau, Fixtures.housing, Fixtures.finance, Fixtures.district] {
            try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department))
        }
        return (store, directory)
    }

    func testReadersOfCasesAndOfPetitionerData() {
        let state = CaseWalker.at(.assigned).state!  // housing leads, finance co-handles
        let districtOfficer = Actor(person: PersonID("d-o"), unit: Fixtures.district, roles: [.officer])
        let districtLeader = Actor(person: PersonID("d-l"), unit: Fixtures.district, roles: [.leader])
        let cases: [(Actor, Bool, Bool)] = [
            (Fixtures.coordinator, true, true),
            (Fixtures.auditor, true, true),
            (Fixtures.housingOfficer, true, true),
            (Fixtures.financeOfficer, true, true),
            (Fixtures.housingLeader, true, true),
            (districtLeader, true, false),  // leaders see every case, not every petitioner
            (districtOfficer, false, false),
            (Fixtures.admin, false, false),
        ]
        for (actor, readsCase, readsPetitioner) in cases {
            XCTAssertEqual(CaseAccess.mayRead(state, by: actor), readsCase, "\(actor.person) reads the case")
            XCTAssertEqual(CaseAccess.mayReadPetitioner(state, by: actor), readsPetitioner, "\(actor.person) reads the petitioner")
        }
    }

    func testStoreWithholdsPetitionerDataFromLeadersNotOnTheCase() async throws {
        let (store, directory) = try await makeStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let id = try await store.register(Fixtures.registration(), by: Fixtures.coordinator).caseID
        let outsiderLeader = Actor(person: PersonID("d-l"), unit: Fixtures.district, roles: [.leader])
        let outsiderOfficer = Actor(person: PersonID("d-o"), unit: Fixtures.district, roles: [.officer])

        let forLeader = try await store.history(of: id, for: outsiderLeader)
        guard case .registered(let seen) = forLeader.first?.change else { return XCTFail("no registration") }
        XCTAssertEqual(seen.petitioner.name, "(withheld)")
        let forOfficer = try await store.history(of: id, for: Fixtures.housingOfficer)
        guard case .registered(let full) = forOfficer.first?.change else { return XCTFail("no registration") }
        XCTAssertEqual(full.petitioner.name, "Zhang San")

        do {
            _ = try await store.petitioner(of: id, for: outsiderLeader)
            XCTFail("a leader not on the case must not read the petitioner")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .forbidden) }
        do {
            _ = try await store.caseState(id, for: outsiderOfficer)
            XCTFail("an officer of another unit must not read the case")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .forbidden) }
        let petitioner = try await store.petitioner(of: id, for: Fixtures.auditor)
        XCTAssertEqual(petitioner?.contact, "138-0000-0000")
    }

    /// `checkMayRead` (from the case_units projection, used when joining a case room) refuses
    /// exactly when `caseState(_:for:)` (from the decoded case) does, as the units on a case change.
    func testCheckMayReadAgreesWithTheDecodedCase() async throws {
        let (store, directory) = try await makeStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let id = try await store.register(Fixtures.registration(units: [Fixtures.housing]), by: Fixtures.coordinator).caseID
        let actors = [
            Fixtures.coordinator, Fixtures.auditor, Fixtures.housingOfficer, Fixtures.financeOfficer, Fixtures.admin,
            Actor(person: PersonID("d-l"), unit: Fixtures.district, roles: [.leader]),
            Actor(person: PersonID("d-o"), unit: Fixtures.district, roles: [.officer]),
        ]
        func outcome(_ body: () async throws -> Void) async -> String {
            do {
                try await body()
                return "ok"
            } catch let refusal as CaseRefusal {
                return "\(refusal.code)"
            } catch {
                return "\(error)"
            }
        }
        func compare(_ caseID: CaseID, _ stage: String) async -> [String: String] {
            var seen: [String: String] = [:]
            for actor in actors {
                let decoded = await outcome { _ = try await store.caseState(caseID, for: actor) }
                let quick = await outcome { try await store.checkMayRead(caseID, by: actor) }
                XCTAssertEqual(quick, decoded, "\(stage): \(actor.person)")
                seen[actor.person.rawValue] = quick
            }
            return seen
        }
        let registered = await compare(id, "registered")
        XCTAssertEqual(registered[Fixtures.financeOfficer.person.rawValue], "forbidden")
        XCTAssertEqual(registered[Fixtures.housingOfficer.person.rawValue], "ok")
        _ = try await store.perform(.assigned(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance])), on: id, by: Fixtures.coordinator)
        let assigned = await compare(id, "assigned")
        XCTAssertEqual(assigned[Fixtures.financeOfficer.person.rawValue], "ok", "a co-handling unit reads the case")
        let missing = await compare(CaseID(id.rawValue + 1000), "no such case")
        XCTAssertEqual(Set(missing.values), ["notFound"])
    }
}
