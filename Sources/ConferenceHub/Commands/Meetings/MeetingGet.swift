// meeting.get: a meeting's whole state, with the units present now and whether they make a quorum.
import CaseCore
import Messaging

struct MeetingGet: Command {
    static let name = "meeting.get"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    struct Output: Encodable, Sendable {
        /// The meeting with the protocol's names (WireNames.meeting), and `present_units` and
        /// `quorum` beside its own fields.
        let meeting: JSONValue
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> MeetingID {
        try request.decode(MeetingParameter.self).meeting.id
    }

    static func run(_ meetingID: MeetingID, in context: CommandContext) async throws -> Output {
        Output(meeting: try view(try await context.meeting(meetingID)))
    }

    /// A meeting as `meeting.get` shows it (also in the replies of `meeting.convene` and `meeting.change`).
    static func view(_ meeting: Meeting) throws -> JSONValue {
        guard case .object(var object) = try WireNames.meeting(meeting) else { throw HubFailure(.internal, "the meeting could not be encoded") }
        object["present_units"] = .array(meeting.presentUnits.map { .string($0.rawValue) })
        object["quorum"] = .bool(meeting.hasQuorum)
        return .object(object)
    }
}
