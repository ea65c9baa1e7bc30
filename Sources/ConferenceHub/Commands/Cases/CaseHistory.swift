// case.history: a case's recorded events after a sequence number, petitioner data withheld from
// those not entitled to it.
import CaseCore
import Messaging

struct CaseHistory: Command {
    static let name = "case.history"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let caseID: CaseID
        let after: Int64
        let limit: Int
    }

    struct Output: Encodable, Sendable {
        let `case`: String
        let events: [JSONValue]
        /// The `after` of the next page; absent on the last.
        let next: Int64?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let `case`: CaseReference; let after: Int64?; let limit: Int? }
        let fields = try request.decode(Fields.self)
        return Parameters(caseID: fields.case.id, after: try Check.sequence(fields.after, "after") ?? 0, limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        // One more than the page is read to know whether another page follows.
        let events = try await context.store.history(of: parameters.caseID, for: try context.actor, after: parameters.after, limit: parameters.limit + 1)
        let page = events.prefix(parameters.limit)
        return Output(case: RoomID.case(parameters.caseID), events: try page.map(WireNames.value),
                      next: events.count > page.count ? page.last?.sequence : nil)
    }
}
