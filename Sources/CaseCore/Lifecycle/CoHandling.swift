// CoHandling: the day-to-day work on a case once it has a lead unit — tasks for co-handling units
// with progress reports, the jointly signed answer (会签), extension requests, and supervision
// (督办) items and listed supervision (挂牌督办). Pure types and rules; CaseLifecycle calls them.

/// A task the lead unit gives a co-handling unit (what, by when).
public struct TaskAssignment: Codable, Sendable, Equatable {
    public var unit: UnitID
    public var what: String
    public var due: LocalDate
    /// The end of the due day in the conference's time zone (set by the hub when recorded).
    public var dueAt: Timestamp?

    public init(unit: UnitID, what: String, due: LocalDate) {
        self.unit = unit
        self.what = what
        self.due = due
    }
}

/// A progress report on a task.
public struct ProgressReport: Codable, Sendable, Equatable {
    public var text: String
    public var status: ProgressStatus

    public init(text: String, status: ProgressStatus) {
        self.text = text
        self.status = status
    }
}

/// How a unit says its task is going.
public enum ProgressStatus: String, Codable, Sendable, CaseIterable {
    case onTrack = "on_track"
    case atRisk = "at_risk"
}

/// Where a task stands.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    /// Given to the unit, not yet acknowledged.
    case assigned
    /// The unit acknowledged it and is working on it (also after the lead sent it back).
    case acknowledged
    /// The unit reports it done; the lead unit reviews the result.
    case done
    /// The lead unit accepted the result.
    case accepted
}

/// One task of a case.
public struct CaseTask: Codable, Sendable, Equatable {
    public let id: Int
    public var unit: UnitID
    public var what: String
    public var due: LocalDate
    /// The end of the due day: the task is overdue from then if not done.
    public var dueAt: Timestamp
    public var assignedAt: Timestamp
    public var state: TaskState
    /// The latest progress report.
    public var progress: ProgressStatus?
    public var progressText: String?
    public var progressAt: Timestamp?
    public var reports = 0
    /// The unit's account of the result (when done).
    public var result: String?
    /// Why the lead unit sent the result back (the latest time).
    public var returnedReason: String?
    public var doneAt: Timestamp?
    public var acceptedAt: Timestamp?

    /// Waiting on the task's unit (assigned or acknowledged), or on the lead unit (done).
    public var isOpen: Bool { state != .accepted }
}

/// A signature or an objection on an answer draft version.
public struct AnswerSignature: Codable, Sendable, Equatable {
    public var unit: UnitID
    public var person: PersonID
    public var at: Timestamp
    /// Set for an objection: why the unit does not co-sign.
    public var objection: String?
}

/// The lead unit's draft answer, with the co-signatures and objections on its current version.
public struct AnswerDraft: Codable, Sendable, Equatable {
    public var version: Int
    public var answer: Answer
    public var draftedAt: Timestamp
    public var draftedBy: PersonID
    /// Co-signatures of the current version (earlier versions' signatures are stale and dropped).
    public var signatures: [AnswerSignature] = []
    /// Objections to the current version.
    public var objections: [AnswerSignature] = []

    public func signed(by unit: UnitID) -> Bool { signatures.contains { $0.unit == unit } }
    public func objected(by unit: UnitID) -> Bool { objections.contains { $0.unit == unit } }
}

/// The answer as given: the version, who co-signed it, and any objection a leader signed over.
public struct AnswerRecord: Codable, Sendable, Equatable {
    public var version: Int
    public var signers: [UnitID]
    public var overriddenObjections: [AnswerSignature]
    /// The leader who signed off over an objection, if that is how it was given.
    public var signedOffBy: PersonID?
}

/// A pending request to extend the handling limit.
public struct ExtensionRequest: Codable, Sendable, Equatable {
    public var days: Int
    public var reason: String
    public var requestedBy: PersonID
    public var requestedAt: Timestamp
    /// Set when a leader refused it.
    public var refusal: String?
}

/// What a coordinator demands of a unit (督办).
public struct SupervisionDemand: Codable, Sendable, Equatable {
    /// The unit that must answer in writing (usually the lead unit).
    public var unit: UnitID
    public var reason: String
    public var demand: String
    public var due: LocalDate
    /// The end of the due day (set by the hub when recorded).
    public var dueAt: Timestamp?

    public init(unit: UnitID, reason: String, demand: String, due: LocalDate) {
        self.unit = unit
        self.reason = reason
        self.demand = demand
        self.due = due
    }
}

/// A supervision item on a case.
public struct SupervisionItem: Codable, Sendable, Equatable {
    public let id: Int
    public var unit: UnitID
    public var reason: String
    public var demand: String
    public var due: LocalDate
    public var dueAt: Timestamp
    public var openedAt: Timestamp
    public var openedBy: PersonID
    public var answer: String?
    public var answeredAt: Timestamp?
    public var answeredBy: PersonID?
    /// When the item passed its date unanswered and went to leaders.
    public var escalatedAt: Timestamp?

    public var isOpen: Bool { answeredAt == nil }
}

/// Listed supervision (挂牌督办): set and cleared by leaders, with reasons.
public struct ListedSupervision: Codable, Sendable, Equatable {
    public var reason: String
    public var setBy: PersonID
    public var setAt: Timestamp
}

/// Something a unit owes on a case by a date, tracked by the hub's deadline scheduler alongside
/// the legal deadlines: open tasks and unanswered supervision items.
public struct CaseObligation: Sendable, Equatable {
    /// `task-N` or `supervision-N`.
    public let key: String
    /// The unit that owes it.
    public let unit: UnitID
    public let startedAt: Timestamp
    public let dueAt: Timestamp
    /// When the hub recorded that it lapsed (a supervision item escalated to leaders): the
    /// deadline sweep has nothing more to do for it.
    public var lapseRecordedAt: Timestamp? = nil
}

extension PetitionCase {
    /// Open tasks and unanswered supervision items, with their dates.
    public var obligations: [CaseObligation] {
        let open = !status.isTerminal
        return (open ? tasks.filter { $0.state == .assigned || $0.state == .acknowledged } : []).map {
            CaseObligation(key: "task-\($0.id)", unit: $0.unit, startedAt: $0.assignedAt, dueAt: $0.dueAt)
        } + (open ? supervisionItems.filter(\.isOpen) : []).map {
            CaseObligation(key: "supervision-\($0.id)", unit: $0.unit, startedAt: $0.openedAt, dueAt: $0.dueAt, lapseRecordedAt: $0.escalatedAt)
        }
    }

    /// When the earliest running obligation falls due: a legal deadline not yet met (not a
    /// petitioner's window), an open task or an unanswered supervision item. The case is overdue
    /// from then on (the case list's `overdue` filter); nil when nothing runs.
    public var nextObligationDue: Timestamp? {
        (deadlines.filter { $0.metAt == nil && !$0.kind.isWindow }.map(\.dueAt) + obligations.map(\.dueAt)).min()
    }

    /// Co-handling units that have not co-signed the current draft.
    public var awaitingCoSignature: [UnitID] {
        guard let draft = answerDraft else { return coHandlingUnits }
        return coHandlingUnits.filter { !draft.signed(by: $0) }
    }
}

extension CaseLifecycle {
    static let workingStatuses: Set<CaseStatus> = [.accepted, .inHandling, .extensionGranted]

    /// Rules of the co-handling changes (tasks, answer drafts, extension requests, supervision).
    static func decideCoHandling(
        _ change: CaseChange, on state: PetitionCase, by actor: Actor, at now: Timestamp, policy: DeadlinePolicy
    ) throws -> CaseDecision? {
        let plain = CaseDecision(change: change, startedDeadlines: [], metDeadlines: [])
        switch change {
        case .taskAssigned(let task):
            try requireStatus(state, workingStatuses, "give a task")
            guard state.coHandlingUnits.contains(task.unit) else {
                throw CaseRefusal(.invalidArgument, "tasks go to co-handling units (\(state.coHandlingUnits.map(\.rawValue).joined(separator: ", ")))")
            }
            try checkText(task.what, "task", max: CaseInputLimits.reasonLength)
            let today = policy.timeZone.localDate(of: now.date)
            guard task.due >= today else { throw CaseRefusal(.invalidArgument, "the task's date \(task.due) has passed") }
            if let handling = state.deadline(.handling), task.due > handling.due {
                throw CaseRefusal(.invalidArgument, "the task's date \(task.due) is after the handling limit \(handling.due)")
            }
            guard state.tasks.count < CaseInputLimits.tasks else { throw CaseRefusal(.invalidArgument, "at most \(CaseInputLimits.tasks) tasks per case") }
            var recorded = task
            recorded.dueAt = Timestamp(policy.timeZone.endOfDay(task.due))
            return CaseDecision(change: .taskAssigned(recorded), startedDeadlines: [], metDeadlines: [])

        case .taskAcknowledged(let id):
            let task = try requireTask(id, state, "acknowledge")
            guard task.state == .assigned else { throw CaseRefusal(.invalidState, "task \(id) is \(task.state.rawValue), not assigned") }
            return plain

        case .taskProgress(let id, let report):
            let task = try requireTask(id, state, "report progress on")
            guard task.state == .assigned || task.state == .acknowledged else {
                throw CaseRefusal(.invalidState, "task \(id) is \(task.state.rawValue); progress is reported while it is open")
            }
            try checkText(report.text, "progress report", max: CaseInputLimits.reasonLength)
            return plain

        case .taskDone(let id, let result):
            let task = try requireTask(id, state, "mark done")
            guard task.state == .assigned || task.state == .acknowledged else { throw CaseRefusal(.invalidState, "task \(id) is \(task.state.rawValue)") }
            try checkText(result, "result", max: CaseInputLimits.reasonLength)
            return plain

        case .taskAccepted(let id), .taskReturned(let id, _):
            try requireStatus(state, workingStatuses, "review a task's result")
            guard let task = state.tasks.first(where: { $0.id == id }) else { throw CaseRefusal(.notFound, "no task \(id) on \(state.id)") }
            guard task.state == .done else { throw CaseRefusal(.invalidState, "task \(id) is \(task.state.rawValue), not done") }
            if case .taskReturned(_, let reason) = change { try checkText(reason, "reason", max: CaseInputLimits.reasonLength) }
            return plain

        case .answerDrafted(let answer):
            try requireStatus(state, [.inHandling, .extensionGranted], "draft the answer")
            try checkAnswer(answer)
            return plain

        case .answerCosigned(let version), .answerObjected(let version, _):
            try requireStatus(state, [.inHandling, .extensionGranted], "co-sign the answer")
            guard let draft = state.answerDraft else { throw CaseRefusal(.invalidState, "there is no draft answer yet") }
            guard version == draft.version else {
                throw CaseRefusal(.invalidState, "version \(version) is stale; the current draft is version \(draft.version)")
            }
            if draft.signed(by: actor.unit) { throw CaseRefusal(.invalidState, "\(actor.unit) already co-signed version \(version)") }
            if case .answerObjected(_, let reason) = change { try checkText(reason, "reason", max: CaseInputLimits.reasonLength) }
            return plain

        case .extensionRequested(let days, let reason):
            try requireStatus(state, [.accepted, .inHandling], "request an extension")
            guard state.extensionGranted == nil else { throw CaseRefusal(.invalidState, "the one extension was already granted") }
            if let pending = state.extensionRequest, pending.refusal == nil {
                throw CaseRefusal(.invalidState, "an extension request is already waiting for a leader")
            }
            guard (1...policy.limits.maxExtensionDays).contains(days) else {
                throw CaseRefusal(.invalidArgument, "an extension is 1 to \(policy.limits.maxExtensionDays) days")
            }
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            return plain

        case .extensionRefused(let reason):
            guard let pending = state.extensionRequest, pending.refusal == nil else {
                throw CaseRefusal(.invalidState, "no extension request is waiting")
            }
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            return plain

        case .supervisionOpened(let demand):
            guard state.status != .registered else { throw CaseRefusal(.invalidState, "\(state.id) has not been routed to a unit yet") }
            guard state.involves(demand.unit) else { throw CaseRefusal(.invalidArgument, "\(demand.unit) is not on \(state.id)") }
            try checkText(demand.reason, "reason", max: CaseInputLimits.reasonLength)
            try checkText(demand.demand, "demand", max: CaseInputLimits.reasonLength)
            guard demand.due >= policy.timeZone.localDate(of: now.date) else {
                throw CaseRefusal(.invalidArgument, "the date \(demand.due) has passed")
            }
            guard state.supervisionItems.count < CaseInputLimits.supervisionItems else {
                throw CaseRefusal(.invalidArgument, "at most \(CaseInputLimits.supervisionItems) supervision items per case")
            }
            var recorded = demand
            recorded.dueAt = Timestamp(policy.timeZone.endOfDay(demand.due))
            return CaseDecision(change: .supervisionOpened(recorded), startedDeadlines: [], metDeadlines: [])

        case .supervisionAnswered(let id, let text):
            guard let item = state.supervisionItems.first(where: { $0.id == id }) else {
                throw CaseRefusal(.notFound, "no supervision item \(id) on \(state.id)")
            }
            guard item.isOpen else { throw CaseRefusal(.invalidState, "supervision item \(id) was already answered") }
            try checkText(text, "answer", max: CaseInputLimits.summaryLength)
            return plain

        case .supervisionEscalated(let id):
            guard let item = state.supervisionItems.first(where: { $0.id == id }), item.isOpen, item.escalatedAt == nil, now >= item.dueAt else {
                throw CaseRefusal(.invalidState, "supervision item \(id) is not overdue")
            }
            return plain

        case .listedSupervisionSet(let reason):
            guard state.listedSupervision == nil else { throw CaseRefusal(.invalidState, "\(state.id) is already listed") }
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            return plain

        case .listedSupervisionCleared(let reason):
            guard state.listedSupervision != nil else { throw CaseRefusal(.invalidState, "\(state.id) is not listed") }
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            return plain

        case .registered, .negotiationOpened, .assigned, .negotiationAnswered, .negotiationSettled,
            .negotiationDisputed, .leadDecided, .escalationOverdue, .forwarded, .leadReassigned, .meetingDecision,
            .objectionRaised, .objectionUpheld, .objectionRejected, .accepted, .handlingStarted, .planSet,
            .extensionGranted, .answered, .satisfactionRated, .reviewRequested, .reviewed, .reReviewRequested,
            .reReviewed, .closed, .routedOut:
            return nil
        }
    }

    /// The `answered` rule when co-handling units must co-sign: the answer is the current draft,
    /// co-signed by every co-handling unit, or signed off by a leader of the lead unit over a
    /// recorded objection.
    static func checkCoSigned(_ answer: Answer, _ state: PetitionCase, by actor: Actor) throws {
        guard !state.coHandlingUnits.isEmpty else { return }
        guard let draft = state.answerDraft else {
            throw CaseRefusal(.invalidState, "draft the answer (answer_drafted) and have the co-handling units co-sign it first")
        }
        guard draft.answer == answer else {
            throw CaseRefusal(.invalidState, "the answer must be the current draft (version \(draft.version))")
        }
        let missing = state.awaitingCoSignature
        guard missing.isEmpty else {
            if actor.has(.leader), !draft.objections.isEmpty { return }
            throw CaseRefusal(
                .invalidState,
                "waiting for the co-signatures of \(missing.map(\.rawValue).joined(separator: ", ")); a leader of the lead unit may sign off over a recorded objection")
        }
    }

    static func checkAnswer(_ answer: Answer) throws {
        try checkText(answer.request, "request", max: CaseInputLimits.reasonLength)
        try checkText(answer.factsAndReasons, "facts and reasons", max: CaseInputLimits.summaryLength)
        try checkText(answer.legalBasis, "legal basis", max: CaseInputLimits.reasonLength)
    }

    private static func requireTask(_ id: Int, _ state: PetitionCase, _ what: String) throws -> CaseTask {
        try requireStatus(state, workingStatuses, "\(what) a task")
        guard let task = state.tasks.first(where: { $0.id == id }) else { throw CaseRefusal(.notFound, "no task \(id) on \(state.id)") }
        return task
    }

    /// Folds a co-handling event into the state (returns false for other changes).
    static func applyCoHandling(_ event: CaseEvent, to next: inout PetitionCase) -> Bool {
        let at = event.at
        func updateTask(_ id: Int, _ body: (inout CaseTask) -> Void) {
            guard let index = next.tasks.firstIndex(where: { $0.id == id }) else { return }
            body(&next.tasks[index])
        }
        switch event.change {
        case .taskAssigned(let task):
            next.tasks.append(CaseTask(
                id: next.tasks.count + 1, unit: task.unit, what: task.what, due: task.due, dueAt: task.dueAt ?? at,
                assignedAt: at, state: .assigned))
        case .taskAcknowledged(let id):
            updateTask(id) { $0.state = .acknowledged }
        case .taskProgress(let id, let report):
            updateTask(id) { task in
                if task.state == .assigned { task.state = .acknowledged }
                task.progress = report.status
                task.progressText = report.text
                task.progressAt = at
                task.reports += 1
            }
        case .taskDone(let id, let result):
            updateTask(id) { task in
                task.state = .done
                task.result = result
                task.doneAt = at
            }
        case .taskAccepted(let id):
            updateTask(id) { task in
                task.state = .accepted
                task.acceptedAt = at
            }
        case .taskReturned(let id, let reason):
            updateTask(id) { task in
                task.state = .acknowledged
                task.returnedReason = reason
                task.doneAt = nil
            }
        case .answerDrafted(let answer):
            next.answerDraft = AnswerDraft(
                version: (next.answerDraft?.version ?? 0) + 1, answer: answer, draftedAt: at, draftedBy: event.actorPerson)
        case .answerCosigned:
            next.answerDraft?.signatures.append(AnswerSignature(unit: event.actorUnit, person: event.actorPerson, at: at))
            next.answerDraft?.objections.removeAll { $0.unit == event.actorUnit }
        case .answerObjected(_, let reason):
            next.answerDraft?.objections.removeAll { $0.unit == event.actorUnit }
            next.answerDraft?.objections.append(AnswerSignature(unit: event.actorUnit, person: event.actorPerson, at: at, objection: reason))
        case .extensionRequested(let days, let reason):
            next.extensionRequest = ExtensionRequest(days: days, reason: reason, requestedBy: event.actorPerson, requestedAt: at)
        case .extensionRefused(let reason):
            next.extensionRequest?.refusal = reason
        case .supervisionOpened(let demand):
            next.supervisionItems.append(SupervisionItem(
                id: next.supervisionItems.count + 1, unit: demand.unit, reason: demand.reason, demand: demand.demand, due: demand.due,
                dueAt: demand.dueAt ?? at, openedAt: at, openedBy: event.actorPerson))
        case .supervisionAnswered(let id, let text):
            if let index = next.supervisionItems.firstIndex(where: { $0.id == id }) {
                next.supervisionItems[index].answer = text
                next.supervisionItems[index].answeredAt = at
                next.supervisionItems[index].answeredBy = event.actorPerson
            }
        case .supervisionEscalated(let id):
            if let index = next.supervisionItems.firstIndex(where: { $0.id == id }) { next.supervisionItems[index].escalatedAt = at }
        case .listedSupervisionSet(let reason):
            next.listedSupervision = ListedSupervision(reason: reason, setBy: event.actorPerson, setAt: at)
        case .listedSupervisionCleared:
            next.listedSupervision = nil
        case .registered, .negotiationOpened, .assigned, .negotiationAnswered, .negotiationSettled,
            .negotiationDisputed, .leadDecided, .escalationOverdue, .forwarded, .leadReassigned, .meetingDecision,
            .objectionRaised, .objectionUpheld, .objectionRejected, .accepted, .handlingStarted, .planSet,
            .extensionGranted, .answered, .satisfactionRated, .reviewRequested, .reviewed, .reReviewRequested,
            .reReviewed, .closed, .routedOut:
            return false
        }
        return true
    }
}

/// Something the case is waiting for, and from whom.
public struct PendingAction: Sendable, Equatable {
    /// The unit that owes it; nil for the conference office (coordinators).
    public let unit: UnitID?
    public let what: String
}

extension PetitionCase {
    /// What the case is waiting on, and from whom, at a glance (WorkItems.swift, in words).
    public var waitingOn: [PendingAction] {
        workItems.filter { $0.kind != .objectionWindow }.map { PendingAction(unit: $0.unit, what: $0.text) }
    }
}
