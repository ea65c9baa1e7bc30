// RoomAccess and MeetingAccess: who may speak in a room and who may see a meeting. Pure rules;
// the hub asks them (CaseAccess holds the rules for cases).

public enum RoomAccess {
    /// Officers, leaders and coordinators post; auditors and administrators only read.
    public static func mayPost(_ actor: Actor) -> Bool {
        actor.has(.officer) || actor.has(.leader) || actor.has(.coordinator)
    }
}

public enum MeetingAccess {
    /// A meeting is seen by its invited units, its chair and its convener, and by coordinators,
    /// leaders and auditors.
    public static func maySee(_ meeting: Meeting, by actor: Actor) -> Bool {
        CaseAccess.seesEveryCase(actor) || meeting.invitation(actor.unit) != nil
            || actor.person == meeting.chair || actor.person == meeting.convener
    }
}
