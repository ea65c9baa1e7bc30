// TimeLimits: the legal time limits of the Regulations on Petition Work (2022), each a setting
// whose default is the legal value (provinces refine them). DOMAIN.md explains each.

/// Every time limit the hub enforces, in days.
public struct TimeLimits: Codable, Sendable, Equatable {
    /// Registration → transfer or assignment by the petition office (calendar days). Default 15.
    public var transferDays = 15
    /// Assignment → written notice of acceptance by the unit (calendar days). Default 15.
    public var acceptanceNoticeDays = 15
    /// Assignment → the unit may object that the matter is outside its remit (working days). Default 5.
    public var objectionWorkingDays = 5
    /// Negotiation among several units (working days; the hub's bound, Art. 24). Default 5, and
    /// never past the acceptance-notice limit.
    public var negotiationWorkingDays = 5
    /// Acceptance → answer (calendar days). Default 60.
    public var handlingDays = 60
    /// Longest single extension of handling (calendar days). Default 30.
    public var maxExtensionDays = 30
    /// Answer → the petitioner may request review (calendar days). Default 30.
    public var reviewRequestDays = 30
    /// Review request → review opinion (calendar days). Default 30.
    public var reviewAnswerDays = 30
    /// Review opinion → the petitioner may request re-review (calendar days). Default 30.
    public var reReviewRequestDays = 30
    /// Re-review request → re-review opinion (calendar days). Default 30.
    public var reReviewAnswerDays = 30

    public init() {}

    /// The legal defaults.
    public static let legal = TimeLimits()
}

/// What a deadline is for.
public enum DeadlineKind: String, Codable, Sendable, CaseIterable {
    case transfer
    case acceptanceNotice = "acceptance_notice"
    case objection
    case negotiation
    case handling
    case reviewRequest = "review_request"
    case reviewAnswer = "review_answer"
    case reReviewRequest = "re_review_request"
    case reReviewAnswer = "re_review_answer"

    /// Windows in which the petitioner or a unit *may* act: they lapse, they are not "overdue".
    public var isWindow: Bool {
        switch self {
        case .objection, .reviewRequest, .reReviewRequest: return true
        default: return false
        }
    }
}
