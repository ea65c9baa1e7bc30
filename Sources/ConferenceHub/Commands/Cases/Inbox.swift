// inbox: my work (我的待办) — everything the open cases wait for from this person: from their unit
// (officers and leaders; items for a unit's leaders only to its leaders, the disputes escalated to
// the unit among them), and from the conference office (coordinators). Most urgent first: what
// falls due soonest (overdue first), then what has no limit, by case. Paged by offset; complete at
// any size (the store keeps the items, KeptWorkItems.swift).
import CaseCore

struct Inbox: Command {
    static let name = "inbox"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }
    /// Counts the person's items and reads one page of them.
    static func cost(_ parameters: Parameters) -> Int { PageCost.of(limit: parameters.limit) }
    /// The largest `offset` taken (far beyond what anyone owes; a bound on one request's work).
    static let maxOffset = 10_000_000

    struct Parameters: Sendable {
        let offset: Int
        let limit: Int
    }

    struct Item: Encodable, Sendable {
        let `case`: String
        /// The case's registration number (登记编号).
        let number: String
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
        /// The working days left, today and the last day included, for a limit the law counts in
        /// working days (as `case.overview`'s deadlines); absent otherwise.
        let workingDaysLeft: Int?
        /// The warning level reached (50, 75, 85, 99; 100 when overdue); null before 50 % or without a limit.
        let level: Int?
        let obligation: String?

        enum CodingKeys: String, CodingKey {
            case `case`, number, title, status, kind, unit, role, task, version, item, days, detail, due, dueAt = "due_at", secondsLeft = "seconds_left", workingDaysLeft = "working_days_left", level, obligation
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(`case`, forKey: .case)
            try container.encode(number, forKey: .number)
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
            try container.encodeIfPresent(workingDaysLeft, forKey: .workingDaysLeft)
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
        guard offset >= 0, offset <= maxOffset else { throw HubFailure(.badRequest, "`offset` is 0 to \(maxOffset)") }
        return Parameters(offset: offset, limit: try Check.limit(fields.limit))
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let now = context.hub.clock.now(), policy = context.store.policy, numbering = context.store.numbering
        let today = policy.timeZone.localDate(of: now.date)
        let page = try await context.store.workItems(for: try context.actor, offset: parameters.offset, limit: parameters.limit)
        let end = parameters.offset + page.items.count
        return Output(
            count: page.count,
            items: page.items.map { kept in
                let item = kept.item
                let level = item.dueAt.flatMap { dueAt in
                    DeadlineMonitor.level(startedAt: item.startedAt ?? dueAt, dueAt: dueAt, at: now)
                }
                return Item(
                    case: RoomID.case(item.caseID), number: numbering.number(of: item.caseID) ?? item.caseID.description, title: kept.title, status: kept.status.rawValue, kind: item.kind.rawValue,
                    unit: item.unit?.rawValue, role: item.role?.rawValue, task: item.task, version: item.version, item: item.item,
                    days: item.days, detail: item.detail, due: item.due?.description, dueAt: item.dueAt?.milliseconds,
                    secondsLeft: item.dueAt.map { Int(($0.milliseconds - now.milliseconds) / 1000) },
                    workingDaysLeft: item.obligation.flatMap(DeadlineKind.init(rawValue:)).flatMap { kind in
                        kind.countsWorkingDays ? item.due.map { policy.calendar.workingDays(from: today, through: $0) } : nil
                    },
                    level: level?.rawValue,
                    obligation: item.obligation)
            },
            next: end < page.count ? end : nil)
    }
}
