// rooms: the rooms a person may join — the lobby, then the cases they may read, a page at a time.
import CaseCore

struct Rooms: Command {
    static let name = "rooms"
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
        var rooms: [Output.Entry] = []
        if parameters.after == nil { rooms.append(Output.Entry(room: RoomID.lobby, title: "Conference lobby", status: nil)) }
        let after = parameters.after.flatMap { CaseID($0) }
        let cases = CaseAccess.seesEveryCase(actor)
            ? try await store.allCases(after: after, limit: parameters.limit)
            : try await store.cases(for: actor.unit, relation: .involved, after: after, limit: parameters.limit)
        rooms += cases.map { Output.Entry(room: RoomID.case($0.id), title: $0.title, status: $0.status.rawValue) }
        let next = cases.count == parameters.limit ? cases.last.map { RoomID.case($0.id) } : nil
        return Output(rooms: rooms, next: next)
    }
}
