// SQLiteError: a failed SQLite call, with SQLite's extended result code and message.
import CSQLite

/// An error from SQLite. `extendedCode` is SQLite's extended result code (for example 2067,
/// SQLITE_CONSTRAINT_UNIQUE); `message` is SQLite's text for it.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The extended result code.
    public let extendedCode: Int32
    /// SQLite's message.
    public let message: String
    /// The statement, when one was involved.
    public let sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of the extended code).
    public var primaryCode: Int32 { extendedCode & 0xFF }

    /// Whether the error is a constraint violation (unique, foreign key, check...).
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    /// Whether the storage could not take the write, rather than the write being wrong: the disk
    /// is full (SQLITE_FULL), an I/O error (SQLITE_IOERR), or the file system turned read-only
    /// (SQLITE_READONLY). The same write may succeed later.
    public var isStorageUnavailable: Bool {
        primaryCode == SQLITE_FULL || primaryCode == SQLITE_IOERR || primaryCode == SQLITE_READONLY
    }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " [\(sql.prefix(120))]" }
        return text
    }
}

/// An error opening a database whose schema we cannot use.
public struct SchemaVersionError: Error, CustomStringConvertible, Sendable {
    /// The schema version found in the file.
    public let found: Int
    /// The newest version this build knows.
    public let supported: Int
    public let path: String

    public var description: String {
        "the database \(path) has schema version \(found), but this build of conference-hub knows versions up to "
            + "\(supported); it was written by a newer release. Upgrade conference-hub; the file was not changed."
    }
}
