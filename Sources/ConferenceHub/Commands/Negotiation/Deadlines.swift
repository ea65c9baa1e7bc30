// deadlines: the running legal deadlines across units that have used 50, 75, 85 or 99 % of their
// time and are not yet overdue (the supervision list has the overdue ones), the most urgent first,
// with how many stand at each level. For those who see every case (the dashboard's 预警).
import CaseCore

struct Deadlines: Command {
    static let name = "deadlines"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess {
        .signedInWhere(rule: CaseAccess.seesEveryCase, refusal: "the deadline warnings are for coordinators, leaders and auditors")
    }

    struct Parameters: Sendable {
        let level: WarningLevel
        let limit: Int
    }

    struct Entry: Encodable, Sendable {
        let `case`: String
        let number: String
        let title: String
        /// The deadline's kind (`handling`, `acceptance_notice`…).
        let kind: String
        let owedBy: [String]
        /// The last day (the conference's time zone); `due_at` is the end of it.
        let due: String?
        let startedAt: Int64
        let dueAt: Int64
        let secondsLeft: Int
        /// The warning level reached: 50, 75, 85 or 99.
        let level: Int
    }

    struct Output: Encodable, Sendable {
        let deadlines: [Entry]
        /// How many running deadlines stand at each level now (keys "50", "75", "85", "99").
        let counts: [String: Int]
        /// How many are at `level` or above: the list is complete exactly when it holds this many.
        let total: Int
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable {
            let level: Int?
            let limit: Int?
        }
        let fields = try request.decode(Fields.self)
        let warning = fields.level ?? WarningLevel.half.rawValue
        guard let level = WarningLevel(rawValue: warning), level != .overdue else {
            throw HubFailure(.badRequest, "`level` is 50, 75, 85 or 99 (overdue deadlines are in `supervision`)")
        }
        return Parameters(level: level, limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let store = context.store, now = context.hub.clock.now(), numbering = store.numbering
        let warnings = try await store.deadlineWarnings(atOrAbove: parameters.level, at: now, limit: parameters.limit)
        return Output(
            deadlines: warnings.entries.map { warning in
                let entry = warning.entry
                return Entry(case: RoomID.case(entry.caseID), number: numbering.number(of: entry.caseID) ?? entry.caseID.description,
                             title: entry.title, kind: warning.kind.rawValue, owedBy: entry.owedBy.map(\.rawValue),
                             due: warning.due?.description, startedAt: warning.startedAt.milliseconds, dueAt: entry.dueAt.milliseconds,
                             secondsLeft: Int(entry.dueAt.seconds(since: now).rounded(.down)), level: warning.level.rawValue)
            },
            counts: Dictionary(uniqueKeysWithValues: warnings.counts.map { (String($0.key.rawValue), $0.value) }),
            total: warnings.counts.filter { $0.key >= parameters.level }.values.reduce(0, +))
    }
}
