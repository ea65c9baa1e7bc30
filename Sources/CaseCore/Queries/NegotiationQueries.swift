// NegotiationQueries: the visible accountability of lead negotiation — one case's negotiation at a
// glance, the per-unit figures, and the negotiations and escalated decisions that need someone.
import Foundation

/// One case's negotiation as people see it: who answered what and when, who has not, time left.
public struct NegotiationView: Sendable, Equatable {
    public let caseID: CaseID
    public let status: CaseStatus
    public let negotiation: Negotiation
    /// The negotiation deadline (while the round is open) or the escalated decision's deadline.
    public let deadline: Deadline?
    public let escalation: Escalation?
    /// Seconds until `deadline` at the time asked (negative when past).
    public let secondsLeft: Double?

    public init(_ state: PetitionCase, at now: Timestamp) throws {
        guard let negotiation = state.negotiation else {
            throw CaseRefusal(.notFound, "\(state.id) was never negotiated (it has one unit, or was assigned directly)")
        }
        caseID = state.id
        status = state.status
        self.negotiation = negotiation
        escalation = state.escalation
        let running = state.status == .disputed ? state.deadline(.escalation) : state.deadline(.negotiation)
        deadline = running
        secondsLeft = running.flatMap { $0.isRunning ? $0.remaining(at: now) : nil }
    }
}

/// One unit's record in negotiations over a period (rounds opened in it).
public struct NegotiationFigures: Sendable, Equatable {
    public let unit: UnitID
    /// Negotiation rounds the unit was part of.
    public var joined = 0
    /// Rounds in which its (last) answer was `claim`.
    public var claims = 0
    /// Rounds in which its (last) answer was `decline`.
    public var declines = 0
    /// Declines after which the unit was nevertheless made lead by decision.
    public var declinesOverturned = 0
    /// Rounds it answered at all.
    public var answered = 0
    /// Median time from the round opening to the unit's first answer.
    public var medianSecondsToAnswer: Double?
    /// Rounds that lapsed at their deadline without an answer from the unit.
    public var unansweredAtDeadline = 0

    public init(unit: UnitID) { self.unit = unit }
}

/// A negotiation or an escalated decision that someone owes.
public struct NegotiationSupervisionItem: Sendable, Equatable {
    public let caseID: CaseID
    public let title: String
    public let status: CaseStatus
    /// Units that have not answered (open negotiations).
    public let unanswered: [UnitID]
    /// For disputed cases: the deciding unit (nil = the conference office).
    public let escalatedTo: UnitID?
    public let deadline: Deadline?
    public let secondsLeft: Double?
    /// Past its deadline.
    public let overdue: Bool
}

extension CaseStore {
    /// A case's negotiation as `viewer` may see it.
    public func negotiation(of id: CaseID, for viewer: Actor, at now: Timestamp) async throws -> NegotiationView {
        try NegotiationView(try await caseState(id, for: viewer), at: now)
    }

    /// Per-unit negotiation figures for rounds opened in `from..<to` (both optional), for one unit
    /// or all. Added up by SQLite from one covering index (`negotiation_participation_figures`),
    /// which also holds each unit's answers in the order of the time they took, for the median.
    public func negotiationFigures(unit: UnitID? = nil, from: Timestamp? = nil, to: Timestamp? = nil) async throws -> [NegotiationFigures] {
        let index = "negotiation_participation INDEXED BY negotiation_participation_figures"
        let period = "opened_at >= ? AND opened_at < ?"
        let bounds: [SQLiteValue] = [.integer(from?.milliseconds ?? .min), .integer(to?.milliseconds ?? .max)]
        return try await read { connection in
            var figures: [NegotiationFigures] = []
            for row in try connection.query(
                """
                SELECT unit_id, COUNT(*), COUNT(first_answered_at), SUM(last_answer = ?), SUM(last_answer = ?),
                       SUM(unanswered_at_deadline), SUM(decline_overturned)
                FROM \(index) WHERE \(period) \(unit == nil ? "" : "AND unit_id = ?") GROUP BY unit_id ORDER BY unit_id
                """,
                [.text(NegotiationAnswer.Position.claim.rawValue), .text(NegotiationAnswer.Position.decline.rawValue)] + bounds
                    + (unit.map { [SQLiteValue.text($0.rawValue)] } ?? [])
            ) {
                var entry = NegotiationFigures(unit: UnitID(row.string(0) ?? ""))
                entry.joined = Int(row.int(1) ?? 0)
                entry.answered = Int(row.int(2) ?? 0)
                entry.claims = Int(row.int(3) ?? 0)
                entry.declines = Int(row.int(4) ?? 0)
                entry.unansweredAtDeadline = Int(row.int(5) ?? 0)
                entry.declinesOverturned = Int(row.int(6) ?? 0)
                if entry.answered > 0 {
                    // The middle one or two of the unit's answer times, read from the index in order.
                    let middle = try connection.query(
                        """
                        SELECT first_answered_at - opened_at FROM \(index)
                        WHERE unit_id = ? AND first_answered_at - opened_at IS NOT NULL AND \(period)
                        ORDER BY first_answered_at - opened_at LIMIT ? OFFSET ?
                        """,
                        [.text(entry.unit.rawValue)] + bounds
                            + [.integer(entry.answered % 2 == 1 ? 1 : 2), .integer(Int64((entry.answered - 1) / 2))]
                    ).compactMap { $0.int(0) }
                    entry.medianSecondsToAnswer = Self.median(middle).map { $0 / 1000 }
                }
                figures.append(entry)
            }
            return figures
        }
    }

    static func median(_ values: [Int64]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Open negotiations and disputed cases awaiting a decision, soonest deadline first, at most
    /// `limit` cases: read from the kept work items (`answer_negotiation`, `decide_lead`), not
    /// from the cases.
    public func negotiationSupervision(at now: Timestamp, limit: Int = maxCasePage) async throws -> [NegotiationSupervisionItem] {
        let kinds = "'\(WorkItem.Kind.answerNegotiation.rawValue)', '\(WorkItem.Kind.decideLead.rawValue)'"
        let (order, rows) = try await read { connection in
            let cases = try connection.query(
                "SELECT case_id FROM work_items WHERE kind IN (\(kinds)) GROUP BY case_id ORDER BY MIN(due_key), case_id LIMIT ?",
                [.integer(Int64(min(max(limit, 1), maxCasePage)))]
            ).map { $0.int(0) ?? 0 }
            guard !cases.isEmpty else { return ([Int64](), [SQLiteRow]()) }
            return (cases, try connection.query(
                """
                SELECT title, status, item FROM work_items WHERE case_id IN (\(cases.map { _ in "?" }.joined(separator: ", ")))
                AND kind IN (\(kinds)) ORDER BY case_id, ord
                """, cases.map { .integer($0) }))
        }
        let decoder = JSONDecoder()
        var items: [NegotiationSupervisionItem] = []
        var current: [KeptWorkItem] = []
        func flush() {
            guard let first = current.first else { return }
            let disputed = first.status == .disputed
            let deadline = first.item.obligation.flatMap(DeadlineKind.init(rawValue:)).flatMap { kind in
                first.item.startedAt.flatMap { startedAt in
                    first.item.due.flatMap { due in first.item.dueAt.map { Deadline(kind: kind, startedAt: startedAt, due: due, dueAt: $0) } }
                }
            }
            items.append(NegotiationSupervisionItem(
                caseID: first.item.caseID, title: first.title, status: first.status,
                unanswered: disputed ? [] : current.compactMap(\.item.unit),
                escalatedTo: disputed ? first.item.unit : nil, deadline: deadline,
                secondsLeft: deadline.map { $0.remaining(at: now) }, overdue: deadline.map { $0.isOverdue(at: now) } ?? false))
            current = []
        }
        for row in rows {
            let kept = try WorkItemRows.kept(row, decoder: decoder)
            if let last = current.last, last.item.caseID != kept.item.caseID { flush() }
            current.append(kept)
        }
        flush()
        // In the order the cases were chosen: soonest deadline first, then by case.
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        return items.sorted { (rank[$0.caseID.rawValue] ?? 0) < (rank[$1.caseID.rawValue] ?? 0) }
    }

    /// How many cases wait on a negotiation answer or a decision of their lead.
    public func negotiationSupervisionCount() async throws -> Int {
        try await read { connection in
            Int(try connection.query(
                "SELECT COUNT(DISTINCT case_id) FROM work_items WHERE kind IN ('\(WorkItem.Kind.answerNegotiation.rawValue)', '\(WorkItem.Kind.decideLead.rawValue)')"
            ).first?.int(0) ?? 0)
        }
    }
}
