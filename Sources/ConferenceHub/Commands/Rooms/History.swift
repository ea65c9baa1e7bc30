// history: a page of a room's stored events, older (`before`) or newer (`after`) than a sequence
// number; the events are the bytes every member received, carried as JSON values.
import CaseCore
import Messaging

struct History: Command {
    static let name = "history"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let room: String
        let before: Int64?
        let after: Int64?
        let limit: Int
    }

    struct Output: Encodable, Sendable {
        let room: String
        let epoch: String
        let more: Bool
        let events: [JSONValue]
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let room: String; let before: Int64?; let after: Int64?; let limit: Int? }
        let fields = try request.decode(Fields.self)
        if fields.before != nil && fields.after != nil { throw HubFailure(.badRequest, "give `before` or `after`, not both") }
        return Parameters(room: try Check.room(fields.room), before: try Check.sequence(fields.before, "before"),
                          after: try Check.sequence(fields.after, "after"), limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let store = context.store, room = parameters.room, limit = parameters.limit
        try await context.authorize(room: room)
        let events: [RoomEventRecord]
        if let after = parameters.after {
            events = try await store.roomEvents(room, after: after, limit: limit + 1)
        } else {
            events = Array(try await store.roomEvents(room, before: parameters.before ?? .max, limit: limit + 1).reversed())
        }
        let page = parameters.after != nil ? Array(events.prefix(limit)) : Array(events.suffix(limit))
        let epoch = try await store.roomState(room)?.epoch ?? ""
        return Output(room: room, epoch: epoch, more: events.count > limit, events: try page.map { try JSONValue(json: $0.body) })
    }
}
