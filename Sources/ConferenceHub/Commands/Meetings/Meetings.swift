// meetings: a page of the meetings the person may see.
import CaseCore

struct Meetings: Command {
    static let name = "meetings"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let after: MeetingID?
        let limit: Int
    }

    struct Output: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let meeting: String
            let title: String
            let status: String
            let scheduledAt: Int64
        }

        let meetings: [Entry]
        let next: String?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let after: MeetingReference?; let limit: Int? }
        let fields = try request.decode(Fields.self)
        return Parameters(after: fields.after?.id, limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor
        // A page of meetings is read, then filtered: `limit` bounds the meetings read, and `next`
        // (given when more follow) continues after the last one read, seen or not.
        let read = try await context.store.meetings(after: parameters.after, limit: parameters.limit + 1)
        let page = read.prefix(parameters.limit)
        let visible = page.filter { MeetingAccess.maySee($0, by: actor) }
        return Output(
            meetings: visible.map { Output.Entry(meeting: RoomID.meeting($0.id), title: $0.title, status: $0.status.rawValue, scheduledAt: $0.scheduledAt.milliseconds) },
            next: read.count > page.count ? page.last.map { RoomID.meeting($0.id) } : nil)
    }
}
