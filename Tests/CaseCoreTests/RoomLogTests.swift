// RoomLogTests: credentials (tokens hashed, revocation) and room logs (monotonic sequences, epochs,
// idempotent posts, commit-ordered delivery, case events announced in their case room).
import Foundation
import XCTest

@testable import CaseCore

final class RoomLogTests: XCTestCase {
    private var directory: String!
    private var store: CaseStore!
    private let clock = ManualClock(Fixtures.start)

    override func setUp() async throws {
        directory = NSTemporaryDirectory() + "chub-rooms-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        for unit in [Fixtures.bureau, Fixtures.housing, Fixtures.finance] {
            try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department))
        }
        try await store.addPerson(Person(id: PersonID("coord"), name: "Coordinator", unit: Fixtures.bureau, roles: [.coordinator]))
    }

    /// The same database, reopened with the hub's hooks (the test's store is closed).
    private func reopened(_ rooming: RoomingConfiguration) throws -> CaseStore {
        store.close()
        store = try CaseStore(path: directory + "/hub.sqlite", clock: clock, rooming: rooming)
        return store
    }

    override func tearDown() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testTokenIsStoredAsHashAndCanBeRevoked() async throws {
        let token = CaseStore.makeToken()
        XCTAssertTrue(token.hasPrefix("chub_"))
        XCTAssertGreaterThanOrEqual(token.count, 40)
        let id = try await store.addCredential(person: PersonID("coord"), kind: .token, digest: CaseStore.tokenDigest(token), label: "laptop", at: clock.now())
        let found = try await store.identity(forDigest: CaseStore.tokenDigest(token), kind: .token)
        XCTAssertEqual(found?.person.id, PersonID("coord"))
        XCTAssertEqual(found?.credentialID, id)
        let stored = try await store.read { connection in
            try connection.query("SELECT count(*) FROM credentials WHERE CAST(digest AS TEXT) LIKE '%chub_%'").first?.int(0)
        }
        XCTAssertEqual(stored, 0, "the token itself is never stored")
        let wrong = try await store.identity(forDigest: CaseStore.tokenDigest(token + "x"), kind: .token)
        XCTAssertNil(wrong)

        clock.advance(seconds: 5)
        let revokedOnce = try await store.revokeCredential(id: id, at: clock.now())
        XCTAssertTrue(revokedOnce)
        let revokedTwice = try await store.revokeCredential(id: id, at: clock.now())
        XCTAssertFalse(revokedTwice)
        let afterRevocation = try await store.identity(forDigest: CaseStore.tokenDigest(token), kind: .token)
        XCTAssertNil(afterRevocation)
        let revoked = try await store.credentialsRevoked(since: Fixtures.start)
        XCTAssertEqual(revoked.map(\.id), [id])
    }

    func testCertificateFingerprintDigest() {
        let hex = String(repeating: "ab", count: 32)
        XCTAssertEqual(CaseStore.certificateDigest(fingerprintHex: hex), [UInt8](repeating: 0xAB, count: 32))
        XCTAssertNil(CaseStore.certificateDigest(fingerprintHex: "zz" + hex.dropFirst(2)))
        XCTAssertNil(CaseStore.certificateDigest(fingerprintHex: "abcd"))
    }

    func testRoomSequencesEpochAndCommitOrderedDelivery() async throws {
        let delivered = DeliveredEvents()
        let store = try reopened(RoomingConfiguration(sink: { events in delivered.append(events) }))
        let records = try await withThrowingTaskGroup(of: RoomEventRecord.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await store.appendRoomEvent(room: "lobby", kind: "message", at: Fixtures.start) { position in
                        Array("{\"n\":\(index),\"seq\":\(position.sequence)}".utf8)
                    }
                }
            }
            var all: [RoomEventRecord] = []
            for try await record in group { all.append(record) }
            return all
        }
        XCTAssertEqual(Set(records.map(\.position.sequence)), Set(1...50))
        XCTAssertEqual(Set(records.map(\.position.epoch)).count, 1)
        // Delivered after commit, in sequence order, each once.
        XCTAssertEqual(delivered.all.map(\.position.sequence), Array(1...50))
        let state = try await store.roomState("lobby")
        XCTAssertEqual(state?.lastSequence, 50)
        let page = try await store.roomEvents("lobby", after: 10, limit: 5)
        XCTAssertEqual(page.map(\.position.sequence), [11, 12, 13, 14, 15])
        let back = try await store.roomEvents("lobby", before: 10, limit: 3)
        XCTAssertEqual(back.map(\.position.sequence), [9, 8, 7])
        XCTAssertEqual(String(decoding: page[0].body, as: UTF8.self).contains("\"seq\":11"), true, "bytes stored as encoded")
    }

    func testPostWithTheSameKeyReturnsTheFirstResult() async throws {
        let first = try await store.post(room: "lobby", idempotencyKey: "k1", by: PersonID("coord"), at: clock.now()) { _ in Array("{}".utf8) }
        let again = try await store.post(room: "lobby", idempotencyKey: "k1", by: PersonID("coord"), at: clock.now()) { _ in Array("{}".utf8) }
        XCTAssertFalse(first.duplicate)
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual(first.position, again.position)
        let other = try await store.post(room: "lobby", idempotencyKey: "k1", by: PersonID("someone-else"), at: clock.now()) { _ in Array("{}".utf8) }
        XCTAssertEqual(other.position.sequence, 2, "keys are per person")
        let state = try await store.roomState("lobby")
        XCTAssertEqual(state?.lastSequence, 2)
    }

    func testVersionSixRoomEventsSurviveTheMoveToARowidTable() async throws {
        // A database at version 6 (room events clustered by room), with two rooms written in
        // turn and a post key, brought to the latest version by opening a store on it.
        let path = directory + "/v6.sqlite"
        do {
            let old = try SQLiteConnection(path: path)
            try Migrator.migrate(old, migrations: Array(HubSchema.migrations.prefix(6)))
            try old.execute("""
                INSERT INTO rooms (id, epoch, created_at, last_seq) VALUES ('case-1', 'e1', 0, 3), ('case-2', 'e2', 0, 2);
                INSERT INTO room_events (room_id, seq, kind, at, body) VALUES
                    ('case-2', 1, 'message', 10, '{"n":"2.1"}'), ('case-1', 1, 'message', 11, '{"n":"1.1"}'),
                    ('case-1', 2, 'presence', 12, '{"n":"1.2"}'), ('case-2', 2, 'message', 13, '{"n":"2.2"}'),
                    ('case-1', 3, 'message', 14, '{"n":"1.3"}');
                INSERT INTO post_keys (person_id, idempotency_key, room_id, seq) VALUES ('coord', 'k-old', 'case-1', 3);
                """)
        }
        let migrated = try CaseStore(path: path, clock: clock)
        defer { migrated.close() }
        let one = try await migrated.roomEvents("case-1", after: 0, limit: 10)
        XCTAssertEqual(one.map(\.position.sequence), [1, 2, 3])
        XCTAssertEqual(one.map { String(decoding: $0.body, as: UTF8.self) }, [#"{"n":"1.1"}"#, #"{"n":"1.2"}"#, #"{"n":"1.3"}"#])
        XCTAssertEqual(one.map(\.kind), ["message", "presence", "message"])
        XCTAssertEqual(one.map(\.position.at.milliseconds), [11, 12, 14])
        XCTAssertEqual(Set(one.map(\.position.epoch)), ["e1"])
        let two = try await migrated.roomEvents("case-2", before: .max, limit: 10)
        XCTAssertEqual(two.map { String(decoding: $0.body, as: UTF8.self) }, [#"{"n":"2.2"}"#, #"{"n":"2.1"}"#])
        // A resent key still finds its post; a new post continues the room's sequence.
        let resent = try await migrated.post(room: "case-1", idempotencyKey: "k-old", by: PersonID("coord"), at: clock.now()) { _ in Array("{}".utf8) }
        XCTAssertEqual(resent, PostResult(position: RoomPosition(room: "case-1", sequence: 3, epoch: "e1", at: Timestamp(milliseconds: 14)), duplicate: true))
        let next = try await migrated.post(room: "case-1", idempotencyKey: "k-new", by: PersonID("coord"), at: clock.now()) { _ in Array("{}".utf8) }
        XCTAssertEqual(next.position.sequence, 4)
        // Each room's order is still unique, and its queries use the index rather than a scan.
        let connection = try SQLiteConnection(path: path)
        XCTAssertThrowsError(try connection.run("INSERT INTO room_events (room_id, seq, kind, at, body) VALUES ('case-2', 2, 'message', 0, '{}')")) { error in
            XCTAssertEqual((error as? SQLiteError)?.extendedCode, 2067, "SQLITE_CONSTRAINT_UNIQUE: \(error)")
        }
        let plan = try connection.query("EXPLAIN QUERY PLAN SELECT seq, kind, at, body FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT 5", [.text("case-1"), .integer(0)])
        XCTAssertTrue(plan.contains { ($0.string(3) ?? "").contains("room_events_by_room") }, "\(plan.map { $0.string(3) ?? "" })")
    }

    func testCaseChangesAreAnnouncedInTheCaseRoomWithoutPetitionerData() async throws {
        let delivered = DeliveredEvents()
        let store = try reopened(RoomingConfiguration(
            sink: { events in delivered.append(events) },
            caseEventEncoder: { event, position in
                let body = try JSONEncoder().encode(event)
                return Array("{\"seq\":\(position.sequence),\"event\":".utf8) + Array(body) + Array("}".utf8)
            }))
        let id = try await store.register(Fixtures.registration(), by: Fixtures.coordinator).caseID
        _ = try await store.perform(.assigned(Assignment(lead: Fixtures.housing)), on: id, by: Fixtures.coordinator)
        do {
            _ = try await store.perform(.accepted, on: id, by: Fixtures.financeOfficer)
            XCTFail("finance is not the lead unit")
        } catch is CaseRefusal {}
        let events = try await store.roomEvents(RoomID.case(id), after: 0, limit: 10)
        XCTAssertEqual(events.count, 2, "a refused change announces nothing")
        XCTAssertFalse(String(decoding: events[0].body, as: UTF8.self).contains("Zhang San"))
        XCTAssertEqual(delivered.all.map(\.position.room), ["case-1", "case-1"])
    }
}

final class DeliveredEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RoomEventRecord] = []
    func append(_ more: [RoomEventRecord]) { lock.withLock { events += more } }
    var all: [RoomEventRecord] { lock.withLock { events } }
}
