// CompatibilityTests: a data directory written by 0.5.0 (Tests/HubTests/Fixtures/data-0.5.0, made by
// scripts/make-compat-fixture with the 0.5.0 binary: cases with co-handling, supervision and a
// dispute, room messages, a joint meeting to its sealed minutes, a restore) under this version.
// Its case hash chains and its decision log verify; every stored event and entry reads as a typed
// value; the typed entries this version writes give, for the same values, exactly the bytes 0.5.0
// wrote; and after this version has written to it, every byte 0.5.0 stored is as it was and the
// old and new records verify together.
import CaseCore
import Foundation
import NIOPosix
import XCTest

@testable import CaseCore
@testable import ConferenceHub

final class CompatibilityTests: XCTestCase {
    /// A copy of the fixture, as a data directory of its own.
    private func copyOfTheFixture() throws -> DataDirectory {
        let fixture = repositoryFile("Tests/HubTests/Fixtures/data-0.5.0")
        let root = NSTemporaryDirectory() + "chub-compat-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: fixture, toPath: root)
        chmod(root + "/decisions/signing-key.pem", 0o600)
        return DataDirectory(root)
    }

    /// Every stored record's bytes, by table and row.
    private func storedBytes(_ path: String) throws -> [String: String] {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        var bytes: [String: String] = [:]
        for (table, key, columns) in [("case_events", "case_id || '.' || seq", "hex(body) || hex(prev_hash) || hex(hash)"), ("room_events", "room_id || '.' || seq", "hex(body)"),
                                      ("meeting_events", "meeting_id || '.' || seq", "hex(body)"), ("decision_log", "CAST(idx AS TEXT)", "hex(body) || hex(leaf_hash)")] {
            for row in try connection.query("SELECT \(key), \(columns) FROM \(table)") {
                bytes["\(table) \(row.string(0) ?? "?")"] = row.string(1) ?? "?"
            }
        }
        return bytes
    }

    func testAZeroFiveZeroDirectoryVerifiesReadsAndKeepsItsBytesUnderThisVersion() async throws {
        let directory = try copyOfTheFixture()
        defer { try? FileManager.default.removeItem(atPath: directory.root) }
        let before = try storedBytes(directory.database)
        XCTAssertGreaterThan(before.keys.filter { $0.hasPrefix("case_events") }.count, 10)
        XCTAssertEqual(before.keys.filter { $0.hasPrefix("decision_log") }.count, 5)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let identity = try directory.decisionLogIdentity()
        let store = try CaseStore(path: directory.database, rooming: Hub.rooming(delivering: RoomHub(group: group), decisionLog: identity))

        // What 0.5.0 wrote verifies here.
        let chains = try await store.verifyChains(), projections = try await store.projectionMismatches()
        let figures = try await store.figuresMismatches(), log = try await store.verifyDecisionLog(publicKey: identity.signer.publicKey)
        XCTAssertEqual(chains.map { "\($0)" }, [])
        XCTAssertEqual(projections, [])
        XCTAssertEqual(figures, [])
        XCTAssertEqual(log.map { "\($0)" }, [])
        // Opening it built the kept work items from its cases, and they agree with them.
        let kept = try await store.keptWorkItems(), mismatches = try await store.workItemMismatches()
        XCTAssertFalse(kept.isEmpty, "the open cases owe something")
        XCTAssertEqual(mismatches, [])
        let title = try await store.read { try $0.query("SELECT title FROM case_titles WHERE id = 1").first?.string(0) }
        let stateTitle = try await store.caseState(CaseID(1))?.title
        XCTAssertEqual(title, stateTitle, "the titles were copied from the states")
        XCTAssertNotEqual(title, "")

        // Every case event reads as a typed CaseEvent; the tricky text came through whole.
        let first = try await store.history(of: CaseID(1))
        XCTAssertGreaterThan(first.count, 8)
        guard case .registered(let registration) = first[0].change else { return XCTFail("case-1 starts with its registration") }
        XCTAssertTrue(registration.summary.contains("\"86 m²\" / 2019 \\ 协议 \u{2028} </script> \u{7} 😀"), registration.summary)
        XCTAssertTrue(first.contains { $0.change.kind == .meetingDecision })
        let meeting = try await store.meeting(MeetingID(1))
        XCTAssertEqual(meeting?.status, .sealed)

        // The typed entries this version writes give 0.5.0's bytes for the same values.
        let entries = try await store.decisionEntries()
        XCTAssertEqual(entries.map(\.kind), ["outcome", "signoff", "signoff", "seal", "restore"])
        let snake = JSONDecoder()
        snake.keyDecodingStrategy = .convertFromSnakeCase
        for entry in entries {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(entry.body)) as? [String: Any])
            func part<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
                try snake.decode(T.self, from: JSONSerialization.data(withJSONObject: try XCTUnwrap(object[key]), options: [.fragmentsAllowed]))
            }
            let typed: [UInt8]
            switch entry.kind {
            case "outcome":
                typed = try OutcomeEntry(meeting: try part("meeting", String.self), item: try part("item", Int.self), case: try part("case", String.self),
                                         proposal: try part("proposal", String.self), effects: try part("effects", ProposalEffects.self),
                                         outcome: try part("outcome", Outcome.self)).body()
            case "signoff":
                typed = try SignOffEntry(meeting: try part("meeting", String.self), unit: try part("unit", String.self), person: try part("person", String.self),
                                         approve: try part("approve", Bool.self), at: try part("at", Int64.self),
                                         reason: object["reason"] == nil ? nil : try part("reason", String.self)).body()
            case "seal":
                typed = try SealEntry(meeting: try part("meeting", String.self), at: try part("at", Int64.self),
                                      nonSigners: try part("non_signers", [String].self), minutesSha256: try part("minutes_sha256", String.self)).body()
            default:
                typed = try RestoreEntry(at: try part("at", Int64.self), roomsGivenNewEpochs: try part("rooms_given_new_epochs", Int.self),
                                         decisionLogSizeRestored: try part("decision_log_size_restored", Int.self)).body()
            }
            XCTAssertEqual(String(decoding: typed, as: UTF8.self), String(decoding: entry.body, as: UTF8.self), "\(entry.kind) #\(entry.index)")
        }

        // This version writes on: a case change, a message, a restore entry.
        let housing = Actor(person: PersonID("h-officer"), unit: UnitID("housing"), roles: [.officer])
        let drafted = try await store.perform(
            .answerDrafted(Answer(request: "按协议支付补偿", factsAndReasons: "经核实 / 2019年协议", decision: .support, legalBasis: "《信访工作条例》第三十三条")),
            on: CaseID(1), by: housing)
        XCTAssertEqual(drafted.sequence, Int64(first.count + 1))
        let posted = try await store.post(room: "case-1", idempotencyKey: "after-upgrade", by: housing.person, at: Timestamp(Date())) { position in
            try WireEvents.message(position, person: housing.person, unit: housing.unit, text: "升级后的第一条消息 / \"引号\"")
        }
        XCTAssertFalse(posted.duplicate)
        _ = try await store.markRestored(at: Timestamp(Date()))

        let chainsAfter = try await store.verifyChains(), logAfter = try await store.verifyDecisionLog(publicKey: identity.signer.publicKey)
        let entriesAfter = try await store.decisionEntries()
        XCTAssertEqual(chainsAfter.map { "\($0)" }, [])
        XCTAssertEqual(logAfter.map { "\($0)" }, [])
        XCTAssertEqual(entriesAfter.map(\.kind), ["outcome", "signoff", "signoff", "seal", "restore", "restore"])
        store.close()
        try await group.shutdownGracefully()

        let after = try storedBytes(directory.database)
        for (row, bytes) in before.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(after[row], bytes, "\(row): the bytes 0.5.0 stored changed")
        }
        XCTAssertGreaterThan(after.count, before.count, "this version added records")
    }
}
