// CaseChange: everything that can happen to a case. A command proposes a change; once accepted it
// is stored as an event. JSON form: `{"type": "...", ...fields}`.

/// A new case.
public struct Registration: Codable, Sendable, Equatable {
    public var title: String
    public var summary: String
    public var category: CaseCategory
    public var channel: SourceChannel
    public var receivedOn: LocalDate
    public var involvedUnits: [UnitID]
    public var petitioner: Petitioner

    public init(title: String, summary: String, category: CaseCategory, channel: SourceChannel,
                receivedOn: LocalDate, involvedUnits: [UnitID], petitioner: Petitioner) {
        self.title = title
        self.summary = summary
        self.category = category
        self.channel = channel
        self.receivedOn = receivedOn
        self.involvedUnits = involvedUnits
        self.petitioner = petitioner
    }
}

/// A lead unit and its co-handling units.
public struct Assignment: Codable, Sendable, Equatable {
    public var lead: UnitID
    public var coHandling: [UnitID]
    public var rationale: String

    public init(lead: UnitID, coHandling: [UnitID] = [], rationale: String = "") {
        self.lead = lead
        self.coHandling = coHandling
        self.rationale = rationale
    }
}

/// The lead unit's handling plan (responsible leader and person, measures, resolution deadline).
public struct HandlingPlan: Codable, Sendable, Equatable {
    public var responsibleLeader: PersonID
    public var responsiblePerson: PersonID
    public var measures: [String]
    public var resolutionDeadline: LocalDate

    public init(responsibleLeader: PersonID, responsiblePerson: PersonID, measures: [String], resolutionDeadline: LocalDate) {
        self.responsibleLeader = responsibleLeader
        self.responsiblePerson = responsiblePerson
        self.measures = measures
        self.resolutionDeadline = resolutionDeadline
    }
}

/// Everything that can happen to a case.
public enum CaseChange: Sendable, Equatable {
    /// A coordinator registers the matter.
    case registered(Registration)
    /// A coordinator opens negotiation among two or more units.
    case negotiationOpened(units: [UnitID])
    /// A coordinator names the lead unit (directly, or cutting a negotiation short).
    case assigned(Assignment)
    /// A negotiating unit answers (or changes its answer): claim, support, cohandle or decline.
    case negotiationAnswered(unit: UnitID, answer: NegotiationAnswer)
    /// The hub records a consensus: the claimant leads, the others co-handle.
    case negotiationSettled(Assignment)
    /// The hub records a dispute and where it escalates.
    case negotiationDisputed(Dispute)
    /// The binding decision on a disputed case: a leader of the unit it escalated to, or a coordinator.
    case leadDecided(Assignment)
    /// The hub flags that the escalated decision is overdue.
    case escalationOverdue
    /// A coordinator forwards the case to more units (negotiation opens or widens).
    case forwarded(units: [UnitID])
    /// A coordinator moves the lead, with a rationale (for example a merged or abolished unit).
    case leadReassigned(Assignment)
    /// The lead unit gives a co-handling unit a task.
    case taskAssigned(TaskAssignment)
    /// The task's unit acknowledges it.
    case taskAcknowledged(task: Int)
    /// The task's unit reports progress.
    case taskProgress(task: Int, report: ProgressReport)
    /// The task's unit reports it done.
    case taskDone(task: Int, result: String)
    /// The lead unit accepts the result.
    case taskAccepted(task: Int)
    /// The lead unit sends the result back.
    case taskReturned(task: Int, reason: String)
    /// The lead unit drafts (or revises) the written answer: a new version; earlier signatures are stale.
    case answerDrafted(Answer)
    /// A co-handling unit co-signs a draft version (会签).
    case answerCosigned(version: Int)
    /// A co-handling unit objects to a draft version.
    case answerObjected(version: Int, reason: String)
    /// The lead unit asks a leader for the one extension.
    case extensionRequested(days: Int, reason: String)
    /// A leader of the lead unit refuses the request.
    case extensionRefused(reason: String)
    /// A coordinator opens a supervision item (督办).
    case supervisionOpened(SupervisionDemand)
    /// The unit answers a supervision item in writing.
    case supervisionAnswered(item: Int, text: String)
    /// The hub sends an unanswered, overdue supervision item to leaders.
    case supervisionEscalated(item: Int)
    /// A leader lists the case for supervision (挂牌督办).
    case listedSupervisionSet(reason: String)
    /// A leader clears listed supervision.
    case listedSupervisionCleared(reason: String)
    /// An outcome adopted (or decided by the chair) at a joint meeting, applied to the case.
    case meetingDecision(MeetingDecision)
    /// The lead unit objects that the matter is outside its remit (within 5 working days).
    case objectionRaised(reason: String)
    /// A coordinator agrees: the case is re-routed to the named units.
    case objectionUpheld(units: [UnitID], rationale: String)
    /// A coordinator refuses: the unit keeps the case.
    case objectionRejected(rationale: String)
    /// The lead unit sends the notice of acceptance.
    case accepted
    /// The lead unit starts handling.
    case handlingStarted
    /// The lead unit sets its handling plan.
    case planSet(HandlingPlan)
    /// A leader of the lead unit approves the one extension.
    case extensionGranted(days: Int, reason: String)
    /// The lead unit answers in writing.
    case answered(Answer)
    /// A coordinator records the petitioner's rating.
    case satisfactionRated(Satisfaction)
    /// A coordinator records the petitioner's request for review.
    case reviewRequested
    /// The review opinion.
    case reviewed(ReviewOpinion)
    /// A coordinator records the petitioner's request for re-review.
    case reReviewRequested
    /// The re-review opinion.
    case reReviewed(ReviewOpinion)
    /// A coordinator closes the case.
    case closed(reason: String)
    /// A coordinator routes the matter to litigation or discipline channels.
    case routedOut(channel: RouteOutChannel, destination: String, reason: String)

    /// The kind of the change: its stable name (the event type on the wire and in storage).
    public var kind: CaseChangeKind {
        switch self {
        case .registered: .registered
        case .negotiationOpened: .negotiationOpened
        case .assigned: .assigned
        case .negotiationAnswered: .negotiationAnswered
        case .negotiationSettled: .negotiationSettled
        case .negotiationDisputed: .negotiationDisputed
        case .leadDecided: .leadDecided
        case .escalationOverdue: .escalationOverdue
        case .forwarded: .forwarded
        case .leadReassigned: .leadReassigned
        case .taskAssigned: .taskAssigned
        case .taskAcknowledged: .taskAcknowledged
        case .taskProgress: .taskProgress
        case .taskDone: .taskDone
        case .taskAccepted: .taskAccepted
        case .taskReturned: .taskReturned
        case .answerDrafted: .answerDrafted
        case .answerCosigned: .answerCosigned
        case .answerObjected: .answerObjected
        case .extensionRequested: .extensionRequested
        case .extensionRefused: .extensionRefused
        case .supervisionOpened: .supervisionOpened
        case .supervisionAnswered: .supervisionAnswered
        case .supervisionEscalated: .supervisionEscalated
        case .listedSupervisionSet: .listedSupervisionSet
        case .listedSupervisionCleared: .listedSupervisionCleared
        case .meetingDecision: .meetingDecision
        case .objectionRaised: .objectionRaised
        case .objectionUpheld: .objectionUpheld
        case .objectionRejected: .objectionRejected
        case .accepted: .accepted
        case .handlingStarted: .handlingStarted
        case .planSet: .planSet
        case .extensionGranted: .extensionGranted
        case .answered: .answered
        case .satisfactionRated: .satisfactionRated
        case .reviewRequested: .reviewRequested
        case .reviewed: .reviewed
        case .reReviewRequested: .reReviewRequested
        case .reReviewed: .reReviewed
        case .closed: .closed
        case .routedOut: .routedOut
        }
    }

    /// The stable name of the change (the event type on the wire and in storage).
    public var type: String { kind.rawValue }
}

/// Every kind of case change. The raw value is the wire name, the stored event's `type`; a switch
/// over the kinds (or over CaseChange) lists every one, so a new kind that misses a rule does not
/// compile.
public enum CaseChangeKind: String, CaseIterable, Sendable, Codable {
    case registered
    case negotiationOpened = "negotiation_opened"
    case assigned
    case negotiationAnswered = "negotiation_answered"
    case negotiationSettled = "negotiation_settled"
    case negotiationDisputed = "negotiation_disputed"
    case leadDecided = "lead_decided"
    case escalationOverdue = "escalation_overdue"
    case forwarded
    case leadReassigned = "lead_reassigned"
    case taskAssigned = "task_assigned"
    case taskAcknowledged = "task_acknowledged"
    case taskProgress = "task_progress"
    case taskDone = "task_done"
    case taskAccepted = "task_accepted"
    case taskReturned = "task_returned"
    case answerDrafted = "answer_drafted"
    case answerCosigned = "answer_cosigned"
    case answerObjected = "answer_objected"
    case extensionRequested = "extension_requested"
    case extensionRefused = "extension_refused"
    case supervisionOpened = "supervision_opened"
    case supervisionAnswered = "supervision_answered"
    case supervisionEscalated = "supervision_escalated"
    case listedSupervisionSet = "listed_supervision_set"
    case listedSupervisionCleared = "listed_supervision_cleared"
    case meetingDecision = "meeting_decision"
    case objectionRaised = "objection_raised"
    case objectionUpheld = "objection_upheld"
    case objectionRejected = "objection_rejected"
    case accepted
    case handlingStarted = "handling_started"
    case planSet = "plan_set"
    case extensionGranted = "extension_granted"
    case answered
    case satisfactionRated = "satisfaction_rated"
    case reviewRequested = "review_requested"
    case reviewed
    case reReviewRequested = "re_review_requested"
    case reReviewed = "re_reviewed"
    case closed
    case routedOut = "routed_out"
}

extension CaseChange {
    /// Changes every member unit hears about in the lobby: who-leads milestones.
    public var isLobbyNotice: Bool {
        switch self {
        case .negotiationOpened, .negotiationSettled, .negotiationDisputed, .leadDecided, .escalationOverdue, .forwarded,
            .leadReassigned, .objectionUpheld, .supervisionEscalated, .listedSupervisionSet, .listedSupervisionCleared, .meetingDecision:
            return true
        case .registered, .assigned, .negotiationAnswered, .taskAssigned, .taskAcknowledged, .taskProgress,
            .taskDone, .taskAccepted, .taskReturned, .answerDrafted, .answerCosigned, .answerObjected,
            .extensionRequested, .extensionRefused, .supervisionOpened, .supervisionAnswered, .objectionRaised,
            .objectionRejected, .accepted, .handlingStarted, .planSet, .extensionGranted, .answered,
            .satisfactionRated, .reviewRequested, .reviewed, .reReviewRequested, .reReviewed, .closed, .routedOut:
            return false
        }
    }
}

extension CaseChange: Codable {
    private enum Keys: String, CodingKey {
        case type, registration, units, assignment, reason, rationale, plan, days, answer, satisfaction, opinion
        case channel, destination, unit, dispute, task, report, result, version, demand, item, text, decision
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let type = try container.decode(String.self, forKey: .type)
        guard let kind = CaseChangeKind(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown case change `\(type)`")
        }
        switch kind {
        case .registered: self = .registered(try container.decode(Registration.self, forKey: .registration))
        case .negotiationOpened: self = .negotiationOpened(units: try container.decode([UnitID].self, forKey: .units))
        case .assigned: self = .assigned(try container.decode(Assignment.self, forKey: .assignment))
        case .negotiationAnswered:
            self = .negotiationAnswered(
                unit: try container.decode(UnitID.self, forKey: .unit), answer: try container.decode(NegotiationAnswer.self, forKey: .answer))
        case .negotiationSettled: self = .negotiationSettled(try container.decode(Assignment.self, forKey: .assignment))
        case .negotiationDisputed: self = .negotiationDisputed(try container.decode(Dispute.self, forKey: .dispute))
        case .leadDecided: self = .leadDecided(try container.decode(Assignment.self, forKey: .assignment))
        case .escalationOverdue: self = .escalationOverdue
        case .forwarded: self = .forwarded(units: try container.decode([UnitID].self, forKey: .units))
        case .leadReassigned: self = .leadReassigned(try container.decode(Assignment.self, forKey: .assignment))
        case .taskAssigned: self = .taskAssigned(try container.decode(TaskAssignment.self, forKey: .task))
        case .taskAcknowledged: self = .taskAcknowledged(task: try container.decode(Int.self, forKey: .task))
        case .taskProgress:
            self = .taskProgress(task: try container.decode(Int.self, forKey: .task), report: try container.decode(ProgressReport.self, forKey: .report))
        case .taskDone: self = .taskDone(task: try container.decode(Int.self, forKey: .task), result: try container.decode(String.self, forKey: .result))
        case .taskAccepted: self = .taskAccepted(task: try container.decode(Int.self, forKey: .task))
        case .taskReturned: self = .taskReturned(task: try container.decode(Int.self, forKey: .task), reason: try container.decode(String.self, forKey: .reason))
        case .answerDrafted: self = .answerDrafted(try container.decode(Answer.self, forKey: .answer))
        case .answerCosigned: self = .answerCosigned(version: try container.decode(Int.self, forKey: .version))
        case .answerObjected:
            self = .answerObjected(version: try container.decode(Int.self, forKey: .version), reason: try container.decode(String.self, forKey: .reason))
        case .extensionRequested:
            self = .extensionRequested(days: try container.decode(Int.self, forKey: .days), reason: try container.decode(String.self, forKey: .reason))
        case .extensionRefused: self = .extensionRefused(reason: try container.decode(String.self, forKey: .reason))
        case .supervisionOpened: self = .supervisionOpened(try container.decode(SupervisionDemand.self, forKey: .demand))
        case .supervisionAnswered:
            self = .supervisionAnswered(item: try container.decode(Int.self, forKey: .item), text: try container.decode(String.self, forKey: .text))
        case .supervisionEscalated: self = .supervisionEscalated(item: try container.decode(Int.self, forKey: .item))
        case .listedSupervisionSet: self = .listedSupervisionSet(reason: try container.decode(String.self, forKey: .reason))
        case .listedSupervisionCleared: self = .listedSupervisionCleared(reason: try container.decode(String.self, forKey: .reason))
        case .meetingDecision: self = .meetingDecision(try container.decode(MeetingDecision.self, forKey: .decision))
        case .objectionRaised: self = .objectionRaised(reason: try container.decode(String.self, forKey: .reason))
        case .objectionUpheld:
            self = .objectionUpheld(
                units: try container.decode([UnitID].self, forKey: .units),
                rationale: try container.decode(String.self, forKey: .rationale))
        case .objectionRejected: self = .objectionRejected(rationale: try container.decode(String.self, forKey: .rationale))
        case .accepted: self = .accepted
        case .handlingStarted: self = .handlingStarted
        case .planSet: self = .planSet(try container.decode(HandlingPlan.self, forKey: .plan))
        case .extensionGranted:
            self = .extensionGranted(
                days: try container.decode(Int.self, forKey: .days), reason: try container.decode(String.self, forKey: .reason))
        case .answered: self = .answered(try container.decode(Answer.self, forKey: .answer))
        case .satisfactionRated: self = .satisfactionRated(try container.decode(Satisfaction.self, forKey: .satisfaction))
        case .reviewRequested: self = .reviewRequested
        case .reviewed: self = .reviewed(try container.decode(ReviewOpinion.self, forKey: .opinion))
        case .reReviewRequested: self = .reReviewRequested
        case .reReviewed: self = .reReviewed(try container.decode(ReviewOpinion.self, forKey: .opinion))
        case .closed: self = .closed(reason: try container.decode(String.self, forKey: .reason))
        case .routedOut:
            self = .routedOut(
                channel: try container.decode(RouteOutChannel.self, forKey: .channel),
                destination: try container.decode(String.self, forKey: .destination),
                reason: try container.decode(String.self, forKey: .reason))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .registered(let registration): try container.encode(registration, forKey: .registration)
        case .negotiationOpened(let units): try container.encode(units, forKey: .units)
        case .assigned(let assignment), .negotiationSettled(let assignment), .leadDecided(let assignment), .leadReassigned(let assignment):
            try container.encode(assignment, forKey: .assignment)
        case .negotiationAnswered(let unit, let answer):
            try container.encode(unit, forKey: .unit)
            try container.encode(answer, forKey: .answer)
        case .negotiationDisputed(let dispute): try container.encode(dispute, forKey: .dispute)
        case .escalationOverdue: break
        case .forwarded(let units): try container.encode(units, forKey: .units)
        case .taskAssigned(let task): try container.encode(task, forKey: .task)
        case .taskAcknowledged(let task), .taskAccepted(let task): try container.encode(task, forKey: .task)
        case .taskProgress(let task, let report):
            try container.encode(task, forKey: .task)
            try container.encode(report, forKey: .report)
        case .taskDone(let task, let result):
            try container.encode(task, forKey: .task)
            try container.encode(result, forKey: .result)
        case .taskReturned(let task, let reason):
            try container.encode(task, forKey: .task)
            try container.encode(reason, forKey: .reason)
        case .answerDrafted(let answer): try container.encode(answer, forKey: .answer)
        case .answerCosigned(let version): try container.encode(version, forKey: .version)
        case .answerObjected(let version, let reason):
            try container.encode(version, forKey: .version)
            try container.encode(reason, forKey: .reason)
        case .extensionRequested(let days, let reason):
            try container.encode(days, forKey: .days)
            try container.encode(reason, forKey: .reason)
        case .extensionRefused(let reason), .listedSupervisionSet(let reason), .listedSupervisionCleared(let reason):
            try container.encode(reason, forKey: .reason)
        case .supervisionOpened(let demand): try container.encode(demand, forKey: .demand)
        case .supervisionAnswered(let item, let text):
            try container.encode(item, forKey: .item)
            try container.encode(text, forKey: .text)
        case .supervisionEscalated(let item): try container.encode(item, forKey: .item)
        case .meetingDecision(let decision): try container.encode(decision, forKey: .decision)
        case .objectionRaised(let reason): try container.encode(reason, forKey: .reason)
        case .objectionUpheld(let units, let rationale):
            try container.encode(units, forKey: .units)
            try container.encode(rationale, forKey: .rationale)
        case .objectionRejected(let rationale): try container.encode(rationale, forKey: .rationale)
        case .accepted, .handlingStarted, .reviewRequested, .reReviewRequested: break
        case .planSet(let plan): try container.encode(plan, forKey: .plan)
        case .extensionGranted(let days, let reason):
            try container.encode(days, forKey: .days)
            try container.encode(reason, forKey: .reason)
        case .answered(let answer): try container.encode(answer, forKey: .answer)
        case .satisfactionRated(let satisfaction): try container.encode(satisfaction, forKey: .satisfaction)
        case .reviewed(let opinion), .reReviewed(let opinion): try container.encode(opinion, forKey: .opinion)
        case .closed(let reason): try container.encode(reason, forKey: .reason)
        case .routedOut(let channel, let destination, let reason):
            try container.encode(channel, forKey: .channel)
            try container.encode(destination, forKey: .destination)
            try container.encode(reason, forKey: .reason)
        }
    }
}

/// One entry of a case's history.
public struct CaseEvent: Codable, Sendable, Equatable {
    public let caseID: CaseID
    /// 1, 2, 3… within the case.
    public let sequence: Int64
    /// Who did it (person and the unit they acted for).
    public let actorPerson: PersonID
    public let actorUnit: UnitID
    public let at: Timestamp
    public let change: CaseChange
    /// Deadlines this event starts (or replaces, for an extension).
    public let startedDeadlines: [Deadline]
    /// Deadlines this event satisfies or closes.
    public let metDeadlines: [DeadlineKind]

    // `caseId` (not `caseID`): snake_case conversion of acronyms does not round-trip.
    private enum CodingKeys: String, CodingKey {
        case caseID = "caseId"
        case sequence, actorPerson, actorUnit, at, change, startedDeadlines, metDeadlines
    }

    public init(caseID: CaseID, sequence: Int64, actorPerson: PersonID, actorUnit: UnitID, at: Timestamp,
                change: CaseChange, startedDeadlines: [Deadline], metDeadlines: [DeadlineKind]) {
        self.caseID = caseID
        self.sequence = sequence
        self.actorPerson = actorPerson
        self.actorUnit = actorUnit
        self.at = at
        self.change = change
        self.startedDeadlines = startedDeadlines
        self.metDeadlines = metDeadlines
    }

    /// The event with petitioner personal data removed, for readers not entitled to it.
    public func redactingPetitioner() -> CaseEvent {
        guard case .registered(var registration) = change else { return self }
        registration.petitioner = Petitioner(name: "(withheld)", contact: "(withheld)")
        return CaseEvent(caseID: caseID, sequence: sequence, actorPerson: actorPerson, actorUnit: actorUnit, at: at,
                         change: .registered(registration), startedDeadlines: startedDeadlines, metDeadlines: metDeadlines)
    }
}
