// ChangeAccess: who may make each change of a case. Every change needs one authority (a
// coordinator, the lead unit, the unit it concerns…); whether a person holds it depends only on
// their roles and on how their unit stands to the case. CaseLifecycle asks this before any other
// rule; docs/case-lifecycle.md carries the same two tables, and a test compares them.

/// What the rules need to know about units beyond the case: the hierarchy (reviews go to a
/// higher level) and which units are the conference office (kind `petition_bureau`).
public struct UnitDirectory: Sendable, Equatable {
    public var hierarchy: UnitHierarchy
    public var offices: Set<UnitID>

    public init(hierarchy: UnitHierarchy = UnitHierarchy(), offices: Set<UnitID> = []) {
        self.hierarchy = hierarchy
        self.offices = offices
    }

    public init(units: [Unit]) {
        hierarchy = UnitHierarchy(units: units)
        offices = Set(units.filter { $0.kind == .petitionBureau }.map(\.id))
    }
}

/// How a person's unit stands to a case (for one change).
public enum CaseRelation: String, CaseIterable, Sendable {
    /// The lead unit (主办单位).
    case lead
    /// A co-handling unit (协办单位).
    case coHandling = "co-handling"
    /// The unit the change concerns: the answering unit of a negotiation answer, a task's unit,
    /// a supervision item's unit.
    case subject
    /// The unit a disputed negotiation escalated to (the lowest common superior).
    case escalatedTo = "escalated-to"
    /// A unit above the lead unit in the hierarchy (the next level up, for 复查 and 复核).
    case aboveLead = "above-lead"
    /// The conference office (联席办, a unit of kind `petition_bureau`).
    case office
}

/// Who may make a change. The raw value is the wording of docs/case-lifecycle.md.
public enum ChangeAuthority: String, CaseIterable, Sendable {
    case coordinator = "coordinator"
    case hub = "the hub"
    case leadUnit = "officer or leader of the lead unit"
    case leaderOfLeadUnit = "a leader of the lead unit"
    case subjectUnit = "officer or leader of the unit concerned"
    case coHandlingUnit = "officer or leader of a co-handling unit"
    case decider = "a leader of the unit it escalated to, or a coordinator"
    case reviewer = "a coordinator, or a leader of a unit above the lead unit"
    case conferenceLeadership = "a coordinator, or a leader of the conference office"

    /// Whether a person with `roles`, whose unit stands in `relations` to the case, holds this
    /// authority. (The hub's own changes are `Actor.system`'s alone; see `CaseAccess.refusal`.)
    public func allows(roles: Set<Role>, relations: Set<CaseRelation>) -> Bool {
        let handles = roles.contains(.officer) || roles.contains(.leader)
        let leader = roles.contains(.leader), coordinator = roles.contains(.coordinator)
        switch self {
        case .coordinator: return coordinator
        case .hub: return false
        case .leadUnit: return handles && relations.contains(.lead)
        case .leaderOfLeadUnit: return leader && relations.contains(.lead)
        case .subjectUnit: return handles && relations.contains(.subject)
        case .coHandlingUnit: return handles && relations.contains(.coHandling)
        case .decider: return coordinator || (leader && relations.contains(.escalatedTo))
        case .reviewer: return coordinator || (leader && relations.contains(.aboveLead))
        case .conferenceLeadership: return coordinator || (leader && relations.contains(.office))
        }
    }
}

extension CaseAccess {
    /// The authority `change` needs.
    /// The wire names of the changes only the hub records (authority `.hub`). A request naming one
    /// is refused `forbidden` before its fields are read (AccessTableTests keeps this in step).
    public static let recordedByTheHub: Set<String> = [
        "negotiation_settled", "negotiation_disputed", "escalation_overdue", "supervision_escalated", "meeting_decision",
    ]

    public static func authority(for change: CaseChange) -> ChangeAuthority {
        switch change {
        case .registered, .negotiationOpened, .assigned, .forwarded, .leadReassigned, .objectionUpheld, .objectionRejected,
            .satisfactionRated, .reviewRequested, .reReviewRequested, .closed, .routedOut, .supervisionOpened:
            return .coordinator
        case .negotiationSettled, .negotiationDisputed, .escalationOverdue, .supervisionEscalated, .meetingDecision:
            return .hub
        case .objectionRaised, .accepted, .handlingStarted, .planSet, .answered, .taskAssigned, .taskAccepted, .taskReturned,
            .answerDrafted, .extensionRequested:
            return .leadUnit
        case .extensionGranted, .extensionRefused:
            return .leaderOfLeadUnit
        case .negotiationAnswered, .taskAcknowledged, .taskProgress, .taskDone, .supervisionAnswered:
            return .subjectUnit
        case .answerCosigned, .answerObjected:
            return .coHandlingUnit
        case .leadDecided:
            return .decider
        case .reviewed, .reReviewed:
            return .reviewer
        case .listedSupervisionSet, .listedSupervisionCleared:
            return .conferenceLeadership
        }
    }

    /// How `unit` stands to `state` for `change`.
    public static func relations(of unit: UnitID, to state: PetitionCase?, for change: CaseChange, units: UnitDirectory) -> Set<CaseRelation> {
        var relations: Set<CaseRelation> = []
        if units.offices.contains(unit) { relations.insert(.office) }
        guard let state else { return relations }
        if let lead = state.leadUnit {
            if lead == unit { relations.insert(.lead) }
            if units.hierarchy.superiors(of: lead).contains(unit) { relations.insert(.aboveLead) }
        }
        if state.coHandlingUnits.contains(unit) { relations.insert(.coHandling) }
        if let escalated = state.escalation?.to, escalated == unit { relations.insert(.escalatedTo) }
        if subject(of: change, in: state) == unit { relations.insert(.subject) }
        return relations
    }

    /// The unit a change concerns (nil when it names none, or names a task or item that is not
    /// on the case: the lifecycle then answers `not_found`).
    static func subject(of change: CaseChange, in state: PetitionCase) -> UnitID? {
        switch change {
        case .negotiationAnswered(let unit, _):
            return unit
        case .taskAcknowledged(let id), .taskProgress(let id, _), .taskDone(let id, _):
            return state.tasks.first { $0.id == id }?.unit
        case .supervisionAnswered(let id, _):
            return state.supervisionItems.first { $0.id == id }?.unit
        case .registered, .negotiationOpened, .assigned, .negotiationSettled, .negotiationDisputed, .leadDecided,
            .escalationOverdue, .forwarded, .leadReassigned, .taskAssigned, .taskAccepted, .taskReturned,
            .answerDrafted, .answerCosigned, .answerObjected, .extensionRequested, .extensionRefused,
            .supervisionOpened, .supervisionEscalated, .listedSupervisionSet, .listedSupervisionCleared,
            .meetingDecision, .objectionRaised, .objectionUpheld, .objectionRejected, .accepted, .handlingStarted,
            .planSet, .extensionGranted, .answered, .satisfactionRated, .reviewRequested, .reviewed,
            .reReviewRequested, .reReviewed, .closed, .routedOut:
            return nil
        }
    }

    /// Nil when `actor` may make `change` on `state`; otherwise why not (`forbidden`, or
    /// `invalid_state` when the case has no lead unit yet for a change that needs one).
    public static func refusal(_ change: CaseChange, on state: PetitionCase?, by actor: Actor, units: UnitDirectory) -> CaseRefusal? {
        let authority = authority(for: change)
        let type = change.type
        if authority == .hub {
            return actor == .system ? nil : CaseRefusal(.forbidden, "only the hub itself records `\(type)`")
        }
        if !actor.has(.officer) && !actor.has(.leader) && !actor.has(.coordinator) {
            return CaseRefusal(.forbidden, actor.has(.auditor)
                ? "auditors read cases; they do not change them"
                : "administrators manage units, people and credentials; they do not change cases")
        }
        let lead = state?.leadUnit
        if [.leadUnit, .leaderOfLeadUnit, .reviewer].contains(authority), let state, lead == nil {
            return CaseRefusal(.invalidState, "\(state.id) has no lead unit yet")
        }
        if authority == .subjectUnit, let state, subject(of: change, in: state) == nil { return nil }
        guard !authority.allows(roles: actor.roles, relations: relations(of: actor.unit, to: state, for: change, units: units)) else { return nil }
        let leadName = lead?.rawValue ?? "none"
        let who: String
        switch authority {
        case .coordinator: who = "a coordinator"
        case .hub: who = "the hub"
        case .leadUnit: who = "an officer or leader of the lead unit (\(leadName))"
        case .leaderOfLeadUnit: who = "a leader of the lead unit (\(leadName))"
        case .subjectUnit: who = "an officer or leader of \(state.flatMap { subject(of: change, in: $0) }?.rawValue ?? "the unit concerned")"
        case .coHandlingUnit: who = "an officer or leader of a co-handling unit (\(state?.coHandlingUnits.map(\.rawValue).joined(separator: ", ") ?? ""))"
        case .decider:
            who = state?.escalation?.to.map { "a leader of \($0.rawValue) (the lowest common superior) or a coordinator" }
                ?? "a coordinator (the case escalated to the conference office)"
        case .reviewer: who = "a coordinator or a leader of a unit above \(leadName) (review goes one level up)"
        case .conferenceLeadership: who = "a coordinator or a leader of the conference office"
        }
        return CaseRefusal(.forbidden, "only \(who) may record `\(type)`")
    }
}
