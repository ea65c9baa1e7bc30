// PetitionCase: the current state of a case (信访事项), derived from its history of events.

/// Kind of petition matter.
public enum CaseCategory: String, Codable, Sendable, CaseIterable {
    /// Suggestion or opinion (建议意见).
    case suggestion
    /// Accusation or complaint about an official (检举控告).
    case accusation
    /// Claim or grievance (申诉求决).
    case claim
}

/// How the matter reached the petition office.
public enum SourceChannel: String, Codable, Sendable, CaseIterable {
    case letter, visit, phone, online
}

/// Where a case stands in its lifecycle (DOMAIN.md, "The lifecycle of a case").
public enum CaseStatus: String, Codable, Sendable, CaseIterable {
    /// Registered by the petition office (登记).
    case registered
    /// Several units negotiate which leads (协商受理).
    case negotiating
    /// The negotiation failed; a superior unit's leader or a coordinator decides who leads.
    case disputed
    /// Assigned to a lead unit, which owes the acceptance notice.
    case assigned
    /// The lead unit objected to the assignment (退回); the office decides.
    case objectionPending = "objection_pending"
    /// The lead unit sent the notice of acceptance (受理).
    case accepted
    /// Being handled (办理).
    case inHandling = "in_handling"
    /// Being handled under an approved extension (once, ≤ 30 days).
    case extensionGranted = "extension_granted"
    /// Written answer given (答复).
    case answered
    /// The petitioner asked for review (复查).
    case reviewRequested = "review_requested"
    case reviewed
    /// The petitioner asked for re-review (复核).
    case reReviewRequested = "re_review_requested"
    case reReviewed = "re_reviewed"
    /// Finished.
    case closed
    /// Left the petition process for litigation or discipline channels (诉访分离).
    case routedOut = "routed_out"

    /// Whether nothing more may happen to the case.
    public var isTerminal: Bool { self == .closed || self == .routedOut }

    /// Statuses in which the lead unit is handling the case.
    public var isHandling: Bool { self == .inHandling || self == .extensionGranted }
}

/// The decision in a written answer.
public enum AnswerDecision: String, Codable, Sendable, CaseIterable {
    case support
    case explain
    case notSupport = "not_support"
}

/// The petitioner's rating of the result.
public enum Satisfaction: String, Codable, Sendable, CaseIterable {
    case satisfied
    case basicallySatisfied = "basically_satisfied"
    case notSatisfied = "not_satisfied"

    /// Counts towards the satisfaction rate.
    public var isSatisfied: Bool { self != .notSatisfied }
}

/// Where a routed-out case went.
public enum RouteOutChannel: String, Codable, Sendable, CaseIterable {
    /// Courts and political-legal organs.
    case litigation
    /// Discipline-inspection organs.
    case discipline
}

/// Petitioner personal data: name and contact only, readable only by the units on the case,
/// coordinators and auditors. Never logged.
public struct Petitioner: Codable, Sendable, Equatable {
    public var name: String
    public var contact: String

    public init(name: String, contact: String) {
        self.name = name
        self.contact = contact
    }
}

/// A written answer (答复意见).
public struct Answer: Codable, Sendable, Equatable {
    /// The petitioner's request, as the unit understood it.
    public var request: String
    public var factsAndReasons: String
    public var decision: AnswerDecision
    public var legalBasis: String

    public init(request: String, factsAndReasons: String, decision: AnswerDecision, legalBasis: String) {
        self.request = request
        self.factsAndReasons = factsAndReasons
        self.decision = decision
        self.legalBasis = legalBasis
    }
}

/// An approved extension of the handling limit.
public struct Extension: Codable, Sendable, Equatable {
    public var days: Int
    public var reason: String
    public var approvedBy: PersonID
    public var approvedAt: Timestamp
}

/// A review or re-review opinion.
public struct ReviewOpinion: Codable, Sendable, Equatable {
    /// Whether the original answer stands.
    public var upheld: Bool
    public var opinion: String

    public init(upheld: Bool, opinion: String) {
        self.upheld = upheld
        self.opinion = opinion
    }
}

/// The current state of one case.
public struct PetitionCase: Codable, Sendable, Equatable, Identifiable {
    public let id: CaseID
    public var title: String
    public var summary: String
    public var category: CaseCategory
    public var channel: SourceChannel
    public var receivedOn: LocalDate
    public var registeredAt: Timestamp
    /// Every unit the case involves, sorted.
    public var involvedUnits: [UnitID]
    public var leadUnit: UnitID?
    /// Units assisting the lead unit, sorted; never contains the lead unit.
    public var coHandlingUnits: [UnitID] = []
    public var responsibleLeader: PersonID?
    public var responsiblePerson: PersonID?
    public var measures: [String] = []
    public var resolutionDeadline: LocalDate?
    public var status: CaseStatus
    /// Running and finished deadlines, at most one of each kind (the latest).
    public var deadlines: [Deadline] = []
    public var answer: Answer?
    public var answeredAt: Timestamp?
    public var satisfaction: Satisfaction?
    public var satisfactionRatedAt: Timestamp?
    public var extensionGranted: Extension?
    public var routedOut: RouteOut?
    /// Tasks of co-handling units, by id.
    public var tasks: [CaseTask] = []
    /// The current draft answer and its co-signatures.
    public var answerDraft: AnswerDraft?
    /// How the answer was given: version, signers, objections signed over.
    public var answerRecord: AnswerRecord?
    /// The latest extension request.
    public var extensionRequest: ExtensionRequest?
    /// Supervision items (督办), by id.
    public var supervisionItems: [SupervisionItem] = []
    /// Listed supervision (挂牌督办), while set.
    public var listedSupervision: ListedSupervision?
    /// The latest negotiation round, if the case was ever negotiated.
    public var negotiation: Negotiation?
    /// The latest escalation of a disputed negotiation.
    public var escalation: Escalation?
    /// The pending objection's reason while status is `objectionPending`.
    public var objectionReason: String?
    public var review: ReviewOpinion?
    public var reReview: ReviewOpinion?
    public var assignedAt: Timestamp?
    public var acceptedAt: Timestamp?
    public var closedAt: Timestamp?
    /// Sequence number of the last event applied.
    public var lastSequence: Int64 = 0

    /// Where and why a case was routed out.
    public struct RouteOut: Codable, Sendable, Equatable {
        public var channel: RouteOutChannel
        public var destination: String
        public var reason: String
    }

    public init(
        id: CaseID, title: String, summary: String, category: CaseCategory, channel: SourceChannel,
        receivedOn: LocalDate, registeredAt: Timestamp, involvedUnits: [UnitID], status: CaseStatus = .registered
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.category = category
        self.channel = channel
        self.receivedOn = receivedOn
        self.registeredAt = registeredAt
        self.involvedUnits = involvedUnits
        self.status = status
    }

    /// The deadline of `kind`, if one was ever started.
    public func deadline(_ kind: DeadlineKind) -> Deadline? { deadlines.first { $0.kind == kind } }

    /// Whether `unit` is on the case (involved, lead or co-handling).
    public func involves(_ unit: UnitID) -> Bool {
        involvedUnits.contains(unit) || leadUnit == unit || coHandlingUnits.contains(unit)
    }
}
