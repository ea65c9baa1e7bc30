// CaseChangeSchema: the fields of every kind of case change, as `case.change` carries them under
// `change` (and `case.register` under `registration`), with their types and limits. The limits are
// the ones CaseLifecycle checks (CaseInputLimits, and the deployment's time limits); a switch over
// the kinds with no default, so a new kind without its fields does not compile.

extension CaseChangeKind {
    /// The fields of a change of this kind besides `type`. `limits` are the running deployment's
    /// time limits (the longest extension is one of them).
    public func fields(_ limits: TimeLimits) -> [SchemaField] {
        typealias F = SchemaField
        let reason = F("reason", .text(maxLength: CaseInputLimits.reasonLength))
        let rationale = F("rationale", .text(maxLength: CaseInputLimits.reasonLength))
        let task = F("task", .integer(minimum: 1, maximum: nil))
        let version = F("version", .integer(minimum: 1, maximum: nil))
        let item = F("item", .integer(minimum: 1, maximum: nil))
        let days = F("days", .integer(minimum: 1, maximum: limits.maxExtensionDays))
        switch self {
        case .registered:
            return [F("registration", .object(CaseSchema.registration))]
        case .negotiationOpened:
            return [CaseSchema.units("units", minimum: 2)]
        case .assigned:
            return [F("assignment", .object(CaseSchema.assignment(rationaleRequired: false)))]
        case .leadDecided, .leadReassigned, .negotiationSettled:
            return [F("assignment", .object(CaseSchema.assignment(rationaleRequired: self != .negotiationSettled)))]
        case .negotiationAnswered:
            return [F("unit", .unit), F("answer", .object(CaseSchema.negotiationAnswer))]
        case .negotiationDisputed:
            return [F("dispute", .object([
                F("reason", .choice("dispute_reason")),
                F("unanswered", .list(.unit, minItems: 0, maxItems: CaseInputLimits.units)),
                F("escalated_to", .unit, required: false),
            ]))]
        case .escalationOverdue, .accepted, .handlingStarted, .reviewRequested, .reReviewRequested:
            return []
        case .forwarded:
            return [CaseSchema.units("units", minimum: 1)]
        case .taskAssigned:
            return [F("task", .object([
                F("unit", .unit), F("what", .text(maxLength: CaseInputLimits.reasonLength)), F("due", .date),
                F("due_at", .timestamp, required: false),
            ]))]
        case .taskAcknowledged, .taskAccepted:
            return [task]
        case .taskProgress:
            return [task, F("report", .object([F("text", .text(maxLength: CaseInputLimits.reasonLength)), F("status", .choice("progress_status"))]))]
        case .taskDone:
            return [task, F("result", .text(maxLength: CaseInputLimits.reasonLength))]
        case .taskReturned:
            return [task, reason]
        case .answerDrafted, .answered:
            return [F("answer", .object(CaseSchema.answer))]
        case .answerCosigned:
            return [version]
        case .answerObjected:
            return [version, reason]
        case .extensionRequested, .extensionGranted:
            return [days, reason]
        case .extensionRefused, .listedSupervisionSet, .listedSupervisionCleared, .objectionRaised:
            return [reason]
        case .supervisionOpened:
            return [F("demand", .object([
                F("unit", .unit), reason, F("demand", .text(maxLength: CaseInputLimits.reasonLength)), F("due", .date),
                F("due_at", .timestamp, required: false),
            ]))]
        case .supervisionAnswered:
            return [item, F("text", .text(maxLength: CaseInputLimits.summaryLength))]
        case .supervisionEscalated:
            return [item]
        case .meetingDecision:
            return [F("decision", .object([
                F("meeting", .meetingID), item, version, F("outcome", .choice("outcome_kind")),
                F("text", .text(maxLength: MeetingLifecycle.textLength)), F("effects", .object(CaseSchema.effects)),
            ]))]
        case .objectionUpheld:
            return [CaseSchema.units("units", minimum: 1), rationale]
        case .objectionRejected:
            return [rationale]
        case .planSet:
            return [F("plan", .object([
                F("responsible_leader", .person), F("responsible_person", .person),
                F("measures", .list(.text(maxLength: CaseInputLimits.reasonLength), minItems: 1, maxItems: CaseInputLimits.measures)),
                F("resolution_deadline", .date),
            ]))]
        case .satisfactionRated:
            return [F("satisfaction", .choice("satisfaction"))]
        case .reviewed, .reReviewed:
            return [F("opinion", .object([F("upheld", .boolean), F("opinion", .text(maxLength: CaseInputLimits.summaryLength))]))]
        case .closed:
            return [F("reason", .text(maxLength: CaseInputLimits.reasonLength, allowEmpty: true))]
        case .routedOut:
            return [F("channel", .choice("route_out_channel")), F("destination", .text(maxLength: CaseInputLimits.nameLength)), reason]
        }
    }
}

/// Field lists that several kinds share.
enum CaseSchema {
    typealias F = SchemaField

    static func units(_ name: String, minimum: Int) -> SchemaField {
        F(name, .list(.unit, minItems: minimum, maxItems: CaseInputLimits.units))
    }

    static let registration: [SchemaField] = [
        F("title", .text(maxLength: CaseInputLimits.titleLength)),
        F("summary", .text(maxLength: CaseInputLimits.summaryLength, allowEmpty: true)),
        F("category", .choice("case_category")),
        F("channel", .choice("source_channel")),
        F("received_on", .date),
        units("involved_units", minimum: 1),
        F("petitioner", .object([
            F("name", .text(maxLength: CaseInputLimits.nameLength)),
            F("contact", .text(maxLength: CaseInputLimits.contactLength, allowEmpty: true)),
        ])),
    ]

    static func assignment(rationaleRequired: Bool) -> [SchemaField] {
        [F("lead", .unit),
         F("co_handling", .list(.unit, minItems: 0, maxItems: CaseInputLimits.units - 1)),
         F("rationale", .text(maxLength: CaseInputLimits.reasonLength, allowEmpty: !rationaleRequired))]
    }

    /// `supports` for `support`; `reason` and `basis` for `decline`.
    static let negotiationAnswer: [SchemaField] = [
        F("position", .choice("negotiation_position")),
        F("supports", .unit, required: false),
        F("reason", .text(maxLength: CaseInputLimits.reasonLength), required: false),
        F("basis", .text(maxLength: CaseInputLimits.reasonLength), required: false),
    ]

    static let answer: [SchemaField] = [
        F("request", .text(maxLength: CaseInputLimits.reasonLength)),
        F("facts_and_reasons", .text(maxLength: CaseInputLimits.summaryLength)),
        F("decision", .choice("answer_decision")),
        F("legal_basis", .text(maxLength: CaseInputLimits.reasonLength)),
    ]

    /// What an adopted meeting proposal does to its case; every field optional.
    static let effects: [SchemaField] = [
        F("lead", .unit, required: false),
        F("co_handling", .list(.unit, minItems: 0, maxItems: CaseInputLimits.units - 1), required: false),
        F("responsible_leader", .person, required: false),
        F("responsible_person", .person, required: false),
        F("measures", .list(.text(maxLength: CaseInputLimits.reasonLength), minItems: 0, maxItems: CaseInputLimits.measures), required: false),
        F("resolution_deadline", .date, required: false),
        F("listed_supervision", .text(maxLength: CaseInputLimits.reasonLength), required: false),
    ]
}
