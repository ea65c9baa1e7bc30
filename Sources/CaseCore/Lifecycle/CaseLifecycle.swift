// CaseLifecycle: the case state machine as pure functions. `decide` checks a proposed change
// against the state, the actor and the clock and says which deadlines it starts and meets;
// `apply` folds an accepted event into the state. Nothing here touches storage or sockets.
import Foundation

/// The outcome of an accepted proposal: the change plus its effect on deadlines.
public struct CaseDecision: Sendable, Equatable {
    public let change: CaseChange
    public let startedDeadlines: [Deadline]
    public let metDeadlines: [DeadlineKind]
}

/// Limits on free text and lists, so that every input is bounded.
public enum CaseInputLimits {
    public static let titleLength = 200
    public static let summaryLength = 10_000
    public static let reasonLength = 4_000
    public static let nameLength = 100
    public static let contactLength = 200
    public static let units = 50
    public static let measures = 50
    public static let tasks = 200
    public static let supervisionItems = 100
}

public enum CaseLifecycle: Lifecycle {
    /// What the case rules need beyond the case: the deadline policy, and the units (who may
    /// review, who is the conference office, where a dispute escalates).
    public struct Context: Sendable {
        public var policy: DeadlinePolicy
        public var units: UnitDirectory

        public init(policy: DeadlinePolicy = DeadlinePolicy(), units: UnitDirectory = UnitDirectory()) {
            self.policy = policy
            self.units = units
        }
    }

    /// Checks `change` proposed by `actor` at `now` against `state` (nil for a new case): first
    /// who may make it (`CaseAccess.refusal`), then the rules of the change itself.
    public static func decide(
        _ change: CaseChange, on state: PetitionCase?, by actor: Actor, at now: Timestamp, in context: Context
    ) throws(CaseRefusal) -> CaseDecision {
        if let refusal = CaseAccess.refusal(change, on: state, by: actor, units: context.units) { throw refusal }
        return try refusing { try decideOrThrow(change, on: state, by: actor, at: now, policy: context.policy) }
    }

    // MARK: Rules

    private static func decideOrThrow(
        _ change: CaseChange, on state: PetitionCase?, by actor: Actor, at now: Timestamp, policy: DeadlinePolicy
    ) throws -> CaseDecision {
        guard case .registered(let registration) = change else {
            guard let state else { throw CaseRefusal(.notFound, "no such case") }
            if state.status.isTerminal {
                throw CaseRefusal(.invalidState, "\(state.id) is \(state.status.rawValue); nothing more can happen to it")
            }
            return try decideExisting(change, on: state, by: actor, at: now, policy: policy)
        }
        guard state == nil else { throw CaseRefusal(.invalidState, "the case is already registered") }
        try checkText(registration.title, "title", max: CaseInputLimits.titleLength)
        try checkText(registration.summary, "summary", max: CaseInputLimits.summaryLength, allowEmpty: true)
        try checkText(registration.petitioner.name, "petitioner name", max: CaseInputLimits.nameLength)
        try checkText(registration.petitioner.contact, "petitioner contact", max: CaseInputLimits.contactLength, allowEmpty: true)
        try checkUnits(registration.involvedUnits, minimum: 1)
        if registration.receivedOn > policy.timeZone.localDate(of: now.date) {
            throw CaseRefusal(.invalidArgument, "the received date \(registration.receivedOn) is in the future")
        }
        var normalized = registration
        normalized.involvedUnits = Array(Set(registration.involvedUnits)).sorted()
        return CaseDecision(change: .registered(normalized), startedDeadlines: [policy.deadline(.transfer, from: now)], metDeadlines: [])
    }

    private static func decideExisting(
        _ change: CaseChange, on state: PetitionCase, by actor: Actor, at now: Timestamp, policy: DeadlinePolicy
    ) throws -> CaseDecision {
        func decision(_ change: CaseChange, start: [DeadlineKind] = [], meet: [DeadlineKind] = []) -> CaseDecision {
            CaseDecision(
                change: change, startedDeadlines: start.map { policy.deadline($0, from: now) },
                metDeadlines: meet.filter { kind in state.deadline(kind)?.isRunning ?? false })
        }
        if let coHandling = try decideCoHandling(change, on: state, by: actor, at: now, policy: policy) { return coHandling }
        switch change {
        case .registered:
            throw CaseRefusal(.invalidState, "the case is already registered")

        case .negotiationOpened(let units):
            try requireStatus(state, [.registered], "open a negotiation")
            try checkUnits(units, minimum: 2)
            return decision(.negotiationOpened(units: Array(Set(units)).sorted()), start: [.negotiation], meet: [.transfer])

        case .assigned(let assignment):
            try requireStatus(state, [.registered, .negotiating], "assign a lead unit")
            let normalized = try normalize(assignment)
            return decision(.assigned(normalized), start: [.acceptanceNotice, .objection], meet: [.transfer, .negotiation])

        case .negotiationAnswered(let unit, let answer):
            try requireStatus(state, [.negotiating], "answer in the negotiation")
            guard let negotiation = state.negotiation, negotiation.isOpen else {
                throw CaseRefusal(.invalidState, "\(state.id) has no open negotiation")
            }
            guard negotiation.units.contains(unit) else {
                throw CaseRefusal(.forbidden, "\(unit) is not one of the negotiating units of \(state.id)")
            }
            try requireWindowOpen(state, .negotiation, now, "answer in the negotiation")
            let normalized = try normalize(answer, by: unit, among: negotiation.units)
            if negotiation.answer(of: unit)?.answer == normalized {
                throw CaseRefusal(.invalidState, "\(unit)'s answer is already \(normalized.position.rawValue)")
            }
            return decision(.negotiationAnswered(unit: unit, answer: normalized))

        case .negotiationSettled(let assignment):
            try requireStatus(state, [.negotiating], "settle the negotiation")
            guard let negotiation = state.negotiation, negotiation.isOpen,
                case .settled(let lead, let coHandling) = NegotiationRules.evaluate(negotiation),
                assignment.lead == lead, assignment.coHandling == coHandling
            else { throw CaseRefusal(.invalidState, "the answers of \(state.id) do not settle it that way") }
            return decision(change, start: [.acceptanceNotice, .objection], meet: [.transfer, .negotiation])

        case .negotiationDisputed(let dispute):
            try requireStatus(state, [.negotiating], "declare the negotiation disputed")
            guard let negotiation = state.negotiation, negotiation.isOpen else {
                throw CaseRefusal(.invalidState, "\(state.id) has no open negotiation")
            }
            let evaluation = NegotiationRules.evaluate(negotiation)
            let lapsed = state.deadline(.negotiation).map { $0.isRunning && now >= $0.dueAt } ?? false
            let holds = evaluation == .disputed(dispute.reason) || (dispute.reason == .deadlinePassed && lapsed && evaluation == .open)
            guard holds, dispute.unanswered == negotiation.unanswered else {
                throw CaseRefusal(.invalidState, "the negotiation of \(state.id) is not disputed for \(dispute.reason.rawValue)")
            }
            return decision(change, start: [.escalation], meet: [.transfer, .negotiation])

        case .leadDecided(let assignment):
            try requireStatus(state, [.disputed], "decide the lead unit")
            let normalized = try normalize(assignment, rationaleRequired: true)
            return decision(.leadDecided(normalized), start: [.acceptanceNotice, .objection], meet: [.transfer, .escalation])

        case .escalationOverdue:
            try requireStatus(state, [.disputed], "flag the decision overdue")
            guard state.escalation?.overdueAt == nil, let deadline = state.deadline(.escalation), deadline.isRunning, now >= deadline.dueAt else {
                throw CaseRefusal(.invalidState, "the decision on \(state.id) is not overdue")
            }
            return decision(change)

        case .forwarded(let units):
            try requireStatus(state, [.registered, .negotiating, .assigned], "forward the case")
            try checkUnits(units, minimum: 1)
            let added = Set(units).subtracting(state.involvedUnits)
            guard !added.isEmpty else { throw CaseRefusal(.invalidArgument, "every unit named is already involved in \(state.id)") }
            let sorted = Array(Set(units)).sorted()
            if state.status == .negotiating { return decision(.forwarded(units: sorted)) }
            return decision(.forwarded(units: sorted), start: [.negotiation], meet: [.transfer, .acceptanceNotice, .objection])

        case .leadReassigned(let assignment):
            try requireStatus(state, [.assigned, .objectionPending, .accepted, .inHandling, .extensionGranted], "reassign the lead unit")
            let normalized = try normalize(assignment, rationaleRequired: true)
            guard normalized.lead != state.leadUnit || normalized.coHandling != state.coHandlingUnits else {
                throw CaseRefusal(.invalidArgument, "that is already the lead and co-handling units of \(state.id)")
            }
            let restart: [DeadlineKind] = state.status == .assigned || state.status == .objectionPending ? [.acceptanceNotice, .objection] : []
            return decision(.leadReassigned(normalized), start: restart)

        case .objectionRaised(let reason):
            try requireStatus(state, [.assigned], "object to the assignment")
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            try requireWindowOpen(state, .objection, now, "object to the assignment")
            return decision(change, meet: [.objection])

        case .objectionUpheld(let units, let rationale):
            try requireStatus(state, [.objectionPending], "decide an objection")
            try checkText(rationale, "rationale", max: CaseInputLimits.reasonLength)
            try checkUnits(units, minimum: 1)
            let sorted = Array(Set(units)).sorted()
            let start: [DeadlineKind] = sorted.count == 1 ? [.acceptanceNotice, .objection] : [.negotiation]
            return decision(.objectionUpheld(units: sorted, rationale: rationale), start: start, meet: [.acceptanceNotice])

        case .objectionRejected(let rationale):
            try requireStatus(state, [.objectionPending], "decide an objection")
            try checkText(rationale, "rationale", max: CaseInputLimits.reasonLength)
            return decision(change)

        case .accepted:
            try requireStatus(state, [.assigned], "accept the case")
            return decision(change, start: [.handling], meet: [.acceptanceNotice, .objection])

        case .handlingStarted:
            try requireStatus(state, [.accepted], "start handling")
            return decision(change)

        case .planSet(let plan):
            try requireStatus(state, [.accepted, .inHandling, .extensionGranted], "set the handling plan")
            guard plan.measures.count <= CaseInputLimits.measures, !plan.measures.isEmpty else {
                throw CaseRefusal(.invalidArgument, "give 1 to \(CaseInputLimits.measures) resolution measures")
            }
            for measure in plan.measures { try checkText(measure, "measure", max: CaseInputLimits.reasonLength) }
            try checkIdentifier(plan.responsibleLeader.rawValue, "responsible leader")
            try checkIdentifier(plan.responsiblePerson.rawValue, "responsible person")
            if let handling = state.deadline(.handling), plan.resolutionDeadline > handling.due {
                throw CaseRefusal(.invalidArgument, "the resolution deadline \(plan.resolutionDeadline) is after the handling limit \(handling.due)")
            }
            return decision(change)

        case .extensionGranted(let days, let reason):
            try requireStatus(state, [.accepted, .inHandling], "extend the handling limit")
            guard state.extensionGranted == nil else { throw CaseRefusal(.invalidState, "the one extension was already granted") }
            guard (1...policy.limits.maxExtensionDays).contains(days) else {
                throw CaseRefusal(.invalidArgument, "an extension is 1 to \(policy.limits.maxExtensionDays) days")
            }
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            guard let handling = state.deadline(.handling), handling.isRunning else {
                throw CaseRefusal(.invalidState, "there is no running handling limit to extend")
            }
            return CaseDecision(change: change, startedDeadlines: [policy.extended(handling, byDays: days)], metDeadlines: [])

        case .answered(let answer):
            try requireStatus(state, [.inHandling, .extensionGranted], "answer")
            try checkAnswer(answer)
            try checkCoSigned(answer, state, by: actor)
            return decision(change, start: [.reviewRequest], meet: [.handling])

        case .satisfactionRated:
            try requireStatus(state, [.answered, .reviewRequested, .reviewed, .reReviewRequested, .reReviewed], "rate")
            return decision(change)

        case .reviewRequested:
            try requireStatus(state, [.answered], "request review")
            try requireWindowOpen(state, .reviewRequest, now, "request review")
            return decision(change, start: [.reviewAnswer], meet: [.reviewRequest])

        case .reviewed(let opinion):
            try requireStatus(state, [.reviewRequested], "record a review")
            try checkText(opinion.opinion, "opinion", max: CaseInputLimits.summaryLength)
            return decision(change, start: [.reReviewRequest], meet: [.reviewAnswer])

        case .reReviewRequested:
            try requireStatus(state, [.reviewed], "request re-review")
            try requireWindowOpen(state, .reReviewRequest, now, "request re-review")
            return decision(change, start: [.reReviewAnswer], meet: [.reReviewRequest])

        case .reReviewed(let opinion):
            try requireStatus(state, [.reReviewRequested], "record a re-review")
            try checkText(opinion.opinion, "opinion", max: CaseInputLimits.summaryLength)
            return decision(change, meet: [.reReviewAnswer])

        case .closed(let reason):
            try requireStatus(state, [.answered, .reviewed, .reReviewed], "close")
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength, allowEmpty: true)
            return decision(change, meet: DeadlineKind.allCases)

        case .taskAssigned, .taskAcknowledged, .taskProgress, .taskDone, .taskAccepted, .taskReturned, .answerDrafted, .answerCosigned,
            .answerObjected, .extensionRequested, .extensionRefused, .supervisionOpened, .supervisionAnswered, .supervisionEscalated,
            .listedSupervisionSet, .listedSupervisionCleared:
            // Decided by decideCoHandling above.
            throw CaseRefusal(.invalidState, "\(change.type) is not decided here")

        case .meetingDecision(let meetingDecision):
            guard meetingDecision.outcome == .adoptedByConsensus || meetingDecision.outcome == .decidedByChair else {
                throw CaseRefusal(.invalidArgument, "only adopted or chair-decided outcomes change a case")
            }
            let effects = meetingDecision.effects
            var start: [DeadlineKind] = [], meet: [DeadlineKind] = []
            if let lead = effects.lead {
                try checkUnits([lead] + (effects.coHandling ?? []), minimum: 1)
                let routing: Set<CaseStatus> = [.registered, .negotiating, .disputed, .assigned, .objectionPending]
                let handling: Set<CaseStatus> = [.accepted, .inHandling, .extensionGranted]
                guard routing.contains(state.status) || handling.contains(state.status) else {
                    throw CaseRefusal(.invalidState, "\(state.id) is \(state.status.rawValue); its lead unit can no longer change")
                }
                if routing.contains(state.status) {
                    start = [.acceptanceNotice, .objection]
                    meet = [.transfer, .negotiation, .escalation]
                }
            }
            if let deadline = effects.resolutionDeadline, let handling = state.deadline(.handling), deadline > handling.due {
                throw CaseRefusal(.invalidArgument, "the resolution deadline \(deadline) is after the handling limit \(handling.due)")
            }
            return decision(change, start: start, meet: meet)

        case .routedOut(_, let destination, let reason):
            try requireStatus(state, [.registered, .negotiating, .disputed, .assigned, .objectionPending], "route out")
            try checkText(destination, "destination", max: CaseInputLimits.nameLength)
            try checkText(reason, "reason", max: CaseInputLimits.reasonLength)
            return decision(change, meet: DeadlineKind.allCases)
        }
    }

    // MARK: Applying events

    /// The state after `event`. `state` is nil only for the registering event.
    public static func apply(_ event: CaseEvent, to state: PetitionCase?) -> PetitionCase {
        var next: PetitionCase
        if case .registered(let registration) = event.change {
            next = PetitionCase(
                id: event.caseID, title: registration.title, summary: registration.summary, category: registration.category,
                channel: registration.channel, receivedOn: registration.receivedOn, registeredAt: event.at,
                involvedUnits: registration.involvedUnits)
        } else {
            guard let state else { preconditionFailure("\(event.change.type) before registration of \(event.caseID)") }
            next = state
        }
        let at = event.at
        if applyCoHandling(event, to: &next) {
            next.lastSequence = event.sequence
            return next
        }
        switch event.change {
        case .registered:
            break
        case .negotiationOpened(let units):
            openRound(&next, units: units, at: at)
        case .assigned(let assignment):
            closeRoundOnDecision(&next, lead: assignment.lead, at: at)
            assign(&next, lead: assignment.lead, coHandling: assignment.coHandling, at: at)
        case .negotiationAnswered(let unit, let answer):
            guard var negotiation = next.negotiation else { break }
            let previous = negotiation.answer(of: unit)
            negotiation.answers.removeAll { $0.unit == unit }
            negotiation.answers.append(UnitAnswer(
                unit: unit, answer: answer, person: event.actorPerson, at: at, firstAnsweredAt: previous?.firstAnsweredAt ?? at,
                answers: (previous?.answers ?? 0) + 1))
            negotiation.answers.sort { $0.unit < $1.unit }
            next.negotiation = negotiation
        case .negotiationSettled(let assignment):
            next.negotiation?.closedAt = at
            next.negotiation?.settledLead = assignment.lead
            assign(&next, lead: assignment.lead, coHandling: assignment.coHandling, at: at)
        case .negotiationDisputed(let dispute):
            next.negotiation?.closedAt = at
            next.negotiation?.dispute = dispute
            next.escalation = Escalation(reason: dispute.reason, to: dispute.escalatedTo, at: at)
            next.status = .disputed
        case .leadDecided(let assignment):
            next.escalation?.decidedAt = at
            closeRoundOnDecision(&next, lead: assignment.lead, at: at)
            assign(&next, lead: assignment.lead, coHandling: assignment.coHandling, at: at)
        case .escalationOverdue:
            next.escalation?.overdueAt = at
        case .forwarded(let units):
            next.involvedUnits = Array(Set(next.involvedUnits).union(units)).sorted()
            if next.status == .negotiating, var negotiation = next.negotiation {
                negotiation.units = Array(Set(negotiation.units).union(units)).sorted()
                next.negotiation = negotiation
            } else {
                next.leadUnit = nil
                next.coHandlingUnits = []
                next.assignedAt = nil
                openRound(&next, units: next.involvedUnits, at: at)
            }
        case .leadReassigned(let assignment):
            if next.status == .assigned || next.status == .objectionPending {
                next.objectionReason = nil
                assign(&next, lead: assignment.lead, coHandling: assignment.coHandling, at: at)
            } else {
                next.leadUnit = assignment.lead
                next.coHandlingUnits = assignment.coHandling.filter { $0 != assignment.lead }.sorted()
                next.involvedUnits = Array(Set(next.involvedUnits).union([assignment.lead]).union(assignment.coHandling)).sorted()
            }
        case .objectionRaised(let reason):
            next.status = .objectionPending
            next.objectionReason = reason
        case .objectionUpheld(let units, _):
            next.objectionReason = nil
            next.involvedUnits = Array(Set(next.involvedUnits).union(units)).sorted()
            if units.count == 1 {
                assign(&next, lead: units[0], coHandling: [], at: at)
            } else {
                next.leadUnit = nil
                next.coHandlingUnits = []
                next.assignedAt = nil
                openRound(&next, units: units, at: at)
            }
        case .objectionRejected:
            next.objectionReason = nil
            next.status = .assigned
        case .accepted:
            next.status = .accepted
            next.acceptedAt = at
        case .handlingStarted:
            next.status = .inHandling
        case .planSet(let plan):
            next.responsibleLeader = plan.responsibleLeader
            next.responsiblePerson = plan.responsiblePerson
            next.measures = plan.measures
            next.resolutionDeadline = plan.resolutionDeadline
        case .extensionGranted(let days, let reason):
            next.status = .extensionGranted
            next.extensionGranted = Extension(days: days, reason: reason, approvedBy: event.actorPerson, approvedAt: at)
            next.extensionRequest = nil
        case .answered(let answer):
            next.status = .answered
            next.answer = answer
            next.answeredAt = at
            if let draft = next.answerDraft, !next.coHandlingUnits.isEmpty {
                let overridden = next.awaitingCoSignature.isEmpty ? [] : draft.objections
                next.answerRecord = AnswerRecord(
                    version: draft.version, signers: draft.signatures.map(\.unit).sorted(), overriddenObjections: overridden,
                    signedOffBy: overridden.isEmpty ? nil : event.actorPerson)
            } else {
                next.answerRecord = AnswerRecord(version: next.answerDraft?.version ?? 0, signers: [], overriddenObjections: [], signedOffBy: nil)
            }
        case .satisfactionRated(let satisfaction):
            next.satisfaction = satisfaction
            next.satisfactionRatedAt = at
        case .reviewRequested:
            next.status = .reviewRequested
        case .reviewed(let opinion):
            next.status = .reviewed
            next.review = opinion
        case .reReviewRequested:
            next.status = .reReviewRequested
        case .reReviewed(let opinion):
            next.status = .reReviewed
            next.reReview = opinion
        case .closed:
            next.status = .closed
            next.closedAt = at
        case .taskAssigned, .taskAcknowledged, .taskProgress, .taskDone, .taskAccepted, .taskReturned, .answerDrafted, .answerCosigned,
            .answerObjected, .extensionRequested, .extensionRefused, .supervisionOpened, .supervisionAnswered, .supervisionEscalated,
            .listedSupervisionSet, .listedSupervisionCleared:
            break  // folded by applyCoHandling above
        case .meetingDecision(let decision):
            let effects = decision.effects
            if let lead = effects.lead {
                let coHandling = effects.coHandling ?? next.coHandlingUnits.filter { $0 != lead }
                if next.status.isHandling || next.status == .accepted {
                    next.leadUnit = lead
                    next.coHandlingUnits = coHandling.filter { $0 != lead }.sorted()
                    next.involvedUnits = Array(Set(next.involvedUnits).union([lead]).union(coHandling)).sorted()
                } else {
                    closeRoundOnDecision(&next, lead: lead, at: at)
                    if next.status == .disputed { next.escalation?.decidedAt = at }
                    next.objectionReason = nil
                    assign(&next, lead: lead, coHandling: coHandling, at: at)
                }
            } else if let coHandling = effects.coHandling, let lead = next.leadUnit {
                next.coHandlingUnits = coHandling.filter { $0 != lead }.sorted()
                next.involvedUnits = Array(Set(next.involvedUnits).union(coHandling)).sorted()
            }
            if let leader = effects.responsibleLeader { next.responsibleLeader = leader }
            if let person = effects.responsiblePerson { next.responsiblePerson = person }
            if let measures = effects.measures { next.measures = measures }
            if let deadline = effects.resolutionDeadline { next.resolutionDeadline = deadline }
            if let reason = effects.listedSupervision, next.listedSupervision == nil {
                next.listedSupervision = ListedSupervision(reason: reason, setBy: event.actorPerson, setAt: at)
            }
        case .routedOut(let channel, let destination, let reason):
            next.status = .routedOut
            next.routedOut = PetitionCase.RouteOut(channel: channel, destination: destination, reason: reason)
            next.closedAt = at
        }
        for kind in event.metDeadlines {
            if let index = next.deadlines.firstIndex(where: { $0.kind == kind }), next.deadlines[index].isRunning {
                next.deadlines[index].metAt = at
            }
        }
        for deadline in event.startedDeadlines {
            next.deadlines.removeAll { $0.kind == deadline.kind }
            next.deadlines.append(deadline)
        }
        next.deadlines.sort { $0.kind.rawValue < $1.kind.rawValue }
        next.lastSequence = event.sequence
        return next
    }

    /// Rebuilds a case's state from its whole history.
    public static func replay(_ events: [CaseEvent]) -> PetitionCase? {
        events.reduce(nil as PetitionCase?) { apply($1, to: $0) }
    }

    /// Opens a new negotiation round among `units`.
    private static func openRound(_ state: inout PetitionCase, units: [UnitID], at: Timestamp) {
        state.status = .negotiating
        state.involvedUnits = Array(Set(state.involvedUnits).union(units)).sorted()
        state.negotiation = Negotiation(round: (state.negotiation?.round ?? 0) + 1, openedAt: at, units: Array(Set(units)).sorted())
        state.escalation = nil
    }

    /// A lead named by decision closes an open round and notes when it overturns a decline.
    private static func closeRoundOnDecision(_ state: inout PetitionCase, lead: UnitID, at: Timestamp) {
        guard var negotiation = state.negotiation, state.status == .negotiating || state.status == .disputed else { return }
        if negotiation.isOpen { negotiation.closedAt = at }
        if negotiation.answer(of: lead)?.answer.position == .decline { negotiation.declineOverturned = lead }
        state.negotiation = negotiation
    }

    // MARK: Follow-ups

    /// The change the hub records on its own in `state` at `now`, if any: the settlement or dispute
    /// an open round's answers call for, a dispute when the negotiation deadline passed, or the
    /// overdue flag of an escalated decision. The store applies it right after the event that
    /// caused it (or when its sweep finds a deadline passed), as ``Actor/system``.
    public static func followUp(_ state: PetitionCase, at now: Timestamp, in context: Context) -> CaseChange? {
        let hierarchy = context.units.hierarchy
        switch state.status {
        case .negotiating:
            guard let negotiation = state.negotiation, negotiation.isOpen else { return nil }
            func dispute(_ reason: DisputeReason) -> CaseChange {
                .negotiationDisputed(Dispute(
                    reason: reason, unanswered: negotiation.unanswered, escalatedTo: hierarchy.lowestCommonSuperior(of: negotiation.units)))
            }
            switch NegotiationRules.evaluate(negotiation) {
            case .settled(let lead, let coHandling):
                return .negotiationSettled(Assignment(lead: lead, coHandling: coHandling, rationale: "settled by consensus in negotiation round \(negotiation.round)"))
            case .disputed(let reason):
                return dispute(reason)
            case .open:
                guard let deadline = state.deadline(.negotiation), deadline.isRunning, now >= deadline.dueAt else { return nil }
                return dispute(.deadlinePassed)
            }
        case .disputed:
            if state.escalation?.overdueAt == nil, let deadline = state.deadline(.escalation), deadline.isRunning, now >= deadline.dueAt {
                return .escalationOverdue
            }
        default:
            break
        }
        guard !state.status.isTerminal else { return nil }
        if let item = state.supervisionItems.first(where: { $0.isOpen && $0.escalatedAt == nil && now >= $0.dueAt }) {
            return .supervisionEscalated(item: item.id)
        }
        return nil
    }

    private static func assign(_ state: inout PetitionCase, lead: UnitID, coHandling: [UnitID], at: Timestamp) {
        state.leadUnit = lead
        state.coHandlingUnits = coHandling.filter { $0 != lead }.sorted()
        state.involvedUnits = Array(Set(state.involvedUnits).union([lead]).union(coHandling)).sorted()
        state.status = .assigned
        state.assignedAt = at
    }

    // MARK: Checks


    static func requireStatus(_ state: PetitionCase, _ allowed: Set<CaseStatus>, _ what: String) throws {
        guard allowed.contains(state.status) else {
            let names = allowed.map(\.rawValue).sorted().joined(separator: " or ")
            throw CaseRefusal(.invalidState, "cannot \(what) while \(state.id) is \(state.status.rawValue) (needs \(names))")
        }
    }

    static func requireWindowOpen(_ state: PetitionCase, _ kind: DeadlineKind, _ now: Timestamp, _ what: String) throws {
        guard let window = state.deadline(kind), window.isRunning else {
            throw CaseRefusal(.windowClosed, "the window to \(what) is not open")
        }
        guard now < window.dueAt else {
            throw CaseRefusal(.windowClosed, "the window to \(what) closed at the end of \(window.due)")
        }
    }

    static func checkText(_ text: String, _ field: String, max: Int, allowEmpty: Bool = false) throws {
        if !allowEmpty, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw CaseRefusal(.invalidArgument, "\(field) is required")
        }
        guard text.count <= max else { throw CaseRefusal(.invalidArgument, "\(field) is longer than \(max) characters") }
    }

    static func checkIdentifier(_ text: String, _ field: String) throws {
        guard IdentifierRules.isValid(text) else { throw CaseRefusal(.invalidArgument, "\(field) is not a valid id") }
    }

    static func checkUnits(_ units: [UnitID], minimum: Int) throws {
        let distinct = Set(units)
        guard distinct.count >= minimum else {
            throw CaseRefusal(.invalidArgument, "name at least \(minimum) distinct unit\(minimum == 1 ? "" : "s")")
        }
        guard distinct.count <= CaseInputLimits.units else {
            throw CaseRefusal(.invalidArgument, "at most \(CaseInputLimits.units) units")
        }
        for unit in distinct { try checkIdentifier(unit.rawValue, "unit id `\(unit.rawValue.prefix(64))`") }
    }

    private static func normalize(_ answer: NegotiationAnswer, by unit: UnitID, among units: [UnitID]) throws -> NegotiationAnswer {
        switch answer.position {
        case .claim, .cohandle:
            return NegotiationAnswer(position: answer.position)
        case .support:
            guard let supported = answer.supports else { throw CaseRefusal(.invalidArgument, "`support` names the unit that should lead") }
            guard supported != unit else { throw CaseRefusal(.invalidArgument, "a unit that wants to lead answers `claim`, not `support` of itself") }
            guard units.contains(supported) else { throw CaseRefusal(.invalidArgument, "\(supported.rawValue.prefix(64)) is not negotiating this case") }
            return .support(supported)
        case .decline:
            let reason = answer.reason ?? "", basis = answer.basis ?? ""
            try checkText(reason, "reason for declining", max: CaseInputLimits.reasonLength)
            try checkText(basis, "legal or policy basis for declining", max: CaseInputLimits.reasonLength)
            return .decline(reason: reason, basis: basis)
        }
    }

    private static func normalize(_ assignment: Assignment, rationaleRequired: Bool = false) throws -> Assignment {
        try checkIdentifier(assignment.lead.rawValue, "lead unit")
        try checkText(assignment.rationale, "rationale", max: CaseInputLimits.reasonLength, allowEmpty: !rationaleRequired)
        let coHandling = Array(Set(assignment.coHandling)).filter { $0 != assignment.lead }.sorted()
        try checkUnits(coHandling + [assignment.lead], minimum: 1)
        return Assignment(lead: assignment.lead, coHandling: coHandling, rationale: assignment.rationale)
    }
}
