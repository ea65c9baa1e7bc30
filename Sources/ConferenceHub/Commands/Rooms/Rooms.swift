// rooms: the rooms a person may join — the lobby, then the cases they may read, a page at a time.
import CaseCore

struct Rooms: Command {
    static let name = "rooms"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let after: String?
        let limit: Int
    }

    struct Output: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let room: String
            let title: String
            let status: String?
        }

        let rooms: [Entry]
        let next: String?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let after: String?; let limit: Int? }
        let fields = try request.decode(Fields.self)
        return Parameters(after: try Check.text(ifGiven: fields.after, "after", max: ParameterLimits.maxRoom), limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor, store = context.store
        // The lobby opens the first page and counts in its limit; one case more than fits is read
        // to know whether another page follows.
        var rooms: [Output.Entry] = parameters.after == nil ? [Output.Entry(room: RoomID.lobby, title: "Conference lobby", status: nil)] : []
        let room = parameters.limit - rooms.count
        let after = parameters.after.flatMap { CaseID($0) }
        let cases = CaseAccess.seesEveryCase(actor)
            ? try await store.allCases(after: after, limit: room + 1)
            : try await store.cases(for: actor.unit, relation: .involved, after: after, limit: room + 1)
        rooms += cases.prefix(room).map { Output.Entry(room: RoomID.case($0.id), title: $0.title, status: $0.status.rawValue) }
        return Output(rooms: rooms, next: cases.count > room ? rooms.last?.room : nil)
    }
}
