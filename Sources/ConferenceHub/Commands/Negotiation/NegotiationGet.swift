// negotiation.get: a case's lead negotiation — the round, each unit's answer, who has not
// answered, the clock, and the escalation when disputed.
import CaseCore

struct NegotiationGet: Command {
    static let name = "negotiation.get"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    /// The negotiation's own fields, with the case's view of it beside them.
    struct Output: Encodable, Sendable {
        let view: NegotiationView

        private enum Keys: String, CodingKey { case `case`, status, unanswered, deadline, secondsLeft, escalation }
        private struct EscalationView: Encodable {
            let escalation: Escalation
            let decidedBy: String
            func encode(to encoder: Encoder) throws {
                try escalation.encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(decidedBy, forKey: .decidedBy)
            }
            private enum Keys: String, CodingKey { case decidedBy }
        }

        func encode(to encoder: Encoder) throws {
            try view.negotiation.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(RoomID.case(view.caseID), forKey: .case)
            try container.encode(view.status.rawValue, forKey: .status)
            try container.encode(view.negotiation.unanswered.map(\.rawValue), forKey: .unanswered)
            try container.encodeIfPresent(view.deadline, forKey: .deadline)
            try container.encodeIfPresent(view.secondsLeft.map { Int($0.rounded(.down)) }, forKey: .secondsLeft)
            if let escalation = view.escalation {
                let decidedBy = escalation.to.map { "leader of \($0.rawValue)" } ?? "coordinator"
                try container.encode(EscalationView(escalation: escalation, decidedBy: decidedBy), forKey: .escalation)
            }
        }
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> CaseID {
        try request.decode(CaseParameter.self).case.id
    }

    static func run(_ caseID: CaseID, in context: CommandContext) async throws -> Output {
        Output(view: try await context.store.negotiation(of: caseID, for: try context.actor, at: context.hub.clock.now()))
    }
}
