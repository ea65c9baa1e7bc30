// MetricsTests: after a scripted session, /metrics — parsed by a Prometheus text-format parser we
// did not write (`prometheus_client` from PyPI, in the venv scripts/test makes) — counts what the
// session did, and no label carries a person, unit, room or case. Without that Python the test is
// skipped, unless CONFERENCEHUB_REQUIRE_INTEROP=1.
import CaseCore
import Foundation
import Logging
import Messaging
import XCTest

@testable import ConferenceHub

final class MetricsTests: XCTestCase {
    /// Prints every sample as JSON: [{"name", "labels", "value"}].
    static let parser = #"""
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        samples = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value, "type": family.type})
        print(json.dumps(samples))
        """#

    struct Sample: Decodable {
        let name: String
        let labels: [String: String]
        let value: Double
        let type: String
    }

    private func parse(_ exposition: String) async throws -> [Sample] {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["CONFERENCEHUB_PYTHON"] else {
            if environment["CONFERENCEHUB_REQUIRE_INTEROP"] == "1" { XCTFail("CONFERENCEHUB_PYTHON is not set") }
            throw XCTSkip("no Python with prometheus_client (run scripts/test)")
        }
        let (status, output, errors) = try await runProcess(URL(fileURLWithPath: python), ["-c", Self.parser], input: exposition)
        XCTAssertEqual(status, 0, errors)
        return try JSONDecoder().decode([Sample].self, from: Data(output.utf8))
    }

    private func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func testTheCountersMatchAScriptedSession() async throws {
        let export = MetricsExport()
        let metrics = HubMetrics(factory: export.factory)
        let hub = try await HubTestServer.hub(metrics: metrics)
        let core = try XCTUnwrap(hub.hub)
        let listener = try await InternalListener.start(
            host: "127.0.0.1", port: 0, group: hub.group,
            endpoints: InternalEndpoints(
                metrics: { export.render { metrics.rooms.set(core.rooms.liveRoomCount); metrics.connectionsOpen.set(hub.server.connectionCount) } },
                readiness: { core.readiness }, metricsToken: nil),
            logger: Logger(label: "test"))

        // One failed and two successful token sign-ins, one by certificate.
        let stranger = try await hub.connect()
        let refused = try await stranger.request(["id": "a", "type": "auth", "token": "chub_not-a-token"])
        XCTAssertEqual(errorCode(refused), "unauthorized")
        await stranger.close()
        let officer = try await hub.connect(as: "h-officer")
        let officerInbox = Inbox(officer)
        let coordinator = try await hub.connect(as: "coord")
        let coordinatorInbox = Inbox(coordinator)
        let byCertificate = try await hub.connect(identity: TestPKI.client)
        let certificateHello = try await byCertificate.request(["id": "h", "type": "hello"])
        XCTAssertNotNil(result(certificateHello)["identity"])

        // Both join the lobby; the officer posts three messages; one unknown command.
        try await coordinator.send(["id": "j1", "type": "join", "room": "lobby"])
        _ = try await coordinatorInbox.reply(to: "j1")
        try await officer.send(["id": "j2", "type": "join", "room": "lobby"])
        let joined = try await officerInbox.reply(to: "j2").reply
        let seq = try XCTUnwrap(result(joined)["seq"] as? Int)
        for index in 1...3 {
            try await officer.send(["id": "p\(index)", "type": "post", "room": "lobby", "text": "message \(index)", "key": "k\(index)"])
            _ = try await officerInbox.reply(to: "p\(index)")
        }
        // The coordinator sees all three before the scrape (deliveries are counted as written).
        _ = try await coordinatorInbox.events { ($0["text"] as? String) == "message 3" }
        try await officer.send(["id": "u", "type": "no.such.command"])
        let unknown = try await officerInbox.reply(to: "u").reply
        XCTAssertEqual(errorCode(unknown), "unknown_command")
        // Leaving and joining again from the last event seen recovers.
        try await officer.send(["id": "l", "type": "leave", "room": "lobby"])
        _ = try await officerInbox.reply(to: "l")
        try await officer.send(["id": "j3", "type": "join", "room": "lobby", "last_seq": seq + 3, "epoch": result(joined)["epoch"] as? String ?? ""])
        let rejoined = try await officerInbox.reply(to: "j3").reply
        XCTAssertEqual(result(rejoined)["recovered"] as? Bool, true, "\(rejoined)")

        let scrape = try await httpGet("/metrics", port: listener.port, group: hub.group)
        XCTAssertEqual(scrape.status, .ok)
        let samples = try await parse(scrape.body)

        XCTAssertEqual(value(samples, "conferencehub_authentications_total", ["method": "token", "outcome": "failure"]), 1)
        XCTAssertEqual(value(samples, "conferencehub_authentications_total", ["method": "token", "outcome": "success"]), 2)
        XCTAssertEqual(value(samples, "conferencehub_authentications_total", ["method": "certificate", "outcome": "success"]), 1)
        XCTAssertEqual(value(samples, "conferencehub_command_duration_seconds_count", ["command": "post"]), 3)
        XCTAssertEqual(value(samples, "conferencehub_command_duration_seconds_count", ["command": "join"]), 3)
        XCTAssertEqual(value(samples, "conferencehub_error_replies_total", ["code": "unauthorized"]), 1)
        XCTAssertEqual(value(samples, "conferencehub_error_replies_total", ["code": "unknown_command"]), 1)
        XCTAssertEqual(value(samples, "conferencehub_rejoins_total", ["outcome": "fresh", "reason": "no_last_seq"]), 2)
        XCTAssertEqual(value(samples, "conferencehub_rejoins_total", ["outcome": "recovered", "reason": "none"]), 1)
        XCTAssertEqual(value(samples, "conferencehub_rooms"), 1)
        XCTAssertEqual(value(samples, "conferencehub_room_members"), 2)
        XCTAssertEqual(value(samples, "conferencehub_connections_open"), 3, "the officer, the coordinator and the certificate holder (scrapes go to the internal listener)")
        XCTAssertEqual(value(samples, "conferencehub_connections_accepted_total"), 4)
        XCTAssertEqual(value(samples, "conferencehub_connections_closed_total", ["code": "1000"]), 1, "the stranger closed normally")
        // Each post reached both members (and the presence events more): at least six deliveries.
        XCTAssertGreaterThanOrEqual(value(samples, "conferencehub_deliveries_total") ?? 0, 6)
        XCTAssertGreaterThan(value(samples, "conferencehub_sent_bytes_total") ?? 0, 0)
        XCTAssertGreaterThanOrEqual(value(samples, "conferencehub_commit_duration_seconds_count") ?? 0, 3)
        XCTAssertGreaterThanOrEqual(value(samples, "conferencehub_commit_batch_size_count") ?? 0, 3)
        XCTAssertEqual(value(samples, "conferencehub_storage_writable"), 1)
        XCTAssertEqual(value(samples, "conferencehub_draining"), 0)
        XCTAssertEqual(value(samples, "conferencehub_queued_requests"), 0)
        XCTAssertEqual(value(samples, "conferencehub_build_info", ["version": HubProtocol.serverVersion]), 1)

        // Names follow the conventions, and no label takes an open-ended value.
        let boundedLabels: Set<String> = ["method", "outcome", "code", "command", "reason", "level", "version", "le", "option", "certificate"]
        for sample in samples {
            XCTAssertTrue(sample.name.hasPrefix("conferencehub_"), sample.name)
            XCTAssertTrue(Set(sample.labels.keys).isSubset(of: boundedLabels), "\(sample.name) \(sample.labels)")
            if sample.type == "counter" { XCTAssertTrue(sample.name.hasSuffix("_total") || sample.name.hasSuffix("_created"), sample.name) }
            for value in sample.labels.values {
                XCTAssertFalse(["h-officer", "coord", "lobby", "housing", "conference-office"].contains(value), "\(sample.name) names \(value)")
            }
        }
        let commands = Set(samples.compactMap { $0.labels["command"] })
        XCTAssertTrue(commands.isSubset(of: Set(CommandTable.names)), "only the command table's names: \(commands)")

        for client in [officer, coordinator, byCertificate] { await client.close() }
        await listener.close()
        try await hub.stop()
    }
}
