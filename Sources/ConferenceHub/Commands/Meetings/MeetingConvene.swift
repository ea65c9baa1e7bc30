// meeting.convene: a leader or coordinator convenes a joint meeting (联席会议) with its agenda.
import CaseCore

struct MeetingConvene: Command {
    static let name = "meeting.convene"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    struct Output: Encodable, Sendable {
        let meeting: String
        let seq: Int64
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Convening {
        var convening = try request.decode(Convening.self)
        convening.chairIsLeader = nil  // the hub looks it up
        return convening
    }

    static func run(_ convening: Convening, in context: CommandContext) async throws -> Output {
        let event = try await context.store.convene(convening, by: try context.actor)
        return Output(meeting: RoomID.meeting(event.meetingID), seq: event.sequence)
    }
}
