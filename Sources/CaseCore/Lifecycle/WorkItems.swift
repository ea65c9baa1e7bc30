// WorkItems: what a case waits for, as items of someone's work (我的待办) — which unit owes it (or
// the conference office), which role in it may do it, what it is, and by when. Pure: derived from
// a case's state. `waitingOn` (case.overview) and the `inbox` command both read it.

/// One thing a case waits for.
public struct WorkItem: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Transfer or assign a registered matter (coordinators).
        case route
        /// Answer in the lead negotiation (协商受理).
        case answerNegotiation = "answer_negotiation"
        /// Decide the lead of a disputed negotiation (a leader of the unit it went to, or coordinators).
        case decideLead = "decide_lead"
        /// Send the notice of acceptance (the lead unit).
        case sendAcceptanceNotice = "send_acceptance_notice"
        /// The window in which the lead unit may object to the assignment is open.
        case objectionWindow = "objection_window"
        /// Rule on a unit's objection (coordinators).
        case ruleOnObjection = "rule_on_objection"
        /// Acknowledge a task (the co-handling unit).
        case acknowledgeTask = "acknowledge_task"
        /// Report on, and finish, an acknowledged task.
        case reportOnTask = "report_on_task"
        /// Accept or return a finished task (the lead unit).
        case reviewTaskResult = "review_task_result"
        /// Co-sign or object to the draft answer (会签; a co-handling unit).
        case cosignAnswer = "cosign_answer"
        /// Revise the draft over an objection, or a leader signs it off.
        case reviseAnswer = "revise_answer"
        /// Give the co-signed answer.
        case giveAnswer = "give_answer"
        /// Draft the answer.
        case draftAnswer = "draft_answer"
        /// Start handling an accepted case.
        case startHandling = "start_handling"
        /// Approve or refuse an extension request (延期; a leader of the lead unit).
        case decideExtension = "decide_extension"
        /// Record the petitioner's rating, a review request, or close (coordinators).
        case recordOutcome = "record_outcome"
        /// Give the review opinion (复查).
        case giveReviewOpinion = "give_review_opinion"
        /// Give the re-review opinion (复核).
        case giveReReviewOpinion = "give_re_review_opinion"
        /// Answer a supervision item (督办).
        case answerSupervision = "answer_supervision"
    }

    public let caseID: CaseID
    public let kind: Kind
    /// The unit that owes it; nil for the conference office (coordinators).
    public let unit: UnitID?
    /// Only people with this role in the unit may do it (nil: its officers and leaders).
    public let role: Role?
    public var task: Int?
    public var version: Int?
    public var item: Int?
    public var days: Int?
    /// The task's or the supervision item's words.
    public var detail: String?
    /// When it falls due, if a limit runs for it, and when that limit started.
    public var dueAt: Timestamp?
    public var startedAt: Timestamp?
    public var due: LocalDate?
    /// The running limit it is owed under (`negotiation`, `handling`, `task-3`…), if any.
    public var obligation: String?

    /// An item by itself (tests of who it is for).
    public static func testItem(_ kind: Kind, unit: UnitID?, role: Role?) -> WorkItem {
        WorkItem(CaseID(1), kind, unit: unit, role: role)
    }

    init(_ caseID: CaseID, _ kind: Kind, unit: UnitID?, role: Role? = nil) {
        self.caseID = caseID
        self.kind = kind
        self.unit = unit
        self.role = role
    }

    /// Whether `actor` is among those who owe it.
    public func isFor(_ actor: Actor) -> Bool {
        guard let unit else { return actor.roles.contains(.coordinator) }
        guard actor.unit == unit else { return false }
        if let role { return actor.roles.contains(role) }
        return actor.roles.contains(.officer) || actor.roles.contains(.leader)
    }

    /// In words (English, for logs and the line client): "task 1: Confirm the budget line (by 2026-11-06)".
    public var text: String {
        switch kind {
        case .route: "route the case to its unit or units"
        case .answerNegotiation: "answer in the negotiation"
        case .decideLead: "decide the lead unit"
        case .sendAcceptanceNotice: "send the notice of acceptance"
        case .objectionWindow: "object to the assignment, if it is outside the unit's remit (window)"
        case .ruleOnObjection: "decide the objection"
        case .acknowledgeTask, .reportOnTask: "task \(task ?? 0): \(detail ?? "") (by \(due.map { "\($0)" } ?? "-"))"
        case .reviewTaskResult: "review the result of task \(task ?? 0)"
        case .cosignAnswer: "co-sign or object to answer version \(version ?? 0)"
        case .reviseAnswer: "revise answer version \(version ?? 0), or a leader signs it off over the objection"
        case .giveAnswer: "give the co-signed answer (version \(version ?? 0))"
        case .draftAnswer: "draft the answer"
        case .startHandling: "start handling"
        case .decideExtension: "a leader decides the extension request (\(days ?? 0) days)"
        case .recordOutcome: "record the petitioner's rating, a review request, or close"
        case .giveReviewOpinion: "give the review opinion"
        case .giveReReviewOpinion: "give the re-review opinion"
        case .answerSupervision: "answer supervision item \(item ?? 0): \(detail ?? "")"
        }
    }
}

extension PetitionCase {
    /// What people owe on the case now: nothing once it is closed or routed out (an open
    /// supervision item of a closed case included), else ``workItems``. The store keeps exactly
    /// these (`work_items`); `inbox` and the supervision list read them there.
    public var openWorkItems: [WorkItem] { status.isTerminal ? [] : workItems }

    /// Everything the case waits for, and from whom, in the order of its lifecycle.
    public var workItems: [WorkItem] {
        var items: [WorkItem] = []
        func add(_ kind: WorkItem.Kind, unit: UnitID?, role: Role? = nil, limit: DeadlineKind? = nil, _ fill: (inout WorkItem) -> Void = { _ in }) {
            var item = WorkItem(id, kind, unit: unit, role: role)
            if let limit, let deadline = deadline(limit), deadline.isRunning {
                item.dueAt = deadline.dueAt
                item.startedAt = deadline.startedAt
                item.due = deadline.due
                item.obligation = limit.rawValue
            }
            fill(&item)
            items.append(item)
        }
        switch status {
        case .registered:
            add(.route, unit: nil, limit: .transfer)
        case .negotiating:
            for unit in negotiation?.unanswered ?? [] { add(.answerNegotiation, unit: unit, limit: .negotiation) }
        case .disputed:
            add(.decideLead, unit: escalation?.to, role: escalation?.to == nil ? nil : .leader, limit: .escalation)
        case .assigned:
            add(.sendAcceptanceNotice, unit: leadUnit, limit: .acceptanceNotice)
            if deadline(.objection)?.isRunning == true { add(.objectionWindow, unit: leadUnit, limit: .objection) }
        case .objectionPending:
            add(.ruleOnObjection, unit: nil)
        case .accepted, .inHandling, .extensionGranted:
            for task in tasks {
                func fillTask(_ item: inout WorkItem) {
                    item.task = task.id
                    item.detail = task.what
                    item.due = task.due
                    item.dueAt = task.dueAt
                    item.startedAt = task.assignedAt
                    item.obligation = "task-\(task.id)"
                }
                switch task.state {
                case .assigned: add(.acknowledgeTask, unit: task.unit, fillTask)
                case .acknowledged: add(.reportOnTask, unit: task.unit, fillTask)
                case .done: add(.reviewTaskResult, unit: leadUnit) { $0.task = task.id }
                case .accepted: break
                }
            }
            if let draft = answerDraft {
                for unit in awaitingCoSignature where !draft.objected(by: unit) {
                    add(.cosignAnswer, unit: unit, limit: .handling) { $0.version = draft.version }
                }
                if !draft.objections.isEmpty {
                    add(.reviseAnswer, unit: leadUnit, limit: .handling) { $0.version = draft.version }
                } else if awaitingCoSignature.isEmpty {
                    add(.giveAnswer, unit: leadUnit, limit: .handling) { $0.version = draft.version }
                }
            } else if status != .accepted {
                add(.draftAnswer, unit: leadUnit, limit: .handling)
            } else {
                add(.startHandling, unit: leadUnit, limit: .handling)
            }
            if let request = extensionRequest, request.refusal == nil {
                add(.decideExtension, unit: leadUnit, role: .leader, limit: .handling) { $0.days = request.days }
            }
        case .answered, .reviewed, .reReviewed:
            add(.recordOutcome, unit: nil)
        case .reviewRequested:
            add(.giveReviewOpinion, unit: nil, limit: .reviewAnswer)
        case .reReviewRequested:
            add(.giveReReviewOpinion, unit: nil, limit: .reReviewAnswer)
        case .closed, .routedOut:
            break
        }
        for supervision in supervisionItems where supervision.isOpen {
            add(.answerSupervision, unit: supervision.unit) {
                $0.item = supervision.id
                $0.detail = supervision.demand
                $0.due = supervision.due
                $0.dueAt = supervision.dueAt
                $0.startedAt = supervision.openedAt
                $0.obligation = "supervision-\(supervision.id)"
            }
        }
        return items
    }
}
