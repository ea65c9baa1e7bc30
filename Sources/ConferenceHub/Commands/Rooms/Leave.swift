// leave: takes the connection out of a room; the reply comes once it is out, so no event of the
// room follows it.
import CaseCore

struct Leave: Command {
    static let name = "leave"
    static let effect = CommandEffect.connection

    struct Output: Encodable, Sendable { let room: String }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> String {
        try Check.room(request.decode(RoomParameter.self).room)
    }

    static func run(_ room: String, in context: CommandContext) async throws -> Output {
        guard await context.connection.apply(.left(room)) else { throw HubFailure(.notJoined, "not in \(room)") }
        try await context.hub.leave(room, channel: context.connection.channel, logger: context.connection.logger).get()
        return Output(room: room)
    }
}
