// meeting.convene: a leader or coordinator convenes a joint meeting (联席会议) with its agenda.
import CaseCore
import Messaging

struct MeetingConvene: Command {
    static let name = "meeting.convene"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    /// The new meeting's id, its first event's number, and the meeting as `meeting.get` shows it
    /// (from the write's own transaction).
    struct Output: Encodable, Sendable {
        let meeting: String
        let seq: Int64
        let meetingState: JSONValue
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Convening {
        var convening = try request.decode(Convening.self)
        convening.chairIsLeader = nil  // the hub looks it up
        return convening
    }

    static func run(_ convening: Convening, in context: CommandContext) async throws -> Output {
        let result = try await context.store.conveneReturningState(convening, by: try context.actor)
        return Output(meeting: RoomID.meeting(result.meeting.id), seq: result.events[0].sequence, meetingState: try MeetingGet.view(result.meeting))
    }
}
