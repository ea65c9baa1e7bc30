// SessionStoreTests: browser sessions and passwords in the store — the move to schema version 8
// keeps every credential, sessions end by expiry or revocation (and are reported so that their
// sockets close), and a password is kept only as its hash.
import Foundation
import XCTest

@testable import CaseCore

final class SessionStoreTests: XCTestCase {
    private var directory: String!
    private let clock = ManualClock(Timestamp(milliseconds: 1_800_000_000_000))

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "chub-sessions-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testVersionSevenCredentialsSurviveTheMoveToVersionEight() async throws {
        let path = directory + "/v7.sqlite"
        let digest = CaseStore.tokenDigest("chub_old-token")
        do {
            let old = try SQLiteConnection(path: path)
            try Migrator.migrate(old, migrations: Array(HubSchema.migrations.prefix(7)))
            try old.execute("""
                INSERT INTO units (id, name, kind, parent_id) VALUES ('housing', 'Housing', 'department', NULL);
                INSERT INTO people (id, name, unit_id, roles) VALUES ('p-wang', 'Wang', 'housing', 'officer');
                """)
            try old.run("INSERT INTO credentials (id, person_id, kind, digest, label, created_at, revoked_at) VALUES (7, 'p-wang', 'token', ?, 'old', 5, NULL)",
                        [.blob(digest)])
            try old.run("INSERT INTO credentials (id, person_id, kind, digest, label, created_at, revoked_at) VALUES (8, 'p-wang', 'token', ?, 'gone', 5, 6)",
                        [.blob(CaseStore.tokenDigest("chub_revoked"))])
        }
        let store = try CaseStore(path: path, clock: clock)
        defer { store.close() }
        let identity = try await store.identity(forDigest: digest, kind: .token)
        XCTAssertEqual(identity?.person.id, PersonID("p-wang"))
        XCTAssertEqual(identity?.credentialID, 7)
        XCTAssertEqual(identity?.kind, .token)
        let listed = try await store.credentials()
        XCTAssertEqual(listed.map(\.id), [7, 8])
        XCTAssertEqual(listed[1].revokedAt, Timestamp(milliseconds: 6))
        XCTAssertNil(listed[0].expiresAt)
        let next = try await store.addCredential(person: PersonID("p-wang"), kind: .session, digest: CaseStore.tokenDigest("chs_x"),
                                                 label: "s", at: clock.now(), expiresAt: clock.now().adding(seconds: 60))
        XCTAssertEqual(next, 9)
    }

    private func storeWithPerson() async throws -> CaseStore {
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: clock)
        try await store.addUnit(Unit(id: UnitID("housing"), name: "Housing", kind: .department))
        try await store.addPerson(Person(id: PersonID("p-wang"), name: "Wang", unit: UnitID("housing"), roles: [.officer]))
        return store
    }

    func testASessionEndsAtItsExpiryAndIsReportedOnce() async throws {
        let store = try await storeWithPerson()
        defer { store.close() }
        let start = clock.now()
        let digest = CaseStore.tokenDigest("chs_session")
        let id = try await store.addCredential(person: PersonID("p-wang"), kind: .session, digest: digest, label: "browser",
                                               at: start, expiresAt: start.adding(seconds: 3600))
        let found = try await store.identity(forDigest: digest, kinds: [.token, .session])
        XCTAssertEqual(found?.kind, .session)
        let asToken = try await store.identity(forDigest: digest, kind: .token)
        XCTAssertNil(asToken, "a session is not a token")
        let before = try await store.credentialsRevoked(since: start)
        XCTAssertTrue(before.isEmpty)

        clock.advance(seconds: 3600)
        let expired = try await store.identity(forDigest: digest, kinds: [.session])
        XCTAssertNil(expired)
        let ended = try await store.credentialsRevoked(since: start)
        XCTAssertEqual(ended.map(\.id), [id])
        XCTAssertEqual(ended.first?.revokedAt, start.adding(seconds: 3600))
        let later = try await store.credentialsRevoked(since: start.adding(seconds: 3600))
        XCTAssertTrue(later.isEmpty, "reported once")
        let listed = try await store.credentials(of: PersonID("p-wang"))
        XCTAssertFalse(listed[0].isActive(at: clock.now()))
    }

    func testARevokedSessionIsReportedAtItsRevocation() async throws {
        let store = try await storeWithPerson()
        defer { store.close() }
        let start = clock.now()
        let id = try await store.addCredential(person: PersonID("p-wang"), kind: .session, digest: CaseStore.tokenDigest("chs_r"), label: "b",
                                               at: start, expiresAt: start.adding(seconds: 3600))
        _ = try await store.revokeCredential(id: id, at: start.adding(seconds: 10))
        let ended = try await store.credentialsRevoked(since: start)
        XCTAssertEqual(ended.map(\.revokedAt), [start.adding(seconds: 10)])
        clock.advance(seconds: 7200)
        let afterExpiry = try await store.credentialsRevoked(since: start.adding(seconds: 10))
        XCTAssertTrue(afterExpiry.isEmpty, "its expiry is not a second end")
    }

    func testAPasswordIsStoredAsItsHashAndReplaced() async throws {
        let store = try await storeWithPerson()
        defer { store.close() }
        let cheap = ScryptParameters(costLog2: 10, blockSize: 8, parallelism: 1)
        try await store.setPassword(person: PersonID("p-wang"), hash: PasswordHash.make("first-one-2026", parameters: cheap), mustChange: true, at: clock.now())
        let first = try await store.password(of: PersonID("p-wang"))
        XCTAssertEqual(first?.mustChange, true)
        XCTAssertEqual(first?.hash.parameters, cheap)
        XCTAssertTrue(first?.hash.verifies("first-one-2026") ?? false)
        try await store.setPassword(person: PersonID("p-wang"), hash: PasswordHash.make("second-one-2026", parameters: cheap), mustChange: false, at: clock.now())
        let second = try await store.password(of: PersonID("p-wang"))
        XCTAssertEqual(second?.mustChange, false)
        XCTAssertFalse(second?.hash.verifies("first-one-2026") ?? true)
        // Nothing of the password itself is in the file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/hub.sqlite"))
            + ((try? Data(contentsOf: URL(fileURLWithPath: directory + "/hub.sqlite-wal"))) ?? Data())
        XCTAssertNil(bytes.range(of: Data("second-one-2026".utf8)))
        let removed = try await store.removePassword(of: PersonID("p-wang"))
        XCTAssertTrue(removed)
        let none = try await store.password(of: PersonID("p-wang"))
        XCTAssertNil(none)
        do {
            try await store.setPassword(person: PersonID("nobody"), hash: PasswordHash.make("whatever-2026", parameters: cheap), mustChange: true, at: clock.now())
            XCTFail("no such person")
        } catch {}
    }
}
