// DrainTests: `conference-hub serve` as systemd runs it. On SIGTERM readiness turns 503 at once
// while live connections are still served; a second signal ends the drain, and connections are
// closed with 1001. Its JSON log parses line by line and never carries the metrics token; the
// internal listener wants that token for /metrics.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class DrainTests: XCTestCase {
    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
    }

    func testSIGTERMFailsReadinessFirstAndServesUntilTheDrainEnds() async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("conference-hub is not built next to the tests (\(executable.path))")
        }
        let root = try temporaryDirectory()
        let token = "metrics-token-\(UUID().uuidString)"
        let child = try ChildProcess(executable, [
            "serve", "--data-dir", root + "/hub-data", "--port", "0", "--internal-port", "0", "--internal-port-file", root + "/internal-port",
            "--log-format", "json", "--log-level", "trace", "--drain-seconds", "600", "--metrics-token", token,
        ])
        let process = child.process
        let listening = /listening on wss:\/\/127\.0\.0\.1:(\d+)\/v1\/ws/
        let text = ChildProcess.read(child.output) { $0.firstMatch(of: listening) != nil }
        let port = try XCTUnwrap(text.firstMatch(of: listening).flatMap { Int($0.1) }, "no listening line in: \(text)")
        let internalPort = try XCTUnwrap(Int(String(contentsOfFile: root + "/internal-port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))

        let directory = DataDirectory(root + "/hub-data")
        let helper = try await HubTestServer.hub()  // for its event loop group
        let (client, _) = try await directory.connectAsAdmin(port: port, group: helper.group)
        let before = try await client.request(["id": "1", "type": "hello"])
        XCTAssertEqual(before["type"] as? String, "ok")

        let ready = try await httpGet("/health/ready", port: internalPort, group: helper.group)
        XCTAssertEqual(ready.status, .ok)
        let live = try await httpGet("/health/live", port: internalPort, group: helper.group)
        XCTAssertEqual(live.status, .ok)
        let withoutToken = try await httpGet("/metrics", port: internalPort, group: helper.group)
        XCTAssertEqual(withoutToken.status, .unauthorized, "the token is required")
        let metrics = try await httpGet("/metrics", port: internalPort, group: helper.group, headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(metrics.status, .ok)
        XCTAssertTrue(metrics.body.contains(#"conferencehub_authentications_total{method="certificate",outcome="success"} 1"#), metrics.body)

        process.terminate()  // SIGTERM
        var logged = ChildProcess.read(child.errors) { $0.contains("draining: readiness fails") }
        XCTAssertTrue(logged.contains("draining: readiness fails"), logged)
        // Readiness failed before the line was written; the hub still serves.
        let draining = try await httpGet("/health/ready", port: internalPort, group: helper.group)
        XCTAssertEqual(draining.status, .serviceUnavailable)
        XCTAssertEqual(draining.body, #"{"status":"not_ready","reasons":["draining"]}"#)
        let stillLive = try await httpGet("/health/live", port: internalPort, group: helper.group)
        XCTAssertEqual(stillLive.status, .ok, "alive while draining")
        let during = try await client.request(["id": "2", "type": "hello"])
        XCTAssertEqual(during["type"] as? String, "ok", "a live connection is served while the hub drains")
        let health = try await httpGet("/healthz", port: port, group: helper.group, tls: true, trustRootsPEM: try directory.read(directory.caCertificate))
        XCTAssertEqual(health.status, .serviceUnavailable)

        kill(process.processIdentifier, SIGTERM)  // a second signal ends the drain
        let close = try await client.closeFrame.get()
        XCTAssertEqual(close?.code, 1001)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        try await helper.stop()

        logged += child.remainingErrors()
        let lines = logged.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 5)
        for line in lines {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            XCTAssertFalse(line.contains(token), "the metrics token is in the log: \(line)")
        }
        XCTAssertTrue(lines.contains { $0.contains(#""message":"stopped""#) })
    }
}
