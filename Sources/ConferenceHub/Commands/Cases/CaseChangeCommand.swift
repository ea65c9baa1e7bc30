// case.change: one change of a case's lifecycle (CaseChange), decided by CaseCore.
import CaseCore

struct CaseChangeCommand: Command {
    static let name = "case.change"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let caseID: CaseID
        let change: CaseChange
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let `case`: CaseReference; let change: CaseChange }
        try Check.notRecordedByTheHub(request, CaseAccess.recordedByTheHub)
        let fields = try request.decode(Fields.self)
        return Parameters(caseID: fields.case.id, change: fields.change)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> CaseWritten {
        let actor = try context.actor
        return try await CaseWritten(context.store.performReturningState(parameters.change, on: parameters.caseID, by: actor), for: actor, in: context)
    }
}
