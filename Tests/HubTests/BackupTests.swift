// BackupTests: `admin backup` — a copy of the data directory with every file's mode, a database
// that is one consistent snapshot even while the hub writes, and refusals that leave nothing behind.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub

final class BackupTests: XCTestCase {
    private func initialized() async throws -> (root: String, directory: DataDirectory) {
        let root = try temporaryDirectory()
        let directory = DataDirectory(root + "/hub-data")
        _ = try await directory.initialize()
        return (root, directory)
    }

    /// The entries of `directory` whose names contain ".partial-" (unfinished backups).
    private func partials(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".partial-") }
    }

    func testRestoreGivesEveryRoomANewEpochAndRecordsItInTheDecisionLog() async throws {
        let (root, directory) = try await initialized()
        let publicKey: [UInt8]
        let epochBefore: String
        do {
            let store = try CaseStore(path: directory.database, rooming: RoomingConfiguration(decisionLogIdentity: try directory.decisionLogIdentity()))
            defer { store.close() }
            publicKey = store.rooming.decisionPublicKey ?? []
            for room in ["lobby", "case-1"] {
                _ = try await store.appendRoomEvent(room: room, kind: "message", at: Timestamp(milliseconds: 1)) { _ in Array("{}".utf8) }
            }
            epochBefore = try await store.roomState("lobby")?.epoch ?? ""
        }
        _ = try directory.backup(to: root + "/backup")

        let target = DataDirectory(root + "/restored")
        let (copied, restored) = try await target.restore(from: DataDirectory(root + "/backup"), at: Timestamp(milliseconds: 1_764_000_000_000))
        XCTAssertEqual(copied.roomEvents, 2)
        XCTAssertEqual(restored.rooms, 2)
        XCTAssertEqual(restored.decisionLogSize, 0)
        XCTAssertEqual(SecureFile.mode(of: target.database), 0o600)
        let store = try CaseStore(path: target.database)
        defer { store.close() }
        let epochAfter = try await store.roomState("lobby")?.epoch
        XCTAssertNotEqual(epochAfter, epochBefore, "a client that saw events after the backup must not recover onto other ones")
        let lastSequence = try await store.roomState("lobby")?.lastSequence
        XCTAssertEqual(lastSequence, 1, "the events themselves are kept")
        let entries = try await store.decisionEntries()
        XCTAssertEqual(entries.map(\.kind), ["restore"])
        XCTAssertNil(entries.first?.meeting)
        let problems = try await store.verifyDecisionLog(publicKey: publicKey)
        XCTAssertEqual(problems, [], "the restore entry is signed with the conference's key")

        // Never over an existing directory.
        do {
            _ = try await DataDirectory(root + "/restored").restore(from: DataDirectory(root + "/backup"), at: Timestamp(milliseconds: 1))
            XCTFail("restored over an existing directory")
        } catch {
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
    }

    func testBackupCopiesEveryFileWithItsModeAndTheDatabase() async throws {
        let (root, directory) = try await initialized()
        do {
            let store = try CaseStore(path: directory.database)
            defer { store.close() }
            try await store.addUnit(Unit(id: UnitID("housing"), name: "Housing", kind: .department))
            _ = try await store.appendRoomEvent(room: "lobby", kind: "message", at: Timestamp(milliseconds: 1)) { _ in Array("{}".utf8) }
        }
        // As beside a running hub: its lock file is not data, and is not copied (the list below).
        let lock = try ServeLock.acquire(directory)
        let summary = try directory.backup(to: root + "/copy")
        withExtendedLifetime(lock) {}
        XCTAssertEqual(summary.roomEvents, 1)
        XCTAssertEqual(summary.schemaVersion, HubSchema.latestVersion)

        let copy = DataDirectory(root + "/copy")
        XCTAssertTrue(copy.isInitialized)
        XCTAssertEqual(SecureFile.mode(of: copy.root), 0o700)
        XCTAssertEqual(SecureFile.mode(of: copy.database), 0o600, "the database holds personal data")
        XCTAssertEqual(Set(summary.files), ["credentials/admin/ca.pem", "credentials/admin/cert.pem", "credentials/admin/key.pem",
                                            "decisions/public-key.txt", "decisions/signing-key.pem",
                                            "tls/ca-key.pem", "tls/ca.pem", "tls/server-key.pem", "tls/server.pem"])
        for file in summary.files {
            XCTAssertEqual(SecureFile.mode(of: copy.path(file)), SecureFile.mode(of: directory.path(file)), file)
            XCTAssertEqual(FileManager.default.contents(atPath: copy.path(file)), FileManager.default.contents(atPath: directory.path(file)), file)
        }
        XCTAssertEqual(SecureFile.mode(of: copy.caKey), 0o600)
        XCTAssertEqual(SecureFile.mode(of: copy.decisionKey), 0o600)
        for leftover in ["-wal", "-shm", "-journal"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: copy.database + leftover), leftover)
        }
        XCTAssertEqual(try partials(in: root), [])

        // The copy is a data directory the hub can run on: the same units and room log.
        let restored = try CaseStore(path: copy.database)
        defer { restored.close() }
        let units = try await restored.units()
        XCTAssertTrue(units.contains { $0.id == UnitID("housing") })
        let events = try await restored.roomEvents("lobby", after: 0, limit: 10)
        XCTAssertEqual(events.map(\.position.sequence), [1])
    }

    func testBackupWhileTheStoreWritesIsOneConsistentSnapshot() async throws {
        let (root, directory) = try await initialized()
        let store = try CaseStore(path: directory.database)
        defer { store.close() }
        for _ in 1...20 {
            _ = try await store.appendRoomEvent(room: "busy", kind: "message", at: Timestamp(milliseconds: 1)) { _ in Array("{}".utf8) }
        }
        // Keep writing while the backup runs on another thread.
        let writer = Task {
            for _ in 1...300 {
                _ = try await store.appendRoomEvent(room: "busy", kind: "message", at: Timestamp(milliseconds: 2)) { position in
                    Array(#"{"seq":\#(position.sequence)}"#.utf8)
                }
            }
        }
        let summary = try await Task.detached { try directory.backup(to: root + "/copy") }.value
        try await writer.value

        XCTAssertGreaterThanOrEqual(summary.roomEvents, 20)
        XCTAssertLessThanOrEqual(summary.roomEvents, 320)
        let copy = try CaseStore(path: DataDirectory(root + "/copy").database)
        defer { copy.close() }
        let events = try await copy.roomEvents("busy", after: 0, limit: 1_000)
        // A snapshot: the first n events, with no gap, and the room's last sequence agreeing.
        XCTAssertEqual(events.map(\.position.sequence), Array(1...Int64(summary.roomEvents)))
        let state = try await copy.roomState("busy")
        XCTAssertEqual(state?.lastSequence, summary.roomEvents)
        let all = try await store.roomEvents("busy", after: 0, limit: 1_000)
        XCTAssertEqual(all.count, 320, "the writes went on during the backup")
    }

    func testRefusalsLeaveTheDestinationAndTheDataDirectoryAsTheyWere() async throws {
        let (root, directory) = try await initialized()
        // An existing destination is never overwritten.
        try FileManager.default.createDirectory(atPath: root + "/taken", withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: root + "/taken/note"))
        XCTAssertThrowsError(try directory.backup(to: root + "/taken")) { error in
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/taken"), ["note"])
        // Not inside the data directory, not under a missing parent, not from an uninitialized one.
        XCTAssertThrowsError(try directory.backup(to: directory.path("copy"))) { error in
            XCTAssertTrue("\(error)".contains("inside the data directory"), "\(error)")
        }
        XCTAssertThrowsError(try directory.backup(to: root + "/missing/copy")) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
        XCTAssertThrowsError(try DataDirectory(root + "/taken").backup(to: root + "/copy")) { error in
            XCTAssertTrue("\(error)".contains("not an initialized data directory"), "\(error)")
        }
        // Something that is not a file stops the backup half-way: nothing is left behind.
        XCTAssertEqual(mkfifo(directory.path("tls/fifo"), 0o600), 0)
        XCTAssertThrowsError(try directory.backup(to: root + "/copy")) { error in
            XCTAssertTrue("\(error)".contains("neither a file nor a directory"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/copy"))
        XCTAssertEqual(try partials(in: root), [])
        XCTAssertTrue(directory.isInitialized)
    }
}
