// KeptWorkItemsTests: the store keeps what each unit and the conference office owe (work_items) in
// the same transaction as each change. For random histories the kept items equal the derivation
// (`PetitionCase.openWorkItems`, the oracle), and each person's page of them equals what the old
// inbox computed by reading every open case: the same items, in the same order, counted alike.
import Foundation
import XCTest

@testable import CaseCore

final class KeptWorkItemsTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-kept-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func makeStore(_ clock: ManualClock) async throws -> CaseStore {
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        try await store.addUnit(Unit(id: Fixtures.district, name: "District Government", kind: .government))
        try await store.addUnit(Unit(id: Fixtures.bureau, name: "Petition Bureau", kind: .petitionBureau, parent: Fixtures.district))
        try await store.addUnit(Unit(id: Fixtures.housing, name: "Housing Bureau", kind: .department, parent: Fixtures.district))
        try await store.addUnit(Unit(id: Fixtures.finance, name: "Finance Bureau", kind: .department, parent: Fixtures.district))
        return store
    }

    /// Changes a random history draws from: every case change of the fixtures, the steps of the
    /// ordinary path, and the co-handling acts that make tasks, drafts and supervision items.
    private static let proposals: [(CaseChange, Actor)] = {
        let task = TaskAssignment(unit: Fixtures.finance, what: "Confirm the budget line", due: LocalDate("2026-11-20")!)
        let demand = SupervisionDemand(unit: Fixtures.housing, reason: "Slow", demand: "Explain the delay", due: LocalDate("2026-11-25")!)
        let coHandling: [(CaseChange, Actor)] = [
            (.taskAssigned(task), Fixtures.housingOfficer), (.taskAcknowledged(task: 1), Fixtures.financeOfficer),
            (.taskDone(task: 1, result: "Line confirmed"), Fixtures.financeOfficer), (.taskAccepted(task: 1), Fixtures.housingOfficer),
            (.taskReturned(task: 1, reason: "Attach the approval"), Fixtures.housingLeader),
            (.taskAssigned(task), Fixtures.housingOfficer), (.taskAcknowledged(task: 2), Fixtures.financeOfficer),
            (.answerObjected(version: 1, reason: "Wrong amount"), Fixtures.financeOfficer),
            (.answerDrafted(Fixtures.answer), Fixtures.housingOfficer),
            (.extensionRequested(days: 10, reason: "Survey"), Fixtures.housingOfficer),
            (.extensionRefused(reason: "Not needed"), Fixtures.housingLeader),
            (.supervisionOpened(demand), Fixtures.coordinator), (.supervisionAnswered(item: 1, text: "Survey booked"), Fixtures.housingOfficer),
            (.listedSupervisionSet(reason: "Repeated visits"), Fixtures.bureauLeader),
            (.objectionRaised(reason: "Outside our remit"), Fixtures.housingOfficer),
            (.negotiationAnswered(unit: Fixtures.finance, answer: .claim), Fixtures.financeOfficer),
            (.negotiationAnswered(unit: Fixtures.housing, answer: .claim), Fixtures.housingOfficer),
            (.negotiationAnswered(unit: Fixtures.finance, answer: .decline(reason: "Not ours", basis: "Art. 3")), Fixtures.financeLeader),
            (.negotiationAnswered(unit: Fixtures.housing, answer: .decline(reason: "Not ours", basis: "Art. 4")), Fixtures.housingLeader),
        ]
        // Closing and routing out are left to the end of the ordinary path, so cases stay open long enough.
        return Fixtures.changes.filter { !["closed", "routed_out"].contains($0.name) }.map { ($0.change, $0.actor) } + Fixtures.pathSteps.map { ($0.change, $0.actor) }
            + coHandling + coHandling
    }()

    /// The old inbox: every open case's items for `actor`, soonest due first, then by case.
    private func derivedInbox(_ states: [PetitionCase], for actor: Actor) -> [WorkItem] {
        var items: [(Int, WorkItem)] = []
        for state in states { for (ord, item) in state.openWorkItems.enumerated() where item.isFor(actor) { items.append((ord, item)) } }
        return items.sorted { left, right in
            let l = left.1.dueAt?.milliseconds ?? .max, r = right.1.dueAt?.milliseconds ?? .max
            return (l, left.1.caseID.rawValue, left.1.kind.rawValue, left.0) < (r, right.1.caseID.rawValue, right.1.kind.rawValue, right.0)
        }.map(\.1)
    }

    private func checkAgainstTheDerivation(_ store: CaseStore, cases: [CaseID], step: Int, kinds: inout Set<WorkItem.Kind>) async throws {
        var states: [PetitionCase] = []
        for id in cases { if let state = try await store.caseState(id) { states.append(state) } }
        let kept = try await store.keptWorkItems()
        for state in states {
            XCTAssertEqual(kept[state.id] ?? [], state.openWorkItems, "step \(step): \(state.id) (\(state.status))")
            // The writer's encoder says of each state what Foundation's says.
            try StreamingJSONEncoderTests.assertSameJSON(state)
        }
        kinds.formUnion(kept.values.flatMap { $0 }.map(\.kind))
        let mismatches = try await store.workItemMismatches()
        XCTAssertEqual(mismatches, [], "step \(step)")
        let people = Fixtures.allActors + [Actor(person: PersonID("d-officer"), unit: Fixtures.district, roles: [.officer])]
        for actor in people {
            let expected = derivedInbox(states, for: actor)
            let page = try await store.workItems(for: actor, offset: 0, limit: 10_000)
            XCTAssertEqual(page.count, expected.count, "step \(step): \(actor.person)'s count")
            XCTAssertEqual(page.items.map(\.item), expected, "step \(step): \(actor.person)'s items")
            // A later page continues exactly where the first ended.
            if expected.count > 3 {
                let second = try await store.workItems(for: actor, offset: 2, limit: 2)
                XCTAssertEqual(second.items.map(\.item), Array(expected[2..<4]), "step \(step): \(actor.person)'s second page")
                XCTAssertEqual(second.count, expected.count)
            }
        }
    }

    func testForRandomHistoriesTheKeptItemsEqualTheDerivedOnes() async throws {
        let clock = ManualClock(Fixtures.start)
        let store = try await makeStore(clock)
        defer { store.close() }
        var generator = SplitMix64(seed: 0x5EED_1705)
        var cases: [CaseID] = []
        var kinds = Set<WorkItem.Kind>()
        var swept = Set<String>()
        for step in 1...2_400 {
            clock.set(clock.now().adding(seconds: Int64(generator.next() % 4_000)))
            if cases.count < 40, generator.next() % 8 == 0 || cases.isEmpty {
                let units = generator.next() % 3 == 0 ? [Fixtures.housing] : [Fixtures.housing, Fixtures.finance]
                cases.append(try await store.register(Fixtures.registration(units: units), by: Fixtures.coordinator, open: generator.next() % 2 == 0).caseID)
                continue
            }
            let id = cases[Int(generator.next() % UInt64(cases.count))]
            // A quarter of the time the next step of the ordinary path, so that histories reach handling and beyond.
            let random = Self.proposals[Int(generator.next() % UInt64(Self.proposals.count))]
            let state = try await store.caseState(id)
            let (change, actor) = generator.next() % 4 == 0 ? state.flatMap(CaseLifecycleTests.ordinaryNextStep) ?? random : random
            _ = try? await store.perform(change, on: id, by: actor)
            if step % 50 == 0 {
                swept.formUnion(try await store.sweep().map(\.change.type))
                // Every lapse is recorded, and a recorded one is not read again by the next sweep.
                let left = try await store.lapsesToRecord(at: clock.now())
                XCTAssertEqual(left, [], "step \(step)")
            }
            let owed = try await store.read { try $0.query("SELECT DISTINCT kind FROM work_items").compactMap { WorkItem.Kind(rawValue: $0.string(0) ?? "") } }
            kinds.formUnion(owed)
            if step % 200 == 0 { try await checkAgainstTheDerivation(store, cases: cases, step: step, kinds: &kinds) }
        }
        try await checkAgainstTheDerivation(store, cases: cases, step: 2_400, kinds: &kinds)
        // (Lapsed negotiations and decisions: NegotiationStoreTests; their limits are days.)
        XCTAssert(swept.contains("supervision_escalated"), "the sweeps recorded: \(swept.sorted())")
        // The histories went far enough to owe every kind of item.
        XCTAssertEqual(kinds, Set(WorkItem.Kind.allCases), "kinds never kept: \(Set(WorkItem.Kind.allCases).subtracting(kinds).map(\.rawValue).sorted())")
    }

    func testVerifyFindsKeptItemsThatDisagreeWithTheirCase() async throws {
        let clock = ManualClock(Fixtures.start)
        let store = try await makeStore(clock)
        defer { store.close() }
        let id = try await store.register(Fixtures.registration(), by: Fixtures.coordinator, open: true).caseID
        let before = try await store.workItemMismatches()
        XCTAssertEqual(before, [])
        let page = try await store.workItems(for: Fixtures.housingOfficer)
        XCTAssertEqual(page.items.map(\.item.kind), [.answerNegotiation])
        try await store.write { try $0.run("DELETE FROM work_items WHERE case_id = ?", [.integer(id.rawValue)]) }
        let after = try await store.workItemMismatches()
        XCTAssertEqual(after, [id])
    }

    func testTheSupervisionListNamesEachPartsTotalAndListsTheMostUrgent() async throws {
        let clock = ManualClock(Fixtures.start)
        let store = try await makeStore(clock)
        defer { store.close() }
        var opened: [CaseID] = []
        for _ in 0..<7 {
            opened.append(try await store.register(Fixtures.registration(), by: Fixtures.coordinator, open: true).caseID)
            clock.set(clock.now().adding(seconds: 600))
        }
        // The fourth is disputed (both claim it); the rest wait on answers.
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.housing, answer: .claim), on: opened[3], by: Fixtures.housingOfficer)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.finance, answer: .claim), on: opened[3], by: Fixtures.financeOfficer)
        _ = try await store.perform(.negotiationAnswered(unit: Fixtures.housing, answer: .cohandle), on: opened[0], by: Fixtures.housingOfficer)
        let list = try await store.supervisionList(at: clock.now(), limit: 3)
        XCTAssertEqual(list.totals.negotiations, 7)
        XCTAssertEqual(list.negotiations.count, 3, "at most the limit")
        let all = try await store.supervisionList(at: clock.now())
        // The derivation, from the cases themselves: soonest deadline first, then by case.
        var expected: [(CaseID, CaseStatus, [UnitID], Int64)] = []
        for id in opened {
            let found = try await store.caseState(id)
            let state = try XCTUnwrap(found)
            let deadline = state.status == .disputed ? state.deadline(.escalation) : state.deadline(.negotiation)
            expected.append((id, state.status, state.status == .disputed ? [] : state.negotiation?.unanswered ?? [], deadline?.dueAt.milliseconds ?? .max))
        }
        expected.sort { ($0.3, $0.0.rawValue) < ($1.3, $1.0.rawValue) }
        XCTAssertEqual(all.negotiations.map(\.caseID), expected.map(\.0))
        XCTAssertEqual(all.negotiations.map(\.status), expected.map(\.1))
        XCTAssertEqual(all.negotiations.map(\.unanswered), expected.map(\.2))
        XCTAssertEqual(all.negotiations.map { $0.deadline?.dueAt.milliseconds ?? .max }, expected.map(\.3))
        XCTAssertEqual(Array(all.negotiations.prefix(3)), list.negotiations, "the limited list is the head of the whole")
        XCTAssertEqual(all.negotiations.first { $0.status == .disputed }?.escalatedTo, Fixtures.district, "their common superior decides")
    }
}
