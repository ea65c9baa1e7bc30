// SchemaProtocolTests: `schema` over the wire says what this deployment does — its time limits
// (a longest extension of 20 days is the `maximum` of `days`, and the hub refuses 21), the units of
// kind petition_bureau as the conference office, every command of the table with its effect, and
// every error code.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class SchemaProtocolTests: XCTestCase {
    func testTheSchemaIsThisDeploymentsAndTheHubHoldsToIt() async throws {
        var limits = TimeLimits.legal
        limits.maxExtensionDays = 20
        let units = [TestPeople.office, TestPeople.housing, TestPeople.finance, TestPeople.district].map {
            CaseCore.Unit(id: $0, name: $0.rawValue, kind: $0 == TestPeople.office ? .petitionBureau : .department)
        } + [CaseCore.Unit(id: UnitID("letters-office"), name: "Letters office", kind: .petitionBureau)]
        let hub = try await HubTestServer.hub(units: units, policy: DeadlinePolicy(limits: limits))
        let client = try await hub.connect(as: "h-officer")
        let inbox = Inbox(client)
        try await client.send(["id": "s", "type": "schema"])
        let schema = result(try await inbox.reply(to: "s").reply)

        let changes = try XCTUnwrap(schema["case_changes"] as? [[String: Any]])
        XCTAssertEqual(changes.compactMap { $0["type"] as? String }, CaseChangeKind.allCases.map(\.rawValue))
        let requested = try XCTUnwrap(changes.first { $0["type"] as? String == "extension_requested" })
        let days = try XCTUnwrap((requested["fields"] as? [[String: Any]])?.first { $0["name"] as? String == "days" })
        XCTAssertEqual(days["maximum"] as? Int, 20)
        XCTAssertEqual((schema["policy_limits"] as? [String: Int])?["max_extension_days"], 20)
        XCTAssertEqual(Set(changes.filter { $0["recorded_by_hub"] as? Bool == true }.compactMap { $0["type"] as? String }), CaseAccess.recordedByTheHub)
        XCTAssertEqual((schema["meeting_changes"] as? [[String: Any]])?.compactMap { $0["type"] as? String }, MeetingChangeKind.allCases.map(\.rawValue))

        XCTAssertEqual(schema["office_units"] as? [String], ["conference-office", "letters-office"])
        XCTAssertEqual(schema["error_codes"] as? [String], ErrorCode.allCases.map(\.rawValue))
        XCTAssertEqual(schema["time_zone"] as? String, "Asia/Shanghai")
        let commands = try XCTUnwrap(schema["commands"] as? [[String: String]])
        XCTAssertEqual(commands.compactMap { $0["name"] }, CommandTable.names)
        XCTAssertEqual(Set(commands.filter { $0["effect"] == "write" }.compactMap { $0["name"] }),
                       ["case.register", "case.change", "negotiation.answer", "meeting.convene", "meeting.change"])
        XCTAssertEqual((schema["statuses"] as? [[String: Any]])?.filter { $0["open"] as? Bool == false }.compactMap { $0["status"] as? String },
                       ["closed", "routed_out"])

        // The hub holds to the maximum it announced: 20 days pass the size check, 21 do not.
        let coordinator = try await hub.connect(as: "coord")
        let office = Inbox(coordinator)
        try await coordinator.send(["id": "r", "type": "case.register", "title": "Compensation", "summary": "", "category": "claim", "channel": "visit",
                                    "received_on": "2026-11-01", "involved_units": ["housing"], "petitioner": ["name": "Zhang San", "contact": ""]])
        let registered = try await office.reply(to: "r").reply
        let room = try XCTUnwrap(result(registered)["case"] as? String, "\(registered)")
        // One involved unit: the case goes to it at registration; it accepts, then asks for an extension.
        try await client.send(["id": "b", "type": "case.change", "case": room, "change": ["type": "accepted"]])
        let accepted = try await inbox.reply(to: "b").reply
        XCTAssertEqual(accepted["type"] as? String, "ok", "\(accepted)")
        for (id, value, accepted) in [("x", 21, false), ("y", 20, true)] {
            try await client.send(["id": id, "type": "case.change", "case": room, "change": ["type": "extension_requested", "days": value, "reason": "Site survey"]])
            let reply = try await inbox.reply(to: id).reply
            XCTAssertEqual(reply["type"] as? String, accepted ? "ok" : "error", "\(value) days: \(reply)")
            if !accepted { XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "invalid_argument") }
        }
        // The same schema over HTTPS for a browser's session (the console reads it there).
        let token = try XCTUnwrap(hub.tokens[PersonID("h-officer")])
        let refused = try await httpRequest(.GET, "/v1/schema", port: hub.port, group: hub.group)
        XCTAssertEqual(refused.status, .unauthorized)
        let wrong = try await httpRequest(.GET, "/v1/schema", port: hub.port, group: hub.group, headers: [("Authorization", "Bearer not-a-token")])
        XCTAssertEqual(wrong.status, .unauthorized)
        let served = try await httpRequest(.GET, "/v1/schema", port: hub.port, group: hub.group, headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(served.status, .ok)
        XCTAssertEqual(served.headers.first(name: "Cache-Control"), "no-store")
        let overHTTPS = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(served.body)) as? [String: Any])
        XCTAssertEqual(overHTTPS["office_units"] as? [String], schema["office_units"] as? [String])
        XCTAssertEqual((overHTTPS["policy_limits"] as? [String: Int])?["max_extension_days"], 20)
        XCTAssertEqual((overHTTPS["case_changes"] as? [Any])?.count, CaseChangeKind.allCases.count)
        let post = try await httpRequest(.POST, "/v1/schema", port: hub.port, group: hub.group, headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(post.status, .methodNotAllowed)
        await client.close()
        await coordinator.close()
        try await hub.stop()
    }
}
