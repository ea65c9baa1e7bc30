// The `conference-hub` executable: every subcommand hangs off this root command.
import ArgumentParser
import Foundation

@main
struct ConferenceHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conference-hub",
        abstract: "A TLS WebSocket hub for a joint conference on petition work.",
        version: HubProtocol.serverVersion,
        subcommands: [ServeCommand.self, InitCommand.self, AdminCommand.self, ClientCommand.self, VerifyCommand.self, MinutesCommand.self, FiguresCommand.self, BenchCommand.self, DurabilityProbeCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Runs the command; a file error is printed in plain words (FileProblem).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: FileProblem.plain(error))
        }
    }
}

/// Options shared by the commands that work on a data directory.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "The hub's data directory (certificates, credentials, database).")
    var dataDir: String = "./hub-data"
}
