// BenchSmokeTests: a short run of every `conference-hub bench` scenario (a few hundred messages),
// so that the load tool cannot rot. Timings are printed by the tool, never checked here.
@testable import ConferenceHub
import Foundation
import NIOCore
import XCTest

final class BenchSmokeTests: XCTestCase {
    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
    }

    /// Runs `conference-hub bench ARGS`; returns the JSON result (the last line of output).
    private func bench(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let (status, output, errors) = try await runProcess(executable, ["bench"] + arguments, input: "")
        XCTAssertEqual(status, 0, "bench \(arguments.joined(separator: " ")) failed:\n\(output)\n\(errors)", file: file, line: line)
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "no JSON result:\n\(output)", file: file, line: line)
    }

    func testFanoutChecksEveryDelivery() async throws {
        let result = try await bench(["fanout", "--subscribers", "4", "--publishers", "2", "--messages", "100", "--client-threads", "1"])
        XCTAssertEqual(result["scenario"] as? String, "fanout")
        XCTAssertEqual(result["deliveries"] as? Int, 800, "4 subscribers × 2 publishers × 100 messages")
        XCTAssertNotNil((result["latency"] as? [String: Any])?["p999_ms"])
        // Each post's acknowledgement is timed too (zero throughout if none was recorded).
        let acknowledgement = result["acknowledgement_latency"] as? [String: Double] ?? [:]
        XCTAssertGreaterThan(acknowledgement["max_ms"] ?? 0, 0)
        XCTAssertLessThanOrEqual(acknowledgement["p50_ms"] ?? .infinity, acknowledgement["max_ms"] ?? 0)
        // Every delivery is also counted in the second its message was sent in.
        let seconds = result["latency_by_second"] as? [[String: Any]] ?? []
        XCTAssertFalse(seconds.isEmpty)
        XCTAssertEqual(seconds.compactMap { $0["count"] as? Int }.reduce(0, +), 800)
        // The started hub logs slow commits; the run counts those in its span.
        XCTAssertEqual((result["slow_commits"] as? [String: Any])?["threshold_ms"] as? Int, BenchHub.defaultSlowCommitMs)
    }

    /// Slow commits as `serve` logs them, read back by the bench; the threshold it was started with.
    func testSlowCommitsAreReadFromTheHubsLog() {
        let line = { (duration: String) in
            "2026-11-22T18:00:00+0000 warning conferencehub : commit_ms=\(duration) duration_ms=\(duration) writes=3 [ConferenceHub] slow commit"
        }
        let log = [line("120.5"), "2026-11-22T18:00:01+0000 warning conferencehub : [Messaging] closing a peer that is not reading", line("60.0")]
            .joined(separator: "\n")
        let slow = SlowCommits(log: log, threshold: 50)
        XCTAssertEqual(slow.durations, [120.5, 60.0])
        XCTAssertEqual(slow.row.0, "commits of 50 ms or more")
        XCTAssertEqual(slow.row.1, "2, longest 120.5 ms, 180 ms in all")
        XCTAssertEqual(SlowCommits(log: "", threshold: 50).row.1, "none")
        XCTAssertEqual(SlowCommitFormat.milliseconds(.microseconds(120_450)), "120.5")
        XCTAssertTrue(line(SlowCommitFormat.milliseconds(.milliseconds(75))).contains("duration_ms=75.0"))
        XCTAssertEqual(BenchHub.slowCommitThreshold(in: ["serve", "--slow-commit-ms", "50", "--slow-commit-ms=10"]), 10, "the last one counts")
        XCTAssertEqual(BenchHub.slowCommitThreshold(in: ["serve", "--slow-commit-ms", "0"]), 0)
        XCTAssertNil(BenchHub.slowCommitThreshold(in: ["serve"]))
    }

    /// Latencies by the second their message was sent in: each second's p99, the machine's
    /// share stolen in it where sampled, and the worst second named.
    func testLatencyBySecond() throws {
        let origin: UInt64 = 5_000_000_000
        var first = LatencyBySecond(), second = LatencyBySecond()
        for index in 0..<100 {
            // Second 0: 1-100 ms; second 2: 200 ms each; a message sent before the origin counts in second 0.
            first.record(sent: origin + UInt64(index) * 1_000_000, origin: origin, microseconds: UInt64(index + 1) * 1_000)
            second.record(sent: origin + 2_500_000_000, origin: origin, microseconds: 200_000)
        }
        second.record(sent: origin - 1, origin: origin, microseconds: 1_000)
        second.record(sent: origin + UInt64(LatencyBySecond.limit) * 1_000_000_000, origin: origin, microseconds: 1_000)
        first.add(second)
        XCTAssertEqual(first.seconds.map(\.count), [101, 0, 100], "second 1 had nothing; past the limit is not kept")
        let machine = [MachineSeconds.Second(busy: 50, steal: 1), MachineSeconds.Second(busy: 60, steal: 2), MachineSeconds.Second(busy: 90, steal: 12.5)]
        let report = try XCTUnwrap(first.report(machine: machine))
        XCTAssertEqual(report.json.map { $0["second"] as? Int }, [0, 2], "seconds without messages are left out")
        XCTAssertEqual(report.json.map { $0["count"] as? Int }, [101, 100])
        XCTAssertEqual(report.json[0]["p99_ms"] as? Double ?? 0, 99, accuracy: 1)
        XCTAssertEqual(report.json[1]["p99_ms"] as? Double ?? 0, 200, accuracy: 2)
        XCTAssertEqual(report.json[1]["steal_percent"] as? Double, 12.5)
        XCTAssertTrue(report.row.contains("over 2 s"), report.row)
        XCTAssertTrue(report.row.contains("(second 2, 12.5 % stolen in it)"), report.row)
        XCTAssertNil(LatencyBySecond().report(machine: []))
    }

    /// `bench cases` at a small size: it fills a database through the real store, then times every
    /// query; run again on the same file, it reuses the data as it is.
    /// The load generator's reading of messages: keys found wherever they are (start, end, after
    /// near misses), not found when absent or cut short.
    func testTheLoadGeneratorFindsWhatItReads() {
        func find(_ needle: String, in text: String) -> Int? {
            Array(text.utf8).withUnsafeBytes { FastJSON.find(FastJSON.Needle(needle), in: $0) }
        }
        XCTAssertEqual(find(#""id":""#, in: #""id":"7"}"#), 0)
        XCTAssertEqual(find(#""id":""#, in: #"{"idx":1,"id":"7"}"#), 9)
        XCTAssertEqual(find("xyz", in: "xxyxyz"), 3)
        XCTAssertEqual(find("xyz", in: "abcxyz"), 3, "at the very end")
        XCTAssertNil(find("xyz", in: "abcxy"), "cut short")
        XCTAssertNil(find("xyz", in: "xy"), "longer than the text")
        XCTAssertNil(find(#""type":"ok""#, in: #"{"type":"error"}"#))
        let event = ByteBuffer(string: #"{"at":"2026-11-22T00:00:00.000Z","seq":9,"text":"p3 m41 t123456 xxxx","type":"event"}"#)
        XCTAssertEqual(FastJSON.loadMessage(event)?.publisher, 3)
        XCTAssertEqual(FastJSON.loadMessage(event)?.number, 41)
        XCTAssertEqual(FastJSON.loadMessage(event)?.sent, 123_456)
        XCTAssertNil(FastJSON.replyID(event), "an event is not a reply")
        let reply = ByteBuffer(string: #"{"id":"42","result":{},"type":"ok"}"#)
        XCTAssertEqual(FastJSON.replyID(reply), "42")
        XCTAssertTrue(FastJSON.isOK(reply))
        XCTAssertNil(FastJSON.loadMessage(reply))
    }

    func testCasesFillsADatabaseAndTimesEveryQuery() async throws {
        let database = try temporaryDirectory() + "/cases.sqlite"
        let arguments = ["cases", "--cases", "120", "--events-per-case", "10", "--writers", "4", "--runs", "2", "--database", database]
        let filled = try await bench(arguments)
        XCTAssertEqual(filled["scenario"] as? String, "cases")
        XCTAssertEqual(filled["cases"] as? Int, 120)
        XCTAssertGreaterThan(filled["events"] as? Int ?? 0, 120 * 3, "each case goes through several changes")
        XCTAssertNotNil(filled["fillSeconds"] as? Double)
        let queries = filled["queries"] as? [String: [String: Double]] ?? [:]
        XCTAssertEqual(queries.count, 11, "\(queries.keys.sorted())")
        XCTAssertTrue(queries.values.allSatisfy { ($0["p50"] ?? -1) >= 0 && ($0["max"] ?? -1) >= ($0["p50"] ?? 0) }, "\(queries)")
        let reused = try await bench(arguments)
        XCTAssertEqual(reused["cases"] as? Int, 120, "not filled twice")
        XCTAssertEqual(reused["events"] as? Int, filled["events"] as? Int)
        XCTAssertNil(reused["fillSeconds"], "nothing filled")
    }

    func testScaleBuildsEachSizeServesItAndTimesEveryRequestOverTheWire() async throws {
        let result = try await bench(["scale", "--sizes", "100,200", "--events-per-case", "6", "--writers", "8", "--runs", "2"])
        XCTAssertEqual(result["scenario"] as? String, "scale")
        let sizes = result["sizes"] as? [[String: Any]] ?? []
        XCTAssertEqual(sizes.compactMap { $0["cases"] as? Int }, [100, 200])
        for size in sizes {
            let p95 = size["p95"] as? [String: Double] ?? [:]
            XCTAssertEqual(Set(p95.keys), Set(ScaleConference.requests.map(\.0)), "every request timed")
            XCTAssertTrue(p95.values.allSatisfy { $0 > 0 }, "\(p95)")
            XCTAssertGreaterThan(size["events"] as? Int ?? 0, (size["cases"] as? Int ?? 0) * 3)
        }
    }

    func testPacedFanout() async throws {
        let result = try await bench(["fanout", "--subscribers", "2", "--publishers", "1", "--messages", "50", "--rate", "500", "--client-threads", "1"])
        XCTAssertEqual(result["deliveries"] as? Int, 100)
    }

    func testDurableConnectIdleAndRecover() async throws {
        let durable = try await bench(["durable", "--publishers", "3", "--messages", "50", "--client-threads", "1"])
        XCTAssertEqual(durable["posts"] as? Int, 150)
        // What the run cost, read from /proc: CPU of both sides and the server's writes to disk.
        XCTAssertGreaterThan(durable["server_cpu_us_per_post"] as? Double ?? 0, 0)
        XCTAssertNotNil(durable["storage_bytes_per_post"] as? Double, "read from /proc/PID/io (zero on a RAM file system)")
        let connect = try await bench(["connect", "--connections", "30", "--concurrency", "4", "--client-threads", "1"])
        XCTAssertEqual(connect["connections"] as? Int, 30)
        XCTAssertGreaterThan(connect["load_generator_cpu_us_per_connection"] as? Double ?? 0, 0)
        let idle = try await bench(["idle", "--connections", "20", "--idle-seconds", "1", "--client-threads", "1"])
        XCTAssertEqual(idle["connections"] as? Int, 20)
        XCTAssertGreaterThan(idle["rss_after_bytes"] as? Int ?? 0, 0, "read from /proc of the server process")
        let recover = try await bench(["recover", "--missed", "100", "--runs", "1", "--client-threads", "1"])
        XCTAssertEqual((recover["catch_up_ms"] as? [Double])?.count, 1)
    }

    /// A refused post is never counted as acknowledged: the run fails and names the hub's reason.
    func testRefusedPostsFailTheRun() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        for scenario in [["durable", "--publishers", "2", "--messages", "5"], ["fanout", "--subscribers", "2", "--publishers", "1", "--messages", "5"],
                         ["recover", "--missed", "5", "--runs", "1"]] {
            // A short timeout, so that a run that waits for what will never come fails quickly.
            let arguments = ["bench"] + scenario + ["--size", "64", "--hub-option=--max-text-length=40", "--client-threads", "1", "--timeout", "30"]
            let (status, output, errors) = try await runProcess(executable, arguments, input: "")
            XCTAssertEqual(status, 1, "\(scenario[0]): \(output)")
            XCTAssertTrue(errors.contains("a post was refused") && errors.contains("longer than 40 characters"), "\(scenario[0]): \(errors)")
        }
        let (status, _, errors) = try await runProcess(executable, ["bench", "durable", "--hub-option=--no-such-option"], input: "")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("the hub did not start") && errors.contains("no-such-option"), errors)
    }

    /// Ctrl-C during a run stops the hub the bench started and removes its data directory.
    func testAnInterruptedRunStopsTheHubItStarted() throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        // A lost signal would let the run go on until its own timeout (60 s), then fail below.
        let child = try ChildProcess(executable, ["bench", "durable", "--publishers", "1", "--messages", "100000000", "--client-threads", "1", "--timeout", "60"])
        let process = child.process
        // The bench says which hub it started once its signal handling is in place.
        var text = ChildProcess.read(child.errors, until: "\n")
        let match = try XCTUnwrap(text.firstMatch(of: /started a hub, pid (\d+), .* data in (\S+)/), text)
        let hubPID = try XCTUnwrap(Int32(match.1))
        let directory = String(match.2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory))
        XCTAssertEqual(kill(hubPID, 0), 0, "the hub runs")
        // Told to stop by itself should the bench be killed outright (DataDirectoryTests checks serve does).
        let command = try String(contentsOfFile: "/proc/\(hubPID)/cmdline", encoding: .utf8).split(separator: "\0").map(String.init)
        let watched = try XCTUnwrap(command.firstIndex(of: "--parent-pid"), "\(command)")
        XCTAssertEqual(command.dropFirst(watched + 1).first, "\(process.processIdentifier)")

        process.interrupt()  // SIGINT, the moment the line is read: the handler is already in place
        process.waitUntilExit()
        text += child.remainingErrors()
        XCTAssertEqual(process.terminationStatus, 128 + SIGINT, text)
        XCTAssertTrue(text.contains("interrupted; stopping the hub it started"), text)
        XCTAssertEqual(kill(hubPID, 0), -1, "the hub is gone")
        XCTAssertEqual(errno, ESRCH)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory), "its data directory is removed")
    }

    func testUnreachableTargetsAreRefused() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let (status, _, errors) = try await runProcess(executable, ["bench", "fanout", "--url", "wss://192.0.2.1:8443", "--ca", "x", "--token", "t", "--room", "r"], input: "")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("loopback"), errors)
    }
}
