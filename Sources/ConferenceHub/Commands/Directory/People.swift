// people: the people of the conference's units — id, name, unit and roles — so that a client can
// show a name instead of an id and let a unit pick its responsible leader and person. Names of
// civil servants in their official roles are the conference's directory, not petitioner data: any
// person signed in may read them; credentials and passwords are never part of it.
import CaseCore

struct People: Command {
    static let name = "people"
    static let effect = CommandEffect.read

    struct Output: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let person: String
            let name: String
            let unit: String
            let roles: [String]
        }

        let people: [Entry]
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> UnitID? {
        struct Fields: Decodable { let unit: String? }
        return try Check.unit(ifGiven: try request.decode(Fields.self).unit, "unit")
    }

    static func run(_ unit: UnitID?, in context: CommandContext) async throws -> Output {
        Output(people: try await context.store.people().filter { unit == nil || $0.unit == unit }.map {
            Output.Entry(person: $0.id.rawValue, name: $0.name, unit: $0.unit.rawValue, roles: $0.roles.map(\.rawValue).sorted())
        })
    }
}
