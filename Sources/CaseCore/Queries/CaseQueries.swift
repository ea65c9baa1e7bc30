// CaseQueries: what the hub and people ask of the store — cases by unit, status and leader,
// deadlines near or past their limit, and the figures the field reports.
import Foundation

/// How a unit is on a case. The raw value is the wire name (`co_handling`, as everywhere else on the
/// wire); `storedName` is the value of `case_units.relation`, which spells co-handling
/// `cohandling`, mapped here and nowhere else.
public enum UnitRelation: String, Codable, Sendable, CaseIterable {
    case involved
    case lead
    case coHandling = "co_handling"

    /// The value in the `case_units` table.
    var storedName: String {
        switch self {
        case .involved: "involved"
        case .lead: "lead"
        case .coHandling: "cohandling"
        }
    }
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

/// The figures the field reports, for a period and optionally one unit.
public struct CaseFigures: Codable, Sendable, Equatable {
    public init() {}

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

/// Most rows one page read takes: one more than the largest page, so that a reader asking for a
/// full page and one more learns whether another page follows (without it, a page of 500 never
/// said `next`).
public let maxCaseRead = maxCasePage + 1

extension CaseStore {
    /// Cases where `unit` has `relation`, optionally in one status, by id, after `afterID`.
    public func cases(for unit: UnitID, relation: UnitRelation, status: CaseStatus? = nil, after afterID: CaseID? = nil, limit: Int = 100) async throws -> [PetitionCase] {
        try await readCases(
            """
            SELECT c.state FROM case_units u JOIN cases c ON c.id = u.case_id
            WHERE u.unit_id = ? AND u.relation = ? AND u.case_id > ? \(status == nil ? "" : "AND c.status = ?")
            ORDER BY u.case_id LIMIT ?
            """,
            [.text(unit.rawValue), .text(relation.storedName), .integer(afterID?.rawValue ?? 0)]
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

    /// The field's figures for the local days `from...to` (inclusive), overall or for one unit.
    /// Handling, rating and overdue figures count for the lead unit; escalations for every unit
    /// involved; objections for the objecting unit. `now` adds the running obligations already past
    /// their limit to the overdue count.
    public func figures(from: LocalDate, to: LocalDate, unit: UnitID? = nil, now: Timestamp) async throws -> CaseFigures {
        try await figures(from: from, to: to, unit: unit, now: now, runningOverdue: nil)
    }

    /// `figures`, with the unit's running obligations past their limit already counted (a report
    /// of every unit counts them for all units in one query).
    private func figures(from: LocalDate, to: LocalDate, unit: UnitID?, now: Timestamp, runningOverdue: Int?) async throws -> CaseFigures {
        let windows = DeadlineKind.allCases.filter(\.isWindow).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let timeZone = policy.timeZone
        let rangeStart = timeZone.startOfDay(from), rangeEnd = timeZone.endOfDay(to)
        return try await read { connection in
            var figures = CaseFigures()
            guard let row = try connection.query(
                """
                SELECT COALESCE(SUM(answered), 0), COALESCE(SUM(handling_ms), 0), COALESCE(SUM(answered_on_time), 0),
                       COALESCE(SUM(met_late), 0), COALESCE(SUM(rated), 0), COALESCE(SUM(satisfied), 0),
                       COALESCE(SUM(escalated), 0), COALESCE(SUM(objections_raised), 0), COALESCE(SUM(objections_upheld), 0)
                FROM figures_daily WHERE unit_id = ? AND day >= ? AND day <= ?
                """,
                [.text(unit?.rawValue ?? FiguresRollup.allUnits), .integer(Int64(from.dayNumber)), .integer(Int64(to.dayNumber))]
            ).first else { return figures }
            figures.answered = Int(row.int(0) ?? 0)
            if figures.answered > 0 {
                figures.averageHandlingDays = Double(row.int(1) ?? 0) / 86_400_000 / Double(figures.answered)
                figures.onTimeRate = Double(row.int(2) ?? 0) / Double(figures.answered)
            }
            figures.rated = Int(row.int(4) ?? 0)
            if figures.rated > 0 { figures.satisfactionRate = Double(row.int(5) ?? 0) / Double(figures.rated) }
            figures.escalated = Int(row.int(6) ?? 0)
            figures.objectionsRaised = Int(row.int(7) ?? 0)
            figures.objectionsUpheld = Int(row.int(8) ?? 0)
            // Running obligations past their limit (no event has recorded them yet).
            if let runningOverdue {
                figures.overdue = Int(row.int(3) ?? 0) + runningOverdue
                return figures
            }
            let running = try connection.query(
                """
                SELECT COUNT(*) FROM case_deadlines d \(unit == nil ? "" : "JOIN cases c ON c.id = d.case_id AND c.lead_unit = ?")
                WHERE d.met_at IS NULL AND d.due_at >= ? AND d.due_at < ? AND d.due_at <= ? AND d.kind NOT IN (\(windows))
                """,
                (unit.map { [SQLiteValue.text($0.rawValue)] } ?? [])
                    + [.integer(Timestamp(rangeStart).milliseconds), .integer(Timestamp(rangeEnd).milliseconds), .integer(now.milliseconds)]
            ).first?.int(0) ?? 0
            figures.overdue = Int(row.int(3) ?? 0) + Int(running)
            return figures
        }
    }

    fileprivate func clampedLimit(_ limit: Int) -> Int { min(max(limit, 1), maxCaseRead) }

    /// The states `sql` selects, read on the reader connection and decoded off it, a page's
    /// worth over the machine's cores (decoding is most of a page of whole cases).
    private func readCases(_ sql: String, _ bindings: [SQLiteValue]) async throws -> [PetitionCase] {
        let states = try await read { connection in try connection.query(sql, bindings).map { $0.string(0) ?? "" } }
        return try await ConcurrentChunks.map(states) { chunk in
            let decoder = JSONDecoder()
            return try chunk.map { try decoder.decode(PetitionCase.self, from: Data($0.utf8)) }
        }
    }
}

/// What a case list asks for: every condition given must hold. Done by the store over all cases.
public struct CaseFilter: Sendable, Equatable {
    /// With `relation`: the unit's part in the case.
    public var unit: UnitID?
    public var relation: UnitRelation?
    public var status: CaseStatus?
    /// Only cases with a running obligation (a legal deadline, not a petitioner's window; a task;
    /// a supervision item) past its limit.
    public var overdue = false
    /// Only cases under listed supervision (挂牌督办).
    public var listed = false
    /// A registration number (〔2026〕第0012号, as the conference writes them; or the case's id,
    /// `case-12` or `12`), or words the title contains (letters in any case).
    public var search: String?

    public init(unit: UnitID? = nil, relation: UnitRelation? = nil, status: CaseStatus? = nil, overdue: Bool = false,
                listed: Bool = false, search: String? = nil) {
        self.unit = unit
        self.relation = relation
        self.status = status
        self.overdue = overdue
        self.listed = listed
        self.search = search
    }

    /// Longest search text taken.
    public static let maxSearchLength = 100

    /// The case a search names by its registration number or id, if it names one.
    func searchedID(_ numbering: RegistrationNumbering) -> Int64? {
        guard let given = search?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let id = numbering.caseID(named: given) { return id.rawValue }
        let text = given.lowercased()
        let digits = text.hasPrefix("case-") ? String(text.dropFirst(5)) : text
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int64(digits)
    }

    /// The search as a LIKE pattern (its `%`, `_` and `\` taken literally).
    var searchPattern: String? {
        guard let text = search?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    /// The tables a page reads, `case_titles t` (title and next due time, narrow) and `cases c`,
    /// with the WHERE clause over them and its values. A filter on the narrow table alone
    /// (`overdue`, `search`) walks it in case order, reading a case's row only when it matches;
    /// the others start from their index (unit, status, listed).
    func clause(at now: Timestamp, numbering: RegistrationNumbering) -> (from: String, key: String, sql: String, values: [SQLiteValue]) {
        var conditions: [String] = [], values: [SQLiteValue] = []
        if let relation, let unit {
            conditions.append("c.id IN (SELECT case_id FROM case_units WHERE unit_id = ? AND relation = ?)")
            values += [.text(unit.rawValue), .text(relation.storedName)]
        }
        if let status {
            conditions.append("c.status = ?")
            values.append(.text(status.rawValue))
        }
        if listed { conditions.append("c.listed = 1") }
        if overdue {
            conditions.append("t.next_due_at <= ?")
            values.append(.integer(now.milliseconds))
        }
        if let pattern = searchPattern {
            conditions.append("(t.title LIKE ? ESCAPE '\\' OR t.id = ?)")
            values += [.text(pattern), .integer(searchedID(numbering) ?? -1)]
        }
        let narrow = (overdue || searchPattern != nil) && relation == nil && status == nil && !listed
        let from = narrow ? "case_titles t CROSS JOIN cases c ON c.id = t.id" : "cases c JOIN case_titles t ON t.id = c.id"
        return (from, narrow ? "t.id" : "c.id", conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), values)
    }
}

extension CaseStore {
    /// The cases that match `filter` at `now`, by id, after `afterID`: at most `limit`.
    public func cases(matching filter: CaseFilter, at now: Timestamp, after afterID: CaseID? = nil, limit: Int = 100) async throws -> [PetitionCase] {
        let (from, key, condition, values) = filter.clause(at: now, numbering: numbering)
        return try await readCases(
            "SELECT c.state FROM \(from) WHERE \(key) > ? AND \(condition) ORDER BY \(key) LIMIT ?",
            [.integer(afterID?.rawValue ?? 0)] + values + [.integer(Int64(clampedLimit(limit)))])
    }
}

/// How a case list shows each case: `full`, as `case.get` shows it; `summary`, what a list of
/// cases shows (number, title, status, lead, registration, handling limit, listed supervision),
/// read from the case's columns without its whole state.
public enum CaseListView: String, Codable, Sendable, CaseIterable {
    case full
    case summary
}

/// A case as a list shows it (`CaseListView.summary`).
public struct CaseSummary: Sendable, Equatable {
    public let id: CaseID
    public let title: String
    public let status: CaseStatus
    public let lead: UnitID?
    public let registeredAt: Timestamp
    /// When the handling limit falls due (with an approved extension), once the case is accepted.
    public let handlingDueAt: Timestamp?
    /// Under listed supervision (挂牌督办).
    public let listed: Bool

    /// The summary of a case's state (tests compare the stored columns with it).
    public init(_ state: PetitionCase) {
        id = state.id
        title = state.title
        status = state.status
        lead = state.leadUnit
        registeredAt = state.registeredAt
        handlingDueAt = state.deadline(.handling)?.dueAt
        listed = state.listedSupervision != nil
    }

    init(row: SQLiteRow) {
        id = CaseID(row.int(0) ?? 0)
        title = row.string(1) ?? ""
        status = CaseStatus(rawValue: row.string(2) ?? "") ?? .registered
        lead = row.string(3).map { UnitID($0) }
        registeredAt = Timestamp(milliseconds: row.int(4) ?? 0)
        handlingDueAt = row.int(5).map { Timestamp(milliseconds: $0) }
        listed = (row.int(6) ?? 0) != 0
    }
}

extension CaseStore {
    /// The cases that match `filter` at `now` as a list shows them, by id, after `afterID`: at
    /// most `limit`. Reads the columns of `cases` and `case_titles`, not the states.
    public func caseSummaries(matching filter: CaseFilter, at now: Timestamp, after afterID: CaseID? = nil, limit: Int = 100) async throws -> [CaseSummary] {
        let (from, key, condition, values) = filter.clause(at: now, numbering: numbering)
        let limit = clampedLimit(limit)
        return try await read { connection in
            try connection.query(
                """
                SELECT c.id, t.title, c.status, c.lead_unit, c.registered_at, c.handling_due_at, c.listed
                FROM \(from) WHERE \(key) > ? AND \(condition) ORDER BY \(key) LIMIT ?
                """,
                [.integer(afterID?.rawValue ?? 0)] + values + [.integer(Int64(limit))]
            ).map { CaseSummary(row: $0) }
        }
    }
}

extension CaseStore {
    /// Every case, by id (for readers who see all cases).
    public func allCases(after afterID: CaseID? = nil, limit: Int = 100) async throws -> [PetitionCase] {
        let limit = min(max(limit, 1), maxCaseRead)
        return try await read { connection in
            let decoder = JSONDecoder()
            return try connection.query("SELECT state FROM cases WHERE id > ? ORDER BY id LIMIT ?",
                                        [.integer(afterID?.rawValue ?? 0), .integer(Int64(limit))])
                .map { try decoder.decode(PetitionCase.self, from: Data(($0.string(0) ?? "").utf8)) }
        }
    }
}

/// One row of a figures report: the figures of one unit, or of all units (`unit` nil).
public struct UnitFiguresRow: Sendable, Equatable {
    public let unit: UnitID?
    public let figures: CaseFigures

    public init(unit: UnitID?, figures: CaseFigures) {
        self.unit = unit
        self.figures = figures
    }
}

extension CaseStore {
    /// The figures of `from...to` for one unit, or for all units followed by each unit (by id).
    public func figuresReport(from: LocalDate, to: LocalDate, unit: UnitID?, now: Timestamp) async throws -> [UnitFiguresRow] {
        if let unit { return [UnitFiguresRow(unit: unit, figures: try await figures(from: from, to: to, unit: unit, now: now))] }
        var rows = [UnitFiguresRow(unit: nil, figures: try await figures(from: from, to: to, now: now))]
        let running = try await runningOverdueByLeadUnit(from: from, to: to, now: now)
        for each in try await units() {
            rows.append(UnitFiguresRow(unit: each.id, figures: try await figures(
                from: from, to: to, unit: each.id, now: now, runningOverdue: running[each.id.rawValue] ?? 0)))
        }
        return rows
    }

    /// The running obligations past their limit that fell due in `from...to`, by the lead unit of
    /// their case: what `figures` adds to each unit's overdue count, for every unit in one query.
    private func runningOverdueByLeadUnit(from: LocalDate, to: LocalDate, now: Timestamp) async throws -> [String: Int] {
        let windows = DeadlineKind.allCases.filter(\.isWindow).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let timeZone = policy.timeZone
        let rangeStart = timeZone.startOfDay(from), rangeEnd = timeZone.endOfDay(to)
        return try await read { connection in
            var counts: [String: Int] = [:]
            for row in try connection.query(
                """
                SELECT c.lead_unit, COUNT(*) FROM case_deadlines d JOIN cases c ON c.id = d.case_id
                WHERE d.met_at IS NULL AND d.due_at >= ? AND d.due_at < ? AND d.due_at <= ? AND d.kind NOT IN (\(windows))
                  AND c.lead_unit IS NOT NULL
                GROUP BY c.lead_unit
                """,
                [.integer(Timestamp(rangeStart).milliseconds), .integer(Timestamp(rangeEnd).milliseconds), .integer(now.milliseconds)]
            ) {
                counts[row.string(0) ?? ""] = Int(row.int(1) ?? 0)
            }
            return counts
        }
    }
}
