// negotiation.answer: a unit's answer in the lead negotiation (claim, support, co-handle or
// decline), and the round's outcome when this answer closed it.
import CaseCore

struct NegotiationAnswerCommand: Command {
    static let name = "negotiation.answer"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let caseID: CaseID
        let unit: UnitID?
        let answer: NegotiationAnswer
    }

    struct Output: Encodable, Sendable {
        let `case`: String
        let seq: Int64
        let status: String
        /// The event that closed the round, when this answer closed it.
        let outcome: String?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable {
            let `case`: CaseReference
            let answer: NegotiationAnswer.Position
            let unit: String?
            let supports: String?
            let reason: String?
            let basis: String?
        }
        let fields = try request.decode(Fields.self)
        let answer = NegotiationAnswer(
            position: fields.answer, supports: try Check.unit(ifGiven: fields.supports, "supports"),
            reason: try Check.text(ifGiven: fields.reason, "reason", max: CaseInputLimits.reasonLength),
            basis: try Check.text(ifGiven: fields.basis, "basis", max: CaseInputLimits.reasonLength))
        return Parameters(caseID: fields.case.id, unit: try Check.unit(ifGiven: fields.unit, "unit"), answer: answer)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor, store = context.store, caseID = parameters.caseID
        let result = try await store.performReturningState(
            .negotiationAnswered(unit: parameters.unit ?? actor.unit, answer: parameters.answer), on: caseID, by: actor)
        return Output(case: RoomID.case(caseID), seq: result.events[0].sequence, status: result.state.status.rawValue,
                      outcome: result.events.dropFirst().last?.change.type)
    }
}
