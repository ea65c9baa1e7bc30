// negotiation.figures: how each unit answers lead negotiations, over a period of days in the
// conference's time zone.
import CaseCore

struct NegotiationFiguresCommand: Command {
    static let name = "negotiation.figures"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let unit: UnitID?
        let from: LocalDate?
        let to: LocalDate?
    }

    struct Output: Encodable, Sendable { let figures: [UnitNegotiationFigures] }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let unit: String?; let from: LocalDate?; let to: LocalDate? }
        let fields = try request.decode(Fields.self)
        if let from = fields.from, let to = fields.to, to < from { throw HubFailure(.badRequest, "`to` is before `from`") }
        return Parameters(unit: try Check.unit(ifGiven: fields.unit, "unit"), from: fields.from, to: fields.to)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor, store = context.store
        let seesAll = CaseAccess.seesEveryCase(actor)
        guard seesAll || parameters.unit == nil || parameters.unit == actor.unit else {
            throw HubFailure(.forbidden, "officers see their own unit's figures; leaders, coordinators and auditors see every unit's")
        }
        let zone = store.policy.timeZone
        let figures = try await store.negotiationFigures(
            unit: seesAll ? parameters.unit : actor.unit, from: parameters.from.map { Timestamp(zone.endOfDay($0.adding(days: -1))) },
            to: parameters.to.map { Timestamp(zone.endOfDay($0)) })
        return Output(figures: figures.map(UnitNegotiationFigures.init))
    }
}

/// One unit's negotiation figures as the wire carries them (`median_seconds_to_answer` is null
/// when the unit never answered).
struct UnitNegotiationFigures: Encodable, Sendable {
    let figures: NegotiationFigures

    init(_ figures: NegotiationFigures) { self.figures = figures }

    private enum Keys: String, CodingKey {
        case unit, joined, claims, declines, declinesOverturned, answered, unansweredAtDeadline, medianSecondsToAnswer
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(figures.unit.rawValue, forKey: .unit)
        try container.encode(figures.joined, forKey: .joined)
        try container.encode(figures.claims, forKey: .claims)
        try container.encode(figures.declines, forKey: .declines)
        try container.encode(figures.declinesOverturned, forKey: .declinesOverturned)
        try container.encode(figures.answered, forKey: .answered)
        try container.encode(figures.unansweredAtDeadline, forKey: .unansweredAtDeadline)
        try container.encode(figures.medianSecondsToAnswer.map { Int($0.rounded()) }, forKey: .medianSecondsToAnswer)
    }
}
