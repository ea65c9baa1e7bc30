// FiguresRollup: what each event adds to the daily figures. Pure: given the state before and
// after an event, it returns the increments per (day, unit); the store adds them in the event's
// transaction, so figures for any period are a sum over at most a few hundred rows.
import Foundation

/// Increments to the daily figures of one unit (or of all units, `FiguresRollup.allUnits`).
struct FiguresDelta: Equatable {
    var answered = 0
    var handlingMilliseconds: Int64 = 0
    var answeredOnTime = 0
    var metLate = 0
    var rated = 0
    var satisfied = 0
    var escalated = 0
    var objectionsRaised = 0
    var objectionsUpheld = 0

    var isZero: Bool { self == FiguresDelta() }

    static func + (lhs: FiguresDelta, rhs: FiguresDelta) -> FiguresDelta {
        FiguresDelta(
            answered: lhs.answered + rhs.answered, handlingMilliseconds: lhs.handlingMilliseconds + rhs.handlingMilliseconds,
            answeredOnTime: lhs.answeredOnTime + rhs.answeredOnTime, metLate: lhs.metLate + rhs.metLate,
            rated: lhs.rated + rhs.rated, satisfied: lhs.satisfied + rhs.satisfied, escalated: lhs.escalated + rhs.escalated,
            objectionsRaised: lhs.objectionsRaised + rhs.objectionsRaised, objectionsUpheld: lhs.objectionsUpheld + rhs.objectionsUpheld)
    }
}

enum FiguresRollup {
    /// The unit id of the all-units rows.
    static let allUnits = "*"

    struct Key: Hashable {
        let day: Int
        let unit: String
    }

    /// The increments `event` causes, moving `before` to `after`.
    static func deltas(event: CaseEvent, before: PetitionCase?, after: PetitionCase, timeZone: ConferenceTimeZone) -> [Key: FiguresDelta] {
        var result: [Key: FiguresDelta] = [:]
        func add(_ delta: FiguresDelta, at instant: Timestamp, units: [UnitID]) {
            let day = timeZone.localDate(of: instant.date).dayNumber
            for unit in units.map(\.rawValue) + [allUnits] {
                result[Key(day: day, unit: unit), default: FiguresDelta()] = result[Key(day: day, unit: unit), default: FiguresDelta()] + delta
            }
        }
        let lead = after.leadUnit.map { [$0] } ?? []
        switch event.change {
        case .answered:
            var delta = FiguresDelta(answered: 1)
            if let accepted = after.acceptedAt { delta.handlingMilliseconds = event.at.milliseconds - accepted.milliseconds }
            if let due = after.deadline(.handling)?.dueAt, event.at < due { delta.answeredOnTime = 1 }
            add(delta, at: event.at, units: lead)
        case .satisfactionRated(let rating):
            // The latest rating counts: withdraw an earlier one where it was counted.
            if let previous = before?.satisfaction, let previousAt = before?.satisfactionRatedAt {
                add(FiguresDelta(rated: -1, satisfied: previous.isSatisfied ? -1 : 0), at: previousAt, units: lead)
            }
            add(FiguresDelta(rated: 1, satisfied: rating.isSatisfied ? 1 : 0), at: event.at, units: lead)
        case .assigned:
            if before?.status == .negotiating { add(FiguresDelta(escalated: 1), at: event.at, units: after.involvedUnits) }
        case .leadDecided:
            add(FiguresDelta(escalated: 1), at: event.at, units: after.involvedUnits)
        case .objectionRaised:
            add(FiguresDelta(objectionsRaised: 1), at: event.at, units: [event.actorUnit])
        case .objectionUpheld:
            add(FiguresDelta(objectionsUpheld: 1), at: event.at, units: before?.leadUnit.map { [$0] } ?? [])
        case .registered, .negotiationOpened, .negotiationAnswered, .negotiationSettled, .negotiationDisputed,
            .escalationOverdue, .forwarded, .leadReassigned, .taskAssigned, .taskAcknowledged, .taskProgress,
            .taskDone, .taskAccepted, .taskReturned, .answerDrafted, .answerCosigned, .answerObjected,
            .extensionRequested, .extensionRefused, .supervisionOpened, .supervisionAnswered, .supervisionEscalated,
            .listedSupervisionSet, .listedSupervisionCleared, .meetingDecision, .objectionRejected, .accepted,
            .handlingStarted, .planSet, .extensionGranted, .reviewRequested, .reviewed, .reReviewRequested,
            .reReviewed, .closed, .routedOut:
            break
        }
        // An obligation met after its limit counts as overdue on the day it fell due, for the
        // unit that was leading then.
        let accountable = (before?.leadUnit ?? after.leadUnit).map { [$0] } ?? []
        for kind in event.metDeadlines where !kind.isWindow {
            guard let deadline = before?.deadline(kind), deadline.isRunning, event.at >= deadline.dueAt else { continue }
            add(FiguresDelta(metLate: 1), at: deadline.dueAt.adding(seconds: -1), units: accountable)
        }
        return result.filter { !$0.value.isZero }
    }
}

extension CaseStore {
    /// The daily figures rows (`unit@YYYY-MM-DD`) that differ from a rebuild from the events alone.
    public func figuresMismatches() async throws -> [String] {
        let timeZone = policy.timeZone
        return try await read { connection in
            let decoder = JSONDecoder()
            var expected: [FiguresRollup.Key: FiguresDelta] = [:]
            var state: PetitionCase?
            var currentCase: Int64?
            let statement = try connection.statement("SELECT case_id, body FROM case_events ORDER BY case_id, seq")
            while let row = try statement.step() {
                if row.int(0) != currentCase {
                    currentCase = row.int(0)
                    state = nil
                }
                let event = try decoder.decode(CaseEvent.self, from: Data((row.string(1) ?? "").utf8))
                let next = CaseLifecycle.apply(event, to: state)
                for (key, delta) in FiguresRollup.deltas(event: event, before: state, after: next, timeZone: timeZone) {
                    expected[key] = (expected[key] ?? FiguresDelta()) + delta
                }
                state = next
            }
            statement.reset()
            var stored: [FiguresRollup.Key: FiguresDelta] = [:]
            for row in try connection.query(
                """
                SELECT day, unit_id, answered, handling_ms, answered_on_time, met_late, rated, satisfied, escalated,
                       objections_raised, objections_upheld FROM figures_daily
                """) {
                let delta = FiguresDelta(
                    answered: Int(row.int(2) ?? 0), handlingMilliseconds: row.int(3) ?? 0, answeredOnTime: Int(row.int(4) ?? 0),
                    metLate: Int(row.int(5) ?? 0), rated: Int(row.int(6) ?? 0), satisfied: Int(row.int(7) ?? 0),
                    escalated: Int(row.int(8) ?? 0), objectionsRaised: Int(row.int(9) ?? 0), objectionsUpheld: Int(row.int(10) ?? 0))
                if !delta.isZero { stored[FiguresRollup.Key(day: Int(row.int(0) ?? 0), unit: row.string(1) ?? "")] = delta }
            }
            expected = expected.filter { !$0.value.isZero }
            return Set(expected.keys).union(stored.keys).filter { expected[$0] != stored[$0] }
                .map { "\($0.unit)@\(LocalDate(dayNumber: $0.day))" }.sorted()
        }
    }
}
