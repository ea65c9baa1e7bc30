// HubSchema: the hub database's migrations, oldest first. Never edit a released migration: add one.

/// The migrations of the hub database (`hub.sqlite` in the data directory).
public enum HubSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE hub_meta (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            """),
    ]

    /// The newest schema version this build knows.
    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Opens the hub database at `path`, creating and migrating it as needed.
    public static func open(path: String) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        try Migrator.migrate(connection, migrations: migrations)
        return connection
    }
}
