// AccessTableTests: the access rules of CaseCore against the tables of the documentation —
// every role × relation × change of docs/case-lifecycle.md and every role × relation × reading
// of docs/protocol.md — so that a wrong allow is a failing test.
import Foundation
import XCTest

@testable import CaseCore

final class AccessTableTests: XCTestCase {
    private static let roles: [(String, Role)] = [("officer", .officer), ("leader", .leader), ("coordinator", .coordinator), ("auditor", .auditor), ("admin", .admin)]

    /// The rows of the markdown table after `<!-- marker -->` in a doc, as cells.
    private func table(_ doc: String, marker: String) throws -> [[String]] {
        let rows = try docLines(doc).drop { $0 != "<!-- \(marker) -->" }.dropFirst().prefix { $0.hasPrefix("|") }
        return rows.dropFirst(2).map { row in
            row.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    private func docLines(_ doc: String) throws -> [String] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/\(doc)").path
        return try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
    }

    /// One change of every type.
    static let everyChange: [CaseChange] = {
        let assignment = Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance], rationale: "r")
        let decision = MeetingDecision(meeting: MeetingID(1), item: 1, version: 1, outcome: .adoptedByConsensus, text: "t", effects: ProposalEffects())
        return [
            .registered(Fixtures.registration()), .negotiationOpened(units: [Fixtures.housing, Fixtures.finance]), .assigned(assignment),
            .negotiationAnswered(unit: Fixtures.housing, answer: .claim), .negotiationSettled(assignment),
            .negotiationDisputed(Dispute(reason: .competingClaims, unanswered: [], escalatedTo: nil)), .leadDecided(assignment),
            .escalationOverdue, .forwarded(units: [Fixtures.district]), .leadReassigned(assignment),
            .taskAssigned(TaskAssignment(unit: Fixtures.finance, what: "w", due: LocalDate("2026-11-20")!)), .taskAcknowledged(task: 1),
            .taskProgress(task: 1, report: ProgressReport(text: "t", status: .onTrack)), .taskDone(task: 1, result: "r"), .taskAccepted(task: 1),
            .taskReturned(task: 1, reason: "r"), .answerDrafted(Fixtures.answer), .answerCosigned(version: 1), .answerObjected(version: 1, reason: "r"),
            .extensionRequested(days: 5, reason: "r"), .extensionRefused(reason: "r"),
            .supervisionOpened(SupervisionDemand(unit: Fixtures.finance, reason: "r", demand: "d", due: LocalDate("2026-11-20")!)),
            .supervisionAnswered(item: 1, text: "t"), .supervisionEscalated(item: 1), .listedSupervisionSet(reason: "r"),
            .listedSupervisionCleared(reason: "r"), .meetingDecision(decision), .objectionRaised(reason: "r"),
            .objectionUpheld(units: [Fixtures.finance], rationale: "r"), .objectionRejected(rationale: "r"), .accepted, .handlingStarted,
            .planSet(Fixtures.plan), .extensionGranted(days: 5, reason: "r"), .answered(Fixtures.answer), .satisfactionRated(.satisfied),
            .reviewRequested, .reviewed(ReviewOpinion(upheld: true, opinion: "o")), .reReviewRequested,
            .reReviewed(ReviewOpinion(upheld: true, opinion: "o")), .closed(reason: "r"),
            .routedOut(channel: .litigation, destination: "court", reason: "r"),
        ]
    }()

    func testTheSampleChangesCoverEveryKind() {
        XCTAssertEqual(Self.everyChange.map(\.kind), CaseChangeKind.allCases, "one sample of every kind, in the enum's order")
    }

    func testTheChangesOnlyTheHubRecordsAreNamedOnce() {
        for change in Self.everyChange {
            XCTAssertEqual(CaseAccess.authority(for: change) == .hub, CaseAccess.recordedByTheHub.contains(change.type), change.type)
        }
        XCTAssertTrue(CaseAccess.recordedByTheHub.isSubset(of: Set(Self.everyChange.map(\.type))))
    }

    func testEveryChangeInTheLifecycleTablesNeedsTheDocumentedAuthority() throws {
        let byType = Dictionary(uniqueKeysWithValues: Self.everyChange.map { ($0.type, $0) })
        var documented = Set<String>()
        for line in try docLines("case-lifecycle.md") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let types = cells[0].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }.filter { byType[$0] != nil }
            guard !types.isEmpty else { continue }
            let who = cells[1].components(separatedBy: " — ")[0]
            for type in types where byType[type] != nil && !documented.contains(type) {
                // A row names its change first; the other types it names in the first cell are its siblings (`task_accepted` / `task_returned`).
                documented.insert(type)
                XCTAssertEqual(CaseAccess.authority(for: byType[type]!).rawValue, who, "`\(type)`: docs/case-lifecycle.md says \(who)")
            }
        }
        XCTAssertEqual(documented, Set(byType.keys), "every change is in a lifecycle table")
    }

    func testEveryRoleAndRelationHoldsExactlyTheDocumentedAuthorities() throws {
        let rows = try table("case-lifecycle.md", marker: "authorities")
        XCTAssertEqual(Set(rows.map { $0[0] }), Set(ChangeAuthority.allCases.map(\.rawValue)))
        for row in rows {
            let authority = try XCTUnwrap(ChangeAuthority(rawValue: row[0]))
            for (column, (name, role)) in Self.roles.enumerated() {
                let cell = row[column + 1]
                // Every single relation, none, and all of them at once.
                let situations: [Set<CaseRelation>] = [[]] + CaseRelation.allCases.map { [$0] } + [Set(CaseRelation.allCases)]
                for relations in situations {
                    let expected = cell == "any" || (cell != "—" && relations.contains { cell.components(separatedBy: ", ").contains($0.rawValue) })
                    XCTAssertEqual(authority.allows(roles: [role], relations: relations), expected,
                                   "\(name) with \(relations.map(\.rawValue).sorted()) for “\(authority.rawValue)”")
                }
            }
        }
    }

    func testTheRefusalAsksTheRelationsOfTheRealCase() {
        // A case led by housing with finance co-handling, under the district government.
        var walker = CaseWalker()
        walker.perform(.registered(Fixtures.registration()), by: Fixtures.coordinator)
        walker.perform(.assigned(Assignment(lead: Fixtures.housing, coHandling: [Fixtures.finance], rationale: "r")), by: Fixtures.coordinator)
        let state = walker.state!
        let review = CaseChange.reviewed(ReviewOpinion(upheld: true, opinion: "o"))
        XCTAssertEqual(CaseAccess.relations(of: Fixtures.district, to: state, for: review, units: Fixtures.units), [.aboveLead])
        XCTAssertEqual(CaseAccess.relations(of: Fixtures.housing, to: state, for: review, units: Fixtures.units), [.lead])
        XCTAssertEqual(CaseAccess.relations(of: Fixtures.bureau, to: state, for: review, units: Fixtures.units), [.office])
        XCTAssertNil(CaseAccess.refusal(review, on: state, by: Fixtures.districtLeader, units: Fixtures.units))
        XCTAssertEqual(CaseAccess.refusal(review, on: state, by: Fixtures.housingLeader, units: Fixtures.units)?.code, .forbidden,
                       "the leader of the unit whose answer is reviewed does not review it")
        XCTAssertEqual(CaseAccess.refusal(review, on: state, by: Fixtures.financeLeader, units: Fixtures.units)?.code, .forbidden)
        XCTAssertEqual(CaseAccess.refusal(review, on: state, by: Fixtures.districtLeader, units: UnitDirectory())?.code, .forbidden,
                       "without the hierarchy nobody is above")
        XCTAssertEqual(CaseAccess.refusal(.listedSupervisionSet(reason: "r"), on: state, by: Fixtures.bureauLeader, units: UnitDirectory())?.code,
                       .forbidden, "without the directory no unit is the office")
        XCTAssertEqual(CaseAccess.refusal(.accepted, on: state, by: Fixtures.admin, units: Fixtures.units)?.code, .forbidden)
        XCTAssertEqual(CaseAccess.refusal(.negotiationSettled(Assignment(lead: Fixtures.housing, coHandling: [], rationale: "r")), on: state,
                                          by: Fixtures.coordinator, units: Fixtures.units)?.code, .forbidden, "only the hub records settlements")
    }

    func testEveryMeetingChangeNeedsTheDocumentedAuthorityAndEveryRoleHoldsExactlyTheDocumentedOnes() throws {
        // The change table of `meeting.change`: its who column begins with the authority.
        let unit = UnitID("housing"), now = Timestamp(milliseconds: 0)
        let changes: [MeetingChange] = [
            .convened(Convening(title: "t", scheduledAt: now, chair: nil, invited: [], agenda: [])),
            .invitationAnswered(unit: unit, response: .accepted), .cancelled(reason: "r"), .sessionOpened,
            .attendance(person: PersonID("p"), unit: unit, joined: true), .itemOpened(item: 1),
            .proposalTabled(item: 1, text: "t", effects: ProposalEffects()), .positionStated(item: 1, version: 1, position: .agree, reason: nil),
            .proposalClosed(item: 1, closing: .close, outcome: nil), .itemClosed(item: 1), .adjourned,
            .minutesCirculated(Minutes(draftedAt: now, participants: [], signOffDueAt: now)), .minutesSignedOff(approve: true, reason: nil),
            .sealed(nonSigners: []),
        ]
        let known = Set(changes.map(\.type))
        for change in changes {
            XCTAssertEqual(MeetingAccess.authority(for: change) == .hub, MeetingAccess.recordedByTheHub.contains(change.type), change.type)
        }
        let lines = try docLines("protocol.md")
        let start = try XCTUnwrap(lines.firstIndex { $0 == "### `meeting.change`" })
        var documented: [String: String] = [:]
        for line in lines[start...].drop(while: { !$0.hasPrefix("| change |") }).dropFirst(2).prefix(while: { $0.hasPrefix("|") }) {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let tokens = cells[0].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            for type in tokens where known.contains(type) { documented[type] = cells[1].components(separatedBy: " — ")[0] }
        }
        XCTAssertEqual(Set(documented.keys), Set(changes.map(\.type)), "every meeting change is in the table")
        for change in changes {
            XCTAssertEqual(MeetingAccess.authority(for: change).rawValue, documented[change.type], "`\(change.type)`")
        }
        let rows = try table("protocol.md", marker: "meeting-authorities")
        XCTAssertEqual(Set(rows.map { $0[0] }), Set(MeetingAuthority.allCases.map(\.rawValue)))
        for row in rows {
            let authority = try XCTUnwrap(MeetingAuthority(rawValue: row[0]))
            for (column, (name, role)) in Self.roles.enumerated() {
                let cell = row[column + 1]
                let situations: [Set<MeetingRelation>] = [[]] + MeetingRelation.allCases.map { [$0] } + [Set(MeetingRelation.allCases)]
                for relations in situations {
                    // Auditors and administrators are refused before any authority is asked.
                    let takesPart = role != .auditor && role != .admin
                    let expected = takesPart && (cell == "any" || (cell != "—" && relations.contains { cell.components(separatedBy: ", ").contains($0.rawValue) }))
                    XCTAssertEqual(takesPart && authority.allows(roles: [role], relations: relations), expected,
                                   "\(name) with \(relations.map(\.rawValue).sorted()) for “\(authority.rawValue)”")
                }
            }
        }
    }

    func testEveryRoleReadsExactlyWhatTheProtocolTableSays() throws {
        let rows = try table("protocol.md", marker: "reading")
        let rules: [String: (Actor, Bool) -> Bool] = [
            "a case, its room and history": { CaseAccess.mayRead(involvingTheirUnit: $1, by: $0) },
            "the petitioner's name and contact": { CaseAccess.mayReadPetitioner(involvingTheirUnit: $1, by: $0) },
            "posting in a joined room": { actor, _ in RoomAccess.mayPost(actor) },
            "the lobby": { actor, _ in RoomAccess.mayJoinLobby(actor) },
            "a meeting and its room": { MeetingAccess.maySee(invited: $1, by: $0) },
            "decision-log entries and inclusion proofs": { actor, _ in DecisionRecordAccess.mayReadEntries(actor) },
            "decision-log checkpoints and consistency proofs": { actor, _ in DecisionRecordAccess.mayReadCheckpoints(actor) },
            "the supervision list and every unit's figures": { actor, _ in CaseAccess.seesEveryCase(actor) && CaseAccess.mayReadFigures(of: nil, by: actor) },
            "their own unit's case figures": { actor, _ in CaseAccess.mayReadFigures(of: actor.unit, by: actor) },
        ]
        var covered = Set<String>()
        for row in rows {
            let parts = row[0].components(separatedBy: ": ")
            let rule = try XCTUnwrap(rules[parts[0]], "no rule for “\(parts[0])”")
            covered.insert(parts[0])
            // Rows with a relation hold for it; rows without one hold whatever the relation.
            let relations: [Bool] = parts.count == 1 ? [true, false] : [parts[1] == "on the case" || parts[1] == "invited"]
            for (column, (name, role)) in Self.roles.enumerated() {
                let actor = Actor(person: PersonID("p"), unit: Fixtures.housing, roles: [role])
                for related in relations {
                    XCTAssertEqual(rule(actor, related), row[column + 1] == "yes", "\(name): \(row[0])")
                }
            }
        }
        XCTAssertEqual(covered, Set(rules.keys))
    }
}
