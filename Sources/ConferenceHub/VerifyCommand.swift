// `conference-hub verify` and `conference-hub minutes`: check a data directory's records, and
// export a meeting's minutes.
import ArgumentParser
import CaseCore
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a data directory: every case's hash chain, the projections, the kept work items, and the decision log against its signed checkpoints.")

    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        let (directory, store) = try AdminCommand.openStore(data)
        defer { store.close() }
        var failures = 0
        let chains = try await store.verifyChains()
        for violation in chains { print("case chain: \(violation)") }
        print("case chains: \(chains.isEmpty ? "intact" : "\(chains.count) broken")")
        failures += chains.count
        let projections = try await store.projectionMismatches()
        for id in projections { print("case projection differs from its events: \(id)") }
        print("case projections: \(projections.isEmpty ? "match their events" : "\(projections.count) differ")")
        failures += projections.count
        let figures = try await store.figuresMismatches()
        for line in figures { print("figures: \(line)") }
        print("daily figures: \(figures.isEmpty ? "match the events" : "\(figures.count) differ")")
        failures += figures.count
        let workItems = try await store.workItemMismatches()
        for id in workItems { print("kept work items, title or next due time differ from the case: \(id)") }
        print("kept work items and list columns: \(workItems.isEmpty ? "match the cases" : "\(workItems.count) cases differ")")
        failures += workItems.count
        guard FileManager.default.fileExists(atPath: directory.decisionKey) else {
            print("decision log: no signing key in \(directory.root) (nothing was decided yet)")
            if failures > 0 { throw ExitCode(1) }
            return
        }
        let identity = try directory.decisionLogIdentity()
        let problems = try await store.verifyDecisionLog(publicKey: identity.signer.publicKey)
        for problem in problems { print(problem) }
        let entries = try await store.decisionEntries(limit: .max).count
        let checkpoint = try await store.checkpoint()
        print("decision log: \(entries) entries, latest checkpoint size \(checkpoint?.size ?? 0); "
              + (problems.isEmpty ? "every entry matches the tree and every checkpoint signature verifies" : "\(problems.count) problems"))
        failures += problems.count
        if failures > 0 { throw ExitCode(1) }
    }
}

struct MinutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "minutes", abstract: "Export a meeting's minutes as Markdown or JSON.")

    @OptionGroup var data: DataDirectoryOptions

    @Option(help: "The meeting, e.g. meeting-3 or 3.")
    var meeting: String

    @Option(help: "markdown or json.")
    var format = "markdown"

    func validate() throws {
        guard MeetingID(meeting) != nil else { throw ValidationError("--meeting is a meeting id such as meeting-3") }
        guard format == "markdown" || format == "json" else { throw ValidationError("--format is markdown or json") }
    }

    func run() async throws {
        let (_, store) = try AdminCommand.openStore(data)
        defer { store.close() }
        guard let id = MeetingID(meeting), let found = try await store.meeting(id) else { throw CommandFailure("no meeting \(meeting)") }
        if format == "markdown" {
            print(MinutesDocument.markdown(found), terminator: "")
        } else {
            let encoder = WireCoding.encoder
            encoder.outputFormatting.insert(.prettyPrinted)
            let data = try encoder.encode(MinutesDocument.record(found))
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
