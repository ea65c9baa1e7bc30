// DeadlineWarnings: the running legal deadlines that have used 50, 75, 85 or 99 % of their time and
// are not yet overdue, across every unit, for the supervision dashboard: the most urgent first, and
// how many stand at each level now. Read from the kept deadline rows by their running index, and
// only the cases listed.
import Foundation

/// A legal deadline past a warning level, not yet overdue.
public struct DeadlineWarningEntry: Sendable, Equatable {
    public let entry: SupervisionEntry
    public let kind: DeadlineKind
    /// The last day, in the conference's time zone (`dueAt` is the end of it).
    public let due: LocalDate?
    public let startedAt: Timestamp
    public let level: WarningLevel
}

/// The warnings of one page, and how many deadlines stand at each level (overdue excluded).
public struct DeadlineWarnings: Sendable, Equatable {
    public var entries: [DeadlineWarningEntry] = []
    /// Running deadlines at exactly each level now.
    public var counts: [WarningLevel: Int] = [:]
}

extension CaseStore {
    /// The running legal deadlines (not a petitioner's window) at `level` or above at `now` and
    /// not yet overdue, soonest due first, at most `limit`; and the count at each level.
    public func deadlineWarnings(atOrAbove level: WarningLevel, at now: Timestamp, limit: Int = 100) async throws -> DeadlineWarnings {
        let windows = DeadlineKind.allCases.filter(\.isWindow).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let running = "met_at IS NULL AND kind NOT IN (\(windows)) AND due_at > ?"
        let levels = WarningLevel.allCases.filter { $0 != .overdue }
        let limit = Int64(min(max(limit, 1), maxCasePage))
        let (rows, counts, states) = try await read { connection in
            let nowValue = SQLiteValue.integer(now.milliseconds)
            let rows = try connection.query(
                """
                SELECT case_id, kind, started_at, due_at FROM case_deadlines
                WHERE \(running) AND (? - started_at) * 100 >= ? * (due_at - started_at)
                ORDER BY due_at, case_id LIMIT ?
                """, [nowValue, nowValue, .integer(Int64(level.rawValue)), .integer(limit)]
            ).map { (CaseID($0.int(0) ?? 0), $0.string(1) ?? "", Timestamp(milliseconds: $0.int(2) ?? 0), Timestamp(milliseconds: $0.int(3) ?? 0)) }
            // One pass over the running deadlines: each counted at the highest level it reached.
            let reached = levels.reversed().map { "WHEN (?1 - started_at) * 100 >= \($0.rawValue) * (due_at - started_at) THEN \($0.rawValue)" }
            var counts: [WarningLevel: Int] = Dictionary(uniqueKeysWithValues: levels.map { ($0, 0) })
            for row in try connection.query(
                """
                SELECT reached, COUNT(*) FROM (
                    SELECT CASE \(reached.joined(separator: " ")) END AS reached FROM case_deadlines
                    WHERE met_at IS NULL AND kind NOT IN (\(windows)) AND due_at > ?1)
                WHERE reached IS NOT NULL GROUP BY reached
                """, [nowValue]) {
                if let reachedLevel = WarningLevel(rawValue: Int(row.int(0) ?? 0)) { counts[reachedLevel] = Int(row.int(1) ?? 0) }
            }
            let ids = Array(Set(rows.map(\.0))).map { SQLiteValue.integer($0.rawValue) }
            var states: [CaseID: PetitionCase] = [:]
            if !ids.isEmpty {
                let decoder = JSONDecoder()
                for row in try connection.query("SELECT state FROM cases WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))", ids) {
                    let state = try decoder.decode(PetitionCase.self, from: Data((row.string(0) ?? "").utf8))
                    states[state.id] = state
                }
            }
            return (rows, counts, states)
        }
        let offices = try await officeUnits()
        var warnings = DeadlineWarnings()
        warnings.counts = counts
        warnings.entries = rows.compactMap { id, key, startedAt, dueAt in
            guard let state = states[id], let kind = DeadlineKind(rawValue: key),
                  let current = DeadlineMonitor.level(startedAt: startedAt, dueAt: dueAt, at: now) else { return nil }
            let owed = state.owedBy(key)
            return DeadlineWarningEntry(
                entry: SupervisionEntry(caseID: id, title: state.title, obligation: key, what: state.describe(key), dueAt: dueAt,
                                        owedBy: owed.isEmpty ? offices : owed, overdue: false),
                kind: kind, due: state.deadline(kind)?.due, startedAt: startedAt, level: current)
        }
        return warnings
    }
}
