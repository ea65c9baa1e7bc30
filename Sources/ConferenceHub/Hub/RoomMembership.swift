// RoomMembership: leaving a room — taking a connection out of its live state, and recording the
// departure (a presence event, and attendance in a meeting room). Used by `leave` and when a
// connection closes.
import CaseCore
import Logging
import NIOCore

extension Hub {
    /// Takes `channel` out of `room` (dropping the room's live state if it was the last member)
    /// and records the person's departure if it was their last connection there; the future
    /// completes once the member is out.
    @discardableResult
    func leave(_ room: String, channel: Channel, logger: Logger) -> EventLoopFuture<Void> {
        let rooms = self.rooms, store = self.store, now = clock.now()
        guard let live = rooms.existingRoom(room) else { return channel.eventLoop.makeSucceededVoidFuture() }
        return live.loop.submit {
            let left = live.remove(channel: channel)
            rooms.dropIfIdle(live)
            guard let (person, unit) = left else { return }
            Task {
                do {
                    _ = try await store.appendRoomEvent(room: room, kind: "presence", at: now) { position in
                        try WireEvents.presence(position, person: person, unit: unit, joined: false)
                    }
                    await Hub.recordAttendance(room: room, person: person, unit: unit, joined: false, staff: false, store: store, logger: logger)
                } catch {
                    // While the store cannot write, the storage monitor logs that once.
                    let storage = (error as? SQLiteError)?.isStorageUnavailable == true
                    logger.log(level: storage ? .debug : .warning, "presence event not recorded", metadata: ["room": "\(room)", "error": "\(error)"])
                }
            }
        }
    }

    /// Records a person entering or leaving a meeting room as attendance (while the meeting is
    /// scheduled or in session, and for someone recorded as present when leaving; otherwise
    /// there is nothing to record). `staff`: the conference office staffing it.
    static func recordAttendance(room: String, person: PersonID, unit: UnitID, joined: Bool, staff: Bool, store: CaseStore, logger: Logger) async {
        guard let meetingID = RoomID.meetingID(of: room) else { return }
        do {
            try await store.performMeeting(.attendance(person: person, unit: unit, joined: joined, staff: staff), on: meetingID, by: .system)
        } catch let refusal as CaseRefusal where refusal.code == .invalidState {
            return
        } catch {
            let storage = (error as? SQLiteError)?.isStorageUnavailable == true
            logger.log(level: storage ? .debug : .warning, "attendance not recorded", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }
}
