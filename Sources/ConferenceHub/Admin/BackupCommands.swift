// `admin backup` and `admin restore`: a consistent copy of the data directory, and putting one back.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the data directory (database, certificates, keys) into a new directory, while the hub keeps serving.",
        discussion: """
            The database is copied with SQLite's VACUUM INTO as one consistent, compacted snapshot and checked \
            with SQLite's integrity check; every other file keeps its mode (private keys stay 0600). \
            The copy is a data directory: `serve --data-dir DIR` runs on it as it is. It holds \
            private keys and petitioner personal data: keep it as safe as the original.
            """)
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "The new directory to create (it must not exist).") var to: String

    func run() throws {
        let summary: BackupSummary
        do {
            summary = try DataDirectory(data.dataDir).backup(to: to)
        } catch let error as BackupError {
            throw CommandFailure(error.description)
        }
        let megabytes = String(format: "%.1f", Double(summary.databaseBytes) / 1_048_576)
        print("""
            backed up \(data.dataDir) to \(summary.destination): hub.sqlite \(megabytes) MB (schema version \(summary.schemaVersion), \
            integrity ok; \(summary.cases) cases, \(summary.roomEvents) room events, \(summary.decisionLogEntries) decision log entries) \
            and \(summary.files.count) other files, each with its mode
            """)
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data directory that a stopped hub then serves.",
        discussion: """
            Copies the backup into --data-dir (which must not exist: move the damaged directory aside \
            first), checks the database, gives every room a new epoch, so that clients that saw events \
            the backup does not hold reload those rooms instead of recovering onto other events, and \
            records the restore in the decision log. Then start `serve --data-dir` on it.
            """)
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "The backup to restore (a directory made by `admin backup`).") var from: String

    func run() async throws {
        let source = DataDirectory(from)
        if FileManager.default.fileExists(atPath: source.root) {
            // A hub serving the backup itself would go on writing to it: refuse.
            do {
                let lock = try ServeLock.acquire(source)
                withExtendedLifetime(lock) {}
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        let copied: BackupSummary, restored: RestoreSummary
        do {
            (copied, restored) = try await DataDirectory(data.dataDir).restore(from: source, at: Timestamp(Date()))
        } catch let error as BackupError {
            throw CommandFailure(error.description)
        }
        print("""
            restored \(from) to \(copied.destination): \(copied.cases) cases, \(copied.roomEvents) room events, \
            \(restored.decisionLogSize) decision log entries and \(copied.files.count) other files; \(restored.rooms) rooms have a new epoch \
            and the decision log records the restore (entry \(restored.decisionLogSize)). Start the hub with `serve --data-dir \(data.dataDir)`.
            """)
    }
}
