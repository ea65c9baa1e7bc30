// meeting.minutes: a meeting's minutes (纪要), as Markdown or as JSON.
import CaseCore

struct MeetingMinutes: Command {
    static let name = "meeting.minutes"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let meetingID: MeetingID
        let markdown: Bool
    }

    struct Output: Encodable, Sendable {
        let meeting: String
        let format: String
        let markdown: String?
        let minutes: MinutesRecord?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let meeting: MeetingReference; let format: String? }
        let fields = try request.decode(Fields.self)
        let format = fields.format ?? "markdown"
        guard format == "markdown" || format == "json" else { throw HubFailure(.badRequest, "`format` is markdown or json") }
        return Parameters(meetingID: fields.meeting.id, markdown: format == "markdown")
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let meeting = try await context.meeting(parameters.meetingID)
        guard meeting.minutes != nil else {
            throw HubFailure(.invalidState, "\(parameters.meetingID) has no minutes yet (they are drafted on adjournment)")
        }
        let room = RoomID.meeting(parameters.meetingID)
        return parameters.markdown
            ? Output(meeting: room, format: "markdown", markdown: MinutesDocument.markdown(meeting), minutes: nil)
            : Output(meeting: room, format: "json", markdown: nil, minutes: MinutesDocument.record(meeting))
    }
}
