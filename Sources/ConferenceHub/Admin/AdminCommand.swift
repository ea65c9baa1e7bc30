// `conference-hub admin`: manage units, people and credentials in a data directory. Safe to run
// while the hub is serving (SQLite WAL; the hub notices revocations within seconds).
import ArgumentParser
import CaseCore
import Foundation
import Messaging

/// A refusal found while running a command (as opposed to a malformed option): printed as
/// `Error: …` and exit status 1, without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Manage units, people and credentials; back up the data directory.",
        subcommands: [UnitCommand.self, PersonCommand.self, CredentialCommand.self, ServerCertificateCommand.self, AuthorityCommand.self, BackupCommand.self, RestoreCommand.self])

    /// Opens the store of an initialized data directory.
    static func openStore(_ options: DataDirectoryOptions) throws -> (DataDirectory, CaseStore) {
        let directory = try initialized(options)
        return (directory, try CaseStore(path: directory.database))
    }

    /// The data directory, which must be initialized.
    static func initialized(_ options: DataDirectoryOptions) throws -> DataDirectory {
        let directory = DataDirectory(options.dataDir)
        guard directory.isInitialized else {
            throw CommandFailure("\(directory.root) is not an initialized data directory (run `conference-hub init` first)")
        }
        return directory
    }

    /// Runs `body` on the certificates of an initialized data directory, its errors as readable ones.
    static func withCertificates(_ options: DataDirectoryOptions, _ body: (DataDirectory) throws -> Void) throws {
        let directory = try initialized(options)
        do {
            try body(directory)
        } catch let error as CustomStringConvertible & Error {
            throw CommandFailure(error.description)
        }
    }

    /// Runs `body` with the store open, turning refusals into readable errors.
    static func withStore(_ options: DataDirectoryOptions, _ body: (DataDirectory, CaseStore) async throws -> Void) async throws {
        let (directory, store) = try openStore(options)
        defer { store.close() }
        do {
            try await body(directory, store)
        } catch let refusal as CaseRefusal {
            throw CommandFailure(refusal.reason)
        } catch let error as SQLiteError where error.isConstraintViolation {
            throw CommandFailure("refused by the database: \(error.message) (does it already exist, or does what it refers to not exist?)")
        }
    }
}

extension UnitKind: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}
