// case.register: a coordinator registers a case; its case room opens with it.
import CaseCore

struct CaseRegister: Command {
    static let name = "case.register"
    static let effect = CommandEffect.write
    static var access: CommandAccess { .caseWork }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Registration {
        try request.decode(Registration.self)
    }

    static func run(_ registration: Registration, in context: CommandContext) async throws -> CaseWritten {
        try await CaseWritten(context.store.register(registration, by: try context.actor, open: true), store: context.store)
    }
}

/// The reply to a change of a case: the case, the sequence number of the event recorded, the
/// status after it, and what the change created — the number of a task (`task_assigned`), the
/// version of a draft answer (`answer_drafted`), the number of a supervision item
/// (`supervision_opened`) — so that a client need not read the case again.
struct CaseWritten: Encodable, Sendable {
    let `case`: String
    let seq: Int64
    let status: String
    let task: Int?
    let version: Int?
    let item: Int?

    init(_ event: CaseEvent, store: CaseStore) async throws {
        let state = try await store.caseState(event.caseID)
        `case` = RoomID.case(event.caseID)
        seq = event.sequence
        status = state?.status.rawValue ?? ""
        var task: Int?, version: Int?, item: Int?
        switch event.change {
        case .taskAssigned: task = state?.tasks.last?.id
        case .answerDrafted: version = state?.answerDraft?.version
        case .supervisionOpened: item = state?.supervisionItems.last?.id
        case .registered, .negotiationOpened, .assigned, .negotiationAnswered, .negotiationSettled,
            .negotiationDisputed, .leadDecided, .escalationOverdue, .forwarded, .leadReassigned, .taskAcknowledged,
            .taskProgress, .taskDone, .taskAccepted, .taskReturned, .answerCosigned, .answerObjected,
            .extensionRequested, .extensionRefused, .supervisionAnswered, .supervisionEscalated,
            .listedSupervisionSet, .listedSupervisionCleared, .meetingDecision, .objectionRaised, .objectionUpheld,
            .objectionRejected, .accepted, .handlingStarted, .planSet, .extensionGranted, .answered,
            .satisfactionRated, .reviewRequested, .reviewed, .reReviewRequested, .reReviewed, .closed, .routedOut: break
        }
        (self.task, self.version, self.item) = (task, version, item)
    }
}
