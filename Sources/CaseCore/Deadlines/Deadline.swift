// Deadline: one running time limit of a case, and the pure rules that say how far through it a
// clock is (warnings at 50/75/85/99% of the allowed time, then overdue).

/// A time limit that started at `startedAt` and passes at the end of the local day `due`.
public struct Deadline: Codable, Sendable, Equatable {
    public let kind: DeadlineKind
    public let startedAt: Timestamp
    /// The last day of the limit (inclusive).
    public let due: LocalDate
    /// The instant the limit passes (the start of the day after `due`).
    public let dueAt: Timestamp
    /// When the obligation was met (or the window closed); nil while running.
    public var metAt: Timestamp?

    public init(kind: DeadlineKind, startedAt: Timestamp, due: LocalDate, dueAt: Timestamp, metAt: Timestamp? = nil) {
        self.kind = kind
        self.startedAt = startedAt
        self.due = due
        self.dueAt = dueAt
        self.metAt = metAt
    }

    public var isRunning: Bool { metAt == nil }

    /// Whether the limit has passed at `now` without being met.
    public func isOverdue(at now: Timestamp) -> Bool { metAt == nil && now >= dueAt }

    /// Whether it was met in time (nil while running).
    public var metOnTime: Bool? { metAt.map { $0 < dueAt } }

    /// Seconds left at `now` (negative when overdue).
    public func remaining(at now: Timestamp) -> Double { dueAt.seconds(since: now) }
}

/// The warning levels of a running deadline (real systems warn at these fractions of the allowed time).
public enum WarningLevel: Int, Codable, Sendable, CaseIterable, Comparable {
    case half = 50
    case threeQuarters = 75
    case eightyFive = 85
    case ninetyNine = 99
    case overdue = 100

    public static func < (lhs: WarningLevel, rhs: WarningLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Fraction of the allowed time at which this level is reached.
    public var fraction: Double { Double(rawValue) / 100 }
}

/// A deadline that reached a new level.
public struct ThresholdCrossing: Sendable, Equatable {
    public let caseID: CaseID
    public let deadline: Deadline
    public let level: WarningLevel
}

/// A deadline together with the highest level already reported for it.
public struct TrackedDeadline: Sendable, Equatable {
    public let caseID: CaseID
    public let deadline: Deadline
    public let reported: WarningLevel?

    public init(caseID: CaseID, deadline: Deadline, reported: WarningLevel?) {
        self.caseID = caseID
        self.deadline = deadline
        self.reported = reported
    }
}

/// Pure deadline evaluation; the clock is whatever `now` the caller passes.
public enum DeadlineMonitor {
    /// The highest level `deadline` has reached at `now`, or nil below 50% or when met.
    public static func level(of deadline: Deadline, at now: Timestamp) -> WarningLevel? {
        guard deadline.isRunning else { return nil }
        return level(startedAt: deadline.startedAt, dueAt: deadline.dueAt, at: now)
    }

    /// The level of a running limit from `startedAt` to `dueAt` at `now`.
    public static func level(startedAt: Timestamp, dueAt: Timestamp, at now: Timestamp) -> WarningLevel? {
        if now >= dueAt { return .overdue }
        let allowed = dueAt.seconds(since: startedAt)
        guard allowed > 0 else { return .overdue }
        let elapsed = now.seconds(since: startedAt) / allowed
        return WarningLevel.allCases.filter { $0 != .overdue && elapsed >= $0.fraction }.max()
    }

    /// Every level each deadline crossed since its last reported level, lowest first. A deadline
    /// that jumped several levels (the hub was down) reports each one, so none is lost; levels at or
    /// below `reported` are never repeated.
    public static func crossings(in deadlines: [TrackedDeadline], at now: Timestamp) -> [ThresholdCrossing] {
        var result: [ThresholdCrossing] = []
        for tracked in deadlines {
            guard let current = level(of: tracked.deadline, at: now) else { continue }
            for level in WarningLevel.allCases where level <= current && (tracked.reported.map { level > $0 } ?? true) {
                result.append(ThresholdCrossing(caseID: tracked.caseID, deadline: tracked.deadline, level: level))
            }
        }
        return result
    }
}

/// Computes deadlines from the limits, the working-day calendar and the time zone.
public struct DeadlinePolicy: Sendable {
    public var limits: TimeLimits
    public var calendar: WorkingCalendar
    public var timeZone: ConferenceTimeZone

    public init(limits: TimeLimits = .legal, calendar: WorkingCalendar = .weekendsOnly, timeZone: ConferenceTimeZone = .chinaStandardTime) {
        self.limits = limits
        self.calendar = calendar
        self.timeZone = timeZone
    }

    /// A deadline of `kind` starting at `start`, per the limits (negotiation is also capped by the
    /// acceptance-notice limit).
    public func deadline(_ kind: DeadlineKind, from start: Timestamp) -> Deadline {
        let day = timeZone.localDate(of: start.date)
        let due: LocalDate
        switch kind {
        case .transfer: due = calendar.calendarDeadline(from: day, days: limits.transferDays)
        case .acceptanceNotice: due = calendar.calendarDeadline(from: day, days: limits.acceptanceNoticeDays)
        case .objection: due = calendar.workingDayDeadline(from: day, days: limits.objectionWorkingDays)
        case .negotiation:
            let bound = calendar.workingDayDeadline(from: day, days: limits.negotiationWorkingDays)
            due = min(bound, calendar.calendarDeadline(from: day, days: limits.acceptanceNoticeDays))
        case .escalation: due = calendar.workingDayDeadline(from: day, days: limits.escalationDecisionWorkingDays)
        case .handling: due = calendar.calendarDeadline(from: day, days: limits.handlingDays)
        case .reviewRequest: due = calendar.calendarDeadline(from: day, days: limits.reviewRequestDays)
        case .reviewAnswer: due = calendar.calendarDeadline(from: day, days: limits.reviewAnswerDays)
        case .reReviewRequest: due = calendar.calendarDeadline(from: day, days: limits.reReviewRequestDays)
        case .reReviewAnswer: due = calendar.calendarDeadline(from: day, days: limits.reReviewAnswerDays)
        }
        return Deadline(kind: kind, startedAt: start, due: due, dueAt: Timestamp(timeZone.endOfDay(due)))
    }

    /// `deadline` moved by `days` calendar days (an approved extension), again landing on a working day.
    public func extended(_ deadline: Deadline, byDays days: Int) -> Deadline {
        let due = calendar.calendarDeadline(from: deadline.due, days: days)
        return Deadline(kind: deadline.kind, startedAt: deadline.startedAt, due: due, dueAt: Timestamp(timeZone.endOfDay(due)), metAt: deadline.metAt)
    }
}
