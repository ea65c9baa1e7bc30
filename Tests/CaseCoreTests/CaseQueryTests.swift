// CaseQueryTests: listings by unit, status and leader; deadlines near their limit; the figures.
import Foundation
import XCTest

@testable import CaseCore

final class CaseQueryTests: XCTestCase {
    private var directory: String!
    private var clock: ManualClock!
    private var store: CaseStore!

    override func setUp() async throws {
        directory = NSTemporaryDirectory() + "chub-query-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clock = ManualClock(Fixtures.start)
        store = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        for unit in [Fixtures.bureau, Fixtures.housing, Fixtures.finance, Fixtures.district] {
            try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department))
        }
    }

    override func tearDown() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    private func newCase(lead: UnitID, coHandling: [UnitID] = [], negotiate: Bool = false) async throws -> CaseID {
        let id = try await store.register(Fixtures.registration(units: [lead] + coHandling), by: Fixtures.coordinator).caseID
        if negotiate {
            _ = try await store.perform(.negotiationOpened(units: [lead] + coHandling), on: id, by: Fixtures.coordinator)
        }
        _ = try await store.perform(.assigned(Assignment(lead: lead, coHandling: coHandling)), on: id, by: Fixtures.coordinator)
        return id
    }

    private func officer(of unit: UnitID) -> Actor { Actor(person: PersonID("o-\(unit)"), unit: unit, roles: [.officer, .leader]) }

    func testCasesByUnitRelationStatusAndLeader() async throws {
        let first = try await newCase(lead: Fixtures.housing, coHandling: [Fixtures.finance])
        let second = try await newCase(lead: Fixtures.finance)
        try await newCase(lead: Fixtures.district)
        _ = try await store.perform(.accepted, on: first, by: officer(of: Fixtures.housing))
        _ = try await store.perform(.planSet(Fixtures.plan), on: first, by: officer(of: Fixtures.housing))

        let financeLead = try await store.cases(for: Fixtures.finance, relation: .lead)
        XCTAssertEqual(financeLead.map(\.id), [second])
        let financeCo = try await store.cases(for: Fixtures.finance, relation: .coHandling)
        XCTAssertEqual(financeCo.map(\.id), [first])
        let financeInvolved = try await store.cases(for: Fixtures.finance, relation: .involved)
        XCTAssertEqual(financeInvolved.map(\.id), [first, second])
        let accepted = try await store.cases(status: .accepted)
        XCTAssertEqual(accepted.map(\.id), [first])
        let assignedFinance = try await store.cases(for: Fixtures.finance, relation: .involved, status: .assigned)
        XCTAssertEqual(assignedFinance.map(\.id), [second])
        let byLeader = try await store.cases(responsibleLeader: PersonID("h-leader"))
        XCTAssertEqual(byLeader.map(\.id), [first])
        let page = try await store.cases(for: Fixtures.finance, relation: .involved, after: first, limit: 1)
        XCTAssertEqual(page.map(\.id), [second])
    }

    func testDeadlinesNearAndPastTheirLimit() async throws {
        let id = try await newCase(lead: Fixtures.housing)
        // The acceptance notice is due 15 days after assignment (and the objection window runs).
        let soon = try await store.deadlines(atOrAbove: .half, at: clock.now())
        XCTAssertTrue(soon.isEmpty)
        clock.advance(days: 12)
        let near = try await store.deadlines(atOrAbove: .threeQuarters, at: clock.now())
        XCTAssertEqual(near.map(\.kind), [.acceptanceNotice], "petitioner/unit windows are not obligations")
        XCTAssertEqual(near.first?.caseID, id)
        clock.advance(days: 5)
        let overdue = try await store.deadlines(atOrAbove: .overdue, at: clock.now())
        XCTAssertEqual(overdue.map(\.level), [.overdue])
    }

    func testFiguresForAPeriodOverallAndPerUnit() async throws {
        let periodStart = clock.now()
        // Housing: one case answered on time after 10 days, rated satisfied.
        let onTime = try await newCase(lead: Fixtures.housing)
        _ = try await store.perform(.accepted, on: onTime, by: officer(of: Fixtures.housing))
        _ = try await store.perform(.handlingStarted, on: onTime, by: officer(of: Fixtures.housing))
        clock.advance(days: 10)
        _ = try await store.perform(.answered(Fixtures.answer), on: onTime, by: officer(of: Fixtures.housing))
        _ = try await store.perform(.satisfactionRated(.satisfied), on: onTime, by: Fixtures.coordinator)
        // Finance: negotiated (escalated to an assignment), objected and upheld back to housing.
        let disputed = try await newCase(lead: Fixtures.finance, coHandling: [Fixtures.housing], negotiate: true)
        _ = try await store.perform(.objectionRaised(reason: "not ours"), on: disputed, by: officer(of: Fixtures.finance))
        _ = try await store.perform(.objectionUpheld(units: [Fixtures.housing], rationale: "housing leads"), on: disputed, by: Fixtures.coordinator)
        // Housing: answered late (after 70 days), rated not satisfied.
        let late = try await newCase(lead: Fixtures.housing)
        _ = try await store.perform(.accepted, on: late, by: officer(of: Fixtures.housing))
        _ = try await store.perform(.handlingStarted, on: late, by: officer(of: Fixtures.housing))
        clock.advance(days: 70)
        _ = try await store.perform(.answered(Fixtures.answer), on: late, by: officer(of: Fixtures.housing))
        _ = try await store.perform(.satisfactionRated(.notSatisfied), on: late, by: Fixtures.coordinator)
        let zone = ConferenceTimeZone.chinaStandardTime
        let firstDay = zone.localDate(of: periodStart.date), lastDay = zone.localDate(of: clock.now().date)

        let overall = try await store.figures(from: firstDay, to: lastDay, now: clock.now())
        XCTAssertEqual(overall.answered, 2)
        XCTAssertEqual(overall.averageHandlingDays ?? 0, 40, accuracy: 0.01)
        XCTAssertEqual(overall.onTimeRate ?? 0, 0.5, accuracy: 0.001)
        XCTAssertEqual(overall.rated, 2)
        XCTAssertEqual(overall.satisfactionRate ?? 0, 0.5, accuracy: 0.001)
        XCTAssertEqual(overall.escalated, 1)
        XCTAssertEqual(overall.objectionsRaised, 1)
        XCTAssertEqual(overall.objectionsUpheld, 1)
        // Overdue: the late handling limit, and the re-routed case's acceptance notice never sent.
        XCTAssertEqual(overall.overdue, 2)

        let finance = try await store.figures(from: firstDay, to: lastDay, unit: Fixtures.finance, now: clock.now())
        XCTAssertEqual(finance.answered, 0)
        XCTAssertNil(finance.averageHandlingDays)
        XCTAssertEqual(finance.objectionsRaised, 1)
        XCTAssertEqual(finance.objectionsUpheld, 1)
        XCTAssertEqual(finance.escalated, 1)
        let housing = try await store.figures(from: firstDay, to: lastDay, unit: Fixtures.housing, now: clock.now())
        XCTAssertEqual(housing.answered, 2)
        XCTAssertEqual(housing.objectionsRaised, 0)
        XCTAssertEqual(housing.overdue, 2, "the late answer, and the acceptance notice still running past its limit")

        // The report of every unit (its running overdue counted for all units in one query) says
        // what each unit's own figures say.
        let report = try await store.figuresReport(from: firstDay, to: lastDay, unit: nil, now: clock.now())
        XCTAssertEqual(report.first?.unit, nil)
        XCTAssertEqual(report.first?.figures, overall)
        for row in report.dropFirst() {
            let unit = try XCTUnwrap(row.unit)
            let own = try await store.figures(from: firstDay, to: lastDay, unit: unit, now: clock.now())
            XCTAssertEqual(row.figures, own, unit.rawValue)
        }
        XCTAssertEqual(report.first { $0.unit == Fixtures.housing }?.figures.overdue, 2)
    }
}
