// decisions.entries: a page of the decision log — each entry's canonical bytes and leaf hash.
import CaseCore

struct DecisionsEntries: Command {
    static let name = "decisions.entries"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let from: Int
        let limit: Int
    }

    struct Output: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            let index: Int
            let kind: String
            /// The meeting the entry records; absent for an entry about the log itself (`restore`).
            let meeting: String?
            /// The entry's canonical JSON text, exactly as hashed.
            let entry: String
            let leafHash: String
        }

        let entries: [Entry]
        /// The `from` of the next page; absent on the last.
        let next: Int?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let from: Int?; let limit: Int? }
        let fields = try request.decode(Fields.self)
        guard (fields.from ?? 0) >= 0 else { throw HubFailure(.badRequest, "`from` must be ≥ 0") }
        return Parameters(from: fields.from ?? 0, limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        // One more than the page is read to know whether another page follows.
        let entries = try await context.store.decisionEntries(from: parameters.from, limit: parameters.limit + 1)
        let page = entries.prefix(parameters.limit)
        return Output(entries: page.map {
            Output.Entry(index: $0.index, kind: $0.kind, meeting: $0.meeting.map(RoomID.meeting), entry: String(decoding: $0.body, as: UTF8.self),
                         leafHash: Base64.string($0.leafHash))
        }, next: entries.count > page.count ? entries.last?.index : nil)
    }
}
