// CaseProjection: the rows a case's state projects into, written in the transaction of the
// change that produced it — the `cases` row (only its changed columns), the case list's narrow
// row (title, next due time), the kept work items, the unit relations, the running obligations
// and deadlines — and the per-unit rows of a negotiation round. `verify` and the mismatch checks
// compare them with a rebuild.
import Foundation

extension CaseStore {
    /// Writes the projection rows of `state` (cases, case_titles with the next due time, work_items, case_units, case_obligations, case_deadlines).
    static func writeProjection(
        _ state: PetitionCase, previous: PetitionCase?, lastHash: [UInt8], at metAt: Timestamp, context: WriterContext
    ) throws {
        let connection = context.connection
        let json = String(decoding: try context.stateEncoder.encode(state), as: UTF8.self)
        let handlingDue = state.deadline(.handling)?.dueAt
        // The columns a list or an index reads, each with whether it changed. A change writes only
        // those that did (most write none: a plan revision, a progress report), so that SQLite
        // does not rewrite the entries of the table's five indexes for every event.
        let columns: [(name: String, value: SQLiteValue, changed: Bool)] = [
            ("status", .text(state.status.rawValue), previous?.status != state.status),
            ("category", .text(state.category.rawValue), previous?.category != state.category),
            ("lead_unit", optionalText(state.leadUnit?.rawValue), previous?.leadUnit != state.leadUnit),
            ("responsible_leader", optionalText(state.responsibleLeader?.rawValue), previous?.responsibleLeader != state.responsibleLeader),
            ("registered_at", .integer(state.registeredAt.milliseconds), previous?.registeredAt != state.registeredAt),
            ("accepted_at", optionalInteger(state.acceptedAt?.milliseconds), previous?.acceptedAt != state.acceptedAt),
            ("answered_at", optionalInteger(state.answeredAt?.milliseconds), previous?.answeredAt != state.answeredAt),
            ("closed_at", optionalInteger(state.closedAt?.milliseconds), previous?.closedAt != state.closedAt),
            ("handling_due_at", optionalInteger(handlingDue?.milliseconds), previous?.deadline(.handling)?.dueAt != handlingDue),
            ("satisfaction", optionalText(state.satisfaction?.rawValue), previous?.satisfaction != state.satisfaction),
            ("rated_at", optionalInteger(state.satisfactionRatedAt?.milliseconds), previous?.satisfactionRatedAt != state.satisfactionRatedAt),
        ]
        let always: [(name: String, value: SQLiteValue)] = [("last_seq", .integer(state.lastSequence)), ("last_hash", .blob(lastHash)), ("state", .text(json))]
        if previous == nil {
            let names = columns.map(\.name) + always.map(\.name)
            try connection.run(
                "INSERT INTO cases (id, \(names.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: names.count)))",
                [.integer(state.id.rawValue)] + columns.map(\.value) + always.map(\.value))
        } else {
            let changed = columns.filter(\.changed).map { ($0.name, $0.value) } + always
            try connection.run(
                "UPDATE cases SET \(changed.map { "\($0.0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                changed.map(\.1) + [.integer(state.id.rawValue)])
        }
        let nextDue = state.nextObligationDue
        if previous?.title != state.title || previous?.nextObligationDue != nextDue {
            try connection.run(
                """
                INSERT INTO case_titles (id, title, next_due_at) VALUES (?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, next_due_at = excluded.next_due_at
                """,
                [.integer(state.id.rawValue), .text(state.title), optionalInteger(nextDue?.milliseconds)])
        }
        try WorkItemRows.update(state, previous: previous, connection: connection, encoder: context.stateEncoder)
        if previous?.involvedUnits != state.involvedUnits || previous?.leadUnit != state.leadUnit
            || previous?.coHandlingUnits != state.coHandlingUnits {
            try connection.run("DELETE FROM case_units WHERE case_id = ?", [.integer(state.id.rawValue)])
            var relations: [(UnitID, UnitRelation)] = state.involvedUnits.map { ($0, .involved) }
            if let lead = state.leadUnit { relations.append((lead, .lead)) }
            relations += state.coHandlingUnits.map { ($0, .coHandling) }
            for (unit, relation) in relations {
                try connection.run(
                    "INSERT INTO case_units (unit_id, relation, case_id) VALUES (?, ?, ?)",
                    [.text(unit.rawValue), .text(relation.storedName), .integer(state.id.rawValue)])
            }
        }
        if previous?.listedSupervision != state.listedSupervision {
            try connection.run("UPDATE cases SET listed = ? WHERE id = ?", [.integer(state.listedSupervision == nil ? 0 : 1), .integer(state.id.rawValue)])
        }
        let obligations = state.obligations, before = previous?.obligations ?? []
        if obligations != before {
            for obligation in obligations where !before.contains(obligation) {
                try connection.run(
                    """
                    INSERT INTO case_obligations (case_id, key, unit_id, started_at, due_at, met_at, reported_level, lapse_recorded_at)
                    VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)
                    ON CONFLICT(case_id, key) DO UPDATE SET unit_id = excluded.unit_id, due_at = excluded.due_at, met_at = NULL,
                        lapse_recorded_at = excluded.lapse_recorded_at
                    """,
                    [.integer(state.id.rawValue), .text(obligation.key), .text(obligation.unit.rawValue),
                     .integer(obligation.startedAt.milliseconds), .integer(obligation.dueAt.milliseconds),
                     optionalInteger(obligation.lapseRecordedAt?.milliseconds)])
            }
            for obligation in before where !obligations.contains(where: { $0.key == obligation.key }) {
                try connection.run(
                    "UPDATE case_obligations SET met_at = ? WHERE case_id = ? AND key = ?",
                    [.integer(metAt.milliseconds), .integer(state.id.rawValue), .text(obligation.key)])
            }
        }
        if previous?.deadlines != state.deadlines {
            for deadline in state.deadlines where previous?.deadline(deadline.kind) != deadline {
                let replaced = previous?.deadline(deadline.kind).map { $0.dueAt != deadline.dueAt || $0.startedAt != deadline.startedAt } ?? true
                try connection.run(
                    """
                    INSERT INTO case_deadlines (case_id, kind, started_at, due_at, met_at, reported_level, lapse_recorded_at)
                    VALUES (?, ?, ?, ?, ?, NULL, ?)
                    ON CONFLICT(case_id, kind) DO UPDATE SET started_at = excluded.started_at, due_at = excluded.due_at,
                        met_at = excluded.met_at, lapse_recorded_at = excluded.lapse_recorded_at,
                        reported_level = CASE WHEN ? THEN NULL ELSE case_deadlines.reported_level END
                    """,
                    [.integer(state.id.rawValue), .text(deadline.kind.rawValue), .integer(deadline.startedAt.milliseconds),
                     .integer(deadline.dueAt.milliseconds), optionalInteger(deadline.metAt?.milliseconds),
                     optionalInteger(state.lapseRecorded(deadline.kind)?.milliseconds), .integer(replaced ? 1 : 0)])
            }
        }
        // A lapse the hub recorded without the deadline itself changing (an escalated decision
        // flagged overdue): the sweep no longer reads the case for it.
        if previous?.escalation?.overdueAt != state.escalation?.overdueAt, previous?.deadline(.escalation) == state.deadline(.escalation) {
            try connection.run(
                "UPDATE case_deadlines SET lapse_recorded_at = ? WHERE case_id = ? AND kind = ?",
                [optionalInteger(state.lapseRecorded(.escalation)?.milliseconds), .integer(state.id.rawValue), .text(DeadlineKind.escalation.rawValue)])
        }
    }

    /// The per-unit rows of a negotiation round (the negotiation figures' projection).
    static func writeParticipation(caseID: CaseID, _ negotiation: Negotiation, connection: SQLiteConnection) throws {
        let lapsed = negotiation.dispute?.reason == .deadlinePassed
        for unit in negotiation.units {
            let answer = negotiation.answer(of: unit)
            try connection.run(
                """
                INSERT INTO negotiation_participation (case_id, round, unit_id, opened_at, first_answered_at, last_answer, closed_at,
                                                       unanswered_at_deadline, decline_overturned)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(case_id, round, unit_id) DO UPDATE SET first_answered_at = excluded.first_answered_at,
                    last_answer = excluded.last_answer, closed_at = excluded.closed_at,
                    unanswered_at_deadline = excluded.unanswered_at_deadline, decline_overturned = excluded.decline_overturned
                """,
                [.integer(caseID.rawValue), .integer(Int64(negotiation.round)), .text(unit.rawValue),
                 .integer(negotiation.openedAt.milliseconds), optionalInteger(answer?.firstAnsweredAt.milliseconds),
                 optionalText(answer?.answer.position.rawValue), optionalInteger(negotiation.closedAt?.milliseconds),
                 .integer(lapsed && answer == nil ? 1 : 0), .integer(negotiation.declineOverturned == unit ? 1 : 0)])
        }
    }

    static func optionalText(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    static func optionalInteger(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
}
