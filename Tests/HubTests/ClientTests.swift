// ClientTests: the protocol-level Swift client (HubClient) and `conference-hub client` in both
// modes — replies matched by id, resuming from the last seen position, certificate identity, the
// JSON lines mode of the real executable, and the line client reconnecting after a dropped connection.
import CaseCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

/// Collects lines (or messages) produced on other tasks and waits for one that matches.
final class LineRecorder<Element: Sendable>: Sendable {
    private let state = NIOLockedValueBox<(seen: [Element], waiters: [(predicate: @Sendable (Element) -> Bool, continuation: CheckedContinuation<Element, Error>)])>(([], []))
    /// Everything recorded so far.
    var all: [Element] { state.withLockedValue { $0.seen } }

    func record(_ element: Element) {
        let ready = state.withLockedValue { state in
            state.seen.append(element)
            let (matched, waiting) = state.waiters.reduce(into: ([CheckedContinuation<Element, Error>](), [(predicate: @Sendable (Element) -> Bool, continuation: CheckedContinuation<Element, Error>)]())) {
                if $1.predicate(element) { $0.0.append($1.continuation) } else { $0.1.append($1) }
            }
            state.waiters = waiting
            return matched
        }
        for continuation in ready { continuation.resume(returning: element) }
    }

    /// The first element recorded after `skip` earlier ones that matches; fails after 30 s (a
    /// guard against hanging, not a timing assumption).
    func first(after skip: Int = 0, where predicate: @escaping @Sendable (Element) -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws -> Element {
        let found = try await withThrowingTaskGroup(of: Element?.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    let existing = self.state.withLockedValue { state -> Element? in
                        if let hit = state.seen.dropFirst(skip).first(where: predicate) { return hit }
                        state.waiters.append((predicate, continuation))
                        return nil
                    }
                    if let existing { continuation.resume(returning: existing) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let found else {
            XCTFail("nothing matching within 30 s; recorded: \(all.suffix(10))", file: file, line: line)
            throw CancellationError()
        }
        return found
    }
}

final class ClientTests: XCTestCase {
    private func configuration(_ hub: HubTestServer, token: String?, identity: CertificateIdentity? = nil) -> HubClientConfiguration {
        HubClientConfiguration(
            connection: WebSocketClientConfiguration(
                host: "127.0.0.1", port: hub.port,
                tls: TestPKI.clientConfiguration(hostname: "127.0.0.1", identity: identity)),
            token: token)
    }

    func testHubClientMatchesRepliesAndResumesWhereItLeftOff() async throws {
        let hub = try await HubTestServer.hub()
        let writer = try await HubClient.connect(configuration: configuration(hub, token: hub.tokens[PersonID("h-officer")]), group: hub.group)
        XCTAssertEqual(writer.identity?.person, "h-officer")
        XCTAssertEqual(writer.identity?.unit, "housing")
        let seen = LineRecorder<String>()
        let reader = try await HubClient.connect(
            configuration: configuration(hub, token: hub.tokens[PersonID("f-officer")]), group: hub.group
        ) { message in
            if message.kind == "message" { seen.record(message.object["text"] as? String ?? "") }
        }
        try await writer.join("lobby")
        try await reader.join("lobby")
        for n in 1...3 { try await writer.post("lobby", text: "before \(n)", key: "b\(n)") }
        _ = try await seen.first { $0 == "before 3" }
        let left = try XCTUnwrap(reader.positions["lobby"])
        await reader.close()

        for n in 1...5 { try await writer.post("lobby", text: "missed \(n)", key: "m\(n)") }
        // An error reply is thrown with its stable code; the connection stays usable.
        do {
            try await writer.request("post", ["room": "case-999", "text": "x", "key": "x"])
            XCTFail("posting to a room not joined must fail")
        } catch HubClientError.refused(let code, _) {
            XCTAssertEqual(code, "not_joined")
        }

        let again = LineRecorder<String>()
        let resumed = try await HubClient.connect(
            configuration: configuration(hub, token: hub.tokens[PersonID("f-officer")]), group: hub.group, positions: reader.positions
        ) { message in
            if message.kind == "message" { again.record(message.object["text"] as? String ?? "") }
        }
        let joined = try await resumed.join("lobby")
        XCTAssertEqual(joined.result["recovered"] as? Bool, true, joined.text)
        try await writer.post("lobby", text: "live", key: "live")
        _ = try await again.first { $0 == "live" }
        XCTAssertEqual(again.all, (1...5).map { "missed \($0)" } + ["live"], "every missed message once, in order, then live")
        XCTAssertGreaterThan(try XCTUnwrap(resumed.positions["lobby"]).seq, left.seq)

        await resumed.close()
        await writer.close()
        do {
            try await writer.request("hello")
            XCTFail("a closed client must refuse requests")
        } catch HubClientError.closed {}
        try await hub.stop()
    }

    func testCertificateIdentifiesTheClientWithoutAToken() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await HubClient.connect(configuration: configuration(hub, token: nil, identity: TestPKI.client), group: hub.group)
        XCTAssertEqual(client.identity?.person, "h-officer")
        XCTAssertEqual(client.certificate?.daysLeft, 824, "the hub's view of the certificate: issued an hour ago for 825 days")
        await client.close()
        do {
            _ = try await HubClient.connect(configuration: configuration(hub, token: nil), group: hub.group)
            XCTFail("no certificate and no token cannot authenticate")
        } catch HubClientError.refused(let code, _) {
            XCTAssertEqual(code, "unauthorized")
        }
        do {
            _ = try await HubClient.connect(configuration: configuration(hub, token: "chub_not-a-real-token"), group: hub.group)
            XCTFail("a wrong token cannot authenticate")
        } catch HubClientError.refused(let code, _) {
            XCTAssertEqual(code, "unauthorized")
        }
        try await hub.stop()
    }

    func testJSONModeOfTheExecutable() async throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub not built") }
        let hub = try await HubTestServer.hub()
        let directory = try temporaryDirectory()
        try TestPKI.authority.certificatePEM.write(toFile: directory + "/ca.pem", atomically: true, encoding: .utf8)
        try (hub.tokens[PersonID("h-officer")]! + "\n").write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let input = [
            #"{"id": "j", "type": "join", "room": "lobby"}"#,
            #"{"type": "post", "room": "lobby", "text": "from a script", "key": "s1"}"#,
            "this is not json",
            #"{"id": "w", "type": "who", "room": "lobby"}"#,
            #"{"id": "bad", "type": "fly"}"#,
        ].joined(separator: "\n") + "\n"
        let (status, output, errors) = try await runProcess(
            executable,
            ["client", "--url", "wss://127.0.0.1:\(hub.port)", "--ca", directory + "/ca.pem", "--token-file", directory + "/token", "--json"],
            input: input)
        let lines = output.split(separator: "\n").map(String.init)
        let objects = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], $0) }
        XCTAssertEqual(objects.compactMap { $0["id"] as? String }, ["j", "line-2", "w", "bad"], output)
        XCTAssertEqual(objects.first { $0["id"] as? String == "j" }?["type"] as? String, "ok")
        XCTAssertTrue(objects.contains { $0["type"] as? String == "event" && $0["text"] as? String == "from a script" }, output)
        XCTAssertEqual(errorCode(objects.first { $0["id"] as? String == "bad" } ?? [:]), "unknown_command")
        XCTAssertTrue(errors.contains("line 3: not a request object"), errors)
        XCTAssertEqual(status, 1, "a skipped input line makes the exit status 1")

        let refused = try await runProcess(
            executable, ["client", "--url", "wss://127.0.0.1:\(hub.port)", "--ca", directory + "/ca.pem", "--token", "chub_wrong", "--json"],
            input: "")
        XCTAssertEqual(refused.0, 1)
        XCTAssertTrue(refused.2.contains("unauthorized"), refused.2)
        try await hub.stop()
    }

    func testLineClientShowsEventsAndReconnectsAfterADroppedConnection() async throws {
        let hub = try await HubTestServer.hub()
        let printed = LineRecorder<String>()
        let output = ConsoleOutput(line: { printed.record($0) }, error: { printed.record("stderr: " + $0) })
        let client = LineClient(
            configuration: configuration(hub, token: hub.tokens[PersonID("h-officer")]), group: hub.group, output: output, backoff: [.zero, .zero])
        let (input, feed) = AsyncStream<ClientInput>.makeStream()
        let running = Task { await client.run(input: (input, feed)) }

        _ = try await printed.first { $0.hasPrefix("* connected as h-officer") }
        feed.yield(.line("hello before joining"))
        _ = try await printed.first { $0.hasPrefix("! join a room first") }
        feed.yield(.line("/join lobby"))
        _ = try await printed.first { $0.hasPrefix("* joined lobby") }
        feed.yield(.line("first message"))
        _ = try await printed.first { $0.hasSuffix("h-officer (housing): first message") }
        feed.yield(.line("/nonsense"))
        _ = try await printed.first { $0.hasPrefix("! unknown command /nonsense") }

        // The hub drops the connection without a close frame; the client reconnects and rejoins
        // from the last event it saw.
        let mark = printed.all.count
        for channel in hub.hub!.channels(of: PersonID("h-officer")) { channel.close(promise: nil) }
        _ = try await printed.first(after: mark) { $0.hasPrefix("* connection lost") }
        let rejoined = try await printed.first(after: mark) { $0.hasPrefix("* joined lobby") }
        XCTAssertTrue(rejoined.contains("recovered"), rejoined)
        feed.yield(.line("second message"))
        _ = try await printed.first { $0.hasSuffix("h-officer (housing): second message") }
        feed.yield(.line("/who"))
        _ = try await printed.first { $0 == "* in lobby: h-officer (housing)" }
        feed.yield(.line("/history 2"))
        _ = try await printed.first { $0.hasPrefix("  lobby #") && $0.hasSuffix("second message") }
        feed.yield(.endOfInput)
        let status = await running.value
        XCTAssertEqual(status, 0)
        let live = printed.all.filter { !$0.hasPrefix("  ") && $0.hasSuffix(": first message") }
        XCTAssertEqual(live.count, 1, "the rejoin replays only what was missed:\n\(printed.all.joined(separator: "\n"))")
        try await hub.stop()
    }

    func testLineFormatAndArgumentParsing() throws {
        let message: [String: Any] = [
            "type": "event", "room": "case-12", "seq": 48, "epoch": "e", "at": "2026-11-22T02:31:12.002Z", "kind": "message",
            "from": ["person": "h-officer", "unit": "housing"], "text": "Site survey done.",
        ]
        XCTAssertTrue(LineFormat.event(message).hasPrefix("case-12 #48 "))
        XCTAssertTrue(LineFormat.event(message).hasSuffix(" h-officer (housing): Site survey done."))
        let presence: [String: Any] = ["type": "event", "room": "lobby", "seq": 3, "kind": "presence", "presence": "left", "person": "f-officer", "unit": "finance"]
        XCTAssertTrue(LineFormat.event(presence).hasSuffix("* f-officer (finance) left"))

        let notice: [String: Any] = [
            "type": "event", "room": "lobby", "seq": 9, "kind": "notice", "notice": "negotiation_disputed", "case": "case-12",
            "title": "Relocation", "units": ["finance", "housing"], "reason": "competing_claims", "decided_by": "coordinator", "due": "2026-11-09",
        ]
        XCTAssertTrue(LineFormat.event(notice).hasSuffix("* case-12 negotiation_disputed: Relocation; disputed (competing_claims), decided by coordinator; due 2026-11-09"),
                      LineFormat.event(notice))

        // `/case` shows the overview as a block (the example reply of docs/protocol.md).
        let overview: [String: Any] = [
            "case": "case-12", "title": "Relocation compensation", "status": "in_handling", "lead": "housing", "co_handling": ["district", "finance"],
            "deadlines": [["kind": "handling", "due": "2027-01-04", "due_at": 1767542400000, "seconds_left": 5011200, "overdue": false, "owed_by": ["housing"]],
                          ["kind": "objection", "due": "2026-11-09", "seconds_left": -90_000, "overdue": true, "owed_by": [String]()]],
            "tasks_by_unit": ["finance": [["task": 1, "what": "Confirm the budget line", "due": "2026-11-06", "state": "acknowledged", "overdue": true]],
                              "district": [["task": 2, "what": "Survey the plot", "due": "2026-11-13", "state": "acknowledged", "overdue": false, "progress": "on_track"]]],
            "answer": ["version": 1, "signed_by": ["finance"], "objections": [["unit": "district", "reason": "The surveyed area is missing"]], "awaiting": ["district"]],
            "supervision_items": [["item": 1, "unit": "finance", "demand": "Explain the delay", "due": "2026-11-20", "answered": false, "escalated": true],
                                  ["item": 2, "unit": "district", "demand": "Done already", "due": "2026-11-20", "answered": true, "escalated": false]],
            "waiting_on": [["unit": "finance", "what": "task 1: Confirm the budget line (by 2026-11-06)"]],
        ]
        XCTAssertEqual(LineFormat.overview(overview), [
            "case-12  Relocation compensation  [in_handling]",
            "  lead housing; co-handling district, finance",
            "  deadline handling: due 2027-01-04, 58 d left (housing)",
            "  deadline objection: due 2026-11-09, OVERDUE by 1 d 1 h",
            "  task 2 (district): Survey the plot, due 2026-11-13 — acknowledged, on_track",
            "  task 1 (finance): Confirm the budget line, due 2026-11-06 — acknowledged, OVERDUE",
            "  answer version 1: signed by finance; objections: district (The surveyed area is missing); awaiting district",
            "  supervision 1 (finance): Explain the delay, due 2026-11-20, escalated",
            "  waiting on finance: task 1: Confirm the budget line (by 2026-11-06)",
        ])
        XCTAssertEqual(LineFormat.overview(["case": "case-3", "title": "T", "status": "negotiating", "lead": NSNull(), "co_handling": [String]()]),
                       ["case-3  T  [negotiating]", "  lead not assigned yet"])
        XCTAssertEqual(LineFormat.cases(["cases": [["case": "case-12", "status": "assigned", "lead": "housing", "title": "Relocation"],
                                                   ["case": "case-13", "status": "negotiating", "lead": NSNull(), "title": "Budget"]], "next": "case-13"]), [
            "  case-12  [assigned]  lead housing  Relocation",
            "  case-13  [negotiating]  lead -  Budget",
            #"  … more (/send {"type": "cases", "after": "case-13"})"#,
        ])
        XCTAssertEqual(LineFormat.cases(["cases": [[String: Any]]()]), ["* no cases"])
        XCTAssertEqual([0, 59, 60, 3_600, 3_660, 86_400, 90_000, -5].map(LineFormat.span),
                       ["0 s", "59 s", "1 min", "1 h", "1 h 1 min", "1 d", "1 d 1 h", "0 s"])

        // A certificate that runs out within 30 days is pointed out on connecting.
        XCTAssertNil(LineClient.certificateWarning(nil))
        XCTAssertNil(LineClient.certificateWarning(HubCertificateStatus(["subject": "CN=x", "expires": "2027-03-01", "days_left": 30])))
        XCTAssertEqual(LineClient.certificateWarning(HubCertificateStatus(["subject": "CN=x", "expires": "2026-12-01", "days_left": 9])),
                       "* your certificate expires on 2026-12-01 (9 days left): ask an administrator to issue a new one")
        XCTAssertNil(HubCertificateStatus(["subject": "CN=x"]), "an older hub says nothing of the expiry")

        // As operations.md says: 1, 2, 4, 8, 16 s, then every 30 s, about ten minutes in all.
        XCTAssertEqual(Array(LineClient.defaultBackoff.prefix(6)), [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30)])
        XCTAssertEqual(LineClient.defaultBackoff.reduce(Duration.zero, +), .seconds(601))

        XCTAssertEqual(LineClient.historyFields([])?["limit"] as? Int, 20)
        XCTAssertEqual(LineClient.historyFields(["5", "before", "40"])?["before"] as? Int, 40)
        XCTAssertEqual(LineClient.historyFields(["after", "7"])?["after"] as? Int, 7)
        XCTAssertNil(LineClient.historyFields(["before"]))
        XCTAssertNil(LineClient.historyFields(["lots"]))

        let local = try ClientEndpoint(url: "wss://127.0.0.1:8443")
        XCTAssertEqual([local.host, "\(local.port)", local.path], ["127.0.0.1", "8443", "/v1/ws"])
        let six = try ClientEndpoint(url: "wss://[::1]:9000/v1/ws")
        XCTAssertEqual([six.host, "\(six.port)", six.path], ["::1", "9000", "/v1/ws"])
        XCTAssertEqual(try ClientEndpoint(url: "wss://hub.example").port, 443)
        XCTAssertThrowsError(try ClientEndpoint(url: "ws://127.0.0.1:8443"))
        XCTAssertThrowsError(try ClientEndpoint(url: "127.0.0.1:8443"))
    }
}

/// Runs a process with `input` on its standard input; returns (status, stdout, stderr). Waits on
/// a thread of its own, never on the cooperative pool the in-process hub needs.
func runProcess(_ executable: URL, _ arguments: [String], input: String) async throws -> (Int32, String, String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do {
                let process = Process()
                process.executableURL = executable
                process.arguments = arguments
                let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
                process.standardInput = stdin
                process.standardOutput = stdout
                process.standardError = stderr
                try process.run()
                stdin.fileHandleForWriting.write(Data(input.utf8))
                try stdin.fileHandleForWriting.close()
                // Both pipes are drained at once so that neither can fill up and stall the process.
                let errors = NIOLockedValueBox(Data())
                let drained = DispatchGroup()
                drained.enter()
                Thread {
                    errors.withLockedValue { $0 = stderr.fileHandleForReading.readDataToEndOfFile() }
                    drained.leave()
                }.start()
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                drained.wait()
                continuation.resume(returning: (
                    process.terminationStatus, String(decoding: output, as: UTF8.self),
                    String(decoding: errors.withLockedValue { $0 }, as: UTF8.self)))
            } catch {
                continuation.resume(throwing: error)
            }
        }.start()
    }
}
