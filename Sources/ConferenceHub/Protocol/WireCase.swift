// WireCase: a case as the wire shows it (`case.get`, `cases`' whole cases, the state a write
// answers with), written field by field straight into the reply, without a tree in between. The
// names are WireNames': the case's id as `case` ("case-12"), `lead`, `co_handling`, the handling
// plan as one `plan` object (null when nothing is planned), a task's id as `task` and a
// supervision item's as `item`; every other field keeps the state's own name (in snake_case, as
// the wire coder writes every key) and its value as CaseCore encodes it; beside them the case's
// registration number (`number`, 登记编号), which the store derives and the state does not hold.
//
// WireCaseTests holds this to WireNames' renaming of the encoded state, byte for byte, for a case
// with every field set and for cases of every status; a field added to the state and not here
// fails there.
import CaseCore
import Messaging

struct WireCase: Encodable, Sendable {
    let state: PetitionCase
    let number: String

    init(_ state: PetitionCase, number: String) {
        self.state = state
        self.number = number
    }

    init(_ state: PetitionCase, in store: CaseStore) { self.init(state, number: store.number(of: state.id)) }

    func encode(to encoder: any Encoder) throws {
        let s = state
        var c = encoder.container(keyedBy: WireKey.self)
        try c.encode(RoomID.case(s.id), forKey: "case")
        try c.encode(number, forKey: "number")
        try c.encode(s.title, forKey: "title")
        try c.encode(s.summary, forKey: "summary")
        try c.encode(s.category, forKey: "category")
        try c.encode(s.channel, forKey: "channel")
        try c.encode(s.receivedOn, forKey: "received_on")
        try c.encode(s.registeredAt, forKey: "registered_at")
        try c.encode(s.involvedUnits, forKey: "involved_units")
        try c.encodeIfPresent(s.leadUnit, forKey: "lead")
        try c.encode(s.coHandlingUnits, forKey: "co_handling")
        try c.encode(Plan(s), forKey: "plan")
        try c.encode(s.status, forKey: "status")
        try c.encode(s.deadlines, forKey: "deadlines")
        try c.encodeIfPresent(s.answer, forKey: "answer")
        try c.encodeIfPresent(s.answeredAt, forKey: "answered_at")
        try c.encodeIfPresent(s.satisfaction, forKey: "satisfaction")
        try c.encodeIfPresent(s.satisfactionRatedAt, forKey: "satisfaction_rated_at")
        try c.encodeIfPresent(s.extensionGranted, forKey: "extension_granted")
        try c.encodeIfPresent(s.routedOut, forKey: "routed_out")
        try c.encode(s.tasks.map(Task.init), forKey: "tasks")
        try c.encodeIfPresent(s.answerDraft, forKey: "answer_draft")
        try c.encodeIfPresent(s.answerRecord, forKey: "answer_record")
        try c.encodeIfPresent(s.extensionRequest, forKey: "extension_request")
        try c.encode(s.supervisionItems.map(Item.init), forKey: "supervision_items")
        try c.encodeIfPresent(s.listedSupervision, forKey: "listed_supervision")
        try c.encodeIfPresent(s.negotiation, forKey: "negotiation")
        try c.encodeIfPresent(s.escalation, forKey: "escalation")
        try c.encodeIfPresent(s.objectionReason, forKey: "objection_reason")
        try c.encodeIfPresent(s.review, forKey: "review")
        try c.encodeIfPresent(s.reReview, forKey: "re_review")
        try c.encodeIfPresent(s.assignedAt, forKey: "assigned_at")
        try c.encodeIfPresent(s.acceptedAt, forKey: "accepted_at")
        try c.encodeIfPresent(s.closedAt, forKey: "closed_at")
        try c.encode(s.lastSequence, forKey: "last_sequence")
    }

    /// The handling plan (`plan_set`): the fields set, or null when none is.
    private struct Plan: Encodable {
        let state: PetitionCase
        init(_ state: PetitionCase) { self.state = state }

        func encode(to encoder: any Encoder) throws {
            let s = state
            guard s.responsibleLeader != nil || s.responsiblePerson != nil || !s.measures.isEmpty || s.resolutionDeadline != nil else {
                var single = encoder.singleValueContainer()
                try single.encodeNil()
                return
            }
            var c = encoder.container(keyedBy: WireKey.self)
            try c.encodeIfPresent(s.responsibleLeader, forKey: "responsible_leader")
            try c.encodeIfPresent(s.responsiblePerson, forKey: "responsible_person")
            if !s.measures.isEmpty { try c.encode(s.measures, forKey: "measures") }
            try c.encodeIfPresent(s.resolutionDeadline, forKey: "resolution_deadline")
        }
    }

    /// A co-handling task, its id shown as `task`.
    private struct Task: Encodable {
        let task: CaseTask

        func encode(to encoder: any Encoder) throws {
            let t = task
            var c = encoder.container(keyedBy: WireKey.self)
            try c.encode(t.id, forKey: "task")
            try c.encode(t.unit, forKey: "unit")
            try c.encode(t.what, forKey: "what")
            try c.encode(t.due, forKey: "due")
            try c.encode(t.dueAt, forKey: "due_at")
            try c.encode(t.assignedAt, forKey: "assigned_at")
            try c.encode(t.state, forKey: "state")
            try c.encodeIfPresent(t.progress, forKey: "progress")
            try c.encodeIfPresent(t.progressText, forKey: "progress_text")
            try c.encodeIfPresent(t.progressAt, forKey: "progress_at")
            try c.encode(t.reports, forKey: "reports")
            try c.encodeIfPresent(t.result, forKey: "result")
            try c.encodeIfPresent(t.returnedReason, forKey: "returned_reason")
            try c.encodeIfPresent(t.doneAt, forKey: "done_at")
            try c.encodeIfPresent(t.acceptedAt, forKey: "accepted_at")
        }
    }

    /// A supervision item, its id shown as `item`.
    private struct Item: Encodable {
        let item: SupervisionItem

        func encode(to encoder: any Encoder) throws {
            let i = item
            var c = encoder.container(keyedBy: WireKey.self)
            try c.encode(i.id, forKey: "item")
            try c.encode(i.unit, forKey: "unit")
            try c.encode(i.reason, forKey: "reason")
            try c.encode(i.demand, forKey: "demand")
            try c.encode(i.due, forKey: "due")
            try c.encode(i.dueAt, forKey: "due_at")
            try c.encode(i.openedAt, forKey: "opened_at")
            try c.encode(i.openedBy, forKey: "opened_by")
            try c.encodeIfPresent(i.answer, forKey: "answer")
            try c.encodeIfPresent(i.answeredAt, forKey: "answered_at")
            try c.encodeIfPresent(i.answeredBy, forKey: "answered_by")
            try c.encodeIfPresent(i.escalatedAt, forKey: "escalated_at")
        }
    }
}

/// A key given by its wire name.
struct WireKey: CodingKey, ExpressibleByStringLiteral {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringLiteral name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
