// RoomAccess, MeetingAccess and DecisionRecordAccess: who may speak in a room, enter the lobby,
// see a meeting and read the decision record. Pure rules; the hub asks them (CaseAccess holds the
// rules for cases).

public enum RoomAccess {
    /// Officers, leaders and coordinators post; auditors and administrators only read.
    public static func mayPost(_ actor: Actor) -> Bool {
        actor.has(.officer) || actor.has(.leader) || actor.has(.coordinator)
    }

    /// The lobby carries the conference's notices about cases and meetings: for everyone who
    /// works on cases, not for administrators.
    public static func mayJoinLobby(_ actor: Actor) -> Bool { actor.worksOnCases }
}

public enum MeetingAccess {
    /// A meeting is seen by its invited units, its chair and its convener, and by coordinators,
    /// leaders and auditors; never by an administrator as such.
    public static func maySee(_ meeting: Meeting, by actor: Actor) -> Bool {
        maySee(invited: meeting.invitation(actor.unit) != nil || actor.person == meeting.chair || actor.person == meeting.convener, by: actor)
    }

    /// How a person who enters a meeting's room is recorded: as a member of their unit (invited,
    /// or an observer from a unit not invited), as the conference office's staff (a coordinator
    /// whose unit is not invited), or not at all (auditors and administrators change nothing, so
    /// their presence does not enter the meeting's record).
    public static func attendance(of actor: Actor, in meeting: Meeting) -> AttendanceRole? {
        guard actor.has(.officer) || actor.has(.leader) || actor.has(.coordinator) else { return nil }
        if meeting.invitation(actor.unit) == nil && actor.has(.coordinator) { return .staff }
        return .member
    }

    /// The same rule, given whether the person's unit is invited (or they chair or convened it).
    public static func maySee(invited: Bool, by actor: Actor) -> Bool {
        CaseAccess.seesEveryCase(actor) || (invited && (actor.has(.officer) || actor.has(.leader)))
    }
}

/// How a person in a meeting's room enters its record.
public enum AttendanceRole: Sendable, Equatable {
    case member
    case staff
}

public enum DecisionRecordAccess {
    /// The entries of the decision log (what each meeting decided on which case) and their
    /// inclusion proofs: for everyone who works on cases.
    public static func mayReadEntries(_ actor: Actor) -> Bool { actor.worksOnCases }

    /// Checkpoints and consistency proofs (hashes and signatures, no content): for every
    /// authenticated person, administrators included, so that IT staff can check the log.
    public static func mayReadCheckpoints(_ actor: Actor) -> Bool { true }
}
