// MeetingTests: the decision log's Merkle tree and signatures, and meetings through the store —
// convening, positions, outcomes applied to cases, minutes signed off and sealed, and tampering
// with the decision log detected.
import Foundation
import XCTest

@testable import CaseCore

final class MerkleTreeTests: XCTestCase {
    private func leaves(_ count: Int) -> [[UInt8]] { (0..<count).map { MerkleTree.leafHash(Array("entry \($0)".utf8)) } }

    func testRootsFollowRFC6962() {
        XCTAssertEqual(MerkleTree.root([]), EventChain.sha256([UInt8]()))
        let three = leaves(3)
        XCTAssertEqual(MerkleTree.root(three), MerkleTree.nodeHash(MerkleTree.nodeHash(three[0], three[1]), three[2]))
        let five = leaves(5)
        let left = MerkleTree.nodeHash(MerkleTree.nodeHash(five[0], five[1]), MerkleTree.nodeHash(five[2], five[3]))
        XCTAssertEqual(MerkleTree.root(five), MerkleTree.nodeHash(left, five[4]))
        XCTAssertNotEqual(MerkleTree.leafHash([1]), MerkleTree.nodeHash([], [1]), "leaves and nodes are domain-separated")
    }

    func testEveryInclusionProofVerifiesAndATamperedOneDoesNot() {
        for size in 1...20 {
            let all = leaves(size)
            let root = MerkleTree.root(all)
            for index in 0..<size {
                let path = MerkleTree.inclusionProof(index: index, leaves: all[...])
                XCTAssertTrue(MerkleTree.verifyInclusion(leafHash: all[index], index: index, size: size, path: path, root: root), "\(index) of \(size)")
                XCTAssertFalse(MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash([9]), index: index, size: size, path: path, root: root))
                if size > 1 {
                    XCTAssertFalse(MerkleTree.verifyInclusion(leafHash: all[index], index: (index + 1) % size, size: size, path: path, root: root))
                }
            }
        }
    }

    func testEveryConsistencyProofVerifiesAndARewrittenHistoryFails() {
        for second in 1...20 {
            let all = leaves(second)
            for first in 1...second {
                let path = MerkleTree.consistencyProof(first: first, leaves: all[...])
                XCTAssertTrue(MerkleTree.verifyConsistency(first: first, second: second, firstRoot: MerkleTree.root(all.prefix(first)),
                                                           secondRoot: MerkleTree.root(all), path: path), "\(first) → \(second)")
                guard first < second else { continue }
                // Rewrite an entry inside the first tree: the new tree is not an extension of the old.
                var rewritten = all
                rewritten[first - 1] = MerkleTree.leafHash(Array("rewritten".utf8))
                let forged = MerkleTree.consistencyProof(first: first, leaves: rewritten[...])
                XCTAssertFalse(MerkleTree.verifyConsistency(first: first, second: second, firstRoot: MerkleTree.root(all.prefix(first)),
                                                            secondRoot: MerkleTree.root(rewritten), path: forged), "\(first) → \(second) rewritten")
            }
        }
    }

    func testEd25519SignaturesAndKeyRoundTrip() throws {
        let signer = try CheckpointSigner()
        let message = Array("conference-hub\n3\nAAAA\n".utf8)
        let signature = try signer.sign(message)
        XCTAssertEqual(signature.count, 64)
        XCTAssertTrue(CheckpointSigner.verify(signature: signature, message: message, publicKey: signer.publicKey))
        XCTAssertFalse(CheckpointSigner.verify(signature: signature, message: message + [0], publicKey: signer.publicKey))
        let reread = try CheckpointSigner(pem: try signer.privateKeyPEM())
        XCTAssertEqual(reread.publicKey, signer.publicKey)
        XCTAssertFalse(CheckpointSigner.verify(signature: signature, message: message, publicKey: try CheckpointSigner().publicKey))
        XCTAssertThrowsError(try CheckpointSigner(pem: "not a key"))
    }
}

final class MeetingStoreTests: XCTestCase {
    private var directory: String!
    private let city = UnitID("city")
    private let chair = Actor(person: PersonID("c-leader"), unit: UnitID("city"), roles: [.leader])
    private let districtOfficer = Actor(person: PersonID("d-officer"), unit: Fixtures.district, roles: [.officer])
    private let police = Actor(person: PersonID("p-officer"), unit: UnitID("police"), roles: [.officer])

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-meeting-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func makeStore(_ clock: ManualClock, signer: CheckpointSigner) async throws -> CaseStore {
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: clock, rooming: RoomingConfiguration(
            decisionLogIdentity: DecisionLogIdentity(signer: signer, origin: "conference-hub test")))
        for unit in [city, Fixtures.bureau, Fixtures.housing, Fixtures.finance, Fixtures.district, UnitID("police")] {
            try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department))
        }
        try await store.addPerson(Person(id: chair.person, name: "Chair", unit: city, roles: [.leader]))
        try await store.addPerson(Person(id: Fixtures.coordinator.person, name: "Coordinator", unit: Fixtures.bureau, roles: [.coordinator]))
        return store
    }

    private func attend(_ store: CaseStore, _ id: MeetingID, _ actor: Actor, joined: Bool = true) async throws {
        try await store.performMeeting(.attendance(person: actor.person, unit: actor.unit, joined: joined), on: id, by: .system)
    }

    func testAMeetingDecidesTwoCasesAndItsRecordVerifies() async throws {
        let clock = ManualClock(Fixtures.start)
        let signer = try CheckpointSigner()
        let store = try await makeStore(clock, signer: signer)
        defer { store.close() }
        let first = try await store.register(Fixtures.registration(units: [Fixtures.housing, Fixtures.finance]), by: Fixtures.coordinator, open: true).caseID
        let second = try await store.register(Fixtures.registration(units: [Fixtures.finance, Fixtures.district]), by: Fixtures.coordinator, open: true).caseID

        let convening = Convening(
            title: "Working meeting, November", scheduledAt: Fixtures.start.adding(seconds: 86_400), chair: chair.person,
            invited: [.init(unit: Fixtures.housing, required: true), .init(unit: Fixtures.finance, required: true),
                      .init(unit: Fixtures.district, required: true), .init(unit: city, required: false)],
            agenda: [.init(caseID: first, description: "Who leads the relocation case"), .init(caseID: second, description: "Budget dispute")])
        let id = try await store.convene(convening, by: Fixtures.coordinator).meetingID
        var meeting = try await store.meeting(id)
        XCTAssertEqual(meeting?.chairIsLeader, true)
        try await store.performMeeting(.invitationAnswered(unit: Fixtures.district, response: .accepted), on: id, by: districtOfficer)
        do {
            try await store.performMeeting(.itemOpened(item: 1), on: id, by: chair)
            XCTFail("items open only in session")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .invalidState) }
        try await store.performMeeting(.sessionOpened, on: id, by: chair)
        for actor in [Fixtures.housingOfficer, Fixtures.financeOfficer, districtOfficer, chair, police] { try await attend(store, id, actor) }

        // Item 1: adopted by consensus; the case gets its lead.
        try await store.performMeeting(.itemOpened(item: 1), on: id, by: chair)
        let effects = ProposalEffects(
            lead: Fixtures.housing, coHandling: [Fixtures.finance], responsibleLeader: PersonID("h-leader"), responsiblePerson: PersonID("h-officer"),
            measures: ["Survey the plot", "Pay within 30 days"], resolutionDeadline: LocalDate("2026-12-31")!, listedSupervision: "Repeated petitions")
        try await store.performMeeting(.proposalTabled(item: 1, text: "Housing leads; finance co-handles.", effects: effects), on: id, by: chair)
        for actor in [Fixtures.housingOfficer, Fixtures.financeOfficer] {
            try await store.performMeeting(.positionStated(item: 1, version: 1, position: .agree, reason: nil), on: id, by: actor)
        }
        do {
            try await store.performMeeting(.positionStated(item: 1, version: 1, position: .agree, reason: nil), on: id, by: police)
            XCTFail("a unit not invited states no position")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .forbidden) }
        try await store.performMeeting(.positionStated(item: 1, version: 1, position: .abstain, reason: nil), on: id, by: districtOfficer)
        try await store.performMeeting(.proposalClosed(item: 1, closing: .close, outcome: nil), on: id, by: chair)
        meeting = try await store.meeting(id)
        let adopted = try XCTUnwrap(meeting?.agenda[0].outcomes.first)
        XCTAssertEqual(adopted.kind, .adoptedByConsensus)
        XCTAssertEqual(adopted.agree, [Fixtures.finance, Fixtures.housing])
        XCTAssertEqual(adopted.abstain, [Fixtures.district])
        XCTAssertEqual(adopted.present, [city, Fixtures.district, Fixtures.finance, Fixtures.housing, UnitID("police")])
        let firstCase = try await store.caseState(first)
        XCTAssertEqual(firstCase?.status, .assigned)
        XCTAssertEqual(firstCase?.leadUnit, Fixtures.housing)
        XCTAssertEqual(firstCase?.resolutionDeadline, LocalDate("2026-12-31"))
        let firstHistory = try await store.history(of: first)
        XCTAssertEqual(firstHistory.last?.change.type, "meeting_decision")
        try await store.performMeeting(.itemClosed(item: 1), on: id, by: chair)

        // Item 2: district objects; a revision keeps the objection; the chair decides over it.
        try await store.performMeeting(.itemOpened(item: 2), on: id, by: chair)
        try await store.performMeeting(.proposalTabled(item: 2, text: "Finance leads.", effects: ProposalEffects(lead: Fixtures.finance, coHandling: [Fixtures.district])), on: id, by: chair)
        try await store.performMeeting(.positionStated(item: 2, version: 1, position: .agree, reason: nil), on: id, by: Fixtures.financeOfficer)
        try await store.performMeeting(.proposalTabled(item: 2, text: "Finance leads; district surveys.", effects: ProposalEffects(lead: Fixtures.finance, coHandling: [Fixtures.district])), on: id, by: chair)
        do {
            try await store.performMeeting(.positionStated(item: 2, version: 1, position: .agree, reason: nil), on: id, by: Fixtures.housingOfficer)
            XCTFail("version 1 is stale")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .invalidState) }
        try await store.performMeeting(.positionStated(item: 2, version: 2, position: .agree, reason: nil), on: id, by: Fixtures.financeOfficer)
        try await store.performMeeting(.positionStated(item: 2, version: 2, position: .agree, reason: nil), on: id, by: Fixtures.housingOfficer)
        try await store.performMeeting(.positionStated(item: 2, version: 2, position: .object, reason: "The district has no budget for surveys"), on: id, by: districtOfficer)
        // A disconnect loses nothing: the district leaves and comes back; its position stands.
        try await attend(store, id, districtOfficer, joined: false)
        try await attend(store, id, districtOfficer)
        meeting = try await store.meeting(id)
        XCTAssertEqual(meeting?.agenda[1].current?.positions.first { $0.unit == Fixtures.district }?.position, .object)
        try await store.performMeeting(.proposalClosed(item: 2, closing: .decide, outcome: nil), on: id, by: chair)
        meeting = try await store.meeting(id)
        let decided = try XCTUnwrap(meeting?.agenda[1].outcomes.first)
        XCTAssertEqual(decided.kind, .decidedByChair)
        XCTAssertEqual(decided.dissent.map(\.unit), [Fixtures.district])
        let secondCase = try await store.caseState(second)
        XCTAssertEqual(secondCase?.leadUnit, Fixtures.finance)
        try await store.performMeeting(.itemClosed(item: 2), on: id, by: chair)

        // Adjourn: minutes circulate; every unit that took part signs off; sealed.
        let adjourned = try await store.performMeeting(.adjourned, on: id, by: chair)
        XCTAssertEqual(adjourned.map(\.change.type), ["adjourned", "minutes_circulated"])
        meeting = try await store.meeting(id)
        XCTAssertEqual(meeting?.minutes?.participants, [city, Fixtures.district, Fixtures.finance, Fixtures.housing], "observers do not sign off")
        let markdown = MinutesDocument.markdown(meeting!)
        XCTAssertTrue(markdown.contains("- Lead unit: housing"), markdown)
        XCTAssertTrue(markdown.contains("- Dissent: district-3 (\(districtOfficer.person)): The district has no budget for surveys"), markdown)
        XCTAssertTrue(markdown.contains("- Responsible person: h-officer"), markdown)
        // The JSON export carries everything the Markdown shows of each outcome.
        let record = MinutesDocument.record(meeting!)
        let outcome = try XCTUnwrap(record.items.first?.outcomes.first)
        XCTAssertEqual(outcome.measures, ["Survey the plot", "Pay within 30 days"])
        XCTAssertEqual(outcome.responsibleLeader, "h-leader")
        XCTAssertEqual(outcome.responsiblePerson, "h-officer")
        XCTAssertEqual(outcome.listedSupervision, "Repeated petitions")
        for line in ["- Measures: Survey the plot; Pay within 30 days", "- Responsible leader: h-leader", "- Listed supervision: Repeated petitions"] {
            XCTAssertTrue(markdown.contains(line), line)
        }
        XCTAssertEqual(record.items.last?.outcomes.first?.dissent.first?.person, districtOfficer.person.rawValue)
        XCTAssertTrue(markdown.contains("- Present: police (not invited): p-officer"), markdown)
        do {
            try await store.performMeeting(.minutesSignedOff(approve: true, reason: nil), on: id, by: police)
            XCTFail("an observer does not sign off")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .forbidden) }
        for actor in [Fixtures.housingOfficer, Fixtures.financeOfficer, chair] {
            try await store.performMeeting(.minutesSignedOff(approve: true, reason: nil), on: id, by: actor)
        }
        let sealed = try await store.performMeeting(.minutesSignedOff(approve: false, reason: "Our objection is understated"), on: id, by: districtOfficer)
        XCTAssertEqual(sealed.map(\.change.type), ["minutes_signed_off", "sealed"])
        // The seal hashed the Markdown of the layout it records; minutes sealed before layout 2
        // are still written in layout 1, so that their hash verifies.
        meeting = try await store.meeting(id)
        XCTAssertEqual(meeting?.minutes?.layout, MinutesDocument.layout)
        let sealEntry = try await store.decisionEntries().last
        let seal = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(sealEntry).body)) as? [String: Any])
        XCTAssertEqual(seal["minutes_sha256"] as? String, Data(EventChain.sha256(Array(MinutesDocument.markdown(meeting!).utf8))).base64EncodedString())
        var legacy = try XCTUnwrap(meeting)
        legacy.minutes?.layout = nil
        let legacyMarkdown = MinutesDocument.markdown(legacy)
        XCTAssertTrue(legacyMarkdown.contains("- Dissent: district-3: The district has no budget for surveys"), legacyMarkdown)
        XCTAssertFalse(legacyMarkdown.contains("- Responsible person:"), legacyMarkdown)

        // The decision log: 2 outcomes, 4 sign-offs, 1 seal; proofs verify; the record is intact.
        let entries = try await store.decisionEntries()
        XCTAssertEqual(entries.map(\.kind), ["outcome", "outcome", "signoff", "signoff", "signoff", "signoff", "seal"])
        // Entries use snake_case keys, as the whole wire does.
        let outcomeBody = String(decoding: entries[0].body, as: UTF8.self)
        for key in ["\"co_handling\"", "\"responsible_leader\"", "\"resolution_deadline\""] { XCTAssertTrue(outcomeBody.contains(key), outcomeBody) }
        XCTAssertFalse(outcomeBody.contains("coHandling") || outcomeBody.contains("responsibleLeader"), outcomeBody)
        let latest = try await store.checkpoint()
        let checkpoint = try XCTUnwrap(latest)
        XCTAssertEqual(checkpoint.size, 7)
        XCTAssertTrue(CheckpointSigner.verify(signature: checkpoint.signature, message: Array(checkpoint.note.utf8), publicKey: signer.publicKey))
        for index in 0..<7 {
            let (entry, path) = try await store.inclusionProof(index: index, size: 7)
            XCTAssertTrue(MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(entry.body), index: index, size: 7, path: path, root: checkpoint.root))
        }
        let third = try await store.checkpoint(size: 3)
        let early = try XCTUnwrap(third)
        let consistency = try await store.consistencyProof(first: 3, second: 7)
        XCTAssertTrue(MerkleTree.verifyConsistency(first: 3, second: 7, firstRoot: early.root, secondRoot: checkpoint.root, path: consistency))
        let clean = try await store.verifyDecisionLog(publicKey: signer.publicKey)
        XCTAssertEqual(clean, [])
        let wrongKey = try await store.verifyDecisionLog(publicKey: try CheckpointSigner().publicKey)
        XCTAssertEqual(wrongKey.count, 7, "every checkpoint's signature fails under another key")
        let mismatches = try await store.projectionMismatches()
        XCTAssertEqual(mismatches, [])
    }

    func testTamperingWithTheDecisionLogIsDetected() async throws {
        let clock = ManualClock(Fixtures.start)
        let signer = try CheckpointSigner()
        let store = try await makeStore(clock, signer: signer)
        let caseID = try await store.register(Fixtures.registration(units: [Fixtures.housing, Fixtures.finance]), by: Fixtures.coordinator, open: true).caseID
        let id = try await store.convene(Convening(
            title: "Quick meeting", scheduledAt: Fixtures.start, invited: [.init(unit: Fixtures.housing, required: true)],
            agenda: [.init(caseID: caseID, description: "Lead")]), by: chair).meetingID
        try await store.performMeeting(.sessionOpened, on: id, by: chair)
        try await attend(store, id, Fixtures.housingOfficer)
        try await store.performMeeting(.itemOpened(item: 1), on: id, by: chair)
        for version in 1...3 {
            try await store.performMeeting(.proposalTabled(item: 1, text: "Proposal \(version)", effects: ProposalEffects()), on: id, by: chair)
            try await store.performMeeting(.proposalClosed(item: 1, closing: .withdraw, outcome: nil), on: id, by: chair)
        }
        let entries = try await store.decisionEntries()
        XCTAssertEqual(entries.count, 3)
        let second = try await store.checkpoint(size: 2)
        let before = try XCTUnwrap(second)
        let base = directory + "/base.sqlite"
        try await store.backup(to: base)
        store.close()

        func tampered(_ statements: String...) async throws -> [DecisionLogProblem] {
            let copy = directory + "/copy-\(UUID().uuidString).sqlite"
            try FileManager.default.copyItem(atPath: base, toPath: copy)
            do {
                let connection = try SQLiteConnection(path: copy)
                for sql in statements { try connection.run(sql) }
            }
            let reopened = try CaseStore(path: copy, clock: clock)
            defer { reopened.close() }
            return try await reopened.verifyDecisionLog(publicKey: signer.publicKey)
        }
        let edited = try await tampered("UPDATE decision_log SET body = replace(body, 'Proposal 1', 'Proposal X') WHERE idx = 0")
        XCTAssertTrue(edited.contains { $0.index == 0 && $0.problem.hasPrefix("edited") }, "\(edited)")
        let rehashed = try await tampered("""
            UPDATE decision_log SET body = replace(body, 'Proposal 1', 'Proposal X'), leaf_hash = x'00' WHERE idx = 0
            """)
        XCTAssertFalse(rehashed.isEmpty)
        let removed = try await tampered("DELETE FROM decision_log WHERE idx = 1")
        XCTAssertTrue(removed.contains { $0.problem.hasPrefix("missing") }, "\(removed)")
        let removedLast = try await tampered("DELETE FROM decision_log WHERE idx = 2")
        XCTAssertTrue(removedLast.contains { $0.problem.contains("entries were removed") }, "\(removedLast)")
        let reordered = try await tampered(
            "UPDATE decision_log SET idx = -1 WHERE idx = 0", "UPDATE decision_log SET idx = 0 WHERE idx = 1",
            "UPDATE decision_log SET idx = 1 WHERE idx = -1")
        XCTAssertTrue(reordered.contains { $0.problem.contains("no longer match") }, "\(reordered)")

        // A consistency proof from the old checkpoint fails across a rewritten history.
        let copy = directory + "/rewritten.sqlite"
        try FileManager.default.copyItem(atPath: base, toPath: copy)
        do {
            let connection = try SQLiteConnection(path: copy)
            try connection.run("UPDATE decision_log SET leaf_hash = ? WHERE idx = 0", [.blob(MerkleTree.leafHash(Array("forged".utf8)))])
        }
        let rewritten = try CaseStore(path: copy, clock: clock)
        defer { rewritten.close() }
        let proof = try await rewritten.consistencyProof(first: 2, second: 3)
        let leaves = try await rewritten.decisionEntries().map(\.leafHash)
        XCTAssertFalse(MerkleTree.verifyConsistency(first: 2, second: 3, firstRoot: before.root, secondRoot: MerkleTree.root(leaves), path: proof))
    }

    func testMinutesAreSealedAtTheDeadlineNamingNonSignersAndCancellingOnlyBeforeTheSession() async throws {
        let clock = ManualClock(Fixtures.start)
        let store = try await makeStore(clock, signer: try CheckpointSigner())
        defer { store.close() }
        let caseID = try await store.register(Fixtures.registration(units: [Fixtures.housing, Fixtures.finance]), by: Fixtures.coordinator, open: true).caseID
        let agenda = [Convening.AgendaEntry(caseID: caseID, description: "Lead")]
        let invited: [Convening.Invitee] = [.init(unit: Fixtures.housing, required: true), .init(unit: Fixtures.finance, required: true)]
        let cancelled = try await store.convene(Convening(title: "Cancelled", scheduledAt: Fixtures.start, invited: invited, agenda: agenda), by: chair).meetingID
        try await store.performMeeting(.cancelled(reason: "Chair unavailable"), on: cancelled, by: Fixtures.coordinator)
        let cancelledMeeting = try await store.meeting(cancelled)
        XCTAssertEqual(cancelledMeeting?.status, .cancelled)

        let id = try await store.convene(Convening(
            title: "Held", scheduledAt: Fixtures.start, invited: invited + [.init(unit: Fixtures.district, required: false)], agenda: agenda), by: chair).meetingID
        try await store.performMeeting(.invitationAnswered(unit: Fixtures.district, response: .apologies), on: id, by: districtOfficer)
        try await store.performMeeting(.sessionOpened, on: id, by: chair)
        do {
            try await store.performMeeting(.cancelled(reason: "late"), on: id, by: Fixtures.coordinator)
            XCTFail("no cancelling after the session started")
        } catch let refusal as CaseRefusal { XCTAssertEqual(refusal.code, .invalidState) }
        try await attend(store, id, Fixtures.housingOfficer)
        try await attend(store, id, chair)
        try await store.performMeeting(.itemOpened(item: 1), on: id, by: chair)
        try await store.performMeeting(.proposalTabled(item: 1, text: "Housing leads", effects: ProposalEffects(lead: Fixtures.housing)), on: id, by: chair)
        try await store.performMeeting(.positionStated(item: 1, version: 1, position: .agree, reason: nil), on: id, by: Fixtures.housingOfficer)
        try await store.performMeeting(.proposalClosed(item: 1, closing: .close, outcome: nil), on: id, by: chair)
        var meeting = try await store.meeting(id)
        XCTAssertEqual(meeting?.agenda[0].outcomes.first?.kind, .notAdopted, "finance (required) is absent: no quorum")
        XCTAssertEqual(meeting?.agenda[0].outcomes.first?.quorum, false)
        // Finance arrives late, takes part, and never signs off.
        try await attend(store, id, Fixtures.financeOfficer)
        try await store.performMeeting(.itemClosed(item: 1), on: id, by: chair)
        try await store.performMeeting(.adjourned, on: id, by: chair)
        try await store.performMeeting(.minutesSignedOff(approve: true, reason: nil), on: id, by: Fixtures.housingOfficer)
        let early = try await store.sweepMeetings()
        XCTAssertEqual(early, [])
        meeting = try await store.meeting(id)
        clock.set(meeting!.minutes!.signOffDueAt)
        let swept = try await store.sweepMeetings()
        XCTAssertEqual(swept.map(\.change), [.sealed(nonSigners: [Fixtures.finance])], "the chair's unit, not invited, is an observer")
        meeting = try await store.meeting(id)
        XCTAssertEqual(meeting?.status, .sealed)
        let markdown = MinutesDocument.markdown(meeting!)
        XCTAssertTrue(markdown.contains("- Present: finance (required): f-officer"), markdown)
        XCTAssertTrue(markdown.contains("did not sign off: finance"), markdown)
        XCTAssertTrue(markdown.contains("- Apologies: district-3"), markdown)
        let again = try await store.sweepMeetings()
        XCTAssertEqual(again, [])
    }
}
