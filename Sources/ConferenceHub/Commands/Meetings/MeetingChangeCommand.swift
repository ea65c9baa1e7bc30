// meeting.change: one change of a meeting (MeetingChange), decided by CaseCore, with the events
// it caused and, when it closed a proposal, the outcome.
import CaseCore
import Messaging

struct MeetingChangeCommand: Command {
    static let name = "meeting.change"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let meetingID: MeetingID
        let change: MeetingChange
    }

    struct Output: Encodable, Sendable {
        let meeting: String
        let seq: Int64
        let status: String
        let events: [String]
        let outcome: Outcome?
        /// The meeting as `meeting.get` shows it, from the write's own transaction.
        let meetingState: JSONValue
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let meeting: MeetingReference; let change: MeetingChange }
        try Check.notRecordedByTheHub(request, MeetingAccess.recordedByTheHub)
        let fields = try request.decode(Fields.self)
        return Parameters(meetingID: fields.meeting.id, change: fields.change)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let meetingID = parameters.meetingID, store = context.store
        _ = try await context.meeting(meetingID)
        let result = try await store.performMeetingReturningState(parameters.change, on: meetingID, by: try context.actor)
        let events = result.events, meeting = result.meeting
        var outcome: Outcome?
        if case .proposalClosed(let number, _, _) = events[0].change {
            outcome = meeting.agenda.first { $0.number == number }?.outcomes.last
        }
        return Output(meeting: RoomID.meeting(meetingID), seq: events[0].sequence, status: meeting.status.rawValue,
                      events: events.map(\.change.type), outcome: outcome, meetingState: try MeetingGet.view(meeting))
    }
}
