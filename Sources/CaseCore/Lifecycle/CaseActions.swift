// CaseActions: the changes a person may make to a case now — what a client offers them. Each
// candidate is put to `CaseLifecycle.decide` with arguments that would be valid in the case as it
// stands (the units on it, today's date, its tasks, draft and supervision items), so that what is
// offered follows the same rules that accept or refuse the change itself, with no second copy of
// them. A change refused only for its arguments (`invalid_argument`: a date past the limit, a unit
// already involved) is still offered: the person fills in the real ones.

/// One change a person may make to a case now.
public struct CaseAction: Sendable, Equatable, Hashable, Encodable {
    /// The change's `type` (`accepted`, `task_acknowledged`, …).
    public let type: String
    /// The task, draft version or supervision item it applies to, for changes that name one.
    public var task: Int?
    public var version: Int?
    public var item: Int?

    public init(type: String, task: Int? = nil, version: Int? = nil, item: Int? = nil) {
        self.type = type
        self.task = task
        self.version = version
        self.item = item
    }
}

public enum CaseActions {
    /// The changes `actor` may make to `state` at `now`, in a stable order (the lifecycle's own).
    public static func available(
        on state: PetitionCase, to actor: Actor, at now: Timestamp, in context: CaseLifecycle.Context
    ) -> [CaseAction] {
        probes(for: state, actor: actor, today: context.policy.timeZone.localDate(of: now.date)).compactMap { probe in
            let offered = probe.changes.contains { change in
                do throws(CaseRefusal) {
                    _ = try CaseLifecycle.decide(change, on: state, by: actor, at: now, in: context)
                    return true
                } catch {
                    return error.code == .invalidArgument
                }
            }
            return offered ? probe.action : nil
        }
    }

    /// An action and the changes that stand for it (offered when any of them would be accepted).
    struct Probe {
        let action: CaseAction
        let changes: [CaseChange]

        init(_ changes: CaseChange..., task: Int? = nil, version: Int? = nil, item: Int? = nil) {
            action = CaseAction(type: changes[0].type, task: task, version: version, item: item)
            self.changes = changes
        }
    }

    static func probes(for state: PetitionCase, actor: Actor, today: LocalDate) -> [Probe] {
        let words = "…"
        let involved = state.involvedUnits
        let lead = state.leadUnit ?? involved.first ?? actor.unit
        let assignment = Assignment(lead: lead, coHandling: [], rationale: words)
        let other = state.negotiation?.units.first { $0 != actor.unit } ?? lead
        let answer = state.answerDraft?.answer ?? Answer(request: words, factsAndReasons: words, decision: .explain, legalBasis: words)
        let plan = HandlingPlan(responsibleLeader: actor.person, responsiblePerson: actor.person, measures: [words], resolutionDeadline: today)
        var probes: [Probe] = [
            Probe(.negotiationOpened(units: involved.count >= 2 ? involved : [lead, other])),
            Probe(.assigned(assignment)),
            Probe(.negotiationAnswered(unit: actor.unit, answer: .claim), .negotiationAnswered(unit: actor.unit, answer: .cohandle),
                  .negotiationAnswered(unit: actor.unit, answer: .support(other)),
                  .negotiationAnswered(unit: actor.unit, answer: .decline(reason: words, basis: words))),
            Probe(.leadDecided(assignment)),
            Probe(.forwarded(units: [lead])),
            Probe(.leadReassigned(assignment)),
            Probe(.objectionRaised(reason: words)),
            Probe(.objectionUpheld(units: [lead], rationale: words)),
            Probe(.objectionRejected(rationale: words)),
            Probe(.accepted),
            Probe(.handlingStarted),
            Probe(.planSet(plan)),
            Probe(.taskAssigned(TaskAssignment(unit: state.coHandlingUnits.first ?? lead, what: words, due: today))),
        ]
        for task in state.tasks {
            probes += [
                Probe(.taskAcknowledged(task: task.id), task: task.id),
                Probe(.taskProgress(task: task.id, report: ProgressReport(text: words, status: .onTrack)), task: task.id),
                Probe(.taskDone(task: task.id, result: words), task: task.id),
                Probe(.taskAccepted(task: task.id), task: task.id),
                Probe(.taskReturned(task: task.id, reason: words), task: task.id),
            ]
        }
        let version = state.answerDraft?.version ?? 1
        probes += [
            Probe(.answerDrafted(answer)),
            Probe(.answerCosigned(version: version), version: version),
            Probe(.answerObjected(version: version, reason: words), version: version),
            Probe(.answered(answer)),
            Probe(.extensionRequested(days: 1, reason: words)),
            Probe(.extensionGranted(days: state.extensionRequest?.days ?? 1, reason: words)),
            Probe(.extensionRefused(reason: words)),
            Probe(.satisfactionRated(.satisfied)),
            Probe(.reviewRequested),
            Probe(.reviewed(ReviewOpinion(upheld: true, opinion: words))),
            Probe(.reReviewRequested),
            Probe(.reReviewed(ReviewOpinion(upheld: true, opinion: words))),
            Probe(.closed(reason: words)),
            Probe(.routedOut(channel: .litigation, destination: words, reason: words)),
            Probe(.supervisionOpened(SupervisionDemand(unit: lead, reason: words, demand: words, due: today))),
        ]
        for item in state.supervisionItems {
            probes.append(Probe(.supervisionAnswered(item: item.id, text: words), item: item.id))
        }
        probes += [
            Probe(.listedSupervisionSet(reason: words)),
            Probe(.listedSupervisionCleared(reason: words)),
        ]
        return probes
    }
}

extension CaseStore {
    /// What `actor` may do with `state` at `now` (the units as stored now, the store's deadline policy).
    public func actions(on state: PetitionCase, for actor: Actor, at now: Timestamp) async throws -> [CaseAction] {
        let units = try await read { connection in try Self.unitDirectory(connection: connection) }
        return CaseActions.available(on: state, to: actor, at: now, in: CaseLifecycle.Context(policy: policy, units: units))
    }
}
