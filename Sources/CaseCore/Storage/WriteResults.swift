// WriteResults: what a write of a case or a meeting leaves, as its own transaction computed it —
// the events it recorded (the change first, then the hub's follow-ups) and the state after them —
// so that a reply shows the new state without reading it back.

/// A case write: its events and the case after them.
public struct CaseWriteResult: Sendable {
    public let events: [CaseEvent]
    public let state: PetitionCase
    /// The write's time (what deadlines and actions are reckoned from).
    public let at: Timestamp
}

/// A meeting write: its events and the meeting after them.
public struct MeetingWriteResult: Sendable {
    public let events: [MeetingEvent]
    public let meeting: Meeting
}
