// NegotiationFiguresTests: each unit's negotiation figures, added up by SQLite from one covering
// index, equal the same figures added up row by row in Swift (how they were computed before).
import Foundation
import XCTest

@testable import CaseCore

final class NegotiationFiguresTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-negotiation-figures-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var path: String { directory + "/hub.sqlite" }

    /// The figures SQLite adds up from its index equal the same figures added up row by row (the
    /// way they were computed before), for random rounds: each unit's counts, and its median time
    /// to answer over an odd and an even number of answers, for all time and for a period.
    func testNegotiationFiguresFromTheIndexEqualTheRowByRowSums() async throws {
        let store = try CaseStore(path: path, clock: ManualClock(Fixtures.start))
        store.close()
        struct Row { let unit: String; let opened: Int64; let first: Int64?; let answer: String?; let lapsed: Int64; let overturned: Int64 }
        var generator = SystemRandomNumberGenerator()
        var rows: [Row] = []
        let connection = try SQLiteConnection(path: path)
        // Five units with 0, 1, 2, 7 and 40-odd rounds; answers taking from a second to a week.
        for (unit, rounds) in [("u0", 0), ("u1", 1), ("u2", 2), ("u3", 7), ("u4", 41 + Int.random(in: 0...1, using: &generator))] {
            for round in 0..<rounds {
                let opened = Int64.random(in: 0...1_000_000_000, using: &generator)
                let answered = round == 0 || Bool.random(using: &generator)
                let first: Int64? = answered ? opened + Int64.random(in: 1_000...604_800_000, using: &generator) : nil
                let answer: String? = answered ? ["claim", "decline", "cohandle"].randomElement(using: &generator) : nil
                let lapsed: Int64 = answered ? 0 : Int64.random(in: 0...1, using: &generator)
                let row = Row(unit: unit, opened: opened, first: first, answer: answer, lapsed: lapsed,
                              overturned: Int64.random(in: 0...1, using: &generator))
                rows.append(row)
                try connection.run(
                    """
                    INSERT INTO negotiation_participation (case_id, round, unit_id, opened_at, first_answered_at, last_answer, closed_at,
                                                           unanswered_at_deadline, decline_overturned) VALUES (?, 1, ?, ?, ?, ?, NULL, ?, ?)
                    """,
                    [.integer(Int64(rows.count)), .text(unit), .integer(opened), row.first.map { .integer($0) } ?? .null,
                     row.answer.map { .text($0) } ?? .null, .integer(row.lapsed), .integer(row.overturned)])
            }
        }
        let reopened = try CaseStore(path: path, clock: ManualClock(Fixtures.start))
        defer { reopened.close() }
        func expected(_ rows: [Row]) -> [NegotiationFigures] {
            Dictionary(grouping: rows) { $0.unit }.map { unit, rows in
                var entry = NegotiationFigures(unit: UnitID(unit))
                entry.joined = rows.count
                entry.answered = rows.filter { $0.first != nil }.count
                entry.claims = rows.filter { $0.answer == "claim" }.count
                entry.declines = rows.filter { $0.answer == "decline" }.count
                entry.unansweredAtDeadline = Int(rows.map { $0.lapsed }.reduce(0, +))
                entry.declinesOverturned = Int(rows.map { $0.overturned }.reduce(0, +))
                entry.medianSecondsToAnswer = CaseStore.median(rows.compactMap { row in row.first.map { $0 - row.opened } }).map { $0 / 1000 }
                return entry
            }.sorted { $0.unit < $1.unit }
        }
        let all = try await reopened.negotiationFigures()
        XCTAssertEqual(all, expected(rows))
        XCTAssertEqual(all.map(\.unit.rawValue), ["u1", "u2", "u3", "u4"])
        let period = (Timestamp(milliseconds: 250_000_000), Timestamp(milliseconds: 750_000_000))
        let within = try await reopened.negotiationFigures(from: period.0, to: period.1)
        XCTAssertEqual(within, expected(rows.filter { $0.opened >= 250_000_000 && $0.opened < 750_000_000 }))
        let one = try await reopened.negotiationFigures(unit: UnitID("u4"))
        XCTAssertEqual(one, expected(rows.filter { $0.unit == "u4" }))
    }
}
