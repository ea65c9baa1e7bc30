// TimeLimits: the legal time limits of the Regulations on Petition Work (2022), each a setting
// whose default is the legal value (provinces refine them). DOMAIN.md explains each.
import Foundation

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
    /// Dispute → the binding decision of the superior unit or the conference office (working days;
    /// the hub's bound). Default 5.
    public var escalationDecisionWorkingDays = 5
    /// Minutes circulated → sealed even without every sign-off (working days). Default 3.
    public var minutesSignOffWorkingDays = 3
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

    /// Why a time-limits file was refused.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The setting names (as in the JSON file) and their key paths.
    static var settings: [(String, WritableKeyPath<TimeLimits, Int>)] { [
        ("transfer_days", \.transferDays), ("acceptance_notice_days", \.acceptanceNoticeDays),
        ("objection_working_days", \.objectionWorkingDays), ("negotiation_working_days", \.negotiationWorkingDays),
        ("escalation_decision_working_days", \.escalationDecisionWorkingDays),
        ("minutes_signoff_working_days", \.minutesSignOffWorkingDays),
        ("handling_days", \.handlingDays), ("max_extension_days", \.maxExtensionDays),
        ("review_request_days", \.reviewRequestDays), ("review_answer_days", \.reviewAnswerDays),
        ("re_review_request_days", \.reReviewRequestDays), ("re_review_answer_days", \.reReviewAnswerDays),
    ] }

    /// Reads a JSON object of settings, e.g. `{"handling_days": 45}`; settings not named keep their
    /// legal default. Unknown names and values outside 1...365 are refused.
    public static func load(json data: [UInt8]) throws -> TimeLimits {
        /// A setting's value: a whole number, or anything else (refused below).
        enum Value: Decodable {
            case days(Int)
            case other
            init(from decoder: Decoder) throws {
                self = (try? decoder.singleValueContainer().decode(Int.self)).map(Value.days) ?? .other
            }
        }
        let values: [String: Value]
        do {
            values = try JSONDecoder().decode([String: Value].self, from: Data(data))
        } catch {
            let isJSON = (try? JSONDecoder().decode(JSONShape.self, from: Data(data))) != nil
            throw LoadError(description: isJSON ? "time limits: expected a JSON object" : "time limits: not valid JSON")
        }
        var limits = TimeLimits.legal
        let known = Dictionary(uniqueKeysWithValues: settings)
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let path = known[name] else {
                throw LoadError(description: "time limits: unknown setting `\(name)` (known: \(settings.map(\.0).joined(separator: ", ")))")
            }
            guard case .days(let days) = value, (1...365).contains(days) else {
                throw LoadError(description: "time limits: `\(name)` must be a whole number of days from 1 to 365")
            }
            limits[keyPath: path] = days
        }
        return limits
    }

    /// Any JSON text (to tell "not JSON" from "not an object").
    private struct JSONShape: Decodable {
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { return }
            if (try? container.decode(Bool.self)) != nil || (try? container.decode(Double.self)) != nil || (try? container.decode(String.self)) != nil {
                return
            }
            if (try? container.decode([JSONShape].self)) != nil { return }
            _ = try container.decode([String: JSONShape].self)
        }
    }
}

/// What a deadline is for.
public enum DeadlineKind: String, Codable, Sendable, CaseIterable {
    case transfer
    case acceptanceNotice = "acceptance_notice"
    case objection
    case negotiation
    /// The binding decision on a disputed negotiation.
    case escalation
    case handling
    case reviewRequest = "review_request"
    case reviewAnswer = "review_answer"
    case reReviewRequest = "re_review_request"
    case reReviewAnswer = "re_review_answer"

    /// Limits the law counts in working days (the others count calendar days).
    public var countsWorkingDays: Bool {
        switch self {
        case .objection, .negotiation, .escalation: return true
        default: return false
        }
    }

    /// Windows in which the petitioner or a unit *may* act: they lapse, they are not "overdue".
    public var isWindow: Bool {
        switch self {
        case .objection, .reviewRequest, .reReviewRequest: return true
        default: return false
        }
    }
}
