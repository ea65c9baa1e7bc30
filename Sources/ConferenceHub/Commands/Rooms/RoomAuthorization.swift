// Who may read a room and see a meeting, as the commands ask it: the rules are CaseCore's
// (CaseAccess, MeetingAccess); this only finds the case or meeting a room belongs to.
import CaseCore

extension CommandContext {
    /// Checks that the person asking may read `room`; returns the meeting when it is a
    /// meeting's room.
    @discardableResult
    func authorize(room: String) async throws -> Meeting? {
        if room == RoomID.lobby {
            guard RoomAccess.mayJoinLobby(try actor) else { throw HubFailure(.forbidden, "the lobby is for those who work on cases") }
            return nil
        }
        if let meetingID = RoomID.meetingID(of: room) { return try await meeting(meetingID) }
        guard let caseID = RoomID.caseID(of: room) else { throw HubFailure(.notFound, "no room \(room)") }
        try await store.checkMayRead(caseID, by: actor)
        return nil
    }

    /// A meeting, if the person asking may see it (`MeetingAccess.maySee`).
    func meeting(_ id: MeetingID) async throws -> Meeting {
        guard let meeting = try await store.meeting(id) else { throw HubFailure(.notFound, "no meeting \(id)") }
        let actor = try self.actor
        guard MeetingAccess.maySee(meeting, by: actor) else { throw HubFailure(.forbidden, "\(actor.unit) is not invited to \(id)") }
        return meeting
    }
}
