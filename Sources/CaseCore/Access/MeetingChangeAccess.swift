// MeetingChangeAccess: who may make each change of a meeting. Like ChangeAccess for cases: every
// change needs one authority (the chair, an invited unit…), and whether a person holds it depends
// only on their roles and on how they stand to the meeting. MeetingLifecycle asks this before any
// other rule; docs/protocol.md (`meeting.change`) carries the same tables, and a test compares them.

/// How a person stands to a meeting (for one change).
public enum MeetingRelation: String, CaseIterable, Sendable {
    /// They convened it.
    case convener
    /// They chair it.
    case chair
    /// Their unit is the one the change names (`invitation_answered`) and it is invited.
    case invitedUnit = "invited-unit"
    /// Their unit is invited as a required unit (entitled to a position).
    case requiredUnit = "required-unit"
    /// Their unit is invited and took part: it signs off the minutes.
    case signingUnit = "signing-unit"
}

/// Who may make a meeting change. The raw value is the wording of docs/protocol.md.
public enum MeetingAuthority: String, CaseIterable, Sendable {
    case convening = "a leader or a coordinator"
    case invitedUnit = "officer or leader of the invited unit"
    case convenerOrCoordinator = "the convener or a coordinator"
    case chair = "the chair"
    case requiredUnit = "officer or leader of a required invited unit"
    case signingUnit = "officer or leader of an invited unit that took part"
    case hub = "the hub"

    /// Whether a person with `roles`, standing in `relations` to the meeting, holds it.
    public func allows(roles: Set<Role>, relations: Set<MeetingRelation>) -> Bool {
        let handles = roles.contains(.officer) || roles.contains(.leader)
        switch self {
        case .convening: return roles.contains(.leader) || roles.contains(.coordinator)
        case .invitedUnit: return handles && relations.contains(.invitedUnit)
        case .convenerOrCoordinator: return relations.contains(.convener) || roles.contains(.coordinator)
        case .chair: return relations.contains(.chair)
        case .requiredUnit: return handles && relations.contains(.requiredUnit)
        case .signingUnit: return handles && relations.contains(.signingUnit)
        case .hub: return false
        }
    }
}

extension MeetingAccess {
    /// The authority `change` needs.
    /// The wire names of the meeting changes only the hub records (authority `.hub`). A request
    /// naming one is refused `forbidden` before its fields are read (AccessTableTests keeps this in step).
    public static let recordedByTheHub: Set<String> = ["attendance", "minutes_circulated", "sealed"]

    public static func authority(for change: MeetingChange) -> MeetingAuthority {
        switch change {
        case .convened: return .convening
        case .invitationAnswered: return .invitedUnit
        case .cancelled: return .convenerOrCoordinator
        case .sessionOpened, .itemOpened, .proposalTabled, .proposalClosed, .itemClosed, .adjourned: return .chair
        case .positionStated: return .requiredUnit
        case .minutesSignedOff: return .signingUnit
        case .attendance, .minutesCirculated, .sealed: return .hub
        }
    }

    /// How `actor` stands to `meeting` for `change`.
    public static func relations(of actor: Actor, to meeting: Meeting?, for change: MeetingChange) -> Set<MeetingRelation> {
        guard let meeting else { return [] }
        var relations: Set<MeetingRelation> = []
        if meeting.convener == actor.person { relations.insert(.convener) }
        if meeting.chair == actor.person { relations.insert(.chair) }
        if case .invitationAnswered(let unit, _) = change, unit == actor.unit, meeting.invitation(unit) != nil { relations.insert(.invitedUnit) }
        if meeting.invitation(actor.unit)?.required == true { relations.insert(.requiredUnit) }
        if meeting.minutes?.participants.contains(actor.unit) == true { relations.insert(.signingUnit) }
        return relations
    }

    /// Nil when `actor` may make `change` on `meeting`; otherwise why not (`forbidden`).
    public static func refusal(_ change: MeetingChange, on meeting: Meeting?, by actor: Actor) -> CaseRefusal? {
        let authority = authority(for: change)
        if authority == .hub {
            return actor == .system ? nil : CaseRefusal(.forbidden, "only the hub itself records `\(change.type)`")
        }
        guard actor.has(.officer) || actor.has(.leader) || actor.has(.coordinator) else {
            return CaseRefusal(.forbidden, "auditors and administrators do not take part in meetings")
        }
        guard !authority.allows(roles: actor.roles, relations: relations(of: actor, to: meeting, for: change)) else { return nil }
        let who: String
        switch authority {
        case .chair: who = "the chair (\(meeting?.chair.rawValue ?? "?"))"
        case .requiredUnit where meeting?.invitation(actor.unit) != nil:
            return CaseRefusal(.forbidden, "\(actor.unit) attends as an optional unit and states no position")
        case .requiredUnit: return CaseRefusal(.forbidden, "\(actor.unit) is not invited to \(meeting.map { "\($0.id)" } ?? "the meeting")")
        default: who = authority.rawValue
        }
        return CaseRefusal(.forbidden, "only \(who) may record `\(change.type)`")
    }
}
