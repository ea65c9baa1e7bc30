// `admin unit`: the member units and their hierarchy.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

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
