// CaseActionsTests: what a person is offered to do with a case — never less than the lifecycle
// would accept from them, and, along a whole case, exactly what each of its people may do next.
import XCTest

@testable import CaseCore

private let housing = Fixtures.housing, finance = Fixtures.finance

final class CaseActionsTests: XCTestCase {
    private func offered(_ walker: CaseWalker, to actor: Actor) -> [String] {
        CaseActions.available(on: walker.state!, to: actor, at: walker.now, in: CaseLifecycle.Context(policy: walker.policy, units: walker.units))
            .map(\.type)
    }

    /// Whatever the lifecycle would accept from a person is offered to them: for every status,
    /// every person and every kind of change.
    func testEveryChangeTheLifecycleAcceptsIsOffered() {
        for status in Fixtures.paths.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let walker = CaseWalker.at(status)
            for actor in Fixtures.allActors {
                let types = Set(offered(walker, to: actor))
                for (name, change, _) in Fixtures.changes + Fixtures.pathSteps {
                    var trial = walker
                    if trial.perform(change, by: actor) == nil {
                        XCTAssertTrue(types.contains(change.type), "\(actor.person) may make \(name) in \(status) but is not offered it")
                    }
                }
                if actor == Fixtures.auditor || actor == Fixtures.admin {
                    XCTAssertEqual(types, [], "\(actor.person) is offered nothing in \(status)")
                }
            }
        }
    }

    /// A co-handled case from registration to closure: at each step, what each person is offered.
    func testAlongACaseEachPersonIsOfferedWhatTheyMayDoNext() {
        var walker = CaseWalker()
        walker.hierarchy = Fixtures.units.hierarchy
        XCTAssertNil(walker.perform(.registered(Fixtures.registration()), by: Fixtures.coordinator))
        XCTAssertNil(walker.perform(.negotiationOpened(units: [housing, finance]), by: Fixtures.coordinator))
        XCTAssertEqual(offered(walker, to: Fixtures.housingOfficer), ["negotiation_answered"])
        XCTAssertEqual(offered(walker, to: Fixtures.coordinator),
                       ["assigned", "forwarded", "routed_out", "supervision_opened", "listed_supervision_set"])
        XCTAssertEqual(offered(walker, to: Fixtures.districtLeader), [], "not negotiating, nothing escalated to them yet")

        XCTAssertNil(walker.perform(.negotiationAnswered(unit: housing, answer: .claim), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.negotiationAnswered(unit: finance, answer: .claim), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.state?.status, .disputed)
        XCTAssertEqual(offered(walker, to: Fixtures.housingOfficer), [], "the dispute is for others to decide")
        XCTAssertTrue(offered(walker, to: Fixtures.coordinator).contains("lead_decided"))
        XCTAssertEqual(offered(walker, to: Fixtures.districtLeader), ["lead_decided"], "the dispute went to the common superior")

        XCTAssertNil(walker.perform(.leadDecided(Assignment(lead: housing, coHandling: [finance], rationale: "Housing signed")), by: Fixtures.districtLeader))
        XCTAssertEqual(offered(walker, to: Fixtures.housingOfficer), ["objection_raised", "accepted"])
        XCTAssertEqual(offered(walker, to: Fixtures.financeOfficer), [])
        XCTAssertNil(walker.perform(.accepted, by: Fixtures.housingOfficer))
        XCTAssertEqual(offered(walker, to: Fixtures.housingOfficer), ["handling_started", "plan_set", "task_assigned", "extension_requested"])
        XCTAssertEqual(offered(walker, to: Fixtures.housingLeader),
                       ["handling_started", "plan_set", "task_assigned", "extension_requested", "extension_granted"],
                       "a leader may grant the extension directly; with no request waiting there is nothing to refuse")
        XCTAssertNil(walker.perform(.handlingStarted, by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.taskAssigned(TaskAssignment(unit: finance, what: "Budget line", due: LocalDate("2026-11-20")!)), by: Fixtures.housingOfficer))
        XCTAssertEqual(CaseActions.available(on: walker.state!, to: Fixtures.financeOfficer, at: walker.now, in: .init(policy: walker.policy, units: walker.units)),
                       [CaseAction(type: "task_acknowledged", task: 1), CaseAction(type: "task_progress", task: 1), CaseAction(type: "task_done", task: 1)])
        XCTAssertNil(walker.perform(.taskDone(task: 1, result: "Confirmed"), by: Fixtures.financeOfficer))
        XCTAssertEqual(offered(walker, to: Fixtures.financeOfficer), [])
        XCTAssertTrue(offered(walker, to: Fixtures.housingOfficer).starts(with: ["plan_set", "task_assigned", "task_accepted", "task_returned", "answer_drafted"]))
        XCTAssertFalse(offered(walker, to: Fixtures.housingOfficer).contains("answered"), "with a co-handling unit, a co-signed draft comes first")

        XCTAssertNil(walker.perform(.answerDrafted(Fixtures.answer), by: Fixtures.housingOfficer))
        XCTAssertEqual(offered(walker, to: Fixtures.financeOfficer), ["answer_cosigned", "answer_objected"])
        XCTAssertNil(walker.perform(.answerCosigned(version: 1), by: Fixtures.financeOfficer))
        XCTAssertEqual(offered(walker, to: Fixtures.financeOfficer), [])
        XCTAssertTrue(offered(walker, to: Fixtures.housingOfficer).contains("answered"))
        XCTAssertNil(walker.perform(.extensionRequested(days: 10, reason: "Survey"), by: Fixtures.housingOfficer))
        XCTAssertTrue(offered(walker, to: Fixtures.housingLeader).contains("extension_granted"))
        XCTAssertTrue(offered(walker, to: Fixtures.housingLeader).contains("extension_refused"))
        XCTAssertFalse(offered(walker, to: Fixtures.housingOfficer).contains("extension_granted"), "leaders approve extensions")
        XCTAssertNil(walker.perform(.answered(Fixtures.answer), by: Fixtures.housingOfficer))
        XCTAssertEqual(offered(walker, to: Fixtures.housingOfficer), [])
        XCTAssertEqual(offered(walker, to: Fixtures.coordinator),
                       ["satisfaction_rated", "review_requested", "closed", "supervision_opened", "listed_supervision_set"])
        XCTAssertNil(walker.perform(.closed(reason: "Resolved"), by: Fixtures.coordinator))
        for actor in Fixtures.allActors { XCTAssertEqual(offered(walker, to: actor), [], "a closed case offers nothing") }
    }
}
