// inbox: my work (我的待办) — everything the open cases wait for from this person: from their unit
// (officers and leaders; items for a unit's leaders only to its leaders), from the conference
// office (coordinators), and the disputes escalated to a leader's unit. Most urgent first: what
// falls due soonest (overdue first), then what has no limit, by case. Paged by offset.
import CaseCore

struct Inbox: Command {
    static let name = "inbox"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }
    /// Reads every open case of the person's unit (or all, for coordinators): like `cases` of
    /// 500, whatever the page.
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: ParameterLimits.maxPage) }
    /// Open cases read at most (a bound on the work one request does).
    static let maxCasesScanned = 5_000

    struct Parameters: Sendable {
        let offset: Int
        let limit: Int
    }

    struct Item: Encodable, Sendable {
        let `case`: String
        let title: String
        let status: String
        let kind: String
        /// The owing unit; null for the conference office.
        let unit: String?
        /// Only this role of the unit may do it; null: its officers and leaders.
        let role: String?
        let task: Int?
        let version: Int?
        let item: Int?
        let days: Int?
        let detail: String?
        let due: String?
        let dueAt: Int64?
        let secondsLeft: Int?
        /// The warning level reached (50, 75, 85, 99; 100 when overdue); null before 50 % or without a limit.
        let level: Int?
        let obligation: String?

        enum CodingKeys: String, CodingKey {
            case `case`, title, status, kind, unit, role, task, version, item, days, detail, due, dueAt = "due_at", secondsLeft = "seconds_left", level, obligation
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(`case`, forKey: .case)
            try container.encode(title, forKey: .title)
            try container.encode(status, forKey: .status)
            try container.encode(kind, forKey: .kind)
            try container.encode(unit, forKey: .unit)
            try container.encode(role, forKey: .role)
            try container.encodeIfPresent(task, forKey: .task)
            try container.encodeIfPresent(version, forKey: .version)
            try container.encodeIfPresent(item, forKey: .item)
            try container.encodeIfPresent(days, forKey: .days)
            try container.encodeIfPresent(detail, forKey: .detail)
            try container.encode(due, forKey: .due)
            try container.encode(dueAt, forKey: .dueAt)
            try container.encode(secondsLeft, forKey: .secondsLeft)
            try container.encode(level, forKey: .level)
            try container.encode(obligation, forKey: .obligation)
        }
    }

    struct Output: Encodable, Sendable {
        /// All items waiting on this person (not only this page's).
        let count: Int
        let items: [Item]
        /// The `offset` of the next page; absent on the last.
        let next: Int?
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable {
            let offset: Int?
            let limit: Int?
        }
        let fields = try request.decode(Fields.self)
        let offset = fields.offset ?? 0
        guard offset >= 0, offset <= maxCasesScanned * 50 else { throw HubFailure(.badRequest, "`offset` must be 0 or more") }
        return Parameters(offset: offset, limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor, store = context.store
        let now = context.hub.clock.now()
        var cases: [PetitionCase] = []
        func scan(_ page: (CaseID?) async throws -> [PetitionCase]) async throws {
            var after: CaseID?
            while cases.count < maxCasesScanned {
                let found = try await page(after)
                cases += found.filter { $0.status != .closed && $0.status != .routedOut }
                guard found.count == ParameterLimits.maxPage, let last = found.last else { return }
                after = last.id
            }
        }
        if actor.roles.contains(.coordinator) {
            try await scan { try await store.allCases(after: $0, limit: ParameterLimits.maxPage) }
        } else {
            try await scan { try await store.cases(for: actor.unit, relation: .involved, after: $0, limit: ParameterLimits.maxPage) }
            if actor.roles.contains(.leader) {
                // A dispute escalated to the leader's unit as the negotiating units' common superior.
                let involved = Set(cases.map(\.id))
                var disputed: [PetitionCase] = []
                var after: CaseID?
                while disputed.count < maxCasesScanned {
                    let found = try await store.cases(status: .disputed, after: after, limit: ParameterLimits.maxPage)
                    disputed += found.filter { $0.escalation?.to == actor.unit && !involved.contains($0.id) }
                    guard found.count == ParameterLimits.maxPage, let last = found.last else { break }
                    after = last.id
                }
                cases += disputed
            }
        }
        var items: [(PetitionCase, WorkItem)] = []
        for state in cases {
            for item in state.workItems where item.isFor(actor) { items.append((state, item)) }
        }
        items.sort { left, right in
            switch (left.1.dueAt, right.1.dueAt) {
            case let (l?, r?) where l != r: return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            default: return (left.0.id.rawValue, left.1.kind.rawValue) < (right.0.id.rawValue, right.1.kind.rawValue)
            }
        }
        let page = items.dropFirst(parameters.offset).prefix(parameters.limit)
        let end = parameters.offset + page.count
        return Output(
            count: items.count,
            items: page.map { state, item in
                let level = item.dueAt.flatMap { dueAt in
                    DeadlineMonitor.level(startedAt: item.startedAt ?? dueAt, dueAt: dueAt, at: now)
                }
                return Item(
                    case: RoomID.case(state.id), title: state.title, status: state.status.rawValue, kind: item.kind.rawValue,
                    unit: item.unit?.rawValue, role: item.role?.rawValue, task: item.task, version: item.version, item: item.item,
                    days: item.days, detail: item.detail, due: item.due?.description, dueAt: item.dueAt?.milliseconds,
                    secondsLeft: item.dueAt.map { Int(($0.milliseconds - now.milliseconds) / 1000) }, level: level?.rawValue,
                    obligation: item.obligation)
            },
            next: end < items.count ? end : nil)
    }
}
