// case.register: a coordinator registers a case; its case room opens with it.
import CaseCore
import Messaging

struct CaseRegister: Command {
    static let name = "case.register"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Registration {
        try request.decode(Registration.self)
    }

    static func run(_ registration: Registration, in context: CommandContext) async throws -> CaseWritten {
        let actor = try context.actor
        return try await CaseWritten(context.store.registerReturningState(registration, by: actor, open: true), for: actor, in: context)
    }
}

/// The reply to a change of a case: the case, the sequence number of the event recorded, the
/// status after it, what the change created — the number of a task (`task_assigned`), the version
/// of a draft answer (`answer_drafted`), the number of a supervision item (`supervision_opened`) —
/// and the case as the requester now sees it: `overview` (what `case.overview` answers, with the
/// requester's actions) and `case_state` (what `case.get` answers), both from the state the
/// write's own transaction computed. A client draws from it and reads nothing more. Both are
/// null when the change took the case away from the requester (a forward, an upheld objection).
struct CaseWritten: Encodable, Sendable {
    let `case`: String
    let seq: Int64
    let status: String
    let task: Int?
    let version: Int?
    let item: Int?
    let overview: CaseOverview.Output?
    let caseState: WireCase?

    private enum Keys: String, CodingKey { case `case`, seq, status, task, version, item, overview, caseState }

    init(_ result: CaseWriteResult, for actor: Actor, in context: CommandContext) async throws {
        let state = result.state, event = result.events[0]
        `case` = RoomID.case(state.id)
        seq = event.sequence
        status = state.status.rawValue
        var task: Int?, version: Int?, item: Int?
        switch event.change {
        case .taskAssigned: task = state.tasks.last?.id
        case .answerDrafted: version = state.answerDraft?.version
        case .supervisionOpened: item = state.supervisionItems.last?.id
        case .registered, .negotiationOpened, .assigned, .negotiationAnswered, .negotiationSettled,
            .negotiationDisputed, .leadDecided, .escalationOverdue, .forwarded, .leadReassigned, .taskAcknowledged,
            .taskProgress, .taskDone, .taskAccepted, .taskReturned, .answerCosigned, .answerObjected,
            .extensionRequested, .extensionRefused, .supervisionAnswered, .supervisionEscalated,
            .listedSupervisionSet, .listedSupervisionCleared, .meetingDecision, .objectionRaised, .objectionUpheld,
            .objectionRejected, .accepted, .handlingStarted, .planSet, .extensionGranted, .answered,
            .satisfactionRated, .reviewRequested, .reviewed, .reReviewRequested, .reReviewed, .closed, .routedOut: break
        }
        (self.task, self.version, self.item) = (task, version, item)
        if CaseAccess.mayRead(state, by: actor) {
            overview = try await CaseOverview.Output(state, for: actor, at: result.at, in: context)
            caseState = WireCase(state, in: context.store)
        } else {
            (overview, caseState) = (nil, nil)
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(`case`, forKey: .case)
        try container.encode(seq, forKey: .seq)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(task, forKey: .task)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encodeIfPresent(item, forKey: .item)
        try container.encode(overview, forKey: .overview)  // null when the requester may no longer read the case
        try container.encode(caseState, forKey: .caseState)
    }
}
