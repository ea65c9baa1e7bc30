// case.overview: a case at a glance — each unit's tasks, the running deadlines and time left, the
// answer's signatures, what is waiting on whom, and what the requester may do; with
// `include_case`, the whole case too (what `case.get` answers), so that a page reads a case in one
// request.
import CaseCore
import Messaging

struct CaseOverview: Command {
    static let name = "case.overview"
    static let effect = CommandEffect.read
    static var access: CommandAccess { .caseWork }

    struct Output: Encodable, Sendable {
        let `case`: String
        /// The registration number (登记编号).
        let number: String
        let title: String
        let status: String
        let lead: String?
        let coHandling: [String]
        let deadlines: [DeadlineView]
        let tasksByUnit: [String: [TaskView]]
        let answer: AnswerView?
        let supervisionItems: [SupervisionItemView]
        let listed: ListedView?
        let waitingOn: [Waiting]
        /// What the requester may do with the case now (`CaseActions`).
        var actions: [CaseAction] = []
        /// With `include_case`: the case as `case.get` shows it.
        var caseState: WireCase?

        private enum Keys: String, CodingKey {
            case `case`, number, title, status, lead, coHandling, deadlines, tasksByUnit, answer, supervisionItems, listed, waitingOn, actions, caseState
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(`case`, forKey: .case)
            try container.encode(number, forKey: .number)
            try container.encode(title, forKey: .title)
            try container.encode(status, forKey: .status)
            try container.encode(lead, forKey: .lead)  // null until a lead is settled
            try container.encode(coHandling, forKey: .coHandling)
            try container.encode(deadlines, forKey: .deadlines)
            try container.encode(tasksByUnit, forKey: .tasksByUnit)
            try container.encodeIfPresent(answer, forKey: .answer)
            try container.encode(supervisionItems, forKey: .supervisionItems)
            try container.encodeIfPresent(listed, forKey: .listed)
            try container.encode(waitingOn, forKey: .waitingOn)
            try container.encode(actions, forKey: .actions)
            try container.encodeIfPresent(caseState, forKey: .caseState)
        }
    }

    struct DeadlineView: Encodable, Sendable {
        let kind: String
        let due: String
        let dueAt: Int64
        let secondsLeft: Int
        let overdue: Bool
        let owedBy: [String]
        /// The last warning level reached (50, 75, 85, 99, 100).
        let level: Int?
        /// For limits the law counts in working days: the working days left, today included.
        let workingDaysLeft: Int?
    }

    struct TaskView: Encodable, Sendable {
        let task: Int
        let what: String
        let due: String
        let state: String
        let overdue: Bool
        let progress: String?
        let progressText: String?
    }

    struct AnswerView: Encodable, Sendable {
        struct Objection: Encodable, Sendable {
            let unit: String
            let reason: String
        }

        let version: Int
        let signedBy: [String]
        let objections: [Objection]
        let awaiting: [String]
    }

    struct SupervisionItemView: Encodable, Sendable {
        let item: Int
        let unit: String
        let demand: String
        let due: String
        let answered: Bool
        let escalated: Bool
    }

    struct ListedView: Encodable, Sendable { let reason: String }

    struct Waiting: Encodable, Sendable {
        let unit: String
        let what: String
    }

    struct Parameters: Sendable {
        let caseID: CaseID
        let includeCase: Bool
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        struct Fields: Decodable { let `case`: CaseReference; let includeCase: Bool? }
        let fields = try request.decode(Fields.self)
        return Parameters(caseID: fields.case.id, includeCase: fields.includeCase ?? false)
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        let actor = try context.actor
        let state = try await context.store.caseState(parameters.caseID, for: actor)
        var output = try await Output(state, for: actor, at: context.hub.clock.now(), in: context)
        if parameters.includeCase { output.caseState = WireCase(state, in: context.store) }
        return output
    }
}

extension CaseOverview.Output {
    /// The overview `actor` sees at `now`, with the actions they may take.
    init(_ state: PetitionCase, for actor: Actor, at now: Timestamp, in context: CommandContext) async throws {
        self.init(state, now: now, policy: context.store.policy, offices: try await context.store.officeUnits(),
                  number: context.store.number(of: state.id))
        actions = try await context.store.actions(on: state, for: actor, at: now)
    }
}

extension CaseOverview.Output {
    /// - Parameters:
    ///   - offices: the conference office's units, named where no other unit owes or is waited on.
    ///   - number: the case's registration number (its id when not given).
    init(_ state: PetitionCase, now: Timestamp, policy: DeadlinePolicy = DeadlinePolicy(), offices: [UnitID], number: String? = nil) {
        let today = policy.timeZone.localDate(of: now.date)
        `case` = RoomID.case(state.id)
        self.number = number ?? state.id.description
        title = state.title
        status = state.status.rawValue
        lead = state.leadUnit?.rawValue
        coHandling = state.coHandlingUnits.map(\.rawValue)
        deadlines = state.deadlines.filter(\.isRunning).map { deadline in
            CaseOverview.DeadlineView(
                kind: deadline.kind.rawValue, due: deadline.due.description, dueAt: deadline.dueAt.milliseconds,
                secondsLeft: Int(deadline.remaining(at: now).rounded(.down)), overdue: deadline.isOverdue(at: now),
                owedBy: WireEvents.owedBy(state.owedBy(deadline.kind.rawValue), offices: offices), level: DeadlineMonitor.level(of: deadline, at: now)?.rawValue,
                workingDaysLeft: deadline.kind.countsWorkingDays ? policy.calendar.workingDays(from: today, through: deadline.due) : nil)
        }
        var units: [String: [CaseOverview.TaskView]] = [:]
        for task in state.tasks {
            units[task.unit.rawValue, default: []].append(CaseOverview.TaskView(
                task: task.id, what: task.what, due: task.due.description, state: task.state.rawValue,
                overdue: task.isOpen && task.state != .done && now >= task.dueAt, progress: task.progress?.rawValue,
                progressText: task.progressText))
        }
        tasksByUnit = units
        answer = state.answerDraft.map { draft in
            CaseOverview.AnswerView(
                version: draft.version, signedBy: draft.signatures.map(\.unit.rawValue),
                objections: draft.objections.map { .init(unit: $0.unit.rawValue, reason: $0.objection ?? "") },
                awaiting: state.awaitingCoSignature.map(\.rawValue))
        }
        supervisionItems = state.supervisionItems.map { item in
            CaseOverview.SupervisionItemView(item: item.id, unit: item.unit.rawValue, demand: item.demand, due: item.due.description,
                                             answered: !item.isOpen, escalated: item.escalatedAt != nil)
        }
        listed = state.listedSupervision.map { CaseOverview.ListedView(reason: $0.reason) }
        waitingOn = state.waitingOn.map { CaseOverview.Waiting(unit: ($0.unit ?? offices.first)?.rawValue ?? "", what: $0.what) }
    }
}
