// RegistrationNumberTests: registration numbers (登记编号) — the pattern's rules, numbers by year
// in the conference's time zone, a new year started at its first case, search by number, the
// numbering rebuilt from the cases by the migration, and a pattern fixed once cases exist.
import Foundation
import XCTest

@testable import CaseCore

final class RegistrationNumberTests: XCTestCase {
    func testAPatternHasAYearAndAPlaceAndNoDigitsOfItsOwn() throws {
        let pattern = NumberPattern.default
        XCTAssertEqual(pattern.format(year: 2026, sequence: 1), "〔2026〕第0001号")
        XCTAssertEqual(pattern.format(year: 2026, sequence: 12_345), "〔2026〕第12345号")
        XCTAssertEqual(try NumberPattern("信访{year}-{seq}").format(year: 2027, sequence: 7), "信访2027-7")
        XCTAssertEqual(try NumberPattern("{seq:6}/{year}").format(year: 2027, sequence: 7), "000007/2027")
        for (text, why) in [("", "is 1-40"), ("第{seq}号", "once each"), ("{year}{year}-{seq}", "once each"),
                            ("{year}{seq}", "text between"), ("〔{year}〕第{seq:0}号", "not {seq:0}"), ("〔{year}〕第{num}号", "not {num}"),
                            ("2026-{year}-{seq}", "no digits"), ("{year}-{seq}\n", "one line"), (String(repeating: "第", count: 41), "is 1-40")] {
            XCTAssertThrowsError(try NumberPattern(text), text) { error in
                XCTAssertEqual((error as? CaseRefusal)?.code, .invalidArgument)
                XCTAssertTrue((error as? CaseRefusal)?.reason.contains(why) ?? false, "\(text): \(error)")
            }
        }
        XCTAssertEqual(pattern.parse("〔2026〕第0001号")?.sequence, 1)
        XCTAssertEqual(pattern.parse("〔2026〕第1号")?.year, 2026)
        XCTAssertNil(pattern.parse("〔2026〕第0000号"))
        XCTAssertNil(pattern.parse("〔26〕第0001号"))
        XCTAssertNil(pattern.parse("〔2026〕第0001号 "))
        XCTAssertNil(pattern.parse("(2026)第0001号"))
    }

    func testNumbersCountFromEachYearsFirstCase() {
        var numbering = RegistrationNumbering()
        XCTAssertNil(numbering.number(of: CaseID(1)))
        XCTAssertTrue(numbering.record(CaseID(1), in: 2026))
        XCTAssertFalse(numbering.record(CaseID(2), in: 2026))
        XCTAssertEqual(numbering.year(ofNextCaseAt: 2025), 2026, "never a year before the case before it")
        XCTAssertTrue(numbering.record(CaseID(40), in: 2027))
        XCTAssertEqual(numbering.number(of: CaseID(1)), "〔2026〕第0001号")
        XCTAssertEqual(numbering.number(of: CaseID(39)), "〔2026〕第0039号")
        XCTAssertEqual(numbering.number(of: CaseID(40)), "〔2027〕第0001号")
        XCTAssertEqual(numbering.number(of: CaseID(41)), "〔2027〕第0002号")
        XCTAssertEqual(numbering.caseID(named: "〔2026〕第0039号"), CaseID(39))
        XCTAssertNil(numbering.caseID(named: "〔2026〕第0040号"), "2026 had 39 cases")
        XCTAssertEqual(numbering.caseID(named: "〔2027〕第2号"), CaseID(41))
        XCTAssertNil(numbering.caseID(named: "〔2025〕第0001号"))
    }

    private func makeStore(clock: ManualClock) async throws -> (CaseStore, String) {
        let directory = NSTemporaryDirectory() + "chub-numbers-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        for unit in [Fixtures.bureau, Fixtures.housing, Fixtures.finance] {
            try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: unit == Fixtures.bureau ? .petitionBureau : .department))
        }
        return (store, directory)
    }

    func testTheStoreNumbersByTheYearInTheConferencesTimeZone() async throws {
        // 2026-12-31 23:30 in Beijing is 15:30 UTC; 16:30 UTC is 00:30 on New Year's Day there.
        let clock = ManualClock(Timestamp(ISO8601DateFormatter().date(from: "2026-12-31T15:30:00Z")!))
        let (store, directory) = try await makeStore(clock: clock)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for _ in 0..<3 { _ = try await store.register(Fixtures.registration(), by: Fixtures.coordinator) }
        clock.advance(seconds: 3600)
        for _ in 0..<2 { _ = try await store.register(Fixtures.registration(), by: Fixtures.coordinator) }
        XCTAssertEqual((1...5).map { store.number(of: CaseID(Int64($0))) },
                       ["〔2026〕第0001号", "〔2026〕第0002号", "〔2026〕第0003号", "〔2027〕第0001号", "〔2027〕第0002号"])
        XCTAssertEqual(store.number(of: CaseID(6)), "〔2027〕第0003号", "the next case's number, before it exists")

        // A search by the number finds the case, padded or not; the title search still works.
        let now = clock.now()
        for (search, expected) in [("〔2027〕第0001号", [CaseID(4)]), ("〔2026〕第3号", [CaseID(3)]), (" 〔2026〕第0002号 ", [CaseID(2)]),
                                   ("case-5", [CaseID(5)]), ("〔2026〕第0004号", [])] {
            let found = try await store.caseSummaries(matching: CaseFilter(search: search), at: now).map(\.id)
            XCTAssertEqual(found, expected, search)
        }

        // The numbering is read back by a store opened again, and rebuilt the same from the cases
        // when the migration asks for it (a database from before registration numbers).
        store.close()
        let reopened = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        XCTAssertEqual(reopened.numbering, store.numbering)
        try await reopened.write { connection in
            try connection.execute("DELETE FROM registration_years")
            try connection.run("INSERT INTO hub_meta (key, value) VALUES ('registration_years_rebuild', '1')")
        }
        reopened.close()
        let rebuilt = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        XCTAssertEqual(rebuilt.numbering, store.numbering)
        XCTAssertEqual(rebuilt.numbering.years, [.init(year: 2026, firstCase: CaseID(1)), .init(year: 2027, firstCase: CaseID(4))])
        rebuilt.close()
        // In UTC the five cases fall in 2026 alone.
        let utcDirectory = directory + "-utc"
        try FileManager.default.createDirectory(atPath: utcDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: utcDirectory) }
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            try FileManager.default.copyItem(atPath: directory + "/" + file, toPath: utcDirectory + "/" + file)
        }
        let copy = try CaseStore(path: utcDirectory + "/hub.sqlite", clock: clock)
        try await copy.write { connection in
            try connection.run("INSERT INTO hub_meta (key, value) VALUES ('registration_years_rebuild', '1')")
        }
        copy.close()
        let inUTC = try CaseStore(path: utcDirectory + "/hub.sqlite", policy: DeadlinePolicy(timeZone: .utc), clock: clock)
        defer { inUTC.close() }
        XCTAssertEqual(inUTC.number(of: CaseID(5)), "〔2026〕第0005号")
    }

    func testThePatternIsChosenBeforeTheFirstCaseAndNeverChangedAfter() async throws {
        let clock = ManualClock(Fixtures.start)
        let (store, directory) = try await makeStore(clock: clock)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.setNumberPattern(try NumberPattern("某信〔{year}〕{seq:3}号"))
        _ = try await store.register(Fixtures.registration(), by: Fixtures.coordinator)
        XCTAssertEqual(store.number(of: CaseID(1)), "某信〔2026〕001号")
        do {
            try await store.setNumberPattern(.default)
            XCTFail("the pattern changed after a case was registered")
        } catch let refusal as CaseRefusal {
            XCTAssertEqual(refusal.code, .invalidState)
        }
        store.close()
        let reopened = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        defer { reopened.close() }
        XCTAssertEqual(reopened.number(of: CaseID(1)), "某信〔2026〕001号")
    }
}
