// Backup: `conference-hub admin backup` copies a data directory — the database through SQLite's
// VACUUM INTO (one consistent snapshot, taken while the hub keeps serving) and every other file
// (certificates, private keys, the decision signing key, credentials) with its own mode — into a
// new directory that `serve --data-dir` can run on as it is. The copy is built under a temporary
// name and renamed into place only once the database in it passes SQLite's integrity check.
import CaseCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct BackupError: Error, CustomStringConvertible {
    let description: String
}

/// What a backup wrote.
struct BackupSummary: Sendable {
    let destination: String
    let databaseBytes: Int
    let schemaVersion: Int
    let cases: Int64
    let roomEvents: Int64
    let decisionLogEntries: Int64
    /// Files other than the database, relative to the directory.
    let files: [String]
}

extension DataDirectory {
    /// The database and the files SQLite keeps beside it, which the backup does not copy as files.
    private static let databaseNames: Set<String> = ["hub.sqlite", "hub.sqlite-wal", "hub.sqlite-shm", "hub.sqlite-journal"]
    /// Files of a running hub that are not data: not copied.
    private static let runtimeNames: Set<String> = [ServeLock.fileName]

    /// Copies this directory into `destination`, which must not exist.
    func backup(to destination: String) throws -> BackupSummary {
        guard isInitialized else {
            throw BackupError(description: "\(root) is not an initialized data directory (run `conference-hub init` first)")
        }
        let fileManager = FileManager.default
        let target = URL(fileURLWithPath: destination).standardizedFileURL.path
        let source = URL(fileURLWithPath: root).resolvingSymlinksInPath().standardizedFileURL.path
        guard !fileManager.fileExists(atPath: target) else {
            throw BackupError(description: "\(destination) already exists: back up into a new path")
        }
        let parent = (target as NSString).deletingLastPathComponent
        let resolvedParent = URL(fileURLWithPath: parent).resolvingSymlinksInPath().standardizedFileURL.path
        guard resolvedParent != source, !resolvedParent.hasPrefix(source + "/") else {
            throw BackupError(description: "\(destination) is inside the data directory \(root): back up somewhere else")
        }
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError(description: "\(parent) does not exist or is not a directory")
        }

        // Build under a temporary name beside the destination; rename only when complete.
        let partial = target + ".partial-" + UUID().uuidString.prefix(8).lowercased()
        guard mkdir(partial, 0o700) == 0 else {
            throw BackupError(description: "cannot create \(partial): \(String(cString: strerror(errno)))")
        }
        do {
            _ = chmod(partial, 0o700)
            let files = try copyFiles(into: partial)
            let database = (partial as NSString).appendingPathComponent("hub.sqlite")
            // The copy holds petitioner personal data: readable by the owner only.
            try SecureFile.create(database, bytes: [], mode: 0o600)
            do {
                // VACUUM INTO runs in one read transaction, so the copy is one consistent snapshot
                // while the hub's writer goes on appending to its WAL; it writes the live pages
                // only, compacted, as a plain rollback-journal database (no WAL beside it).
                let connection = try SQLiteConnection(path: self.database, readOnly: true)
                try connection.run("VACUUM INTO ?", [.text(database)])
            }
            let summary = try Self.check(database, destination: target, files: files)
            for leftover in ["-wal", "-shm", "-journal"] where fileManager.fileExists(atPath: database + leftover) {
                throw BackupError(description: "the copied database left \(database + leftover) behind")
            }
            try Self.sync(partial)
            guard rename(partial, target) == 0 else {
                throw BackupError(description: "cannot rename \(partial) to \(target): \(String(cString: strerror(errno)))")
            }
            try Self.sync(parent)
            return summary
        } catch {
            try? fileManager.removeItem(atPath: partial)
            throw error
        }
    }

    /// Restores `backup` (a backup, or any stopped data directory) into this directory, which
    /// must not exist: copies it as `backup(to:)` does (a consistent, checked database, every file
    /// with its mode), then gives every room a new epoch and records the restore in the decision
    /// log (`CaseStore.markRestored`). Nothing is left behind if any step fails.
    func restore(from backup: DataDirectory, at now: Timestamp) async throws -> (BackupSummary, RestoreSummary) {
        guard !FileManager.default.fileExists(atPath: root) else {
            throw BackupError(description: "\(root) already exists: move it aside (or name a new directory) and restore again")
        }
        guard backup.isInitialized else { throw BackupError(description: "\(backup.root) is not a backup (no data directory there)") }
        let copied = try backup.backup(to: root)
        do {
            let store = try CaseStore(path: database, rooming: RoomingConfiguration(decisionLogIdentity: try decisionLogIdentity()))
            defer { store.close() }
            return (copied, try await store.markRestored(at: now))
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw BackupError(description: "the copy could not be marked as restored (\(error)); nothing was left at \(root)")
        }
    }

    /// Copies every directory and regular file except the database, each with its own mode.
    private func copyFiles(into partial: String) throws -> [String] {
        let fileManager = FileManager.default
        guard let walker = fileManager.enumerator(atPath: root) else {
            throw BackupError(description: "cannot list \(root)")
        }
        var copied: [String] = []
        var relatives: [String] = []
        while let relative = walker.nextObject() as? String { relatives.append(relative) }
        for relative in relatives.sorted() {
            let from = path(relative)
            let to = (partial as NSString).appendingPathComponent(relative)
            var info = stat()
            guard lstat(from, &info) == 0 else {
                throw BackupError(description: "cannot read \(from): \(String(cString: strerror(errno)))")
            }
            let mode = info.st_mode & 0o7777
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                guard mkdir(to, mode) == 0 else {
                    throw BackupError(description: "cannot create \(to): \(String(cString: strerror(errno)))")
                }
                _ = chmod(to, mode)
            case S_IFREG:
                let name = (relative as NSString).lastPathComponent
                if relative == name, Self.databaseNames.contains(name) || name.hasPrefix("hub.sqlite.") || Self.runtimeNames.contains(name) { continue }
                guard let contents = fileManager.contents(atPath: from) else {
                    throw BackupError(description: "cannot read \(from)")
                }
                try SecureFile.create(to, bytes: [UInt8](contents), mode: mode)
                copied.append(relative)
            default:
                throw BackupError(description: "\(from) is neither a file nor a directory; move it out of the data directory and back up again")
            }
        }
        return copied
    }

    /// Opens the copied database and checks it (SQLite's integrity check); says what it holds.
    private static func check(_ database: String, destination: String, files: [String]) throws -> BackupSummary {
        let connection = try SQLiteConnection(path: database, readOnly: true)
        let integrity = try connection.query("PRAGMA integrity_check").map { $0.string(0) ?? "" }
        guard integrity == ["ok"] else {
            throw BackupError(description: "the copied database failed SQLite's integrity check: \(integrity.prefix(5).joined(separator: "; "))")
        }
        let version = try Migrator.currentVersion(of: connection)
        func count(_ table: String) throws -> Int64 { try connection.query("SELECT count(*) FROM \(table)").first?.int(0) ?? 0 }
        let size = (try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
        return BackupSummary(destination: destination, databaseBytes: size, schemaVersion: version, cases: try count("cases"),
                             roomEvents: try count("room_events"), decisionLogEntries: try count("decision_log"), files: files)
    }

    /// fsync on a directory, so that the entries created in it survive a crash.
    private static func sync(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BackupError(description: "cannot open \(directory): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw BackupError(description: "cannot sync \(directory): \(String(cString: strerror(errno)))") }
    }
}
