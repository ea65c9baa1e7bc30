// case.petitioner: the petitioner's name and contact, for those entitled to them
// (`CaseAccess.mayReadPetitioner`).
import CaseCore

struct CasePetitioner: Command {
    static let name = "case.petitioner"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    struct Output: Encodable, Sendable {
        let `case`: String
        let petitioner: Petitioner
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> CaseID {
        try request.decode(CaseParameter.self).case.id
    }

    static func run(_ caseID: CaseID, in context: CommandContext) async throws -> Output {
        guard let petitioner = try await context.store.petitioner(of: caseID, for: try context.actor) else {
            throw HubFailure(.notFound, "no petitioner recorded for \(caseID)")
        }
        return Output(case: RoomID.case(caseID), petitioner: petitioner)
    }
}
