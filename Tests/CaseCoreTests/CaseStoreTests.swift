// CaseStoreTests: the durable store — events and projections written together, group commit,
// the hash chain catching edits, removals and reorders, and projections equal to a rebuild.
import Foundation
import XCTest

@testable import CaseCore

final class CaseStoreTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var path: String { directory + "/hub.sqlite" }

    /// A store with the fixture units and people.
    private func makeStore(clock: ManualClock = ManualClock(Fixtures.start)) async throws -> CaseStore {
        let store = try CaseStore(path: path, clock: clock)
        try await store.addUnit(Unit(id: UnitID("district"), name: "District Government", kind: .government))
        try await store.addUnit(Unit(id: Fixtures.bureau, name: "Petition Bureau", kind: .petitionBureau, parent: UnitID("district")))
        try await store.addUnit(Unit(id: Fixtures.housing, name: "Housing Bureau", kind: .department, parent: UnitID("district")))
        try await store.addUnit(Unit(id: Fixtures.finance, name: "Finance Bureau", kind: .department, parent: UnitID("district")))
        try await store.addPerson(Person(id: PersonID("coord"), name: "Li Coordinator", unit: Fixtures.bureau, roles: [.coordinator]))
        return store
    }

    /// Registers a case and takes it to in-handling.
    private func caseInHandling(_ store: CaseStore) async throws -> CaseID {
        let id = try await store.register(Fixtures.registration(), by: Fixtures.coordinator).caseID
        _ = try await store.perform(.assigned(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance])), on: id, by: Fixtures.coordinator)
        _ = try await store.perform(.accepted, on: id, by: Fixtures.housingOfficer)
        _ = try await store.perform(.handlingStarted, on: id, by: Fixtures.housingOfficer)
        return id
    }

    func testRegisterAndPerformWriteEventsAndProjection() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        XCTAssertEqual(id, CaseID(1))
        let state = try await store.caseState(id)
        XCTAssertEqual(state?.status, .inHandling)
        XCTAssertEqual(state?.leadUnit, Fixtures.housing)
        XCTAssertEqual(state?.coHandlingUnits, [Fixtures.finance])
        XCTAssertNotNil(state?.deadline(.handling))
        let history = try await store.history(of: id)
        XCTAssertEqual(history.map(\.change.type), ["registered", "assigned", "accepted", "handling_started"])
        XCTAssertEqual(history.map(\.sequence), [1, 2, 3, 4])
        let petitioner = try await store.petitioner(of: id)
        XCTAssertEqual(petitioner?.name, "Zhang San")
        let units = try await store.read { connection in
            try connection.query("SELECT unit_id, relation FROM case_units WHERE case_id = 1 ORDER BY relation, unit_id")
                .map { "\($0.string(1)!):\($0.string(0)!)" }
        }
        XCTAssertEqual(units, ["cohandling:finance", "involved:finance", "involved:housing", "lead:housing"])
        let projectionHasNoPetitioner = try await store.read { connection in
            try connection.query("SELECT state FROM cases WHERE id = 1").first?.string(0)?.contains("Zhang San") == false
        }
        XCTAssertTrue(projectionHasNoPetitioner, "personal data stays out of the readable projection")
    }

    func testRefusedChangeWritesNothing() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await store.register(Fixtures.registration(), by: Fixtures.coordinator).caseID
        do {
            _ = try await store.perform(.accepted, on: id, by: Fixtures.housingOfficer)
            XCTFail("a registered case cannot be accepted")
        } catch let refusal as CaseRefusal {
            XCTAssertEqual(refusal.code, .invalidState)
        }
        do {
            _ = try await store.perform(.assigned(Assignment(lead: UnitID("nowhere"))), on: id, by: Fixtures.coordinator)
            XCTFail("unknown unit")
        } catch let refusal as CaseRefusal {
            XCTAssertEqual(refusal.code, .invalidArgument)
            XCTAssertTrue(refusal.reason.contains("nowhere"))
        }
        do {
            _ = try await store.perform(.accepted, on: CaseID(99), by: Fixtures.housingOfficer)
            XCTFail("no such case")
        } catch let refusal as CaseRefusal {
            XCTAssertEqual(refusal.code, .notFound)
        }
        let history = try await store.history(of: id)
        XCTAssertEqual(history.count, 1)
    }

    func testConcurrentWritesAreGroupCommittedAndEachCallerGetsItsOwnResult() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let before = store.commitCount
        let results = try await withThrowingTaskGroup(of: Result<CaseID, CaseRefusal>.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        // Every fifth caller is refused (an auditor); the others must not notice.
                        let actor = index % 5 == 0 ? Fixtures.auditor : Fixtures.coordinator
                        return .success(try await store.register(Fixtures.registration(), by: actor).caseID)
                    } catch let refusal as CaseRefusal {
                        return .failure(refusal)
                    }
                }
            }
            var results: [Result<CaseID, CaseRefusal>] = []
            for try await result in group { results.append(result) }
            return results
        }
        let ids = results.compactMap { try? $0.get() }
        XCTAssertEqual(ids.count, 160)
        XCTAssertEqual(Set(ids).count, 160, "every caller got a distinct case")
        let refusals = results.compactMap { result -> CaseRefusal? in
            if case .failure(let refusal) = result { return refusal }
            return nil
        }
        XCTAssertEqual(refusals.count, 40)
        XCTAssertTrue(refusals.allSatisfy { $0.code == .forbidden })
        let commits = store.commitCount - before
        XCTAssertLessThan(commits, 200, "writes arriving together share a transaction (\(commits) commits for 200 writes)")
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [])
    }

    /// A slow-commit observer hears of each transaction at or over its threshold, with its
    /// durations and how many writes shared it; none under it; nothing once removed.
    func testSlowCommitsAreReported() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let reports = LockedList<SlowCommit>()
        store.setSlowCommitObserver(threshold: .zero) { reports.append($0) }
        _ = try await store.register(Fixtures.registration(), by: Fixtures.coordinator)
        var seen = reports.all
        XCTAssertEqual(seen.count, 1, "every transaction takes at least zero")
        XCTAssertEqual(seen.first?.writes, 1)
        XCTAssertGreaterThanOrEqual(seen.first?.duration ?? .zero, seen.first?.commitDuration ?? .seconds(1))
        XCTAssertGreaterThan(seen.first?.commitDuration ?? .zero, .zero)

        store.setSlowCommitObserver(threshold: .seconds(3_600)) { reports.append($0) }
        _ = try await store.register(Fixtures.registration(), by: Fixtures.coordinator)
        store.setSlowCommitObserver(threshold: .zero, nil)
        _ = try await store.register(Fixtures.registration(), by: Fixtures.coordinator)
        seen = reports.all
        XCTAssertEqual(seen.count, 1, "nothing under the threshold, nothing once removed")
    }

    func testChainsVerifyAndProjectionEqualsRebuild() async throws {
        let store = try await makeStore()
        defer { store.close() }
        for _ in 0..<3 { _ = try await caseInHandling(store) }
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [])
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
        let figures = try await store.figuresMismatches()
        XCTAssertEqual(figures, [])
    }

    func testFiguresRollupEqualsRebuildAndCatchesEdits() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        _ = try await store.perform(.answerDrafted(Fixtures.answer), on: id, by: Fixtures.housingOfficer)
        _ = try await store.perform(.answerCosigned(version: 1), on: id, by: Fixtures.financeOfficer)
        _ = try await store.perform(.answered(Fixtures.answer), on: id, by: Fixtures.housingOfficer)
        _ = try await store.perform(.satisfactionRated(.notSatisfied), on: id, by: Fixtures.coordinator)
        _ = try await store.perform(.satisfactionRated(.satisfied), on: id, by: Fixtures.coordinator)  // the latest rating counts
        let clean = try await store.figuresMismatches()
        XCTAssertEqual(clean, [])
        try tamper("UPDATE figures_daily SET satisfied = satisfied + 1 WHERE unit_id = 'housing'")
        let edited = try await store.figuresMismatches()
        XCTAssertEqual(edited.count, 1)
        XCTAssertTrue(edited.first?.hasPrefix("housing@") ?? false)
    }

    func testHubSchemaMigratesAVersionOneDatabase() throws {
        let connection = try SQLiteConnection(path: path)
        try Migrator.migrate(connection, migrations: Array(HubSchema.migrations.prefix(1)))
        try connection.run("INSERT INTO hub_meta (key, value) VALUES ('created_at', 'then')")
        let migrated = try HubSchema.open(path: path)
        XCTAssertEqual(try Migrator.currentVersion(of: migrated), HubSchema.latestVersion)
        XCTAssertEqual(try migrated.query("SELECT value FROM hub_meta").first?.string(0), "then", "data kept across migrations")
        XCTAssertFalse(try migrated.query("SELECT name FROM sqlite_master WHERE name = 'case_events'").isEmpty)
    }

    /// Runs `sql` on a second connection, as someone editing the file behind the hub's back.
    private func tamper(_ sql: String) throws {
        let connection = try SQLiteConnection(path: path)
        try connection.execute(sql)
    }

    func testEditedEventIsNamed() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        try tamper("UPDATE case_events SET body = replace(body, 'housing', 'finance') WHERE case_id = \(id.rawValue) AND seq = 2")
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [EventChain.Violation(caseID: id, sequence: 2, problem: .edited)])
    }

    func testRemovedEventIsNamed() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        try tamper("DELETE FROM case_events WHERE case_id = \(id.rawValue) AND seq = 3")
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [EventChain.Violation(caseID: id, sequence: 3, problem: .missing)])
    }

    func testRemovedLastEventIsNamed() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        try tamper("DELETE FROM case_events WHERE case_id = \(id.rawValue) AND seq = 4")
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [EventChain.Violation(caseID: id, sequence: 4, problem: .missing)])
    }

    func testReorderedEventsAreNamed() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        // Swap the places of events 2 and 3 (their sequence numbers), keeping their bytes and links.
        try tamper("""
            UPDATE case_events SET seq = -1 WHERE case_id = \(id.rawValue) AND seq = 2;
            UPDATE case_events SET seq = 2 WHERE case_id = \(id.rawValue) AND seq = 3;
            UPDATE case_events SET seq = 3 WHERE case_id = \(id.rawValue) AND seq = -1;
            """)
        let violations = try await store.verifyChains()
        XCTAssertEqual(violations, [EventChain.Violation(caseID: id, sequence: 2, problem: .reordered)])
    }

    func testEditedProjectionDiffersFromRebuild() async throws {
        let store = try await makeStore()
        defer { store.close() }
        let id = try await caseInHandling(store)
        try tamper("UPDATE cases SET state = replace(state, '\"in_handling\"', '\"closed\"') WHERE id = \(id.rawValue)")
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [id])
    }

    func testDataSurvivesReopening() async throws {
        var store: CaseStore? = try await makeStore()
        let id = try await caseInHandling(store!)
        store?.close()
        store = nil
        let reopened = try CaseStore(path: path, clock: ManualClock(Fixtures.start))
        defer { reopened.close() }
        let state = try await reopened.caseState(id)
        XCTAssertEqual(state?.status, .inHandling)
        let next = try await reopened.perform(.answerDrafted(Fixtures.answer), on: id, by: Fixtures.housingOfficer)
        XCTAssertEqual(next.sequence, 5)
        let violations = try await reopened.verifyChains()
        XCTAssertEqual(violations, [])
    }

    func testBackupCopiesTheStore() async throws {
        let store = try await makeStore()
        defer { store.close() }
        _ = try await caseInHandling(store)
        try await store.backup(to: directory + "/backup.sqlite")
        let copy = try CaseStore(path: directory + "/backup.sqlite")
        defer { copy.close() }
        let state = try await copy.caseState(CaseID(1))
        XCTAssertEqual(state?.status, .inHandling)
        let violations = try await copy.verifyChains()
        XCTAssertEqual(violations, [])
    }

    func testDirectoryValidatesUnitsAndPeople() async throws {
        let store = try await makeStore()
        defer { store.close() }
        do {
            try await store.addUnit(Unit(id: UnitID("bad id"), name: "x", kind: .other))
            XCTFail("invalid id")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .invalidArgument) }
        do {
            try await store.addPerson(Person(id: PersonID("p1"), name: "Nobody", unit: UnitID("missing"), roles: [.officer]))
            XCTFail("unit must exist")
        } catch let error as SQLiteError { XCTAssertTrue(error.isConstraintViolation) }
        let units = try await store.units()
        XCTAssertEqual(units.count, 4)
        let coordinator = try await store.person(PersonID("coord"))
        XCTAssertEqual(coordinator?.roles, [.coordinator])
    }
}

/// A list appended to from the writer thread and read from the test.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    func append(_ item: Element) { lock.withLock { items.append(item) } }
    var all: [Element] { lock.withLock { items } }
}
