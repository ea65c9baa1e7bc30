// Migrations: versioned schema changes applied on open, each in its own transaction. The version
// lives in `PRAGMA user_version`; a file from a newer build is refused untouched.

/// One schema step, from `version - 1` to `version`.
public struct Migration: Sendable {
    public let version: Int
    public let sql: String

    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

/// Applies migrations in order.
public enum Migrator {
    /// The schema version stored in the file.
    public static func currentVersion(of connection: SQLiteConnection) throws -> Int {
        Int(try connection.query("PRAGMA user_version").first?.int(0) ?? 0)
    }

    /// Brings `connection` up to the last of `migrations`. Throws ``SchemaVersionError`` for a newer
    /// file, without changing it.
    /// - Returns: the versions applied.
    @discardableResult
    public static func migrate(_ connection: SQLiteConnection, migrations: [Migration]) throws -> [Int] {
        let latest = migrations.map(\.version).max() ?? 0
        precondition(
            migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version },
            "migrations must be numbered 1, 2, 3... in order")
        let current = try currentVersion(of: connection)
        if current > latest {
            throw SchemaVersionError(found: current, supported: latest, path: connection.path)
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
            applied.append(migration.version)
        }
        return applied
    }
}
