// NegotiationTests: lead negotiation among units — every settlement and dispute branch of the pure
// rules, answers and their checks, the deadline with a test clock (across a holiday), escalation
// to the lowest common superior or the conference office, the overdue flag, objection, forwarding
// and reassignment; then the same through the store: follow-ups in one transaction, the sweep,
// the figures, the supervision list and the lobby notices.
import Foundation
import XCTest

@testable import CaseCore

private let housing = Fixtures.housing, finance = Fixtures.finance, district = Fixtures.district
private let districtOfficer = Actor(person: PersonID("d-officer"), unit: district, roles: [.officer])
private let city = UnitID("city")
private let cityLeader = Actor(person: PersonID("c-leader"), unit: city, roles: [.leader])

/// A round among `units` with the given answers (no clock involved).
private func round(_ units: [UnitID], _ answers: [(UnitID, NegotiationAnswer)]) -> Negotiation {
    var negotiation = Negotiation(round: 1, openedAt: Fixtures.start, units: units)
    negotiation.answers = answers.map {
        UnitAnswer(unit: $0.0, answer: $0.1, person: PersonID("p"), at: Fixtures.start, firstAnsweredAt: Fixtures.start, answers: 1)
    }
    return negotiation
}

private let decline = NegotiationAnswer.decline(reason: "Outside our remit", basis: "Municipal housing regulations, Art. 4")

final class NegotiationRuleTests: XCTestCase {
    func testConsensusSettlesWithTheClaimantLeading() {
        XCTAssertEqual(
            NegotiationRules.evaluate(round([housing, finance, district], [(housing, .claim), (finance, .support(housing)), (district, .cohandle)])),
            .settled(lead: housing, coHandling: [finance, district]))
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [(housing, .claim), (finance, .cohandle)])),
                       .settled(lead: housing, coHandling: [finance]))
    }

    func testTwoClaimsAreDisputedAtOnce() {
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance, district], [(housing, .claim), (finance, .claim)])),
                       .disputed(.competingClaims))
    }

    func testEveryUnitDecliningIsDisputed() {
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [(housing, decline), (finance, decline)])), .disputed(.allDeclined))
    }

    func testAnswersWithoutConsensusAreDisputedOnceEveryoneAnswered() {
        // One claim, one decline.
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [(housing, .claim), (finance, decline)])), .disputed(.noConsensus))
        // Support for a unit that did not claim.
        XCTAssertEqual(
            NegotiationRules.evaluate(round([housing, finance, district], [(housing, .claim), (finance, .support(district)), (district, .cohandle)])),
            .disputed(.noConsensus))
        // Nobody claims.
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [(housing, .cohandle), (finance, .support(housing))])),
                       .disputed(.noConsensus))
        // Some decline, nobody claims.
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [(housing, .cohandle), (finance, decline)])), .disputed(.noConsensus))
    }

    func testStaysOpenWhileUnitsHaveNotAnswered() {
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [])), .open)
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance], [(housing, .claim)])), .open)
        XCTAssertEqual(NegotiationRules.evaluate(round([housing, finance, district], [(housing, decline), (finance, decline)])), .open)
    }

    func testLowestCommonSuperior() {
        let hierarchy = UnitHierarchy(parents: [housing: city, finance: city, district: UnitID("province"), city: UnitID("province")])
        XCTAssertEqual(hierarchy.lowestCommonSuperior(of: [housing, finance]), city)
        XCTAssertEqual(hierarchy.lowestCommonSuperior(of: [housing, finance, district]), UnitID("province"))
        XCTAssertNil(hierarchy.lowestCommonSuperior(of: [housing, UnitID("elsewhere")]))
        // A unit is not its own superior: city and housing share only the province.
        XCTAssertEqual(hierarchy.lowestCommonSuperior(of: [city, housing]), UnitID("province"))
        // Bad data with a cycle does not hang.
        XCTAssertNil(UnitHierarchy(parents: [housing: finance, finance: housing]).lowestCommonSuperior(of: [housing, finance]))
    }
}

final class NegotiationLifecycleTests: XCTestCase {
    /// A case in negotiation among housing and finance (opened Monday 2026-11-02 10:00 Beijing).
    private func negotiating(units: [UnitID] = [housing, finance], hierarchy: UnitHierarchy = UnitHierarchy(),
                             calendar: WorkingCalendar = .weekendsOnly) -> CaseWalker {
        var walker = CaseWalker()
        walker.policy = DeadlinePolicy(calendar: calendar)
        walker.hierarchy = hierarchy
        XCTAssertNil(walker.perform(.registered(Fixtures.registration(units: units)), by: Fixtures.coordinator))
        walker.now = walker.now.adding(seconds: 3600)
        XCTAssertNil(walker.perform(.negotiationOpened(units: units), by: Fixtures.coordinator))
        return walker
    }

    func testConsensusAssignsTheLeadAndStartsTheAcceptanceNotice() {
        var walker = negotiating()
        XCTAssertEqual(walker.state?.negotiation?.units, [finance, housing])
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: decline), by: Fixtures.financeOfficer))
        // A unit may change its answer until the round closes; each answer is an event.
        walker.now = walker.now.adding(seconds: 600)
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: .support(housing)), by: Fixtures.financeLeader))
        XCTAssertEqual(walker.state?.status, .negotiating)
        XCTAssertEqual(walker.state?.negotiation?.answer(of: finance)?.answers, 2)
        XCTAssertEqual(walker.state?.negotiation?.answer(of: finance)?.person, Fixtures.financeLeader.person)
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.events.suffix(2).map(\.change.type), ["negotiation_answered", "negotiation_settled"])
        XCTAssertEqual(walker.events.last?.actorPerson, Actor.system.person)
        let state = walker.state!
        XCTAssertEqual(state.status, .assigned)
        XCTAssertEqual(state.leadUnit, housing)
        XCTAssertEqual(state.coHandlingUnits, [finance])
        XCTAssertEqual(state.negotiation?.settledLead, housing)
        XCTAssertNotNil(state.negotiation?.closedAt)
        XCTAssertEqual(state.deadline(.negotiation)?.metOnTime, true)
        XCTAssertTrue(state.deadline(.acceptanceNotice)?.isRunning ?? false)
        XCTAssertTrue(state.deadline(.objection)?.isRunning ?? false)
        // Closed: no more answers. After settlement the lead owes the notice; handling starts at acceptance.
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: finance, answer: .claim), by: Fixtures.financeOfficer)?.code, .invalidState)
        XCTAssertNil(walker.perform(.accepted, by: Fixtures.housingOfficer))
        XCTAssertTrue(walker.state?.deadline(.handling)?.isRunning ?? false)
        XCTAssertEqual(CaseLifecycle.replay(walker.events), walker.state)
    }

    func testAnswersAreCheckedAndOnlyTheUnitItselfAnswers() {
        var walker = negotiating()
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.financeOfficer)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.coordinator)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: district, answer: .claim), by: districtOfficer)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.auditor)?.code, .forbidden)
        let noBasis = NegotiationAnswer(position: .decline, reason: "Not ours", basis: " ")
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: noBasis), by: Fixtures.housingOfficer)?.code, .invalidArgument)
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: NegotiationAnswer(position: .support)), by: Fixtures.housingOfficer)?.code, .invalidArgument)
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .support(housing)), by: Fixtures.housingOfficer)?.code, .invalidArgument)
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .support(district)), by: Fixtures.housingOfficer)?.code, .invalidArgument)
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingLeader)?.code, .invalidState, "unchanged answer")
        // The hub's own changes cannot be made by people.
        XCTAssertEqual(walker.perform(.negotiationSettled(Assignment(lead: housing, coHandling: [finance])), by: Fixtures.coordinator)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.negotiationSettled(Assignment(lead: housing, coHandling: [finance])), by: .system)?.code, .invalidState,
                       "not settled by the answers")
    }

    func testTheDeadlinePassingDisputesTheCaseAndNamesWhoDidNotAnswer() {
        var walker = negotiating(units: [housing, finance, district])
        let deadline = walker.state!.deadline(.negotiation)!
        XCTAssertEqual(deadline.due, LocalDate("2026-11-09"), "5 working days from Monday 2 November")
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        walker.now = Timestamp(milliseconds: deadline.dueAt.milliseconds - 1)
        walker.followUps()
        XCTAssertEqual(walker.state?.status, .negotiating, "not before the end of the last day")
        walker.now = deadline.dueAt
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: finance, answer: .cohandle), by: Fixtures.financeOfficer)?.code, .windowClosed)
        walker.followUps()
        let state = walker.state!
        XCTAssertEqual(state.status, .disputed)
        XCTAssertEqual(state.negotiation?.dispute, Dispute(reason: .deadlinePassed, unanswered: [district, finance], escalatedTo: nil))
        XCTAssertEqual(state.escalation?.reason, .deadlinePassed)
        XCTAssertNil(state.escalation?.to, "no common superior: the conference office decides")
        XCTAssertTrue(state.deadline(.escalation)?.isRunning ?? false)
        walker.followUps()
        XCTAssertEqual(walker.events.filter { $0.change.type == "negotiation_disputed" }.count, 1, "recorded once")
    }

    func testTheNegotiationDeadlineCountsWorkingDaysAcrossAHoliday() throws {
        let calendar = try WorkingCalendar(parsing: "2026-11-04 holiday\n2026-11-05 holiday\n")
        let walker = negotiating(calendar: calendar)
        XCTAssertEqual(walker.state?.deadline(.negotiation)?.due, LocalDate("2026-11-11"), "Wed and Thu off: five working days end on Wednesday")
        var short = TimeLimits.legal
        short.acceptanceNoticeDays = 3
        var capped = CaseWalker()
        capped.policy = DeadlinePolicy(limits: short)
        _ = capped.perform(.registered(Fixtures.registration()), by: Fixtures.coordinator)
        XCTAssertNil(capped.perform(.negotiationOpened(units: [housing, finance]), by: Fixtures.coordinator))
        XCTAssertEqual(capped.state?.deadline(.negotiation)?.due, LocalDate("2026-11-05"), "never later than the acceptance-notice limit")
    }

    func testADisputeEscalatesToTheLowestCommonSuperiorWhoseLeaderDecides() {
        let hierarchy = UnitHierarchy(parents: [housing: city, finance: city])
        var walker = negotiating(hierarchy: hierarchy)
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: decline), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: .support(housing)), by: Fixtures.financeOfficer))
        let state = walker.state!
        XCTAssertEqual(state.status, .disputed)
        XCTAssertEqual(state.escalation?.to, city)
        XCTAssertEqual(state.escalation?.reason, .noConsensus)

        let decision = Assignment(lead: housing, coHandling: [finance], rationale: "Housing signed the relocation agreement.")
        XCTAssertEqual(walker.perform(.leadDecided(decision), by: Fixtures.housingLeader)?.code, .forbidden, "a leader of another unit")
        XCTAssertEqual(walker.perform(.leadDecided(decision), by: Fixtures.financeOfficer)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.leadDecided(Assignment(lead: housing, coHandling: [finance], rationale: "")), by: cityLeader)?.code,
                       .invalidArgument, "a decision carries a written rationale")
        XCTAssertNil(walker.perform(.leadDecided(decision), by: cityLeader))
        let decided = walker.state!
        XCTAssertEqual(decided.status, .assigned)
        XCTAssertEqual(decided.leadUnit, housing)
        XCTAssertEqual(decided.coHandlingUnits, [finance])
        XCTAssertEqual(decided.negotiation?.declineOverturned, housing, "housing declined and was made lead")
        XCTAssertNotNil(decided.escalation?.decidedAt)
        XCTAssertEqual(decided.deadline(.escalation)?.metOnTime, true)
        XCTAssertTrue(decided.deadline(.acceptanceNotice)?.isRunning ?? false)
    }

    func testCompetingClaimsWithoutACommonSuperiorGoToACoordinator() {
        var walker = negotiating(units: [housing, finance, district])
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: .claim), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.state?.status, .disputed, "two claims dispute at once")
        XCTAssertEqual(walker.state?.negotiation?.dispute?.unanswered, [district])
        XCTAssertNil(walker.state?.escalation?.to)
        let decision = Assignment(lead: finance, coHandling: [housing, district], rationale: "Finance holds the compensation budget.")
        XCTAssertEqual(walker.perform(.leadDecided(decision), by: Fixtures.housingLeader)?.code, .forbidden)
        XCTAssertNil(walker.perform(.leadDecided(decision), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.leadUnit, finance)
        XCTAssertNil(walker.state?.negotiation?.declineOverturned)
    }

    func testAnOverdueDecisionIsFlaggedOnce() {
        var walker = negotiating()
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: decline), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: decline), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.state?.escalation?.reason, .allDeclined)
        let due = walker.state!.deadline(.escalation)!
        XCTAssertEqual(due.due, LocalDate("2026-11-09"))
        walker.now = due.dueAt
        walker.followUps()
        XCTAssertEqual(walker.events.last?.change, .escalationOverdue)
        XCTAssertEqual(walker.state?.escalation?.overdueAt, due.dueAt)
        XCTAssertTrue(walker.state?.deadline(.escalation)?.isOverdue(at: walker.now) ?? false, "stays on the overdue list")
        let count = walker.events.count
        walker.now = walker.now.adding(seconds: 86_400)
        walker.followUps()
        XCTAssertEqual(walker.events.count, count)
        XCTAssertEqual(walker.perform(.escalationOverdue, by: .system)?.code, .invalidState)
        // The decision can still be made late.
        XCTAssertNil(walker.perform(.leadDecided(Assignment(lead: housing, rationale: "Decided late.")), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.deadline(.escalation)?.metOnTime, false)
    }

    func testObjectionUpheldReopensNegotiationAmongTheNamedUnitsAndRejectedKeepsTheLead() {
        var walker = negotiating()
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: .cohandle), by: Fixtures.financeOfficer))
        var rejected = walker
        XCTAssertNil(walker.perform(.objectionRaised(reason: "The contract was signed by the district"), by: Fixtures.housingLeader))
        XCTAssertNil(walker.perform(.objectionUpheld(units: [finance, district], rationale: "Re-route to finance and the district"), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.status, .negotiating)
        XCTAssertEqual(walker.state?.negotiation?.round, 2)
        XCTAssertEqual(walker.state?.negotiation?.units, [district, finance])
        XCTAssertEqual(walker.state?.negotiation?.answers, [], "a new round starts without answers")
        XCTAssertEqual(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer)?.code, .forbidden,
                       "housing is no longer negotiating")

        XCTAssertNil(rejected.perform(.objectionRaised(reason: "Not ours"), by: Fixtures.housingOfficer))
        XCTAssertNil(rejected.perform(.objectionRejected(rationale: "Housing signed the agreement"), by: Fixtures.coordinator))
        XCTAssertEqual(rejected.state?.status, .assigned)
        XCTAssertEqual(rejected.state?.leadUnit, housing)
        XCTAssertEqual(rejected.events.map(\.change.type).suffix(2), ["objection_raised", "objection_rejected"])
    }

    func testForwardingWidensOrOpensTheNegotiation() {
        var walker = negotiating()
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.forwarded(units: [district]), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.negotiation?.units, [district, finance, housing])
        XCTAssertEqual(walker.state?.negotiation?.round, 1, "the open round widens; answers stand")
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: .cohandle), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.state?.status, .negotiating, "district has not answered yet")
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: district, answer: .support(housing)), by: districtOfficer))
        XCTAssertEqual(walker.state?.leadUnit, housing)
        XCTAssertEqual(walker.state?.coHandlingUnits, [district, finance])
        XCTAssertEqual(walker.perform(.forwarded(units: [housing]), by: Fixtures.coordinator)?.code, .invalidArgument, "already involved")

        var single = CaseWalker()
        _ = single.perform(.registered(Fixtures.registration(units: [housing])), by: Fixtures.coordinator)
        XCTAssertNil(single.perform(.assigned(Assignment(lead: housing, rationale: "only unit")), by: Fixtures.coordinator))
        XCTAssertNil(single.perform(.forwarded(units: [finance]), by: Fixtures.coordinator))
        XCTAssertEqual(single.state?.status, .negotiating)
        XCTAssertNil(single.state?.leadUnit)
        XCTAssertEqual(single.state?.negotiation?.units, [finance, housing])
        XCTAssertFalse(single.state?.deadline(.acceptanceNotice)?.isRunning ?? true, "the assignment's notice no longer runs")
    }

    func testACoordinatorReassignsTheLeadWithARationale() {
        var walker = CaseWalker.at(.inHandling)
        let handling = walker.state!.deadline(.handling)
        let move = Assignment(lead: finance, coHandling: [housing], rationale: "The housing bureau was merged into the district government.")
        XCTAssertEqual(walker.perform(.leadReassigned(move), by: Fixtures.housingLeader)?.code, .forbidden)
        XCTAssertEqual(walker.perform(.leadReassigned(Assignment(lead: finance, coHandling: [housing], rationale: " ")), by: Fixtures.coordinator)?.code,
                       .invalidArgument)
        XCTAssertNil(walker.perform(.leadReassigned(move), by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.status, .inHandling)
        XCTAssertEqual(walker.state?.leadUnit, finance)
        XCTAssertEqual(walker.state?.coHandlingUnits, [housing])
        XCTAssertEqual(walker.state?.deadline(.handling), handling, "the handling clock keeps running")
        XCTAssertEqual(walker.perform(.leadReassigned(move), by: Fixtures.coordinator)?.code, .invalidArgument, "no change")
        XCTAssertNil(walker.perform(.planSet(Fixtures.plan), by: Fixtures.financeOfficer), "the new lead acts for the case")
        XCTAssertEqual(walker.perform(.planSet(Fixtures.plan), by: Fixtures.housingOfficer)?.code, .forbidden)
    }
}
