// decisions.inclusion: the proof that an entry is in the decision log of a given size.
import CaseCore

struct DecisionsInclusion: Command {
    static let name = "decisions.inclusion"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let index: Int
        let size: Int?
    }

    struct Output: Encodable, Sendable {
        let index: Int
        let size: Int
        let entry: String
        let leafHash: String
        /// The audit path, base64 hashes from the leaf up.
        let path: [String]
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let index: Int; let size: Int? }
        let fields = try request.decode(Fields.self)
        guard fields.index >= 0, (fields.size ?? 1) > 0 else { throw HubFailure(.badRequest, "`index` ≥ 0 and `size` > 0") }
        return Parameters(index: fields.index, size: fields.size)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let latest = try await context.decisionLogSize()
        let size = parameters.size ?? latest
        let (entry, path) = try await context.store.inclusionProof(index: parameters.index, size: size)
        return Output(index: parameters.index, size: size, entry: String(decoding: entry.body, as: UTF8.self),
                      leafHash: Base64.string(entry.leafHash), path: path.map(Base64.string))
    }
}
