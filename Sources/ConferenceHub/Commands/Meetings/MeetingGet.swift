// meeting.get: a meeting's whole state, with the units present now and whether they make a quorum.
import CaseCore

struct MeetingGet: Command {
    static let name = "meeting.get"
    static var access: CommandAccess { .caseWork }

    struct Output: Encodable, Sendable {
        let meeting: MeetingView
    }

    /// The meeting's own fields with `present_units` and `quorum` beside them.
    struct MeetingView: Encodable, Sendable {
        let meeting: Meeting

        private enum Keys: String, CodingKey { case presentUnits, quorum }

        func encode(to encoder: Encoder) throws {
            try meeting.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(meeting.presentUnits.map(\.rawValue), forKey: .presentUnits)
            try container.encode(meeting.hasQuorum, forKey: .quorum)
        }
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> MeetingID {
        try request.decode(MeetingParameter.self).meeting.id
    }

    static func run(_ meetingID: MeetingID, in context: CommandContext) async throws -> Output {
        Output(meeting: MeetingView(meeting: try await context.meeting(meetingID)))
    }
}
