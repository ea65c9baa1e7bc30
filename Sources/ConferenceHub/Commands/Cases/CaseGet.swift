// case.get: a case's whole state, for those who may read it.
import CaseCore
import Messaging

struct CaseGet: Command {
    static let name = "case.get"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    /// The case with the protocol's names (WireCase).
    struct Output: Encodable, Sendable { let `case`: WireCase }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> CaseID {
        try request.decode(CaseParameter.self).case.id
    }

    static func run(_ caseID: CaseID, in context: CommandContext) async throws -> Output {
        Output(case: WireCase(try await context.store.caseState(caseID, for: try context.actor), in: context.store))
    }
}
