// Vocabulary: the words of the protocol that CaseCore defines — every enum's options, the case
// statuses and which are open, and the input limits — gathered from the types themselves, so a
// new option is in the schema the moment it is in the enum.

/// The options of every enum a client may send or read, by the name the schema gives it.
public enum Vocabulary {
    private static func options<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> [String] where E.RawValue == String {
        E.allCases.map(\.rawValue)
    }

    /// Every enum, by schema name (`SchemaField.FieldType.choice` names one of these).
    public static let enums: [String: [String]] = [
        "case_category": options(CaseCategory.self),
        "source_channel": options(SourceChannel.self),
        "case_status": options(CaseStatus.self),
        "answer_decision": options(AnswerDecision.self),
        "satisfaction": options(Satisfaction.self),
        "route_out_channel": options(RouteOutChannel.self),
        "negotiation_position": options(NegotiationAnswer.Position.self),
        "dispute_reason": options(DisputeReason.self),
        "progress_status": options(ProgressStatus.self),
        "task_state": options(TaskState.self),
        "role": options(Role.self),
        "unit_kind": options(UnitKind.self),
        "unit_relation": options(UnitRelation.self),
        "case_list_view": options(CaseListView.self),
        "deadline_kind": options(DeadlineKind.self),
        "warning_level": WarningLevel.allCases.map { String($0.rawValue) },
        "work_item_kind": options(WorkItem.Kind.self),
        "meeting_status": options(MeetingStatus.self),
        "invitation_response": options(Invitation.Response.self),
        "position_kind": options(PositionKind.self),
        "outcome_kind": options(OutcomeKind.self),
        "proposal_closing": options(ProposalClosing.self),
        "agenda_item_state": options(AgendaItem.State.self),
        "case_change_kind": options(CaseChangeKind.self),
        "meeting_change_kind": options(MeetingChangeKind.self),
        "rejoin_reason": options(Rejoin.Reason.self),
    ]

    /// A case status and what it means for lists: `open` (not closed or routed out) and `handling`
    /// (the lead unit is working on it).
    public struct StatusEntry: Encodable, Sendable, Equatable {
        public let status: String
        public let open: Bool
        public let handling: Bool
    }

    public static let statuses: [StatusEntry] = CaseStatus.allCases.map {
        StatusEntry(status: $0.rawValue, open: !$0.isTerminal, handling: $0.isHandling)
    }

    /// The limits on what a client sends that CaseCore checks, by name (characters, or items).
    public static let inputLimits: [String: Int] = [
        "title_length": CaseInputLimits.titleLength,
        "summary_length": CaseInputLimits.summaryLength,
        "reason_length": CaseInputLimits.reasonLength,
        "name_length": CaseInputLimits.nameLength,
        "contact_length": CaseInputLimits.contactLength,
        "units": CaseInputLimits.units,
        "measures": CaseInputLimits.measures,
        "tasks": CaseInputLimits.tasks,
        "supervision_items": CaseInputLimits.supervisionItems,
        "identifier_length": IdentifierRules.maxLength,
        "meeting_title_length": MeetingLifecycle.titleLength,
        "meeting_text_length": MeetingLifecycle.textLength,
        "agenda_items": MeetingLifecycle.maxAgenda,
        "invited_units": MeetingLifecycle.maxInvited,
    ]

    /// The deployment's time limits, by their setting names (as in the time-limits file).
    public static func policyLimits(_ limits: TimeLimits) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: TimeLimits.settings.map { ($0.0, limits[keyPath: $0.1]) })
    }
}
