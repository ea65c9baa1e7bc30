// cases: a page of cases — a unit's (by its part in them), by status, overdue, under listed
// supervision, by registration number or title, or all — as the person may list them, each case
// whole (`case.get`) or as a list shows it (`view: "summary"`). Every filter is done by the hub
// over all cases.
import CaseCore
import Messaging

struct Cases: Command {
    static let name = "cases"
    static let effect = CommandEffect.read
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    static var access: CommandAccess { .caseWork }

    struct Parameters: Sendable {
        let unit: UnitID?
        /// As asked; nil: every case for those who see every case, else `involved`.
        let relation: UnitRelation?
        let status: CaseStatus?
        let overdue: Bool
        let listed: Bool
        let search: String?
        let after: CaseID?
        let limit: Int
        let view: CaseListView
    }

    /// A case as a list shows it (`view: "summary"`).
    struct Summary: Encodable, Sendable {
        let `case`: String
        /// The registration number (登记编号).
        let number: String
        let title: String
        let status: CaseStatus
        let lead: String?
        let registeredAt: Int64
        let handlingDueAt: Int64?
        let listed: Bool

        init(_ summary: CaseSummary, numbering: RegistrationNumbering) {
            `case` = RoomID.case(summary.id)
            number = numbering.number(of: summary.id) ?? summary.id.description
            title = summary.title
            status = summary.status
            lead = summary.lead?.rawValue
            registeredAt = summary.registeredAt.milliseconds
            handlingDueAt = summary.handlingDueAt?.milliseconds
            listed = summary.listed
        }
    }

    /// The cases of a page: each as `case.get` shows it (`full`, written case by case over the
    /// machine's cores before the reply), or their summaries.
    enum Items: Encodable, Sendable {
        case full([EncodedWireValue])
        case summary([Summary])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .full(let cases): try container.encode(cases)
            case .summary(let summaries): try container.encode(summaries)
            }
        }
    }

    struct Output: Encodable, Sendable {
        let cases: Items
        let next: String?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable {
            let unit: String?
            let relation: UnitRelation?
            let status: CaseStatus?
            let overdue: Bool?
            let listed: Bool?
            let search: String?
            let after: CaseReference?
            let limit: Int?
            let view: CaseListView?
        }
        let fields = try request.decode(Fields.self)
        let search = try Check.text(ifGiven: fields.search, "search", max: CaseFilter.maxSearchLength)
        return Parameters(unit: try Check.unit(ifGiven: fields.unit, "unit"), relation: fields.relation, status: fields.status,
                          overdue: fields.overdue ?? false, listed: fields.listed ?? false, search: search,
                          after: fields.after?.id, limit: try Check.limit(fields.limit), view: fields.view ?? .full)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor, store = context.store
        let seesAll = CaseAccess.seesEveryCase(actor)
        var filter = CaseFilter(status: parameters.status, overdue: parameters.overdue, listed: parameters.listed, search: parameters.search)
        if let unit = parameters.unit {
            guard seesAll || unit == actor.unit else { throw HubFailure(.forbidden, "you may list only your own unit's cases") }
            (filter.unit, filter.relation) = (unit, parameters.relation ?? .involved)
        } else if let relation = parameters.relation {
            // A relation without a unit is the person's own unit's part (本单位主办, 本单位协办), for
            // every role: a coordinator's or leader's "lead" is not every case.
            (filter.unit, filter.relation) = (actor.unit, relation)
        } else if !seesAll {
            (filter.unit, filter.relation) = (actor.unit, .involved)
        }
        // One more than the page is read to know whether another page follows.
        let now = context.hub.clock.now(), after = parameters.after, read = parameters.limit + 1
        switch parameters.view {
        case .full:
            let cases = try await store.cases(matching: filter, at: now, after: after, limit: read)
            let page = Array(cases.prefix(parameters.limit))
            let written = try await ConcurrentChunks.map(page) { chunk in try chunk.map { try EncodedWireValue(WireCase($0, in: store)) } }
            return Output(cases: .full(written), next: cases.count > page.count ? page.last.map { RoomID.case($0.id) } : nil)
        case .summary:
            let cases = try await store.caseSummaries(matching: filter, at: now, after: after, limit: read)
            let page = Array(cases.prefix(parameters.limit))
            let numbering = store.numbering
            return Output(cases: .summary(page.map { Summary($0, numbering: numbering) }), next: cases.count > page.count ? page.last.map { RoomID.case($0.id) } : nil)
        }
    }
}
