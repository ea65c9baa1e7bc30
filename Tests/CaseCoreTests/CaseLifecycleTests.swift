// CaseLifecycleTests: every allowed transition, every refused one with its reason, who may do
// what, and randomized sequences that must keep the invariants.
import Foundation
import XCTest

@testable import CaseCore

final class CaseLifecycleTests: XCTestCase {
    /// For each change, the statuses from which it is allowed (with its authorized actor).
    static let allowed: [String: Set<CaseStatus>] = [
        "negotiation_opened": [.registered],
        "assigned": [.registered, .negotiating],
        "objection_raised": [.assigned],
        "objection_upheld": [.objectionPending],
        "objection_rejected": [.objectionPending],
        "accepted": [.assigned],
        "handling_started": [.accepted],
        "plan_set": [.accepted, .inHandling, .extensionGranted],
        "extension_granted": [.accepted, .inHandling],
        "answered": [.inHandling, .extensionGranted],
        "satisfaction_rated": [.answered, .reviewRequested, .reviewed, .reReviewRequested, .reReviewed],
        "review_requested": [.answered],
        "reviewed": [.reviewRequested],
        "re_review_requested": [.reviewed],
        "re_reviewed": [.reReviewRequested],
        "closed": [.answered, .reviewed, .reReviewed],
        "routed_out": [.registered, .negotiating, .disputed, .assigned, .objectionPending],
        "negotiation_answered": [.negotiating],
        "lead_decided": [.disputed],
        "forwarded": [.registered, .negotiating, .assigned],
        "lead_reassigned": [.assigned, .objectionPending, .accepted, .inHandling, .extensionGranted],
    ]

    func testEveryChangeFromEveryStatusIsAllowedOrRefusedWithAReason() {
        for status in CaseStatus.allCases {
            for (name, change, actor) in Fixtures.changes {
                var walker = CaseWalker.at(status)
                walker.now = walker.now.adding(seconds: 60)
                let refusal = walker.perform(change, by: actor)
                let expected = Self.allowed[name]!.contains(status)
                if expected {
                    XCTAssertNil(refusal, "\(name) from \(status) should be allowed: \(String(describing: refusal))")
                } else {
                    let refusal = refusal
                    XCTAssertNotNil(refusal, "\(name) from \(status) should be refused")
                    XCTAssertFalse(refusal?.reason.isEmpty ?? true)
                    if status.isTerminal {
                        XCTAssertEqual(refusal?.code, .invalidState, "\(name) on a \(status) case")
                    }
                }
            }
        }
    }

    func testTransitionsLandInTheExpectedStatus() {
        let expectations: [(CaseStatus, String, CaseStatus)] = [
            (.registered, "negotiation_opened", .negotiating),
            (.registered, "assigned", .assigned),
            (.negotiating, "assigned", .assigned),
            (.assigned, "objection_raised", .objectionPending),
            (.objectionPending, "objection_upheld", .assigned),
            (.objectionPending, "objection_rejected", .assigned),
            (.assigned, "accepted", .accepted),
            (.accepted, "handling_started", .inHandling),
            (.inHandling, "extension_granted", .extensionGranted),
            (.extensionGranted, "answered", .answered),
            (.answered, "review_requested", .reviewRequested),
            (.reviewRequested, "reviewed", .reviewed),
            (.reviewed, "re_review_requested", .reReviewRequested),
            (.reReviewRequested, "re_reviewed", .reReviewed),
            (.reReviewed, "closed", .closed),
            (.objectionPending, "routed_out", .routedOut),
            (.negotiating, "negotiation_answered", .negotiating),
            (.disputed, "lead_decided", .assigned),
            (.registered, "forwarded", .negotiating),
            (.negotiating, "forwarded", .negotiating),
            (.assigned, "forwarded", .negotiating),
            (.objectionPending, "lead_reassigned", .assigned),
            (.inHandling, "lead_reassigned", .inHandling),
            (.disputed, "routed_out", .routedOut),
        ]
        for (from, name, to) in expectations {
            var walker = CaseWalker.at(from)
            let step = Fixtures.change(named: name)
            XCTAssertNil(walker.perform(step.change, by: step.actor))
            XCTAssertEqual(walker.state?.status, to, "\(name) from \(from)")
        }
    }

    func testWhoMayTriggerEachChange() {
        for (name, change, authorized) in Fixtures.changes {
            let status = Self.allowed[name]!.sorted { $0.rawValue < $1.rawValue }.first!
            for actor in Fixtures.allActors where actor != authorized {
                var walker = CaseWalker.at(status)
                let refusal = walker.perform(change, by: actor)
                let mayAlso: Bool = {
                    switch name {
                    case "objection_raised", "accepted", "handling_started", "plan_set", "answered", "negotiation_answered":
                        return actor == Fixtures.housingLeader || actor == Fixtures.housingOfficer  // the lead unit's officer or leader
                    case "reviewed", "re_reviewed":
                        // The next level up: a leader of a unit above the lead unit (not of the lead unit itself).
                        return actor == Fixtures.districtLeader
                    default:
                        return false
                    }
                }()
                if mayAlso {
                    XCTAssertNil(refusal, "\(actor.person) may \(name)")
                } else {
                    XCTAssertEqual(refusal?.code, .forbidden, "\(actor.person) must not \(name): \(String(describing: refusal))")
                }
            }
        }
    }

    func testAuditorsChangeNothing() {
        var walker = CaseWalker()
        XCTAssertEqual(walker.perform(.registered(Fixtures.registration()), by: Fixtures.auditor)?.code, .forbidden)
    }

    func testObjectionWindowIsFiveWorkingDays() {
        // Assigned on Monday 2026-11-02 (Beijing): the window ends with Monday 2026-11-09.
        var walker = CaseWalker.at(.assigned)
        XCTAssertEqual(walker.state?.deadline(.objection)?.due, LocalDate("2026-11-09"))
        walker.now = Timestamp(ISO8601DateFormatter().date(from: "2026-11-09T15:59:00Z")!)  // 23:59 Beijing
        var late = walker
        late.now = Timestamp(ISO8601DateFormatter().date(from: "2026-11-09T16:00:00Z")!)
        XCTAssertEqual(late.perform(.objectionRaised(reason: "not ours"), by: Fixtures.housingOfficer)?.code, .windowClosed)
        XCTAssertNil(walker.perform(.objectionRaised(reason: "not ours"), by: Fixtures.housingOfficer))
    }

    func testObjectionUpheldAmongSeveralUnitsReopensNegotiation() {
        var walker = CaseWalker.at(.objectionPending)
        XCTAssertNil(walker.perform(.objectionUpheld(units: [Fixtures.finance, Fixtures.district], rationale: "re-route"), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.status, .negotiating)
        XCTAssertNil(walker.state?.leadUnit)
        XCTAssertNotNil(walker.state?.deadline(.negotiation)?.isRunning)
    }

    func testExtensionIsOnceAtMostThirtyDaysByALeaderOfTheLeadUnit() {
        var walker = CaseWalker.at(.inHandling)
        let due = walker.state!.deadline(.handling)!.due
        XCTAssertEqual(walker.perform(.extensionGranted(days: 31, reason: "x"), by: Fixtures.housingLeader)?.code, .invalidArgument)
        XCTAssertEqual(walker.perform(.extensionGranted(days: 10, reason: ""), by: Fixtures.housingLeader)?.code, .invalidArgument)
        XCTAssertEqual(walker.perform(.extensionGranted(days: 10, reason: "x"), by: Fixtures.housingOfficer)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.extensionGranted(days: 10, reason: "x"), by: Fixtures.financeLeader)?.code, .forbidden)
        XCTAssertNil(walker.perform(.extensionGranted(days: 30, reason: "Survey"), by: Fixtures.housingLeader))
        let extended = walker.state!.deadline(.handling)!.due
        XCTAssertGreaterThanOrEqual(extended.dayNumber - due.dayNumber, 30)
        XCTAssertEqual(walker.perform(.extensionGranted(days: 5, reason: "again"), by: Fixtures.housingLeader)?.code, .invalidState)
    }

    func testReviewWindowClosesAfterThirtyDays() {
        var walker = CaseWalker.at(.answered)
        walker.now = walker.state!.deadline(.reviewRequest)!.dueAt
        XCTAssertEqual(walker.perform(.reviewRequested, by: Fixtures.coordinator)?.code, .windowClosed)
    }

    func testInputIsBounded() {
        var walker = CaseWalker()
        var long = Fixtures.registration()
        long.title = String(repeating: "长", count: 201)
        XCTAssertEqual(walker.perform(.registered(long), by: Fixtures.coordinator)?.code, .invalidArgument)
        var noUnits = Fixtures.registration()
        noUnits.involvedUnits = []
        XCTAssertEqual(walker.perform(.registered(noUnits), by: Fixtures.coordinator)?.code, .invalidArgument)
        var badUnit = Fixtures.registration()
        badUnit.involvedUnits = [UnitID("no spaces allowed")]
        XCTAssertEqual(walker.perform(.registered(badUnit), by: Fixtures.coordinator)?.code, .invalidArgument)
        var future = Fixtures.registration()
        future.receivedOn = LocalDate("2027-01-01")!
        XCTAssertEqual(walker.perform(.registered(future), by: Fixtures.coordinator)?.code, .invalidArgument)
    }

    func testLeadUnitIsNeverAlsoCoHandling() {
        var walker = CaseWalker.at(.registered)
        XCTAssertNil(walker.perform(.assigned(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.housing, Fixtures.finance])), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.leadUnit, Fixtures.housing)
        XCTAssertEqual(walker.state?.coHandlingUnits, [Fixtures.finance])
    }

    /// The next step of the ordinary path from `state`'s status (nil at the end).
    static func ordinaryNextStep(_ state: PetitionCase) -> (CaseChange, Actor)? {
        let lead = state.leadUnit ?? Fixtures.housing
        let leadOfficer = Actor(person: PersonID("officer-\(lead.rawValue)"), unit: lead, roles: [.officer])
        switch state.status {
        case .registered, .negotiating:
            return (.assigned(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance], rationale: "ordinary")), Fixtures.coordinator)
        case .disputed:
            return (.leadDecided(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance], rationale: "decided")), Fixtures.coordinator)
        case .assigned: return (.accepted, leadOfficer)
        case .accepted: return (.handlingStarted, leadOfficer)
        case .inHandling, .extensionGranted:
            guard let draft = state.answerDraft else { return (.answerDrafted(Fixtures.answer), leadOfficer) }
            if let unit = state.awaitingCoSignature.first {
                return (.answerCosigned(version: draft.version), Actor(person: PersonID("officer-\(unit.rawValue)"), unit: unit, roles: [.officer]))
            }
            return (.answered(draft.answer), leadOfficer)
        case .answered: return (.reviewRequested, Fixtures.coordinator)
        case .reviewRequested: return (.reviewed(ReviewOpinion(upheld: true, opinion: "Stands")), Fixtures.coordinator)
        case .reviewed: return (.reReviewRequested, Fixtures.coordinator)
        case .reReviewRequested: return (.reReviewed(ReviewOpinion(upheld: true, opinion: "Final")), Fixtures.coordinator)
        case .reReviewed: return (.closed(reason: "Resolved"), Fixtures.coordinator)
        case .objectionPending:
            return state.lastSequence % 2 == 0
                ? (.objectionRejected(rationale: "keeps it"), Fixtures.coordinator)
                : (.objectionUpheld(units: [Fixtures.finance], rationale: "finance"), Fixtures.coordinator)
        case .closed, .routedOut: return nil
        }
    }

    /// Long random command sequences; after every step the invariants hold.
    func testRandomSequencesKeepTheInvariants() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        let negotiationAnswers: [(CaseChange, Actor)] = [
            (.negotiationAnswered(unit: Fixtures.finance, answer: .support(Fixtures.housing)), Fixtures.financeOfficer),
            (.negotiationAnswered(unit: Fixtures.finance, answer: .cohandle), Fixtures.financeLeader),
            (.negotiationAnswered(unit: Fixtures.housing, answer: .decline(reason: "Not ours", basis: "Art. 3")), Fixtures.housingLeader),
            (.negotiationAnswered(unit: Fixtures.district, answer: .cohandle), Actor(person: PersonID("d-officer"), unit: Fixtures.district, roles: [.officer])),
            (.negotiationAnswered(unit: Fixtures.housing, answer: .claim), Fixtures.housingOfficer),
            // Later draft versions, and the deep end of the lifecycle, often enough to be reached.
            (.answerCosigned(version: 2), Fixtures.financeOfficer), (.answerCosigned(version: 3), Fixtures.financeLeader),
            (.reviewRequested, Fixtures.coordinator), (.reReviewRequested, Fixtures.coordinator),
            (.reviewed(ReviewOpinion(upheld: false, opinion: "Redo")), Fixtures.coordinator),
            (.reReviewed(ReviewOpinion(upheld: true, opinion: "Final")), Fixtures.coordinator),
        ]
        let proposals = Fixtures.changes.map { ($0.change, $0.actor) } + Array(repeating: Fixtures.pathSteps.map { ($0.change, $0.actor) }, count: 3).flatMap { $0 } + negotiationAnswers + negotiationAnswers
            + Fixtures.changes.map { ($0.change, Fixtures.allActors[Int(generator.next() % UInt64(Fixtures.allActors.count))]) }
        var acceptedTypes = Set<String>()
        var walkerEventTypes: [String] = []
        var acceptedCounts: [String: Int] = [:]
        for _ in 0..<1_500 {
            var walker = CaseWalker()
            _ = walker.perform(.registered(Fixtures.registration()), by: Fixtures.coordinator)
            for _ in 0..<100 {
                let before = walker.state!
                walker.now = walker.now.adding(seconds: Int64(generator.next() % 86_400))
                // A sixth of the time, the next step of the ordinary path, so that walks reach the
                // end of the lifecycle as well as wandering.
                let (change, actor) = generator.next() % 6 == 0
                    ? Self.ordinaryNextStep(before) ?? proposals[Int(generator.next() % UInt64(proposals.count))]
                    : proposals[Int(generator.next() % UInt64(proposals.count))]
                let refusal = walker.perform(change, by: actor)
                let after = walker.state!
                if refusal == nil { acceptedTypes.insert(change.type); acceptedCounts[change.type, default: 0] += 1 }
                // A closed case accepts nothing.
                if before.status.isTerminal { XCTAssertNotNil(refusal, "\(change.type) accepted on a \(before.status) case") }
                // One lead unit, never also co-handling.
                if let lead = after.leadUnit { XCTAssertFalse(after.coHandlingUnits.contains(lead)) }
                // Deadlines move only through a granted extension.
                for deadline in after.deadlines {
                    if let old = before.deadline(deadline.kind), old.startedAt == deadline.startedAt, old.dueAt != deadline.dueAt {
                        XCTAssertEqual(walker.events.last?.change.type, "extension_granted", "\(deadline.kind) moved by \(change.type)")
                    }
                }
                // Terminal exactly when closed, and the state is the replay of the events.
                XCTAssertEqual(after.status.isTerminal, after.closedAt != nil)
                XCTAssertEqual(after.lastSequence, Int64(walker.events.count))
            }
            XCTAssertEqual(CaseLifecycle.replay(walker.events), walker.state)
            walkerEventTypes += walker.events.map(\.change.type)
        }
        let systemChanges: Set<String> = ["negotiation_settled", "negotiation_disputed", "escalation_overdue"]
        XCTAssertTrue(acceptedTypes.subtracting(systemChanges).isSuperset(of: Fixtures.changes.map(\.name)),
                      "the random walk must exercise every kind of change; missing \(Set(Fixtures.changes.map(\.name)).subtracting(acceptedTypes)) \(acceptedCounts.sorted { $0.key < $1.key })")
        XCTAssertTrue(Set(walkerEventTypes).isSuperset(of: ["negotiation_settled", "negotiation_disputed"]), "\(Set(walkerEventTypes))")
    }
}

/// A small deterministic generator, so a failing sequence can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
