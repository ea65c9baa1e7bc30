// figures: the case figures of a period (case-lifecycle.md, Figures) — answered, average
// handling days, on-time rate, overdue, ratings and satisfaction rate, escalations, objections —
// for one unit, or for all units and each unit. `conference-hub figures` exports the same rows
// as CSV.
import CaseCore

struct Figures: Command {
    static let name = "figures"
    static let effect = CommandEffect.read
    /// Without a unit it sums the figures of every unit.
    static func cost(_ parameters: Parameters) -> Int { parameters.unit == nil ? 5 : 1 }
    static var access: CommandAccess { .caseWork }

    /// The longest period one request covers (days).
    static let maxDays = 3_660

    struct Parameters: Sendable {
        let from: LocalDate
        let to: LocalDate
        let unit: UnitID?
    }

    struct Output: Encodable, Sendable {
        let from: String
        let to: String
        let rows: [Row]
    }

    /// One unit's figures (`unit` null: all units). Rates are fractions from 0 to 1; a figure
    /// with nothing to measure (no case answered, none rated) is null.
    struct Row: Encodable, Sendable {
        let row: UnitFiguresRow

        private enum Keys: String, CodingKey {
            case unit, answered, averageHandlingDays, onTimeRate, overdue, rated, satisfactionRate, escalated, objectionsRaised, objectionsUpheld
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            let figures = row.figures
            try container.encode(row.unit?.rawValue, forKey: .unit)
            try container.encode(figures.answered, forKey: .answered)
            try container.encode(figures.averageHandlingDays, forKey: .averageHandlingDays)
            try container.encode(figures.onTimeRate, forKey: .onTimeRate)
            try container.encode(figures.overdue, forKey: .overdue)
            try container.encode(figures.rated, forKey: .rated)
            try container.encode(figures.satisfactionRate, forKey: .satisfactionRate)
            try container.encode(figures.escalated, forKey: .escalated)
            try container.encode(figures.objectionsRaised, forKey: .objectionsRaised)
            try container.encode(figures.objectionsUpheld, forKey: .objectionsUpheld)
        }
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let from: LocalDate; let to: LocalDate; let unit: String? }
        let fields = try request.decode(Fields.self)
        return try checked(from: fields.from, to: fields.to, unit: try Check.unit(ifGiven: fields.unit, "unit"))
    }

    /// The checks shared with the CLI export.
    static func checked(from: LocalDate, to: LocalDate, unit: UnitID?) throws(HubFailure) -> Parameters {
        guard from <= to else { throw HubFailure(.badRequest, "`to` is before `from`") }
        guard to.dayNumber - from.dayNumber < maxDays else { throw HubFailure(.badRequest, "a period is at most \(maxDays) days") }
        return Parameters(from: from, to: to, unit: unit)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor
        // An officer who names no unit gets their own unit's figures.
        let unit = parameters.unit ?? (CaseAccess.seesEveryCase(actor) ? nil : actor.unit)
        guard CaseAccess.mayReadFigures(of: unit, by: actor) else {
            throw HubFailure(.forbidden, "officers read their own unit's figures; leaders, coordinators and auditors every unit's")
        }
        let rows = try await context.store.figuresReport(from: parameters.from, to: parameters.to, unit: unit, now: context.hub.clock.now())
        return Output(from: parameters.from.description, to: parameters.to.description, rows: rows.map(Row.init))
    }
}
