// MeetingChangeSchema: the fields of every kind of meeting change, as `meeting.change` carries them
// under `change` (and `meeting.convene` its convening), with their types and limits (the ones
// MeetingLifecycle checks). A switch over the kinds with no default.

extension MeetingChangeKind {
    /// The fields of a change of this kind besides `type`.
    public var fields: [SchemaField] {
        typealias F = SchemaField
        let item = F("item", .integer(minimum: 1, maximum: MeetingLifecycle.maxAgenda))
        let version = F("version", .integer(minimum: 1, maximum: nil))
        let reason = F("reason", .text(maxLength: CaseInputLimits.reasonLength))
        switch self {
        case .convened:
            return [F("convening", .object(MeetingSchema.convening))]
        case .invitationAnswered:
            return [F("unit", .unit), F("response", .choice("invitation_response"))]
        case .cancelled:
            return [reason]
        case .sessionOpened, .adjourned:
            return []
        case .attendance:
            return [F("person", .person), F("unit", .unit), F("joined", .boolean), F("staff", .boolean, required: false)]
        case .itemOpened, .itemClosed:
            return [item]
        case .proposalTabled:
            return [item, F("text", .text(maxLength: MeetingLifecycle.textLength)), F("effects", .object(CaseSchema.effects), required: false)]
        case .positionStated:
            // `reason` is required with `object`.
            return [item, version, F("position", .choice("position_kind")), F("reason", .text(maxLength: CaseInputLimits.reasonLength), required: false)]
        case .proposalClosed:
            return [item, F("closing", .choice("proposal_closing")), F("outcome", .object(MeetingSchema.outcome), required: false)]
        case .minutesCirculated:
            return [F("minutes", .object(MeetingSchema.minutes))]
        case .minutesSignedOff:
            // `reason` is required when `approve` is false.
            return [F("approve", .boolean), F("reason", .text(maxLength: CaseInputLimits.reasonLength), required: false)]
        case .sealed:
            return [F("non_signers", .list(.unit, minItems: 0, maxItems: MeetingLifecycle.maxInvited))]
        }
    }
}

/// Field lists of the meeting changes.
enum MeetingSchema {
    typealias F = SchemaField

    static let convening: [SchemaField] = [
        F("title", .text(maxLength: MeetingLifecycle.titleLength)),
        F("scheduled_at", .timestamp),
        F("chair", .person, required: false),
        F("chair_is_leader", .boolean, required: false),
        F("invited", .list(.object([F("unit", .unit), F("required", .boolean)]), minItems: 1, maxItems: MeetingLifecycle.maxInvited)),
        F("quorum_minimum", .integer(minimum: 1, maximum: MeetingLifecycle.maxInvited), required: false),
        F("agenda", .list(.object([F("case", .caseID), F("description", .text(maxLength: CaseInputLimits.reasonLength))]),
                          minItems: 1, maxItems: MeetingLifecycle.maxAgenda)),
    ]

    static let unitPosition: [SchemaField] = [
        F("unit", .unit), F("person", .person), F("position", .choice("position_kind")),
        F("reason", .text(maxLength: CaseInputLimits.reasonLength), required: false), F("at", .timestamp),
        F("statements", .integer(minimum: 1, maximum: nil)),
    ]

    static let outcome: [SchemaField] = {
        let units = { (name: String) in F(name, .list(.unit, minItems: 0, maxItems: MeetingLifecycle.maxInvited)) }
        return [
            F("kind", .choice("outcome_kind")), F("version", .integer(minimum: 1, maximum: nil)),
            units("agree"), units("abstain"), units("object"), units("entitled"), units("present"), F("quorum", .boolean),
            F("dissent", .list(.object(unitPosition), minItems: 0, maxItems: MeetingLifecycle.maxInvited)),
            F("at", .timestamp), F("by", .person),
        ]
    }()

    static let minutes: [SchemaField] = [
        F("drafted_at", .timestamp),
        F("participants", .list(.unit, minItems: 0, maxItems: MeetingLifecycle.maxInvited)),
        F("sign_off_due_at", .timestamp),
        F("sign_offs", .list(.object([
            F("unit", .unit), F("person", .person), F("approve", .boolean),
            F("reason", .text(maxLength: CaseInputLimits.reasonLength), required: false), F("at", .timestamp),
        ]), minItems: 0, maxItems: MeetingLifecycle.maxInvited)),
        F("sealed_at", .timestamp, required: false),
        F("non_signers", .list(.unit, minItems: 0, maxItems: MeetingLifecycle.maxInvited)),
        F("layout", .integer(minimum: 1, maximum: nil), required: false),
    ]
}
