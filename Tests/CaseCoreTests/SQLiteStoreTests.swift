// SQLiteStoreTests: our SQLite wrapper — pragmas, typed binding, transactions, errors with
// extended codes, migrations (including refusing a newer file) and online backup.
import CaseCore
import Foundation
import XCTest

final class SQLiteStoreTests: XCTestCase {
    private func temporaryPath(_ name: String = "test.sqlite") throws -> String {
        let directory = NSTemporaryDirectory() + "chub-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return directory + "/" + name
    }

    func testOpenUsesWALFullSyncAndForeignKeys() throws {
        let connection = try SQLiteConnection(path: try temporaryPath())
        XCTAssertEqual(try connection.query("PRAGMA journal_mode").first?.string(0), "wal")
        XCTAssertEqual(try connection.query("PRAGMA synchronous").first?.int(0), 2, "FULL")
        XCTAssertEqual(try connection.query("PRAGMA foreign_keys").first?.int(0), 1)
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testTheDatabaseAndItsWALAreReadableByTheOwnerOnly() async throws {
        // The live database holds petitioners' personal data, as backups do: 0600 from the start.
        let path = try temporaryPath("hub.sqlite")
        let store = try CaseStore(path: path)
        try await store.addUnit(Unit(id: UnitID("housing"), name: "Housing", kind: .department))
        for file in [path, path + "-wal", path + "-shm"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file), file)
            XCTAssertEqual(try mode(file), 0o600, file)
        }
        store.close()
        // A database an older version left 0644 is narrowed when it is opened, with its WAL.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        }
        let reopened = try CaseStore(path: path)
        XCTAssertEqual(try mode(path), 0o600)
        reopened.close()
    }

    func testTypedValuesRoundTrip() throws {
        let connection = try SQLiteConnection(path: try temporaryPath())
        try connection.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try connection.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(42), .real(2.5), .text("信访"), .blob([0, 1, 255]), .null])
        let row = try XCTUnwrap(connection.query("SELECT i, r, s, b, n FROM t").first)
        XCTAssertEqual(row.int(0), 42)
        XCTAssertEqual(row.double(1), 2.5)
        XCTAssertEqual(row.string(2), "信访")
        XCTAssertEqual(row.blob(3), [0, 1, 255])
        XCTAssertEqual(row[4], .null)
    }

    func testConstraintErrorCarriesExtendedCodeAndMessage() throws {
        let connection = try SQLiteConnection(path: try temporaryPath())
        try connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try connection.run("INSERT INTO t VALUES ('a')")
        XCTAssertThrowsError(try connection.run("INSERT INTO t VALUES ('a')")) { error in
            let sqlite = error as? SQLiteError
            XCTAssertEqual(sqlite?.extendedCode, 1555, "SQLITE_CONSTRAINT_PRIMARYKEY")
            XCTAssertTrue(sqlite?.isConstraintViolation ?? false)
            XCTAssertTrue(sqlite?.message.contains("UNIQUE constraint failed") ?? false)
        }
    }

    func testTransactionRollsBackWhenBodyThrows() throws {
        struct Abort: Error {}
        let connection = try SQLiteConnection(path: try temporaryPath())
        try connection.execute("CREATE TABLE t (v INTEGER)")
        XCTAssertThrowsError(try connection.transaction {
            try connection.run("INSERT INTO t VALUES (1)")
            throw Abort()
        })
        XCTAssertEqual(try connection.query("SELECT count(*) FROM t").first?.int(0), 0)
        try connection.transaction { try connection.run("INSERT INTO t VALUES (2)") }
        XCTAssertEqual(try connection.query("SELECT count(*) FROM t").first?.int(0), 1)
    }

    func testMigrationsApplyFromEmptyAndFromEachEarlierVersion() throws {
        let migrations = [
            Migration(version: 1, sql: "CREATE TABLE a (x INTEGER)"),
            Migration(version: 2, sql: "ALTER TABLE a ADD COLUMN y TEXT"),
            Migration(version: 3, sql: "CREATE TABLE b (z INTEGER)"),
        ]
        for start in 0...3 {
            let connection = try SQLiteConnection(path: try temporaryPath())
            if start > 0 { try Migrator.migrate(connection, migrations: Array(migrations.prefix(start))) }
            let applied = try Migrator.migrate(connection, migrations: migrations)
            XCTAssertEqual(applied, Array((start + 1)..<4), "from version \(start)")
            XCTAssertEqual(try Migrator.currentVersion(of: connection), 3)
            try connection.run("INSERT INTO a (x, y) VALUES (1, 'ok')")
            try connection.run("INSERT INTO b (z) VALUES (1)")
        }
    }

    func testFailedMigrationLeavesThePreviousVersion() throws {
        let connection = try SQLiteConnection(path: try temporaryPath())
        let migrations = [
            Migration(version: 1, sql: "CREATE TABLE a (x INTEGER)"),
            Migration(version: 2, sql: "CREATE TABLE b (y INTEGER); THIS IS NOT SQL"),
        ]
        XCTAssertThrowsError(try Migrator.migrate(connection, migrations: migrations))
        XCTAssertEqual(try Migrator.currentVersion(of: connection), 1)
        XCTAssertTrue(try connection.query("SELECT name FROM sqlite_master WHERE name = 'b'").isEmpty, "rolled back")
    }

    func testNewerSchemaIsRefusedWithoutChange() throws {
        let path = try temporaryPath()
        let connection = try HubSchema.open(path: path)
        try connection.execute("PRAGMA user_version = \(HubSchema.latestVersion + 5)")
        XCTAssertThrowsError(try HubSchema.open(path: path)) { error in
            let schema = error as? SchemaVersionError
            XCTAssertEqual(schema?.found, HubSchema.latestVersion + 5)
            XCTAssertTrue("\(error)".contains("newer release"))
        }
        XCTAssertEqual(try Migrator.currentVersion(of: connection), HubSchema.latestVersion + 5)
    }

    func testAWALGrownByOneLargeTransactionIsCutBackWhenReset() throws {
        let path = try temporaryPath()
        let connection = try SQLiteConnection(path: path)
        try connection.execute("CREATE TABLE big (x BLOB)")
        // About 80 MB in one transaction: the WAL grows past its usual size and past the limit.
        try connection.transaction {
            for _ in 0..<20_000 { try connection.run("INSERT INTO big VALUES (zeroblob(4000))") }
        }
        func walBytes() -> Int { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
        XCTAssertGreaterThan(walBytes(), 64 << 20)
        // The automatic checkpoint after that commit copied it back; the next write resets the WAL.
        try connection.run("INSERT INTO big VALUES (zeroblob(10))")
        XCTAssertLessThanOrEqual(walBytes(), 64 << 20)
    }

    func testOnlineBackupCopiesTheDatabase() throws {
        let source = try SQLiteConnection(path: try temporaryPath("source.sqlite"))
        try source.execute("CREATE TABLE t (v INTEGER)")
        try source.transaction {
            for value in 0..<1000 { try source.run("INSERT INTO t VALUES (?)", [.integer(Int64(value))]) }
        }
        let destinationPath = try temporaryPath("backup.sqlite")
        try source.backup(to: destinationPath)
        let copy = try SQLiteConnection(path: destinationPath, readOnly: true)
        XCTAssertEqual(try copy.query("SELECT count(*), sum(v) FROM t").first?.values, [.integer(1000), .integer(499_500)])
    }
}
