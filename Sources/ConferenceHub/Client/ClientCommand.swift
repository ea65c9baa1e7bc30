// `conference-hub client`: a terminal client for the hub. Line mode for people (`/join case-12`,
// plain text posts, `/who`, `/history`); `--json` mode for scripts (request objects on stdin, every
// reply and event as one JSON line on stdout).
import ArgumentParser
import Foundation
import Messaging
import NIOCore
import NIOPosix

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Connect to a hub: a line-oriented client, or JSON lines with --json.",
        discussion: """
            Authenticate with a client certificate (--cert and --key) or a bearer token (--token, \
            --token-file, or the CONFERENCEHUB_TOKEN environment variable).

            Line mode commands: \(LineClient.helpSummary)

            --json: each line of standard input is one request object (an `id` is added when \
            missing: `line-N` for input line N); every reply and event is printed as one JSON line, in the order received. At \
            the end of input the client waits for outstanding replies and exits (or, with --follow, \
            keeps printing events until the connection closes).
            """)

    @Option(help: "The hub's WebSocket URL, wss://HOST:PORT (path /v1/ws unless given).")
    var url: String

    @Option(help: "PEM file of the conference CA that signed the server certificate.")
    var ca: String

    @Option(help: "PEM file of this client's certificate (with --key).")
    var cert: String?

    @Option(help: "PEM file of this client's private key (with --cert).")
    var key: String?

    @Option(help: "A bearer token (visible to other local users in the process list; prefer --token-file).")
    var token: String?

    @Option(help: "A file holding the bearer token.")
    var tokenFile: String?

    @Option(help: "The name the server certificate must carry (default: the URL's host).")
    var serverName: String?

    @Flag(help: "JSON lines mode for scripts.")
    var json = false

    @Flag(help: "With --json: after the end of input keep printing events until the connection closes.")
    var follow = false

    @Option(help: "With --json: after the last reply, keep printing events this many milliseconds (room events can arrive just after the reply: a busy room sends them with its next batch).")
    var lingerMs = 100

    func validate() throws {
        let tokenSources = [token != nil, tokenFile != nil].filter { $0 }.count
        if tokenSources > 1 { throw ValidationError("give the token once: --token or --token-file") }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        if cert != nil && tokenSources > 0 { throw ValidationError("use either a certificate (--cert/--key) or a token, not both") }
        if follow && !json { throw ValidationError("--follow applies to --json mode") }
        guard (0...60_000).contains(lingerMs) else { throw ValidationError("--linger-ms is 0...60000") }
        _ = try ClientEndpoint(url: url)
    }

    func run() async throws {
        let configuration = try makeConfiguration()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let output = ConsoleOutput()
        let input = StandardInputLines.stream()
        let status: Int32
        if json {
            status = await JSONLinesClient(configuration: configuration, group: group, output: output, follow: follow, linger: .milliseconds(lingerMs)).run(input: input)
        } else {
            status = await LineClient(configuration: configuration, group: group, output: output).run(input: input)
        }
        try? await group.shutdownGracefully()
        if status != 0 { throw ExitCode(status) }
    }

    private func makeConfiguration() throws -> HubClientConfiguration {
        let endpoint = try ClientEndpoint(url: url)
        let trust = try readFile(ca, what: "CA certificate")
        var identity: (String, String)?
        if let cert, let key { identity = (try readFile(cert, what: "certificate"), try readFile(key, what: "private key")) }
        var bearer = token
        if let tokenFile { bearer = try readFile(tokenFile, what: "token").trimmingCharacters(in: .whitespacesAndNewlines) }
        if bearer == nil, identity == nil { bearer = ProcessInfo.processInfo.environment["CONFERENCEHUB_TOKEN"] }
        guard bearer != nil || identity != nil else {
            throw ClientFailure("no credential: give --cert and --key, --token, --token-file, or set CONFERENCEHUB_TOKEN")
        }
        let tls = TLSConfiguration.client(
            trustRootsPEM: trust, serverHostname: serverName ?? endpoint.host,
            certificateChainPEM: identity?.0, privateKeyPEM: identity?.1)
        var connection = WebSocketClientConfiguration(host: endpoint.host, port: endpoint.port, tls: tls)
        connection.path = endpoint.path
        return HubClientConfiguration(connection: connection, token: bearer)
    }

    private func readFile(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ClientFailure("cannot read the \(what) file \(path)") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A failure reported as `Error: …` without the usage text.
struct ClientFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Host, port and path from a `wss://` URL.
struct ClientEndpoint: Equatable {
    var host: String
    var port: Int
    var path: String

    init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "wss",
            var host = components.host, !host.isEmpty
        else { throw ValidationError("--url must look like wss://HOST:PORT (the hub speaks only TLS)") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = components.port ?? 443
        self.path = components.path.isEmpty || components.path == "/" ? "/v1/ws" : components.path
    }
}

/// Writes whole lines to standard output and standard error (or to closures, in tests), one at
/// a time, so that events and replies printed from different tasks never interleave.
final class ConsoleOutput: @unchecked Sendable {
    // @unchecked: the closures are only called with `lock` held.
    private let lock = NSLock()
    private let writeLine: @Sendable (String) -> Void
    private let writeError: @Sendable (String) -> Void

    init(
        line: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
        error: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) {
        self.writeLine = line
        self.writeError = error
    }

    func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeLine(text)
    }

    func error(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeError(text)
    }
}

/// What the client loops react to, in order: a line of input, its end, or a closed connection.
enum ClientInput: Sendable {
    case line(String)
    case endOfInput
    case closed(HubClient, HubClientError)
}

/// Standard input as a stream of lines, read on a thread of its own (reads block).
enum StandardInputLines {
    static func stream() -> (AsyncStream<ClientInput>, AsyncStream<ClientInput>.Continuation) {
        let (stream, continuation) = AsyncStream<ClientInput>.makeStream()
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(.line(line)) }
            continuation.yield(.endOfInput)
        }
        thread.start()
        return (stream, continuation)
    }
}
