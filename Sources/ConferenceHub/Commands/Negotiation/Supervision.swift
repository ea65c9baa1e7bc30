// supervision: the supervision list (督办清单) — overdue deadlines and tasks, open supervision
// items, negotiations waiting on someone, cases under listed supervision (each part the `limit`
// most urgent, with its total), and every unit's negotiation figures. For those who see every case.
import CaseCore

struct Supervision: Command {
    static let name = "supervision"
    static let effect = CommandEffect.read
    /// Five parts of at most `limit` entries each, their totals, and every unit's figures.
    static func cost(_ parameters: Parameters) -> Int { 5 }
    static var access: CommandAccess {
        .signedInWhere(rule: CaseAccess.seesEveryCase, refusal: "the supervision list is for coordinators, leaders and auditors")
    }

    struct Parameters: Sendable {
        /// Entries listed per part, most urgent first.
        let limit: Int
    }

    /// How many entries each part has in all.
    struct Totals: Encodable, Sendable {
        let overdueDeadlines: Int
        let overdueTasks: Int
        let supervisionItems: Int
        let negotiations: Int
        let listed: Int
    }

    struct Output: Encodable, Sendable {
        let totals: Totals
        let overdueDeadlines: [Entry]
        let overdueTasks: [Entry]
        let supervisionItems: [Entry]
        let negotiations: [NegotiationItem]
        let listed: [Listed]
        let unitFigures: [UnitNegotiationFigures]
    }

    /// Something owed: what, by whom, and when it was due.
    struct Entry: Encodable, Sendable {
        let `case`: String
        let title: String
        let obligation: String
        let what: String
        let dueAt: Int64
        let secondsLeft: Int
        let owedBy: [String]
        let overdue: Bool

        init(_ entry: SupervisionEntry, now: Timestamp) {
            `case` = RoomID.case(entry.caseID)
            title = entry.title
            obligation = entry.obligation
            what = entry.what
            dueAt = entry.dueAt.milliseconds
            secondsLeft = Int(entry.dueAt.seconds(since: now).rounded(.down))
            owedBy = entry.owedBy.map(\.rawValue)  // the office's units when no other unit owes it (CaseCore)
            overdue = entry.overdue
        }
    }

    /// A negotiation waiting on answers, or a dispute waiting on a decision.
    struct NegotiationItem: Encodable, Sendable {
        let `case`: String
        let title: String
        let status: String
        let overdue: Bool
        let owedBy: [String]
        let owes: String
        let due: String?
        let dueAt: Int64?
        let secondsLeft: Int?

        init(_ item: NegotiationSupervisionItem, offices: [UnitID]) {
            `case` = RoomID.case(item.caseID)
            title = item.title
            status = item.status.rawValue
            overdue = item.overdue
            if item.status == .negotiating {
                owedBy = item.unanswered.map(\.rawValue)
                owes = "an answer in the negotiation"
            } else {
                owedBy = item.escalatedTo.map { [$0.rawValue] } ?? offices.map(\.rawValue)
                owes = item.escalatedTo.map { "a decision by a leader of \($0.rawValue)" } ?? "a decision by a coordinator"
            }
            due = item.deadline?.due.description
            dueAt = item.deadline?.dueAt.milliseconds
            secondsLeft = item.secondsLeft.map { Int($0.rounded(.down)) }
        }
    }

    /// A case under listed supervision (挂牌督办).
    struct Listed: Encodable, Sendable {
        let `case`: String
        let title: String
        let reason: String
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let limit: Int? }
        return Parameters(limit: try Check.limit(try request.decode(Fields.self).limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let store = context.store, now = context.hub.clock.now()
        let list = try await store.supervisionList(at: now, limit: parameters.limit)
        let figures = try await store.negotiationFigures()
        let totals = list.totals
        return Output(
            totals: Totals(overdueDeadlines: totals.overdueDeadlines, overdueTasks: totals.overdueTasks,
                           supervisionItems: totals.supervisionItems, negotiations: totals.negotiations, listed: totals.listed),
            overdueDeadlines: list.overdueDeadlines.map { Entry($0, now: now) },
            overdueTasks: list.overdueTasks.map { Entry($0, now: now) },
            supervisionItems: list.openSupervisionItems.map { Entry($0, now: now) },
            negotiations: list.negotiations.map { NegotiationItem($0, offices: list.offices) },
            listed: list.listed.map { Listed(case: RoomID.case($0.caseID), title: $0.title, reason: $0.reason) },
            unitFigures: figures.map(UnitNegotiationFigures.init))
    }
}
