// CaseQueries: what the hub and people ask of the store — cases by unit, status and leader,
// deadlines near or past their limit, and the figures the field reports.
import Foundation

/// How a unit is on a case.
public enum UnitRelation: String, Codable, Sendable, CaseIterable {
    case involved
    case lead
    case coHandling = "cohandling"
}

/// A running deadline that has reached a warning level.
public struct DeadlineAlert: Codable, Sendable, Equatable {
    public let caseID: CaseID
    public let kind: DeadlineKind
    public let startedAt: Timestamp
    public let dueAt: Timestamp
    public let level: WarningLevel
    /// The highest level already reported for it (by the scheduler), if any.
    public let reported: WarningLevel?
}

/// The figures the field reports, for a period and optionally one unit (as lead unit).
public struct CaseFigures: Codable, Sendable, Equatable {
    /// Cases answered in the period.
    public var answered = 0
    /// Mean days from acceptance to answer, over those cases (nil when none).
    public var averageHandlingDays: Double?
    /// Share of those answered within their handling limit (including an approved extension).
    public var onTimeRate: Double?
    /// Deadlines (not petitioner windows) that fell due in the period and were not met by then.
    public var overdue = 0
    /// Ratings recorded in the period, and the share satisfied or basically satisfied.
    public var rated = 0
    public var satisfactionRate: Double?
    /// Cases whose lead unit was decided after a negotiation (escalated to a decision).
    public var escalated = 0
    /// Objections to an assignment raised in the period, and how many the office upheld.
    public var objectionsRaised = 0
    public var objectionsUpheld = 0
}

/// Largest page a case listing returns.
public let maxCasePage = 500

extension CaseStore {
    /// Cases where `unit` has `relation`, optionally in one status, by id, after `afterID`.
    public func cases(for unit: UnitID, relation: UnitRelation, status: CaseStatus? = nil, after afterID: CaseID? = nil, limit: Int = 100) async throws -> [PetitionCase] {
        try await readCases(
            """
            SELECT c.state FROM case_units u JOIN cases c ON c.id = u.case_id
            WHERE u.unit_id = ? AND u.relation = ? AND u.case_id > ? \(status == nil ? "" : "AND c.status = ?")
            ORDER BY u.case_id LIMIT ?
            """,
            [.text(unit.rawValue), .text(relation.rawValue), .integer(afterID?.rawValue ?? 0)]
                + (status.map { [SQLiteValue.text($0.rawValue)] } ?? []) + [.integer(Int64(clampedLimit(limit)))])
    }

    /// Cases in `status`, by id.
    public func cases(status: CaseStatus, after afterID: CaseID? = nil, limit: Int = 100) async throws -> [PetitionCase] {
        try await readCases(
            "SELECT state FROM cases WHERE status = ? AND id > ? ORDER BY id LIMIT ?",
            [.text(status.rawValue), .integer(afterID?.rawValue ?? 0), .integer(Int64(clampedLimit(limit)))])
    }

    /// Cases whose responsible leader is `leader`, by id.
    public func cases(responsibleLeader leader: PersonID, after afterID: CaseID? = nil, limit: Int = 100) async throws -> [PetitionCase] {
        try await readCases(
            "SELECT state FROM cases WHERE responsible_leader = ? AND id > ? ORDER BY id LIMIT ?",
            [.text(leader.rawValue), .integer(afterID?.rawValue ?? 0), .integer(Int64(clampedLimit(limit)))])
    }

    /// Running obligations (not petitioner windows) at or past `level` at `now`, soonest due first.
    public func deadlines(atOrAbove level: WarningLevel, at now: Timestamp, limit: Int = 100) async throws -> [DeadlineAlert] {
        let windows = DeadlineKind.allCases.filter(\.isWindow).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let limit = clampedLimit(limit)
        return try await read { connection in
            try connection.query(
                """
                SELECT case_id, kind, started_at, due_at, reported_level FROM case_deadlines
                WHERE met_at IS NULL AND kind NOT IN (\(windows))
                  AND (? - started_at) * 100 >= ? * (due_at - started_at)
                ORDER BY due_at, case_id LIMIT ?
                """,
                [.integer(now.milliseconds), .integer(Int64(level.rawValue)), .integer(Int64(limit))]
            ).compactMap { row in
                guard let kind = DeadlineKind(rawValue: row.string(1) ?? "") else { return nil }
                let startedAt = Timestamp(milliseconds: row.int(2) ?? 0)
                let dueAt = Timestamp(milliseconds: row.int(3) ?? 0)
                guard let current = DeadlineMonitor.level(startedAt: startedAt, dueAt: dueAt, at: now) else { return nil }
                return DeadlineAlert(caseID: CaseID(row.int(0) ?? 0), kind: kind, startedAt: startedAt, dueAt: dueAt,
                                     level: current, reported: row.int(4).flatMap { WarningLevel(rawValue: Int($0)) })
            }
        }
    }

    /// The field's figures for `[from, to)`, overall or for one lead unit; `now` decides which
    /// running deadlines count as overdue.
    public func figures(from: Timestamp, to: Timestamp, unit: UnitID? = nil, now: Timestamp) async throws -> CaseFigures {
        let windows = DeadlineKind.allCases.filter(\.isWindow).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try await read { connection in
            var figures = CaseFigures()
            let range: [SQLiteValue] = [.integer(from.milliseconds), .integer(to.milliseconds)]
            let unitValue: [SQLiteValue] = unit.map { [.text($0.rawValue)] } ?? []
            let leadFilter = unit == nil ? "" : "AND lead_unit = ?"

            if let row = try connection.query(
                """
                SELECT COUNT(*), AVG((answered_at - accepted_at) / 86400000.0), SUM(answered_at < handling_due_at)
                FROM cases WHERE answered_at >= ? AND answered_at < ? \(leadFilter)
                """, range + unitValue).first {
                figures.answered = Int(row.int(0) ?? 0)
                figures.averageHandlingDays = row.double(1)
                if figures.answered > 0 { figures.onTimeRate = (row.double(2) ?? 0) / Double(figures.answered) }
            }

            figures.overdue = Int(try connection.query(
                """
                SELECT COUNT(*) FROM case_deadlines d \(unit == nil ? "" : "JOIN cases c ON c.id = d.case_id AND c.lead_unit = ?")
                WHERE d.due_at >= ? AND d.due_at < ? AND d.kind NOT IN (\(windows))
                  AND ((d.met_at IS NULL AND d.due_at <= ?) OR d.met_at >= d.due_at)
                """, unitValue + range + [.integer(now.milliseconds)]).first?.int(0) ?? 0)

            if let row = try connection.query(
                """
                SELECT COUNT(*), SUM(satisfaction IN ('satisfied', 'basically_satisfied'))
                FROM cases WHERE rated_at >= ? AND rated_at < ? \(leadFilter)
                """, range + unitValue).first {
                figures.rated = Int(row.int(0) ?? 0)
                if figures.rated > 0 { figures.satisfactionRate = (row.double(1) ?? 0) / Double(figures.rated) }
            }

            figures.escalated = Int(try connection.query(
                """
                SELECT COUNT(*) FROM case_events a
                WHERE a.type = 'assigned' AND a.at >= ? AND a.at < ?
                  AND EXISTS (SELECT 1 FROM case_events n WHERE n.case_id = a.case_id AND n.type = 'negotiation_opened' AND n.seq < a.seq)
                  \(unit == nil ? "" : "AND EXISTS (SELECT 1 FROM case_units u WHERE u.case_id = a.case_id AND u.unit_id = ? AND u.relation = 'involved')")
                """, range + unitValue).first?.int(0) ?? 0)

            figures.objectionsRaised = Int(try connection.query(
                "SELECT COUNT(*) FROM case_events WHERE type = 'objection_raised' AND at >= ? AND at < ? \(unit == nil ? "" : "AND actor_unit = ?")",
                range + unitValue).first?.int(0) ?? 0)

            figures.objectionsUpheld = Int(try connection.query(
                """
                SELECT COUNT(*) FROM case_events u WHERE u.type = 'objection_upheld' AND u.at >= ? AND u.at < ?
                \(unit == nil ? "" : """
                  AND (SELECT r.actor_unit FROM case_events r WHERE r.case_id = u.case_id AND r.type = 'objection_raised'
                       AND r.seq < u.seq ORDER BY r.seq DESC LIMIT 1) = ?
                """)
                """, range + unitValue).first?.int(0) ?? 0)
            return figures
        }
    }

    private func clampedLimit(_ limit: Int) -> Int { min(max(limit, 1), maxCasePage) }

    private func readCases(_ sql: String, _ bindings: [SQLiteValue]) async throws -> [PetitionCase] {
        try await read { connection in
            let decoder = JSONDecoder()
            return try connection.query(sql, bindings).map { try decoder.decode(PetitionCase.self, from: Data(($0.string(0) ?? "").utf8)) }
        }
    }
}
