// SQLiteConnection: our own thin wrapper of the SQLite C API. One connection is confined to one
// owner (it is not Sendable); statements are prepared once and cached.
import CSQLite
import Foundation

/// A value bound to or read from a statement.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// An open SQLite database connection.
///
/// Opened in WAL mode with `synchronous=FULL`, foreign keys on and a busy timeout. Not thread-safe:
/// confine it to one actor, queue or thread.
public final class SQLiteConnection {
    let handle: OpaquePointer
    /// The file path.
    public let path: String
    private var statementCache: [String: SQLiteStatement] = [:]

    /// The database holds petitioners' personal data: its file is created 0600 before SQLite
    /// opens it (SQLite gives its WAL and shared-memory files the database file's mode), and a
    /// database left with a wider mode by an older version is narrowed, with its WAL files.
    static func restrictFiles(of path: String) throws {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            _ = fchmod(descriptor, 0o600)
            close(descriptor)
            return
        }
        guard errno == EEXIST else {
            throw SQLiteError(extendedCode: SQLITE_CANTOPEN, message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & 0o077 != 0 { _ = chmod(file, 0o600) }
        }
    }

    /// Opens (creating if needed) the database at `path`.
    /// - Parameters:
    ///   - readOnly: open for reading only (a reader connection beside the writer).
    ///   - busyTimeoutMilliseconds: how long a call waits for a lock held by another connection.
    public init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        if !readOnly { try Self.restrictFiles(of: path) }
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw SQLiteError(extendedCode: result, message: "cannot open \(path): \(message)")
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        do {
            if !readOnly {
                try execute("PRAGMA journal_mode=WAL")
                // Checkpoint every ~32 MB of WAL rather than SQLite's 4 MB: pages that many
                // commits touch (the tail of each busy room) are copied back once, not each time.
                try execute("PRAGMA wal_autocheckpoint=8192")
                // A WAL that one large transaction (a schema upgrade rewriting a table) grew is
                // cut back to 64 MB when it is next reset, rather than kept at its largest size.
                try execute("PRAGMA journal_size_limit=67108864")
                // The writer keeps the pages it touches (busy rooms' tails, indexes) in memory
                // instead of reading them back from the WAL: 32 MB rather than 2 MB.
                try execute("PRAGMA cache_size=-32768")
            }
            try execute("PRAGMA synchronous=FULL")
            try execute("PRAGMA foreign_keys=ON")
            if readOnly {
                // Readers map the database file (up to 1 GiB) instead of copying each page they
                // read with a system call into a small cache of their own: the lists of a large
                // conference walk indexes of hundreds of thousands of rows.
                try execute("PRAGMA mmap_size=1073741824")
            }
        } catch {
            sqlite3_close_v2(handle)
            throw error
        }
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ code: Int32, sql: String? = nil) -> SQLiteError {
        SQLiteError(extendedCode: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &message)
        if result != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// A prepared statement for `sql`, cached on this connection and reset for reuse.
    public func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statementCache[sql] {
            cached.reset()
            return cached
        }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs `sql` with `bindings` and returns every row.
    @discardableResult
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> [SQLiteRow] {
        let statement = try statement(sql)
        try statement.bind(bindings)
        var rows: [SQLiteRow] = []
        while let row = try statement.step() { rows.append(row) }
        statement.reset()
        return rows
    }

    /// Runs `sql` with `bindings` for its effect.
    public func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws {
        let statement = try statement(sql)
        try statement.bind(bindings)
        while try statement.step() != nil {}
        statement.reset()
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE`, so a writer takes the lock up front);
    /// commits if it returns, rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The rowid of the last insert on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Copies the whole database to `destinationPath` with the online backup API, while other
    /// connections may keep using it. By default all pages are copied in one step, inside one read
    /// transaction: a consistent snapshot that writers (in WAL mode) do not disturb. With fewer
    /// pages per step, a write by another connection between steps restarts the copy, which under
    /// steady writes may never finish.
    public func backup(to destinationPath: String, pagesPerStep: Int32 = -1) throws {
        let destination = try SQLiteConnection(path: destinationPath)
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw destination.error(sqlite3_errcode(destination.handle))
        }
        var result: Int32
        repeat {
            result = sqlite3_backup_step(backup, pagesPerStep)
            if result == SQLITE_BUSY || result == SQLITE_LOCKED { sqlite3_sleep(10) }
        } while result == SQLITE_OK || result == SQLITE_BUSY || result == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        guard result == SQLITE_DONE, finish == SQLITE_OK else {
            throw destination.error(result)
        }
    }
}

/// One row of a result.
public struct SQLiteRow: Sendable {
    /// Column values in select order.
    public let values: [SQLiteValue]

    public subscript(index: Int) -> SQLiteValue { values[index] }

    public func int(_ index: Int) -> Int64? {
        if case .integer(let value) = values[index] { return value }
        return nil
    }

    public func string(_ index: Int) -> String? {
        if case .text(let value) = values[index] { return value }
        return nil
    }

    public func double(_ index: Int) -> Double? {
        switch values[index] {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    public func blob(_ index: Int) -> [UInt8]? {
        if case .blob(let value) = values[index] { return value }
        return nil
    }
}

/// A prepared statement. Belongs to its connection's owner.
public final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection
    let sql: String

    init(connection: SQLiteConnection, sql: String) throws {
        var handle: OpaquePointer?
        let result = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard result == SQLITE_OK, let handle else { throw connection.error(result, sql: sql) }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Resets the statement and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values` to parameters 1...n.
    public func bind(_ values: [SQLiteValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .null: result = sqlite3_bind_null(handle, index)
            case .integer(let value): result = sqlite3_bind_int64(handle, index, value)
            case .real(let value): result = sqlite3_bind_double(handle, index, value)
            // The length in bytes, not -1: text holding a NUL is bound whole, not cut at the NUL.
            case .text(let value): result = sqlite3_bind_text(handle, index, value, Int32(value.utf8.count), chub_sqlite_transient())
            case .blob(let value):
                result = value.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), chub_sqlite_transient())
                }
            }
            guard result == SQLITE_OK else { throw connection.error(result, sql: sql) }
        }
    }

    /// Advances to the next row; nil when done.
    public func step() throws -> SQLiteRow? {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW:
            let count = sqlite3_column_count(handle)
            var values: [SQLiteValue] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(at: column)) }
            return SQLiteRow(values: values)
        case SQLITE_DONE:
            return nil
        default:
            let error = connection.error(result, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    private func value(at column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(handle, column))
            guard length > 0, let bytes = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: length)))
        default: return .null
        }
    }
}
