// who: the people present in a room the connection has joined.
import CaseCore

struct Who: Command {
    static let name = "who"
    static let effect = CommandEffect.read

    struct Output: Encodable, Sendable {
        let room: String
        let members: [Member]
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> String {
        try Check.room(request.decode(RoomParameter.self).room)
    }

    static func run(_ room: String, in context: CommandContext) async throws -> Output {
        guard context.connection.joined.contains(room) else { throw HubFailure(.notJoined, "join \(room) to see who is there") }
        // A joined room has live state (this connection is in it).
        guard let live = context.hub.rooms.existingRoom(room) else { return Output(room: room, members: []) }
        let members = try await live.loop.submit { live.present().map { Member($0.person, $0.unit) } }.get()
        return Output(room: room, members: members)
    }
}
