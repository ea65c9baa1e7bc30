// decisions.consistency: the proof that the decision log of one size is a prefix of a larger one.
import CaseCore

struct DecisionsConsistency: Command {
    static let name = "decisions.consistency"
    static let effect = CommandEffect.read

    struct Parameters: Sendable {
        let first: Int
        let second: Int?
    }

    struct Output: Encodable, Sendable {
        let first: Int
        let second: Int
        /// The consistency path, base64 hashes.
        let path: [String]
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let first: Int; let second: Int? }
        let fields = try request.decode(Fields.self)
        guard fields.first > 0, (fields.second ?? fields.first) >= fields.first else { throw HubFailure(.badRequest, "give 0 < `first` ≤ `second`") }
        return Parameters(first: fields.first, second: fields.second)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let latest = try await context.decisionLogSize()
        let second = parameters.second ?? latest
        let path = try await context.store.consistencyProof(first: parameters.first, second: second)
        return Output(first: parameters.first, second: second, path: path.map(Base64.string))
    }
}
