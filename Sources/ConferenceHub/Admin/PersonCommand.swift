// `admin person`: people, their roles, and the one-time passwords they sign in to the console with.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

struct PersonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "person", abstract: "People and their roles.", subcommands: [Add.self, List.self, Password.self])

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

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a one-time password for signing in to the console; the person chooses their own at first sign-in.",
            discussion: """
                Prints a new random password once (only its scrypt hash is stored). Hand it to the person by a channel you \
                trust; it signs in only to choose a new password. Running it again replaces the password, for a person \
                who forgot theirs. --remove takes password sign-in away (certificates and tokens are not affected).
                """)
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The person's id.") var person: String
        @Flag(help: "Remove the person's password instead.") var remove = false

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                let id = PersonID(person)
                guard try await store.person(id) != nil else { throw CommandFailure("no person `\(person)` (see `admin person list`)") }
                if remove {
                    guard try await store.removePassword(of: id) else { throw CommandFailure("`\(person)` has no password") }
                    print("removed the password of \(person)")
                    return
                }
                let initial = PasswordRules.makeInitial()
                try await store.setPassword(person: id, hash: try PasswordHash.make(initial), mustChange: true, at: Timestamp(Date()))
                print("one-time password for \(person) (shown once; they choose their own at first sign-in):")
                print(initial)
            }
        }
    }
}
