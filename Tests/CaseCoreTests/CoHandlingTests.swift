// CoHandlingTests: the rules of day-to-day co-handling with a test clock — tasks and their
// progress, co-signing the answer (objection, revision, stale signatures, a leader's sign-off),
// extension requests, supervision items and listed supervision; then the deadline scheduler and
// the supervision list through the store, across a restart.
import Foundation
import XCTest

@testable import CaseCore

private let housing = Fixtures.housing, finance = Fixtures.finance, district = Fixtures.district
private let districtOfficer = Actor(person: PersonID("d-officer"), unit: district, roles: [.officer])

/// A case in handling led by housing with finance and district co-handling.
private func handling() -> CaseWalker {
    var walker = CaseWalker()
    XCTAssertNil(walker.perform(.registered(Fixtures.registration(units: [housing, finance, district])), by: Fixtures.coordinator))
    XCTAssertNil(walker.perform(.assigned(Assignment(lead: housing, coHandling: [finance, district], rationale: "r")), by: Fixtures.coordinator))
    XCTAssertNil(walker.perform(.accepted, by: Fixtures.housingOfficer))
    XCTAssertNil(walker.perform(.handlingStarted, by: Fixtures.housingOfficer))
    return walker
}

final class CoHandlingRuleTests: XCTestCase {
    func testTasksGoToCoHandlingUnitsAndMoveThroughTheirStates() {
        var walker = handling()
        let task = TaskAssignment(unit: finance, what: "Confirm the compensation budget line", due: LocalDate("2026-11-20")!)
        XCTAssertEqual(walker.perform(.taskAssigned(task), by: Fixtures.financeOfficer)?.code, .forbidden, "only the lead unit gives tasks")
        XCTAssertEqual(walker.perform(.taskAssigned(TaskAssignment(unit: UnitID("police"), what: "x", due: task.due)), by: Fixtures.housingOfficer)?.code,
                       .invalidArgument)
        XCTAssertEqual(walker.perform(.taskAssigned(TaskAssignment(unit: finance, what: "x", due: LocalDate("2026-10-01")!)), by: Fixtures.housingOfficer)?.code,
                       .invalidArgument, "a date in the past")
        XCTAssertEqual(walker.perform(.taskAssigned(TaskAssignment(unit: finance, what: "x", due: LocalDate("2027-06-01")!)), by: Fixtures.housingOfficer)?.code,
                       .invalidArgument, "after the handling limit")
        XCTAssertNil(walker.perform(.taskAssigned(task), by: Fixtures.housingOfficer))
        let assigned = walker.state!.tasks[0]
        XCTAssertEqual(assigned.id, 1)
        XCTAssertEqual(assigned.state, .assigned)
        XCTAssertEqual(assigned.dueAt, Timestamp(ISO8601DateFormatter().date(from: "2026-11-20T16:00:00Z")!), "end of the day, Beijing")
        XCTAssertEqual(walker.state?.obligations.map(\.key), ["task-1"])

        XCTAssertEqual(walker.perform(.taskAcknowledged(task: 1), by: districtOfficer)?.code, .forbidden, "another unit's task")
        XCTAssertNil(walker.perform(.taskAcknowledged(task: 1), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.perform(.taskAcknowledged(task: 1), by: Fixtures.financeOfficer)?.code, .invalidState)
        XCTAssertNil(walker.perform(.taskProgress(task: 1, report: ProgressReport(text: "Budget office consulted", status: .atRisk)), by: Fixtures.financeLeader))
        XCTAssertEqual(walker.state?.tasks[0].progress, .atRisk)
        XCTAssertEqual(walker.perform(.taskAccepted(task: 1), by: Fixtures.housingOfficer)?.code, .invalidState, "not done yet")
        XCTAssertNil(walker.perform(.taskDone(task: 1, result: "Line 2026-17 confirmed"), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.state?.obligations, [], "a done task waits on the lead unit, not on the unit")
        XCTAssertNil(walker.perform(.taskReturned(task: 1, reason: "Attach the budget approval"), by: Fixtures.housingLeader))
        XCTAssertEqual(walker.state?.tasks[0].state, .acknowledged)
        XCTAssertEqual(walker.state?.tasks[0].returnedReason, "Attach the budget approval")
        XCTAssertEqual(walker.state?.obligations.map(\.key), ["task-1"])
        XCTAssertNil(walker.perform(.taskDone(task: 1, result: "Approval attached"), by: Fixtures.financeOfficer))
        XCTAssertNil(walker.perform(.taskAccepted(task: 1), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.state?.tasks[0].state, .accepted)
        XCTAssertEqual(walker.perform(.taskProgress(task: 1, report: ProgressReport(text: "x", status: .onTrack)), by: Fixtures.financeOfficer)?.code,
                       .invalidState)
        XCTAssertEqual(walker.perform(.taskAcknowledged(task: 9), by: Fixtures.financeOfficer)?.code, .notFound)
        XCTAssertEqual(CaseLifecycle.replay(walker.events), walker.state)
    }

    func testTheAnswerIsCoSignedByEveryCoHandlingUnitAndRevisionsMakeSignaturesStale() {
        var walker = handling()
        let first = Fixtures.answer
        XCTAssertEqual(walker.perform(.answered(first), by: Fixtures.housingOfficer)?.code, .invalidState, "no draft yet")
        XCTAssertNil(walker.perform(.answerDrafted(first), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.perform(.answerCosigned(version: 1), by: Fixtures.housingOfficer)?.code, .forbidden, "the lead does not co-sign")
        XCTAssertNil(walker.perform(.answerCosigned(version: 1), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.perform(.answerCosigned(version: 1), by: Fixtures.financeLeader)?.code, .invalidState, "already signed")
        XCTAssertEqual(walker.perform(.answerObjected(version: 1, reason: " "), by: districtOfficer)?.code, .invalidArgument)
        XCTAssertNil(walker.perform(.answerObjected(version: 1, reason: "The facts omit the district's survey"), by: districtOfficer))
        XCTAssertEqual(walker.perform(.answered(first), by: Fixtures.housingOfficer)?.code, .invalidState, "district objected")

        var revised = first
        revised.factsAndReasons = "Verified on site; the district's survey of 3 November confirms the area."
        XCTAssertNil(walker.perform(.answerDrafted(revised), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.state?.answerDraft?.version, 2)
        XCTAssertEqual(walker.state?.answerDraft?.signatures, [], "earlier signatures are stale")
        XCTAssertEqual(walker.perform(.answerCosigned(version: 1), by: Fixtures.financeOfficer)?.code, .invalidState, "stale version")
        XCTAssertNil(walker.perform(.answerCosigned(version: 2), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.perform(.answered(revised), by: Fixtures.housingOfficer)?.code, .invalidState, "district has not signed")
        XCTAssertNil(walker.perform(.answerCosigned(version: 2), by: districtOfficer))
        XCTAssertEqual(walker.perform(.answered(first), by: Fixtures.housingOfficer)?.code, .invalidState, "not the current draft")
        XCTAssertNil(walker.perform(.answered(revised), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.state?.answerRecord, AnswerRecord(version: 2, signers: [district, finance], overriddenObjections: [], signedOffBy: nil))
        XCTAssertEqual(walker.state?.answer, revised)
    }

    func testALeaderSignsOffOverARecordedObjection() {
        var walker = handling()
        XCTAssertNil(walker.perform(.answerDrafted(Fixtures.answer), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.answerCosigned(version: 1), by: Fixtures.financeOfficer))
        XCTAssertEqual(walker.perform(.answered(Fixtures.answer), by: Fixtures.housingLeader)?.code, .invalidState,
                       "no objection recorded: district must sign")
        XCTAssertNil(walker.perform(.answerObjected(version: 1, reason: "We disagree with the amount"), by: districtOfficer))
        XCTAssertEqual(walker.perform(.answered(Fixtures.answer), by: Fixtures.housingOfficer)?.code, .invalidState, "an officer cannot sign off")
        XCTAssertNil(walker.perform(.answered(Fixtures.answer), by: Fixtures.housingLeader))
        let record = walker.state!.answerRecord!
        XCTAssertEqual(record.signers, [finance])
        XCTAssertEqual(record.overriddenObjections.map(\.unit), [district])
        XCTAssertEqual(record.overriddenObjections.first?.objection, "We disagree with the amount")
        XCTAssertEqual(record.signedOffBy, Fixtures.housingLeader.person)
    }

    func testAnExtensionIsRequestedThenApprovedOrRefusedByALeader() {
        var walker = handling()
        let due = walker.state!.deadline(.handling)!.due
        XCTAssertEqual(walker.perform(.extensionRequested(days: 31, reason: "x"), by: Fixtures.housingOfficer)?.code, .invalidArgument)
        XCTAssertNil(walker.perform(.extensionRequested(days: 20, reason: "Site survey needs more time"), by: Fixtures.housingOfficer))
        XCTAssertEqual(walker.perform(.extensionRequested(days: 10, reason: "again"), by: Fixtures.housingOfficer)?.code, .invalidState)
        XCTAssertEqual(walker.perform(.extensionRefused(reason: "no"), by: Fixtures.housingOfficer)?.code, .forbidden, "a leader decides")
        XCTAssertNil(walker.perform(.extensionRefused(reason: "Finish within the limit"), by: Fixtures.housingLeader))
        XCTAssertEqual(walker.state?.deadline(.handling)?.due, due, "a refusal moves nothing")
        XCTAssertEqual(walker.perform(.extensionRefused(reason: "again"), by: Fixtures.housingLeader)?.code, .invalidState)
        XCTAssertNil(walker.perform(.extensionRequested(days: 15, reason: "The survey was delayed by flooding"), by: Fixtures.housingOfficer))
        XCTAssertNil(walker.perform(.extensionGranted(days: 15, reason: "Flooding"), by: Fixtures.housingLeader))
        XCTAssertNil(walker.state?.extensionRequest)
        XCTAssertEqual(walker.state?.deadline(.handling)?.due, walker.policy.calendar.calendarDeadline(from: due, days: 15))
        XCTAssertEqual(walker.perform(.extensionRequested(days: 5, reason: "more"), by: Fixtures.housingOfficer)?.code, .invalidState, "only once")
    }

    func testSupervisionItemsAreAnsweredByTheUnitOrEscalateWhenLate() {
        var walker = handling()
        let demand = SupervisionDemand(unit: housing, reason: "No progress for two weeks", demand: "Report the measures taken", due: LocalDate("2026-11-06")!)
        XCTAssertEqual(walker.perform(.supervisionOpened(demand), by: Fixtures.housingLeader)?.code, .forbidden, "coordinators supervise")
        XCTAssertEqual(walker.perform(.supervisionOpened(SupervisionDemand(unit: UnitID("police"), reason: "r", demand: "d", due: demand.due)),
                                      by: Fixtures.coordinator)?.code, .invalidArgument)
        XCTAssertNil(walker.perform(.supervisionOpened(demand), by: Fixtures.coordinator))
        XCTAssertNil(walker.perform(.supervisionOpened(SupervisionDemand(unit: finance, reason: "Budget unclear", demand: "Confirm the line", due: demand.due)),
                                    by: Fixtures.coordinator))
        XCTAssertEqual(walker.state?.obligations.map(\.key), ["supervision-1", "supervision-2"])
        XCTAssertEqual(walker.perform(.supervisionAnswered(item: 1, text: "x"), by: Fixtures.financeOfficer)?.code, .forbidden)
        XCTAssertNil(walker.perform(.supervisionAnswered(item: 1, text: "Survey done; payment scheduled for 20 November."), by: Fixtures.housingLeader))
        XCTAssertEqual(walker.perform(.supervisionAnswered(item: 1, text: "again"), by: Fixtures.housingLeader)?.code, .invalidState)
        // Item 2 is not answered by the end of its day: the hub escalates it once.
        walker.now = walker.state!.supervisionItems[1].dueAt
        walker.followUps()
        XCTAssertEqual(walker.events.last?.change, .supervisionEscalated(item: 2))
        XCTAssertEqual(walker.state?.supervisionItems[1].escalatedAt, walker.now)
        let count = walker.events.count
        walker.followUps()
        XCTAssertEqual(walker.events.count, count)
        XCTAssertTrue(walker.state!.supervisionItems[1].isOpen, "still owed after escalation")
        XCTAssertEqual(walker.perform(.supervisionEscalated(item: 1), by: .system)?.code, .invalidState)
    }

    func testListedSupervisionIsSetAndClearedByTheConference() {
        // 挂牌督办 is the conference's tool: coordinators and leaders of the conference office.
        var walker = handling()
        for actor in [Fixtures.housingLeader, Fixtures.financeLeader, Fixtures.districtLeader, Fixtures.housingOfficer] {
            XCTAssertEqual(walker.perform(.listedSupervisionSet(reason: "Repeated petitions"), by: actor)?.code, .forbidden, "\(actor.person)")
        }
        XCTAssertNil(walker.perform(.listedSupervisionSet(reason: "Repeated petitions"), by: Fixtures.bureauLeader))
        XCTAssertEqual(walker.state?.listedSupervision?.reason, "Repeated petitions")
        XCTAssertEqual(walker.perform(.listedSupervisionSet(reason: "again"), by: Fixtures.coordinator)?.code, .invalidState)
        XCTAssertEqual(walker.perform(.listedSupervisionCleared(reason: " "), by: Fixtures.coordinator)?.code, .invalidArgument)
        XCTAssertEqual(walker.perform(.listedSupervisionCleared(reason: "Resolved"), by: Fixtures.housingLeader)?.code, .forbidden)
        XCTAssertNil(walker.perform(.listedSupervisionCleared(reason: "Resolved at the meeting"), by: Fixtures.coordinator))
        XCTAssertNil(walker.state?.listedSupervision)
        XCTAssertEqual(walker.events.suffix(2).map(\.change.type), ["listed_supervision_set", "listed_supervision_cleared"])
    }
}

final class DeadlineSchedulerTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-scheduler-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func openStore(_ clock: ManualClock, recorder: LobbyRecorder) throws -> CaseStore {
        try CaseStore(path: directory + "/hub.sqlite", clock: clock, rooming: RoomingConfiguration(
            sink: { records in recorder.addAll(records) },
            deadlineWarningEncoder: { warning, _, position in
                Array("\(position.room) \(warning.obligation) \(warning.level.rawValue) \(warning.owedBy.map(\.rawValue).joined(separator: ","))".utf8)
            }))
    }

    func testWarningsAtEachLevelOnceAcrossARestartAndTheSupervisionList() async throws {
        let clock = ManualClock(Fixtures.start)
        let recorder = LobbyRecorder()
        var store = try openStore(clock, recorder: recorder)
        for unit in [housing, finance, district, Fixtures.bureau] { try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department)) }
        let id = try await store.register(Fixtures.registration(units: [housing, finance]), by: Fixtures.coordinator).caseID
        _ = try await store.perform(.assigned(Assignment(lead: housing, coHandling: [finance], rationale: "r")), on: id, by: Fixtures.coordinator)
        _ = try await store.perform(.accepted, on: id, by: Fixtures.housingOfficer)
        _ = try await store.perform(.handlingStarted, on: id, by: Fixtures.housingOfficer)
        // A ten-day task (2 → 12 November, Beijing): 50% on the 7th, overdue from the 13th.
        _ = try await store.perform(.taskAssigned(TaskAssignment(unit: finance, what: "Confirm the budget", due: LocalDate("2026-11-12")!)), on: id,
                                    by: Fixtures.housingOfficer)
        let none = try await store.postDeadlineWarnings()
        XCTAssertEqual(none, [])

        clock.advance(days: 6)
        let half = try await store.postDeadlineWarnings()
        XCTAssertEqual(half.map { "\($0.obligation) \($0.level.rawValue)" }, ["task-1 50"])
        XCTAssertEqual(half.first?.owedBy, [finance])
        let again = try await store.postDeadlineWarnings()
        XCTAssertEqual(again, [], "never repeated")

        // Down over the task's end: on restart every level it crossed is posted once, in order.
        store.close()
        clock.advance(days: 5)
        store = try openStore(clock, recorder: recorder)
        let late = try await store.postDeadlineWarnings()
        XCTAssertEqual(late.map { "\($0.obligation) \($0.level.rawValue)" }, ["task-1 75", "task-1 85", "task-1 99", "task-1 100"])
        let afterRestart = try await store.postDeadlineWarnings()
        XCTAssertEqual(afterRestart, [])
        XCTAssertEqual(recorder.all.filter { $0.hasPrefix("case-1 task-1") }, [
            "case-1 task-1 50 finance", "case-1 task-1 75 finance", "case-1 task-1 85 finance", "case-1 task-1 99 finance", "case-1 task-1 100 finance",
        ])

        _ = try await store.perform(.supervisionOpened(SupervisionDemand(unit: housing, reason: "Task overdue", demand: "Explain the delay",
                                                                         due: LocalDate("2026-11-16")!)), on: id, by: Fixtures.coordinator)
        _ = try await store.perform(.listedSupervisionSet(reason: "Repeated petitions"), on: id, by: Fixtures.coordinator)
        let list = try await store.supervisionList(at: clock.now())
        XCTAssertEqual(list.overdueTasks.map(\.obligation), ["task-1"])
        XCTAssertEqual(list.overdueTasks.first?.owedBy, [finance])
        XCTAssertEqual(list.overdueTasks.first?.what, "task 1: Confirm the budget")
        XCTAssertEqual(list.openSupervisionItems.map(\.obligation), ["supervision-1"])
        XCTAssertEqual(list.openSupervisionItems.first?.overdue, false)
        XCTAssertEqual(list.listed.map(\.reason), ["Repeated petitions"])
        XCTAssertEqual(list.overdueDeadlines, [], "the handling limit is far away")

        // Done and answered: off the list.
        _ = try await store.perform(.taskDone(task: 1, result: "Confirmed"), on: id, by: Fixtures.financeOfficer)
        _ = try await store.perform(.supervisionAnswered(item: 1, text: "The budget office was closed for a week."), on: id, by: Fixtures.housingOfficer)
        let cleared = try await store.supervisionList(at: clock.now())
        XCTAssertEqual(cleared.overdueTasks, [])
        XCTAssertEqual(cleared.openSupervisionItems, [])

        // The handling limit itself passes: an overdue legal deadline, owed by the lead unit.
        clock.advance(days: 70)
        let handlingWarnings = try await store.postDeadlineWarnings()
        XCTAssertEqual(handlingWarnings.map { "\($0.obligation) \($0.level.rawValue)" }.suffix(1), ["handling 100"])
        let overdue = try await store.supervisionList(at: clock.now())
        XCTAssertEqual(overdue.overdueDeadlines.map(\.obligation), ["handling"])
        XCTAssertEqual(overdue.overdueDeadlines.first?.owedBy, [housing])
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
        store.close()
    }
}
