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
            // `serve` with JSON logs: a command line it cannot parse is said in a JSON line too
            // (a refusal after parsing is ServeCommand's to write).
            if Self.servesWithJSONLogs(CommandLine.arguments.dropFirst()), exitCode(for: error) != .success, !(error is ExitCode) {
                Console.announce("conference-hub cannot start: \(fullMessage(for: error))", format: .json, level: .critical, to: true)
                exit(withError: exitCode(for: error))
            }
            exit(withError: FileProblem.plain(error))
        }
    }

    /// Whether these arguments run `serve` (named, or by default) with `--log-format json` (or
    /// `CONFERENCEHUB_LOG_FORMAT=json`).
    static func servesWithJSONLogs(_ arguments: ArraySlice<String>) -> Bool {
        let subcommands = Set(configuration.subcommands.map { $0._commandName })
        guard arguments.first.map({ $0 == "serve" || !subcommands.contains($0) }) ?? true else { return false }
        let flag = arguments.contains("--log-format=json") || zip(arguments, arguments.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
        return flag || ProcessInfo.processInfo.environment["CONFERENCEHUB_LOG_FORMAT"] == "json"
    }
}

/// Options shared by the commands that work on a data directory.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "The hub's data directory (certificates, credentials, database).")
    var dataDir: String = "./hub-data"
}
