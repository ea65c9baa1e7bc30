// DeadlineScheduler: the hub's clock over every running obligation — the legal deadlines, open
// tasks and unanswered supervision items. At 50/75/85/99% of the allowed time, and at expiry, it
// posts one warning event per level to the case room; the level reached is stored in the same
// transaction, so a restart neither loses nor repeats a warning. Also the supervision list.
import Foundation

/// A warning level a running obligation reached.
public struct DeadlineWarning: Sendable, Equatable {
    public let caseID: CaseID
    /// A legal deadline's kind (`handling`, `acceptance_notice`…) or an obligation's key (`task-3`, `supervision-1`).
    public let obligation: String
    public let level: WarningLevel
    public let dueAt: Timestamp
    /// The units that owe it: the conference office's units (found by kind) when no other does.
    public let owedBy: [UnitID]
}

/// One line of the supervision list: something overdue or owed, and who owes it.
public struct SupervisionEntry: Sendable, Equatable {
    public let caseID: CaseID
    public let title: String
    /// `handling`, `task-3`, `supervision-1`…
    public let obligation: String
    /// What is owed, in words.
    public let what: String
    public let dueAt: Timestamp
    public let owedBy: [UnitID]
    public let overdue: Bool
}

/// The size of each part of the supervision list, whatever the page listed.
public struct SupervisionTotals: Sendable, Equatable {
    public var overdueDeadlines = 0
    public var overdueTasks = 0
    public var supervisionItems = 0
    public var negotiations = 0
    public var listed = 0
}

/// The supervision list (督办清单): everything someone owes and is late with or must answer.
public struct SupervisionList: Sendable, Equatable {
    /// Legal deadlines past their limit (acceptance notice, handling, review answers…).
    public var overdueDeadlines: [SupervisionEntry] = []
    /// Tasks past their date, not done.
    public var overdueTasks: [SupervisionEntry] = []
    /// Supervision items not yet answered (overdue or not).
    public var openSupervisionItems: [SupervisionEntry] = []
    /// Open negotiations and disputed cases awaiting a decision.
    public var negotiations: [NegotiationSupervisionItem] = []
    /// Cases under listed supervision, with the reason.
    public var listed: [(caseID: CaseID, title: String, reason: String)] = []
    /// The conference office's units (kind `petition_bureau`): who owes what no other unit owes.
    public var offices: [UnitID] = []
    /// How many entries each part has in all (a part lists at most the limit asked, most urgent first).
    public var totals = SupervisionTotals()

    public static func == (lhs: SupervisionList, rhs: SupervisionList) -> Bool {
        lhs.overdueDeadlines == rhs.overdueDeadlines && lhs.overdueTasks == rhs.overdueTasks
            && lhs.openSupervisionItems == rhs.openSupervisionItems && lhs.negotiations == rhs.negotiations
            && lhs.listed.map(\.caseID) == rhs.listed.map(\.caseID)
    }
}

extension PetitionCase {
    /// Who owes `obligation` (a deadline kind or an obligation key); empty means the conference office.
    public func owedBy(_ obligation: String) -> [UnitID] {
        if let kind = DeadlineKind(rawValue: obligation) {
            switch kind {
            case .negotiation: return negotiation?.unanswered ?? []
            case .escalation: return escalation?.to.map { [$0] } ?? []
            case .acceptanceNotice, .objection, .handling: return leadUnit.map { [$0] } ?? []
            case .transfer, .reviewAnswer, .reReviewAnswer, .reviewRequest, .reReviewRequest: return []
            }
        }
        if obligation.hasPrefix("task-"), let id = Int(obligation.dropFirst(5)) {
            return tasks.first { $0.id == id }.map { [$0.unit] } ?? []
        }
        if obligation.hasPrefix("supervision-"), let id = Int(obligation.dropFirst(12)) {
            return supervisionItems.first { $0.id == id }.map { [$0.unit] } ?? []
        }
        return []
    }

    /// What `obligation` is, in words.
    public func describe(_ obligation: String) -> String {
        if let kind = DeadlineKind(rawValue: obligation) {
            switch kind {
            case .transfer: return "transfer or assign the matter"
            case .acceptanceNotice: return "send the notice of acceptance"
            case .objection: return "object to the assignment (window)"
            case .negotiation: return "answer in the negotiation"
            case .escalation: return "decide the lead unit"
            case .handling: return "answer the petitioner"
            case .reviewRequest: return "request review (petitioner's window)"
            case .reviewAnswer: return "give the review opinion"
            case .reReviewRequest: return "request re-review (petitioner's window)"
            case .reReviewAnswer: return "give the re-review opinion"
            }
        }
        if obligation.hasPrefix("task-"), let id = Int(obligation.dropFirst(5)), let task = tasks.first(where: { $0.id == id }) {
            return "task \(id): \(task.what)"
        }
        if obligation.hasPrefix("supervision-"), let id = Int(obligation.dropFirst(12)),
            let item = supervisionItems.first(where: { $0.id == id })
        {
            return "answer supervision item \(id): \(item.demand)"
        }
        return obligation
    }
}

extension CaseStore {
    /// Posts the warnings every running obligation has reached since it last reported (one event
    /// per level, lowest first) and records the level reached. Returns what was posted.
    @discardableResult
    public func postDeadlineWarnings(batch: Int = 1_000) async throws -> [DeadlineWarning] {
        let now = clock.now()
        let windows = DeadlineKind.allCases.filter(\.isWindow).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let nextLevel = "(CASE COALESCE(reported_level, 0) WHEN 0 THEN 50 WHEN 50 THEN 75 WHEN 75 THEN 85 WHEN 85 THEN 99 ELSE 100 END)"
        let due = "COALESCE(reported_level, 0) < 100 AND (? - started_at) * 100 >= (due_at - started_at) * \(nextLevel)"
        let candidates = try await read { connection in
            try connection.query(
                """
                SELECT case_id, kind, 0 FROM case_deadlines WHERE met_at IS NULL AND kind NOT IN (\(windows)) AND \(due)
                UNION ALL
                SELECT case_id, key, 1 FROM case_obligations WHERE met_at IS NULL AND \(due)
                ORDER BY 1 LIMIT ?
                """, [.integer(now.milliseconds), .integer(now.milliseconds), .integer(Int64(batch))]
            ).map { (CaseID($0.int(0) ?? 0), $0.string(1) ?? "", $0.int(2) == 1) }
        }
        var byCase: [CaseID: [(String, Bool)]] = [:]
        for (caseID, key, isObligation) in candidates { byCase[caseID, default: []].append((key, isObligation)) }
        var posted: [DeadlineWarning] = []
        for caseID in byCase.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let keys = byCase[caseID] ?? []
            posted += try await writeWithContext { context in
                guard let state = try Self.loadState(caseID, context)?.state else { return [] }
                var warnings: [DeadlineWarning] = []
                for (key, isObligation) in keys {
                    let table = isObligation ? "case_obligations" : "case_deadlines", column = isObligation ? "key" : "kind"
                    guard let row = try context.connection.query(
                        "SELECT started_at, due_at, reported_level FROM \(table) WHERE case_id = ? AND \(column) = ? AND met_at IS NULL",
                        [.integer(caseID.rawValue), .text(key)]
                    ).first else { continue }
                    let startedAt = Timestamp(milliseconds: row.int(0) ?? 0), dueAt = Timestamp(milliseconds: row.int(1) ?? 0)
                    let reported = row.int(2).flatMap { WarningLevel(rawValue: Int($0)) }
                    guard let current = DeadlineMonitor.level(startedAt: startedAt, dueAt: dueAt, at: now) else { continue }
                    let crossed = WarningLevel.allCases.filter { candidate in candidate <= current && (reported.map { candidate > $0 } ?? true) }
                    guard !crossed.isEmpty else { continue }
                    for level in crossed {
                        let owed = state.owedBy(key)
                        let warning = DeadlineWarning(
                            caseID: caseID, obligation: key, level: level, dueAt: dueAt,
                            owedBy: owed.isEmpty ? try Self.officeUnits(context.connection) : owed)
                        if let encoder = context.rooming.deadlineWarningEncoder {
                            _ = try RoomLog.append(room: RoomID.case(caseID), kind: "deadline", at: now, context: context) { position in
                                try encoder(warning, state, position)
                            }
                        }
                        warnings.append(warning)
                    }
                    try context.connection.run(
                        "UPDATE \(table) SET reported_level = ? WHERE case_id = ? AND \(column) = ?",
                        [.integer(Int64(current.rawValue)), .integer(caseID.rawValue), .text(key)])
                }
                return warnings
            }
        }
        return posted
    }

    /// The supervision list at `now`: each part at most `limit` entries, most urgent first, and
    /// each part's total. Reads the kept rows (running deadlines, obligations, work items) by their
    /// indexes, and only the cases it lists.
    public func supervisionList(at now: Timestamp, limit: Int = maxCasePage) async throws -> SupervisionList {
        let windows = (DeadlineKind.allCases.filter(\.isWindow) + [.negotiation, .escalation]).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let limit = Int64(min(max(limit, 1), maxCasePage))
        let deadlinesWhere = "met_at IS NULL AND kind NOT IN (\(windows)) AND due_at <= ?"
        let tasksWhere = "met_at IS NULL AND key LIKE 'task-%' AND due_at <= ?"
        let itemsWhere = "met_at IS NULL AND key LIKE 'supervision-%'"
        let (deadlines, tasks, items, listed, states, counts) = try await read { connection in
            func rows(_ sql: String, _ values: [SQLiteValue]) throws -> [(CaseID, String, Timestamp)] {
                try connection.query(sql, values).map { (CaseID($0.int(0) ?? 0), $0.string(1) ?? "", Timestamp(milliseconds: $0.int(2) ?? 0)) }
            }
            func count(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int { Int(try connection.query(sql, values).first?.int(0) ?? 0) }
            let now = SQLiteValue.integer(now.milliseconds)
            let deadlines = try rows("SELECT case_id, kind, due_at FROM case_deadlines WHERE \(deadlinesWhere) ORDER BY due_at LIMIT ?", [now, .integer(limit)])
            let tasks = try rows("SELECT case_id, key, due_at FROM case_obligations WHERE \(tasksWhere) ORDER BY due_at LIMIT ?", [now, .integer(limit)])
            let items = try rows("SELECT case_id, key, due_at FROM case_obligations WHERE \(itemsWhere) ORDER BY due_at LIMIT ?", [.integer(limit)])
            let listed = try connection.query("SELECT id FROM cases WHERE listed = 1 ORDER BY id LIMIT ?", [.integer(limit)]).map { CaseID($0.int(0) ?? 0) }
            var counts = SupervisionTotals()
            counts.overdueDeadlines = try count("SELECT COUNT(*) FROM case_deadlines WHERE \(deadlinesWhere)", [now])
            counts.overdueTasks = try count("SELECT COUNT(*) FROM case_obligations WHERE \(tasksWhere)", [now])
            counts.supervisionItems = try count("SELECT COUNT(*) FROM case_obligations WHERE \(itemsWhere)")
            counts.listed = try count("SELECT COUNT(*) FROM cases WHERE listed = 1")
            // Only the cases listed are read, in one query.
            let ids = Array(Set(deadlines.map(\.0) + tasks.map(\.0) + items.map(\.0) + listed)).map { SQLiteValue.integer($0.rawValue) }
            var states: [CaseID: PetitionCase] = [:]
            if !ids.isEmpty {
                let decoder = JSONDecoder()
                for row in try connection.query("SELECT state FROM cases WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))", ids) {
                    let state = try decoder.decode(PetitionCase.self, from: Data((row.string(0) ?? "").utf8))
                    states[state.id] = state
                }
            }
            return (deadlines, tasks, items, listed, states, counts)
        }
        let offices = try await officeUnits()
        func entries(_ rows: [(CaseID, String, Timestamp)]) -> [SupervisionEntry] {
            rows.compactMap { id, key, dueAt in
                guard let state = states[id] else { return nil }
                let owed = state.owedBy(key)
                return SupervisionEntry(
                    caseID: id, title: state.title, obligation: key, what: state.describe(key), dueAt: dueAt,
                    owedBy: owed.isEmpty ? offices : owed, overdue: now >= dueAt)
            }
        }
        var list = SupervisionList()
        list.offices = offices
        list.overdueDeadlines = entries(deadlines)
        list.overdueTasks = entries(tasks)
        list.openSupervisionItems = entries(items)
        list.negotiations = try await negotiationSupervision(at: now, limit: Int(limit))
        list.totals = counts
        list.totals.negotiations = try await negotiationSupervisionCount()
        list.listed = listed.compactMap { id in
            guard let state = states[id], let listing = state.listedSupervision else { return nil }
            return (id, state.title, listing.reason)
        }
        return list
    }
}
