// DeadlineWarningsTests: the dashboard's warnings — a running legal deadline listed from the level
// it reached, counted once at its highest level, gone from the warnings once overdue or met, and
// never a petitioner's window.
import Foundation
import XCTest

@testable import CaseCore

final class DeadlineWarningsTests: XCTestCase {
    func testADeadlineClimbsTheLevelsAndLeavesTheWarningsWhenOverdue() async throws {
        let directory = NSTemporaryDirectory() + "chub-warnings-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock(Fixtures.start)
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        defer { store.close() }
        for unit in [Fixtures.bureau, Fixtures.housing, Fixtures.finance] {
            try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: unit == Fixtures.bureau ? .petitionBureau : .department))
        }
        let id = try await store.register(Fixtures.registration(units: [Fixtures.housing]), by: Fixtures.coordinator).caseID
        _ = try await store.perform(.assigned(Assignment(lead: Fixtures.housing, rationale: "the only unit")), on: id, by: Fixtures.coordinator)
        let state = try await store.caseState(id)
        let notice = try XCTUnwrap(state?.deadline(.acceptanceNotice))
        let span = notice.dueAt.milliseconds - notice.startedAt.milliseconds

        func warnings(_ level: WarningLevel = .half) async throws -> DeadlineWarnings {
            try await store.deadlineWarnings(atOrAbove: level, at: clock.now())
        }
        let fresh = try await warnings()
        XCTAssertEqual(fresh.entries.count, 0)
        XCTAssertEqual(fresh.counts, [.half: 0, .threeQuarters: 0, .eightyFive: 0, .ninetyNine: 0])

        for (fraction, level) in [(0.6, WarningLevel.half), (0.8, .threeQuarters), (0.9, .eightyFive), (0.995, .ninetyNine)] {
            clock.set(Timestamp(milliseconds: notice.startedAt.milliseconds + Int64(Double(span) * fraction)))
            let now = try await warnings()
            XCTAssertEqual(now.entries.map(\.kind), [.acceptanceNotice], "\(fraction)")
            XCTAssertEqual(now.entries.first?.level, level)
            XCTAssertEqual(now.entries.first?.entry.owedBy, [Fixtures.housing])
            XCTAssertEqual(now.counts.filter { $0.value > 0 }.map(\.key), [level], "counted once, at its highest level")
            let above = try await warnings(level)
            XCTAssertEqual(above.entries.count, 1)
            if let higher = WarningLevel.allCases.first(where: { $0 > level && $0 != .overdue }) {
                let none = try await warnings(higher)
                XCTAssertEqual(none.entries.count, 0, "not yet at \(higher)")
            }
        }
        // Overdue: no longer a warning (the supervision list has it).
        clock.set(notice.dueAt.adding(seconds: 60))
        let overdue = try await warnings()
        XCTAssertEqual(overdue.entries.count, 0)
        XCTAssertEqual(overdue.counts.values.reduce(0, +), 0)
        // Met: gone.
        clock.set(Timestamp(milliseconds: notice.startedAt.milliseconds + Int64(Double(span) * 0.6)))
        _ = try await store.perform(.accepted, on: id, by: Fixtures.housingOfficer)
        let met = try await warnings()
        XCTAssertFalse(met.entries.contains { $0.kind == .acceptanceNotice })
    }
}
