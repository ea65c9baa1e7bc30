// `conference-hub bench scale`: a city conference at 1,000, 10,000 and 100,000 cases. Each size is
// built through the store as the hub builds it (60 units under 6 district governments, 2
// coordinators, an officer pair and a leader per unit, cases in every stage), then served by
// `conference-hub serve` (this binary, or --binary) and timed over the wire: what people open
// first (我的待办 for an officer, a leader and a coordinator; the case list with each filter;
// supervision; one case). Prints p50 and p95 per size and each request's growth exponent.
import ArgumentParser
import CaseCore
import Foundation
import Messaging
import NIOPosix

struct ScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Build conferences of growing size through the store, then time the requests people open first, over the wire.")

    @Option(help: "Conference sizes in cases, comma-separated.")
    var sizes = "1000,10000,100000"

    @Option(help: "Events per case on average (cases in handling carry plan revisions).")
    var eventsPerCase = 20

    @Option(help: "Concurrent writers while building.")
    var writers = 256

    @Option(help: "Timed runs of each request.")
    var runs = 30

    @Option(help: "The hub binary that serves the built conference (default: this one).")
    var binary: String?

    @Option(help: "Write the JSON result to this file as well.")
    var json: String?

    @Option(help: "Keep each built conference in DIR/<size> and reuse it when there already (to time another build or change on the same data).")
    var directory: String?

    var sizeList: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !sizeList.isEmpty, sizeList.allSatisfy({ $0 >= 100 }), sizeList.count == sizes.split(separator: ",").count else {
            throw ValidationError("--sizes is a comma-separated list of case counts of at least 100")
        }
        guard eventsPerCase >= 6, writers > 0, runs > 0 else { throw ValidationError("--events-per-case at least 6; positive --writers and --runs") }
    }

    /// What a kept conference needs to be timed again: the tokens (the directory is the bench's own, mode 0700).
    struct Kept: Codable {
        let events: Int64
        let seconds: Double
        let tokens: [String: String]
    }

    struct SizeResult: Codable {
        let cases: Int
        let events: Int64
        let buildSeconds: Double
        /// p50 and p95 per request, milliseconds.
        let p50: [String: Double]
        let p95: [String: Double]
        /// The size of each reply, bytes.
        let replyBytes: [String: Int]
    }

    func run() async throws {
        OpenFileLimit.raise()
        var results: [SizeResult] = []
        for size in sizeList {
            results.append(try await measure(size: size))
            report(results)
        }
        struct Output: Codable { let scenario: String; let binary: String?; let sizes: [SizeResult] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Output(scenario: "scale", binary: binary, sizes: results))
        print(String(decoding: data, as: UTF8.self))
        if let json { try data.write(to: URL(fileURLWithPath: json)) }
    }

    /// The table so far: p95 per size, and the exponent between the first and the last size.
    private func report(_ results: [SizeResult]) {
        guard let first = results.first, let last = results.last else { return }
        var header = "request".padding(toLength: 34, withPad: " ", startingAt: 0)
        for result in results { header += String(format: " %10@", "\(result.cases) p95" as NSString) }
        print(header + (results.count > 1 ? "   exponent" : "") + "   reply KiB at \(last.cases)")
        for (name, _) in ScaleConference.requests {
            var line = name.padding(toLength: 34, withPad: " ", startingAt: 0)
            for result in results { line += String(format: " %10.2f", result.p95[name] ?? .nan) }
            if results.count > 1, let a = first.p95[name], let b = last.p95[name], a > 0 {
                line += String(format: "   %8.2f", log(b / a) / log(Double(last.cases) / Double(first.cases)))
            }
            print(line + String(format: "   %10.1f", Double(last.replyBytes[name] ?? 0) / 1024))
        }
    }

    private func measure(size: Int) async throws -> SizeResult {
        let root = self.directory.map { "\($0)/\(size)" } ?? NSTemporaryDirectory() + "chub-bench-scale-" + UUID().uuidString
        let keptFile = URL(fileURLWithPath: root + "/built.json")
        let directory = DataDirectory(root + "/data")
        let conference: Kept
        if self.directory != nil, let data = try? Data(contentsOf: keptFile) {
            conference = try JSONDecoder().decode(Kept.self, from: data)
            FileHandle.standardError.write(Data("bench scale: \(size) cases, \(conference.events) events, kept in \(root)\n".utf8))
        } else {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            _ = try await directory.initialize()
            let built = try await ScaleConference.build(in: directory, cases: size, eventsPerCase: eventsPerCase, writers: writers)
            conference = Kept(events: built.events, seconds: built.seconds, tokens: built.tokens)
            FileHandle.standardError.write(Data(String(format: "bench scale: %d cases, %lld events built in %.1f s\n", size, built.events, built.seconds).utf8))
            if self.directory != nil {
                _ = FileManager.default.createFile(atPath: keptFile.path, contents: try JSONEncoder().encode(conference), attributes: [.posixPermissions: 0o600])
            }
        }
        let hub = try await BenchHub.serve(root: root, directory: directory, token: conference.tokens["coordinator-1"]!, rooms: [], threads: nil, binary: binary,
                                       keep: self.directory != nil)
        defer { hub.stop() }
        let group = MultiThreadedEventLoopGroup.singleton
        var clients: [String: HubClient] = [:]
        for (person, token) in conference.tokens {
            var connection = hub.connectionConfiguration(onMessage: nil)
            // An unbounded reply (a build before the lists were bounded) is timed, not refused.
            connection.webSocket.maxMessageSize = 256 << 20
            clients[person] = try await HubClient.connect(configuration: HubClientConfiguration(connection: connection, token: token), group: group)
        }
        var p50: [String: Double] = [:], p95: [String: Double] = [:], bytes: [String: Int] = [:]
        for (name, request) in ScaleConference.requests {
            let (person, type, fields) = request(size)
            guard let client = clients[person] else { continue }
            let first = try await client.send(type, fields)
            guard first.isOK else { throw ClientFailure("\(name): \(first.errorCode ?? "?") \(first.errorMessage ?? "")") }
            bytes[name] = first.text.utf8.count
            // A room joined is left again (untimed), so that the next join is a first one.
            func settle() async throws {
                if type == "join" { _ = try await client.request("leave", ["room": fields["room"] ?? ""]) }
            }
            try await settle()
            // Warmed up (the page cache, the statement cache, the allocator) before it is timed.
            for _ in 0..<5 {
                _ = try await client.send(type, fields)
                try await settle()
            }
            var samples: [Double] = []
            for _ in 0..<runs {
                samples.append(try await measureMilliseconds { _ = try await client.request(type, fields) })
                try await settle()
            }
            let sorted = samples.sorted()
            func percentile(_ fraction: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)] }
            (p50[name], p95[name]) = (percentile(0.5), percentile(0.95))
        }
        for client in clients.values { await client.close() }
        return SizeResult(cases: size, events: conference.events, buildSeconds: conference.seconds, p50: p50, p95: p95, replyBytes: bytes)
    }
}
