// `conference-hub durability-probe`: a hidden test tool. Several writers drive cases through the
// store as fast as they can and print `ack CASE SEQ` after each acknowledged write; a test kills
// the process with SIGKILL and checks that every acknowledged event survived.
import ArgumentParser
import CaseCore
import Foundation

struct DurabilityProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durability-probe",
        abstract: "Write cases under load, printing each acknowledged event (test tool).",
        shouldDisplay: false)

    @Option(help: "The SQLite database to write (created if missing).")
    var database: String

    @Option(help: "Concurrent writers.")
    var writers: Int = 8

    @Option(help: "Stop after this many acknowledged writes.")
    var maxWrites: Int = 20_000

    func validate() throws {
        guard (1...256).contains(writers), maxWrites > 0 else { throw ValidationError("1-256 writers and a positive --max-writes") }
    }

    func run() async throws {
        let store = try CaseStore(path: database)
        let lead = UnitID("probe-lead"), helper = UnitID("probe-helper"), office = UnitID("probe-office")
        if try await store.units().isEmpty {
            for unit in [lead, helper, office] { try await store.addUnit(Unit(id: unit, name: unit.rawValue, kind: .department)) }
        }
        let coordinator = Actor(person: PersonID("probe-coordinator"), unit: office, roles: [.coordinator])
        let officer = Actor(person: PersonID("probe-officer"), unit: lead, roles: [.officer])
        let registration = Registration(
            title: "Durability probe", summary: "", category: .claim, channel: .online,
            receivedOn: ConferenceTimeZone.chinaStandardTime.localDate(of: Date()), involvedUnits: [lead, helper],
            petitioner: Petitioner(name: "Probe", contact: ""))
        let steps: [(CaseChange, Actor)] = [
            (.assigned(Assignment(lead: lead, coHandling: [helper])), coordinator),
            (.accepted, officer), (.handlingStarted, officer),
        ]
        let perWriter = (maxWrites + writers - 1) / writers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var written = 0
                    while written < perWriter {
                        let first = try await store.register(registration, by: coordinator)
                        Self.acknowledge(first)
                        written += 1
                        for (change, actor) in steps where written < perWriter {
                            Self.acknowledge(try await store.perform(change, on: first.caseID, by: actor))
                            written += 1
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        store.close()
    }

    /// One line per acknowledged event, in a single write(2) so lines never interleave.
    static func acknowledge(_ event: CaseEvent) {
        FileHandle.standardOutput.write(Data("ack \(event.caseID.rawValue) \(event.sequence)\n".utf8))
    }
}
