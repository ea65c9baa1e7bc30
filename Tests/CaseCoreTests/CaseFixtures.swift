// CaseFixtures: units, actors and a walker that drives a case through the pure lifecycle.
import Foundation
import XCTest

@testable import CaseCore

enum Fixtures {
    static let bureau = UnitID("petition-bureau")
    static let housing = UnitID("housing")
    static let finance = UnitID("finance")
    static let district = UnitID("district-3")

    static let coordinator = Actor(person: PersonID("coord"), unit: bureau, roles: [.coordinator])
    static let housingOfficer = Actor(person: PersonID("h-officer"), unit: housing, roles: [.officer])
    static let housingLeader = Actor(person: PersonID("h-leader"), unit: housing, roles: [.leader])
    static let financeOfficer = Actor(person: PersonID("f-officer"), unit: finance, roles: [.officer])
    static let financeLeader = Actor(person: PersonID("f-leader"), unit: finance, roles: [.leader])
    static let auditor = Actor(person: PersonID("aud"), unit: bureau, roles: [.auditor])
    static let admin = Actor(person: PersonID("adm"), unit: bureau, roles: [.admin])
    /// A leader of the district government, above housing and finance: reviews go to them.
    static let districtLeader = Actor(person: PersonID("d-leader"), unit: district, roles: [.leader])
    /// A leader of the petition bureau (the conference office): lists cases for supervision.
    static let bureauLeader = Actor(person: PersonID("b-leader"), unit: bureau, roles: [.leader])
    static let allActors = [coordinator, housingOfficer, housingLeader, financeOfficer, financeLeader, auditor, admin, districtLeader, bureauLeader]
    /// housing and finance sit under the district government; the petition bureau is the office.
    static let units = UnitDirectory(hierarchy: UnitHierarchy(parents: [housing: district, finance: district]), offices: [bureau])

    static let start = Timestamp(ISO8601DateFormatter().date(from: "2026-11-02T01:00:00Z")!)  // Monday 09:00 Beijing

    static func registration(units: [UnitID] = [housing, finance]) -> Registration {
        Registration(
            title: "Unpaid relocation compensation", summary: "Household asks for the promised compensation.",
            category: .claim, channel: .visit, receivedOn: LocalDate("2026-11-01")!, involvedUnits: units,
            petitioner: Petitioner(name: "Zhang San", contact: "138-0000-0000"))
    }

    static let answer = Answer(request: "Pay compensation", factsAndReasons: "Verified on site.", decision: .support, legalBasis: "Art. 33")
    static let plan = HandlingPlan(
        responsibleLeader: PersonID("h-leader"), responsiblePerson: PersonID("h-officer"),
        measures: ["Verify the contract", "Pay within 30 days"], resolutionDeadline: LocalDate("2026-12-01")!)

    /// One authorized actor and a valid instance of each kind of change.
    static let changes: [(name: String, change: CaseChange, actor: Actor)] = [
        ("negotiation_opened", .negotiationOpened(units: [housing, finance]), coordinator),
        ("assigned", .assigned(Assignment(lead: housing, coHandling: [finance], rationale: "housing owns relocation")), coordinator),
        ("objection_raised", .objectionRaised(reason: "Compensation is paid by finance"), housingOfficer),
        ("objection_upheld", .objectionUpheld(units: [finance], rationale: "finance pays"), coordinator),
        ("objection_rejected", .objectionRejected(rationale: "housing signed the contract"), coordinator),
        ("accepted", .accepted, housingOfficer),
        ("handling_started", .handlingStarted, housingOfficer),
        ("plan_set", .planSet(plan), housingOfficer),
        ("extension_granted", .extensionGranted(days: 20, reason: "Site survey needs more time"), housingLeader),
        ("answered", .answered(answer), housingOfficer),
        ("satisfaction_rated", .satisfactionRated(.basicallySatisfied), coordinator),
        ("review_requested", .reviewRequested, coordinator),
        ("reviewed", .reviewed(ReviewOpinion(upheld: true, opinion: "Answer stands")), coordinator),
        ("re_review_requested", .reReviewRequested, coordinator),
        ("re_reviewed", .reReviewed(ReviewOpinion(upheld: true, opinion: "Final")), coordinator),
        ("closed", .closed(reason: "Resolved"), coordinator),
        ("routed_out", .routedOut(channel: .discipline, destination: "District discipline commission", reason: "Accuses an official"), coordinator),
        ("negotiation_answered", .negotiationAnswered(unit: housing, answer: .claim), housingOfficer),
        ("lead_decided", .leadDecided(Assignment(lead: finance, coHandling: [housing], rationale: "Finance holds the budget")), coordinator),
        ("forwarded", .forwarded(units: [district]), coordinator),
        ("lead_reassigned", .leadReassigned(Assignment(lead: finance, coHandling: [housing], rationale: "The housing bureau was merged")), coordinator),
    ]

    /// Steps used only on the way to a status.
    static let pathSteps: [(name: String, change: CaseChange, actor: Actor)] = [
        ("finance_claims", .negotiationAnswered(unit: finance, answer: .claim), financeOfficer),
        ("answer_drafted", .answerDrafted(answer), housingOfficer),
        ("answer_cosigned", .answerCosigned(version: 1), financeOfficer),
    ]

    static func change(named name: String) -> (change: CaseChange, actor: Actor) {
        let entry = (changes + pathSteps).first { $0.name == name }!
        return (entry.change, entry.actor)
    }

    /// The changes that lead from nothing to each status.
    static let handling = ["assigned", "accepted", "handling_started", "answer_drafted", "answer_cosigned"]
    static let paths: [CaseStatus: [String]] = [
        .registered: [],
        .negotiating: ["negotiation_opened"],
        .disputed: ["negotiation_opened", "negotiation_answered", "finance_claims"],
        .assigned: ["assigned"],
        .objectionPending: ["assigned", "objection_raised"],
        .accepted: ["assigned", "accepted"],
        .inHandling: handling,
        .extensionGranted: handling + ["extension_granted"],
        .answered: handling + ["answered"],
        .reviewRequested: handling + ["answered", "review_requested"],
        .reviewed: handling + ["answered", "review_requested", "reviewed"],
        .reReviewRequested: handling + ["answered", "review_requested", "reviewed", "re_review_requested"],
        .reReviewed: handling + ["answered", "review_requested", "reviewed", "re_review_requested", "re_reviewed"],
        .closed: handling + ["answered", "closed"],
        .routedOut: ["routed_out"],
    ]
}

/// Drives one case through the pure lifecycle, keeping its events.
struct CaseWalker {
    var policy = DeadlinePolicy()
    var now = Fixtures.start
    var state: PetitionCase?
    var events: [CaseEvent] = []
    var hierarchy = UnitHierarchy()
    /// The units as the access rules see them.
    var units = Fixtures.units

    /// Applies `change` if `decide` accepts it, then the hub's follow-ups (as the store does);
    /// returns the refusal otherwise.
    @discardableResult
    mutating func perform(_ change: CaseChange, by actor: Actor) -> CaseRefusal? {
        if let refusal = performOne(change, by: actor) { return refusal }
        followUps()
        return nil
    }

    /// Records what the clock or the answers call for (what the store's sweep does).
    mutating func followUps() {
        while let state, let next = CaseLifecycle.followUp(state, at: now, in: CaseLifecycle.Context(policy: policy, units: UnitDirectory(hierarchy: hierarchy))) {
            if let refusal = performOne(next, by: .system) {
                XCTFail("follow-up \(next.type) refused: \(refusal)")
                return
            }
        }
    }

    private mutating func performOne(_ change: CaseChange, by actor: Actor) -> CaseRefusal? {
        let decision: CaseDecision
        do {
            decision = try CaseLifecycle.decide(change, on: state, by: actor, at: now, in: CaseLifecycle.Context(policy: policy, units: units))
        } catch {
            return error
        }
        let event = CaseEvent(
            caseID: CaseID(1), sequence: Int64(events.count + 1), actorPerson: actor.person, actorUnit: actor.unit, at: now,
            change: decision.change, startedDeadlines: decision.startedDeadlines, metDeadlines: decision.metDeadlines)
        events.append(event)
        state = CaseLifecycle.apply(event, to: state)
        return nil
    }

    /// A case in `status`, reached along the fixture path (one hour between steps).
    static func at(_ status: CaseStatus, file: StaticString = #filePath, line: UInt = #line) -> CaseWalker {
        var walker = CaseWalker()
        XCTAssertNil(walker.perform(.registered(Fixtures.registration()), by: Fixtures.coordinator), file: file, line: line)
        for name in Fixtures.paths[status]! {
            walker.now = walker.now.adding(seconds: 3600)
            let step = Fixtures.change(named: name)
            if let refusal = walker.perform(step.change, by: step.actor) {
                XCTFail("path to \(status) refused \(name): \(refusal)", file: file, line: line)
            }
        }
        XCTAssertEqual(walker.state?.status, status, file: file, line: line)
        return walker
    }
}
