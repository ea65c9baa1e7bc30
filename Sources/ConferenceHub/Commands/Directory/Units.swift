// units: the conference's member units and their hierarchy, for clients that show unit names or
// let a coordinator pick the units a case involves. Unit names are not personal data: any person
// signed in may read them.
import CaseCore

struct Units: Command {
    static let name = "units"
    static let effect = CommandEffect.read

    struct Output: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let unit: String
            let name: String
            let kind: String
            /// The superior unit, or null at the top of the hierarchy.
            let parent: String?

            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(unit, forKey: .unit)
                try container.encode(name, forKey: .name)
                try container.encode(kind, forKey: .kind)
                try container.encode(parent, forKey: .parent)
            }

            enum CodingKeys: String, CodingKey { case unit, name, kind, parent }
        }

        let units: [Entry]
    }

    static func run(_ parameters: NoParameters, in context: CommandContext) async throws -> Output {
        Output(units: try await context.store.units().map {
            Output.Entry(unit: $0.id.rawValue, name: $0.name, kind: $0.kind.rawValue, parent: $0.parent?.rawValue)
        })
    }
}
