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
        subcommands: [UnitCommand.self, PersonCommand.self, CredentialCommand.self, ServerCertificateCommand.self, BackupCommand.self, RestoreCommand.self])

    /// Opens the store of an initialized data directory.
    static func openStore(_ options: DataDirectoryOptions) throws -> (DataDirectory, CaseStore) {
        let directory = DataDirectory(options.dataDir)
        guard directory.isInitialized else {
            throw CommandFailure("\(directory.root) is not an initialized data directory (run `conference-hub init` first)")
        }
        return (directory, try CaseStore(path: directory.database))
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

struct UnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unit", abstract: "Member units.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a unit.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Unit id (letters, digits, - _ .), e.g. housing.") var id: String
        @Option(help: "Display name.") var name: String
        @Option(help: "petition_bureau, department, government, subdistrict or other.") var kind: UnitKind = .department
        @Option(help: "Parent unit id (the unit hierarchy).") var parent: String?

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                let existing = Set(try await store.units().map(\.id.rawValue))
                guard !existing.contains(id) else { throw CommandFailure("unit `\(id)` already exists (see `admin unit list`)") }
                if let parent, !existing.contains(parent) {
                    throw CommandFailure("no unit `\(parent)` to be the parent; add it first")
                }
                try await store.addUnit(Unit(id: UnitID(id), name: name, kind: kind, parent: parent.map(UnitID.init(rawValue:))))
                print("added unit \(id)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List units.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                for unit in try await store.units() {
                    print("\(unit.id)\t\(unit.kind.rawValue)\t\(unit.parent?.rawValue ?? "-")\t\(unit.name)")
                }
            }
        }
    }
}

struct PersonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "person", abstract: "People and their roles.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a person acting for a unit.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Person id, e.g. p-wang-fang.") var id: String
        @Option(help: "Display name.") var name: String
        @Option(help: "The unit they act for.") var unit: String
        @Option(name: .customLong("role"), help: "officer, leader, coordinator, auditor or admin (repeatable).") var roles: [Role] = []

        func validate() throws {
            guard !roles.isEmpty else { throw ValidationError("give at least one --role") }
        }

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                guard try await store.person(PersonID(id)) == nil else {
                    throw CommandFailure("person `\(id)` already exists (see `admin person list`)")
                }
                guard try await store.units().contains(where: { $0.id.rawValue == unit }) else {
                    throw CommandFailure("no unit `\(unit)`; add it first with `admin unit add`")
                }
                try await store.addPerson(Person(id: PersonID(id), name: name, unit: UnitID(unit), roles: Set(roles)))
                print("added \(id) (\(roles.map(\.rawValue).sorted().joined(separator: ", "))) for \(unit)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List people.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                for person in try await store.people() {
                    print("\(person.id)\t\(person.unit)\t\(person.roles.map(\.rawValue).sorted().joined(separator: ","))\t\(person.name)")
                }
            }
        }
    }
}

struct CredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential", abstract: "Certificates and tokens.", subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a client certificate (signed by the conference CA) or a bearer token for a person.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "The person it identifies.") var person: String
        @Option(help: "Write cert.pem, key.pem (0600) and ca.pem to this new directory.") var cert: String?
        @Flag(help: "Issue a bearer token instead (printed once, stored only as a hash).") var token = false
        @Option(help: "A label to recognise it by.") var label: String = ""

        func validate() throws {
            guard (cert != nil) != token else { throw ValidationError("give exactly one of --cert OUTDIR or --token") }
        }

        func run() async throws {
            try await AdminCommand.withStore(data) { directory, store in
                let id = PersonID(person)
                guard let found = try await store.person(id) else { throw CommandFailure("no person `\(person)` (see `admin person list`)") }
                let now = Timestamp(Date())
                if let cert {
                    let authority = try CertificateIdentity(
                        certificatePEM: directory.read(directory.caCertificate), privateKeyPEM: directory.read(directory.caKey))
                    let issued = try CertificateFactory.issue(commonName: person, organization: found.unit.rawValue, usage: .client, signedBy: authority)
                    guard let digest = CaseStore.certificateDigest(fingerprintHex: issued.fingerprintSHA256) else {
                        throw CommandFailure("the new certificate has no usable fingerprint")
                    }
                    guard !FileManager.default.fileExists(atPath: cert) else { throw CommandFailure("\(cert) already exists; choose a new directory") }
                    try SecureFile.makeDirectory(cert, mode: 0o700)
                    try SecureFile.create(cert + "/key.pem", contents: issued.privateKeyPEM, mode: 0o600)
                    try SecureFile.create(cert + "/cert.pem", contents: issued.certificatePEM, mode: 0o644)
                    try SecureFile.create(cert + "/ca.pem", contents: authority.certificatePEM, mode: 0o644)
                    let credential = try await store.addCredential(
                        person: id, kind: .certificate, digest: digest, label: label.isEmpty ? "certificate" : label, at: now)
                    print("credential \(credential): certificate for \(person) in \(cert) (cert.pem, key.pem, ca.pem); sha256 \(issued.fingerprintSHA256)")
                } else {
                    let secret = CaseStore.makeToken()
                    let credential = try await store.addCredential(
                        person: id, kind: .token, digest: CaseStore.tokenDigest(secret), label: label.isEmpty ? "token" : label, at: now)
                    print("credential \(credential): token for \(person) (shown once; only its hash is stored):")
                    print(secret)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List credentials (never their secrets).")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Only this person's.") var person: String?

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                for credential in try await store.credentials(of: person.map(PersonID.init(rawValue:))) {
                    let state = credential.revokedAt.map { "revoked \($0)" } ?? "active"
                    print("\(credential.id)\t\(credential.person)\t\(credential.kind.rawValue)\t\(state)\t\(credential.label)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a credential; the hub closes its open connections within seconds.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The credential id (see `credential list`).") var id: Int64

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                guard try await store.revokeCredential(id: id, at: Timestamp(Date())) else {
                    throw CommandFailure("no active credential \(id) (see `admin credential list`)")
                }
                print("revoked credential \(id)")
            }
        }
    }
}

struct ServerCertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-cert",
        abstract: "Show the server certificate's names and expiry, or issue a new one (--renew).",
        discussion: """
            The new certificate is signed by the conference CA (clients keep trusting ca.pem as it is), \
            valid 825 days, for the names and addresses given, or those of the certificate in use. \
            The key and the certificate are each replaced at once; restart `serve` to use them.
            """)
    @OptionGroup var data: DataDirectoryOptions
    @Flag(help: "Issue a new server certificate and key in place of the current ones.") var renew = false
    @Option(name: .customLong("name"), help: "A DNS name for the new certificate (repeatable; default: the current ones).")
    var names: [String] = []
    @Option(name: .customLong("address"), help: "An IP address for the new certificate (repeatable; default: the current ones).")
    var addresses: [String] = []

    func validate() throws {
        guard renew || (names.isEmpty && addresses.isEmpty) else { throw ValidationError("--name and --address go with --renew") }
    }

    func run() throws {
        let directory = DataDirectory(data.dataDir)
        guard directory.isInitialized else {
            throw CommandFailure("\(directory.root) is not an initialized data directory (run `conference-hub init` first)")
        }
        do {
            if renew {
                let renewal = names.isEmpty && addresses.isEmpty
                let issued = try directory.renewServerCertificate(
                    names: renewal ? nil : names, addresses: renewal ? nil : addresses)
                print("issued a new server certificate: \(Self.describe(issued))")
                print("restart `conference-hub serve` to use it; clients keep trusting \(directory.caCertificate)")
            } else {
                print("server certificate: \(Self.describe(try directory.serverCertificateDetails()))")
            }
        } catch let error as CustomStringConvertible & Error {
            throw CommandFailure(error.description)
        }
    }

    static func describe(_ details: CertificateDetails, now: Date = Date()) -> String {
        let names = (details.dnsNames + details.ipAddresses).joined(separator: ", ")
        let days = details.daysLeft(at: now)
        let expiry = CertificateDetails.day(details.notAfter)
        let left = days >= 0 ? "\(days) days left" : "EXPIRED \(-days) days ago"
        return "\(names); expires \(expiry) (\(left)); sha256 \(details.fingerprintSHA256)"
    }
}

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
