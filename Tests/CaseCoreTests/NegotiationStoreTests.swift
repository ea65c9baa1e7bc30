// NegotiationStoreTests: lead negotiation through the durable store — routing on registration,
// follow-ups in the same transaction, the deadline sweep (once, across a restart), escalation by
// the unit hierarchy, the per-unit figures, the supervision list and the lobby notices.
import Foundation
import XCTest

@testable import CaseCore

final class NegotiationStoreTests: XCTestCase {
    private var directory: String!
    private let city = UnitID("city")

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-negotiation-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var path: String { directory + "/hub.sqlite" }

    private func makeStore(_ clock: ManualClock, populate: Bool = true, rooming: RoomingConfiguration = RoomingConfiguration()) async throws -> CaseStore {
        let store = try CaseStore(path: path, clock: clock, rooming: rooming)
        guard populate else { return store }
        try await store.addUnit(Unit(id: city, name: "City Government", kind: .government))
        try await store.addUnit(Unit(id: Fixtures.bureau, name: "Petition Bureau", kind: .petitionBureau))
        try await store.addUnit(Unit(id: Fixtures.housing, name: "Housing Bureau", kind: .department, parent: city))
        try await store.addUnit(Unit(id: Fixtures.finance, name: "Finance Bureau", kind: .department, parent: city))
        try await store.addUnit(Unit(id: Fixtures.district, name: "District 3", kind: .government))
        return store
    }

    func testRegistrationRoutesTheCaseAndConsensusSettlesItInTheSameTransaction() async throws {
        let clock = ManualClock(Fixtures.start)
        let store = try await makeStore(clock)
        defer { store.close() }
        let single = try await store.register(Fixtures.registration(units: [Fixtures.housing]), by: Fixtures.coordinator, open: true).caseID
        let singleState = try await store.caseState(single)
        XCTAssertEqual(singleState?.status, .assigned)
        XCTAssertEqual(singleState?.leadUnit, Fixtures.housing)

        let id = try await store.register(Fixtures.registration(), by: Fixtures.coordinator, open: true).caseID
        let opened = try await store.caseState(id)
        XCTAssertEqual(opened?.status, .negotiating)
        XCTAssertEqual(opened?.negotiation?.units, [Fixtures.finance, Fixtures.housing])
        clock.advance(seconds: 7_200)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.housing, answer: .claim), on: id, by: Fixtures.housingOfficer)
        clock.advance(seconds: 3_600)
        let events = try await store.performReturningFollowUps(
            .negotiationAnswered(unit: Fixtures.finance, answer: .support(Fixtures.housing)), on: id, by: Fixtures.financeOfficer)
        XCTAssertEqual(events.map(\.change.type), ["negotiation_answered", "negotiation_settled"])
        let commits = store.commitCount
        let state = try await store.caseState(id)
        XCTAssertEqual(state?.status, .assigned)
        XCTAssertEqual(state?.leadUnit, Fixtures.housing)
        let history = try await store.history(of: id)
        XCTAssertEqual(history.map(\.change.type), ["registered", "negotiation_opened", "negotiation_answered", "negotiation_answered", "negotiation_settled"])
        XCTAssertEqual(history.last?.actorPerson, Actor.system.person)
        XCTAssertEqual(store.commitCount, commits)
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [])

        let view = try await store.negotiation(of: id, for: Fixtures.financeOfficer, at: clock.now())
        XCTAssertEqual(view.negotiation.answers.map(\.unit), [Fixtures.finance, Fixtures.housing])
        XCTAssertNil(view.secondsLeft, "settled: no time running")
        do {
            _ = try await store.negotiation(of: single, for: Fixtures.coordinator, at: clock.now())
            XCTFail("a case with one unit was never negotiated")
        } catch let refusal as CaseRefusal {
            XCTAssertEqual(refusal.code, .notFound)
        }
    }

    func testTheSweepDisputesLapsedNegotiationsOnceEvenAcrossARestart() async throws {
        let clock = ManualClock(Fixtures.start)
        var store = try await makeStore(clock)
        let id = try await store.register(Fixtures.registration(units: [Fixtures.housing, Fixtures.finance, Fixtures.district]), by: Fixtures.coordinator, open: true).caseID
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.housing, answer: .claim), on: id, by: Fixtures.housingOfficer)
        let nothingYet = try await store.sweep()
        XCTAssertEqual(nothingYet, [])
        let supervision = try await store.negotiationSupervision(at: clock.now())
        XCTAssertEqual(supervision.map(\.caseID), [id])
        XCTAssertEqual(supervision.first?.unanswered, [Fixtures.district, Fixtures.finance])
        XCTAssertEqual(supervision.first?.overdue, false)

        let due = try await store.caseState(id)!.deadline(.negotiation)!.dueAt
        clock.set(due)
        let swept = try await store.sweep()
        XCTAssertEqual(swept.map(\.change.type), ["negotiation_disputed"])
        let state = try await store.caseState(id)!
        XCTAssertEqual(state.escalation?.to, nil, "district is under no common superior with housing and finance")
        XCTAssertEqual(state.negotiation?.dispute?.unanswered, [Fixtures.district, Fixtures.finance])
        let again = try await store.sweep()
        XCTAssertEqual(again, [])

        // The decision deadline passes while the hub is down; the restarted hub flags it once.
        store.close()
        clock.set(state.deadline(.escalation)!.dueAt.adding(seconds: 86_400))
        store = try await makeStore(clock, populate: false)
        defer { store.close() }
        let lapses = try await store.lapsesToRecord(at: clock.now())
        XCTAssertEqual(lapses, [id])
        let flagged = try await store.sweep()
        XCTAssertEqual(flagged.map(\.change.type), ["escalation_overdue"])
        let flaggedAgain = try await store.sweep()
        XCTAssertEqual(flaggedAgain, [])
        // A recorded lapse is not read again by every later sweep (the case stays disputed, its
        // decision deadline running, until someone decides).
        let lapsesLeft = try await store.lapsesToRecord(at: clock.now())
        XCTAssertEqual(lapsesLeft, [])

        // A database from before `lapse_recorded_at` (schema 10) gets it from the case states.
        store.close()
        do {
            let old = try SQLiteConnection(path: path)
            try old.execute("ALTER TABLE case_deadlines DROP COLUMN lapse_recorded_at")
            try old.execute("ALTER TABLE case_obligations DROP COLUMN lapse_recorded_at")
            try old.execute("DROP TABLE registration_years")
            try old.execute("PRAGMA user_version = 10")
        }
        store = try await makeStore(clock, populate: false)
        let migrated = try await store.lapsesToRecord(at: clock.now())
        XCTAssertEqual(migrated, [])
        let recordedAt = try await store.read { try $0.query("SELECT lapse_recorded_at FROM case_deadlines WHERE kind = 'escalation'").map { $0.int(0) } }
        let overdueAt = try await store.caseState(id)?.escalation?.overdueAt
        XCTAssertEqual(recordedAt, [overdueAt?.milliseconds])
        let overdue = try await store.negotiationSupervision(at: clock.now())
        XCTAssertEqual(overdue.first?.status, .disputed)
        XCTAssertEqual(overdue.first?.overdue, true)

        let figures = try await store.negotiationFigures()
        XCTAssertEqual(figures.map(\.unit), [Fixtures.district, Fixtures.finance, Fixtures.housing])
        XCTAssertEqual(figures.map(\.unansweredAtDeadline), [1, 1, 0])
        XCTAssertEqual(figures.map(\.claims), [0, 0, 1])
        XCTAssertEqual(figures.map(\.joined), [1, 1, 1])
    }

    func testTheCommonSuperiorDecidesAndTheFiguresCountWhatHappened() async throws {
        let clock = ManualClock(Fixtures.start)
        let lobby = LobbyRecorder()
        let store = try await makeStore(clock, rooming: RoomingConfiguration(
            sink: { records in lobby.add(records) },
            lobbyNoticeEncoder: { event, state, position in
                Array("\(position.sequence) \(event.change.type) \(state.id) \(state.status.rawValue)".utf8)
            }))
        defer { store.close() }

        // Case 1: housing declines, finance supports housing → no consensus → the city decides housing.
        let first = try await store.register(Fixtures.registration(), by: Fixtures.coordinator, open: true).caseID
        clock.advance(seconds: 600)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.housing, answer: .decline(reason: "Not ours", basis: "Art. 4")), on: first, by: Fixtures.housingOfficer)
        clock.advance(seconds: 1_200)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.finance, answer: .support(Fixtures.housing)), on: first, by: Fixtures.financeOfficer)
        let disputed = try await store.caseState(first)!
        XCTAssertEqual(disputed.status, .disputed)
        XCTAssertEqual(disputed.escalation?.to, city)
        let cityLeader = Actor(person: PersonID("c-leader"), unit: city, roles: [.leader])
        _ = try await store.perform(.leadDecided(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance], rationale: "Housing signed it.")),
                                    on: first, by: cityLeader)

        // Case 2: housing claims after an hour, finance co-handles after three → settled.
        let second = try await store.register(Fixtures.registration(), by: Fixtures.coordinator, open: true).caseID
        clock.advance(seconds: 3_600)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.housing, answer: .claim), on: second, by: Fixtures.housingLeader)
        clock.advance(seconds: 7_200)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.finance, answer: .cohandle), on: second, by: Fixtures.financeOfficer)

        let figures = Dictionary(uniqueKeysWithValues: try await store.negotiationFigures().map { ($0.unit, $0) })
        let housing = try XCTUnwrap(figures[Fixtures.housing])
        XCTAssertEqual(housing.joined, 2)
        XCTAssertEqual(housing.claims, 1)
        XCTAssertEqual(housing.declines, 1)
        XCTAssertEqual(housing.declinesOverturned, 1)
        XCTAssertEqual(housing.medianSecondsToAnswer, (600 + 3_600) / 2)
        let finance = try XCTUnwrap(figures[Fixtures.finance])
        XCTAssertEqual(finance.declinesOverturned, 0)
        XCTAssertEqual(finance.medianSecondsToAnswer, (1_800 + 10_800) / 2)
        let onlyHousing = try await store.negotiationFigures(unit: Fixtures.housing)
        XCTAssertEqual(onlyHousing.map(\.unit), [Fixtures.housing])

        let caseFigures = try await store.figures(from: LocalDate("2026-11-01")!, to: LocalDate("2026-11-30")!, unit: Fixtures.housing, now: clock.now())
        XCTAssertEqual(caseFigures.escalated, 1, "the decided case counts as escalated")

        let notices = lobby.lines
        XCTAssertEqual(notices, [
            "1 negotiation_opened case-1 negotiating", "2 negotiation_disputed case-1 disputed", "3 lead_decided case-1 assigned",
            "4 negotiation_opened case-2 negotiating", "5 negotiation_settled case-2 assigned",
        ])
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
    }
}

/// Collects lobby room events handed to the sink.
final class LobbyRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    func add(_ records: [RoomEventRecord]) {
        lock.withLock { collected += records.filter { $0.position.room == RoomID.lobby }.map { String(decoding: $0.body, as: UTF8.self) } }
    }

    var lines: [String] { lock.withLock { collected } }

    private var everything: [String] = []

    /// Keeps the body of every room event (any room).
    func addAll(_ records: [RoomEventRecord]) {
        lock.withLock { everything += records.map { String(decoding: $0.body, as: UTF8.self) } }
    }

    var all: [String] { lock.withLock { everything } }
}
