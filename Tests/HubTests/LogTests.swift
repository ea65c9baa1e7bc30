// LogTests: `serve --log-format json` — every line is one JSON object with the fields a log system
// needs, and no token, password, session, message text or petitioner data reaches the log in any line.
import CaseCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class LogTests: XCTestCase {
    func testAJSONLineCarriesTimeLevelMessageAndMetadata() throws {
        var event = LogEvent(level: .notice, message: "refused \"quoted\"\nnext", metadata: ["person": "h-officer", "level": "x", "count": "\(3)"],
                             source: "ConferenceHub", file: #fileID, function: #function, line: #line)
        event.metadata?["unit"] = .string("housing")
        let line = JSONLogHandler.line(event: event, label: "conferencehub", metadata: ["connection": "c7"], at: Date(timeIntervalSince1970: 1_764_000_000.25))
        XCTAssertTrue(line.hasSuffix("\n"))
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, "one line, whatever the message holds")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["time"] as? String, "2025-11-24T16:00:00.250Z")
        XCTAssertEqual(object["level"] as? String, "notice")
        XCTAssertEqual(object["message"] as? String, "refused \"quoted\"\nnext")
        XCTAssertEqual(object["label"] as? String, "conferencehub")
        XCTAssertEqual(object["connection"] as? String, "c7")
        XCTAssertEqual(object["person"] as? String, "h-officer")
        XCTAssertEqual(object["unit"] as? String, "housing")
        XCTAssertEqual(object["meta_level"] as? String, "x", "metadata never overwrites the line's own fields")
    }

    func testNoTokenMessageOrPetitionerDataReachesTheLog() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "test") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        logger.logLevel = .trace  // the strictest: debug and trace lines too
        var configuration = HubConfiguration()
        configuration.passwordParameters = ScryptParameters(costLog2: 10, blockSize: 8, parallelism: 1)
        let hub = try await HubTestServer.hub(hubConfiguration: configuration, logger: logger)
        var secrets = ["chub_wrong-token-4f1e9a", hub.tokens[PersonID("coord")]!, hub.tokens[PersonID("h-officer")]!,
                       "秘密的留言 4f1e9a", "王秘密", "139-4f1e-9a00", "OneTime4f1e9aXY", "wrong-4f1e9a-pass", "新密码4f1e9a很长的"]

        // Browser sign-in: a wrong password, the one-time password changed, the session used and ended.
        try await hub.store.setPassword(person: PersonID("f-officer"), hash: PasswordHash.make(secrets[6], parameters: configuration.passwordParameters),
                                        mustChange: true, at: Timestamp(Date()))
        func signIn(_ body: [String: String]) async throws -> [String: Any] {
            let response = try await httpRequest(.POST, "/v1/session", port: hub.port, group: hub.group, headers: [("Content-Type", "application/json")],
                                                 body: Array(try JSONSerialization.data(withJSONObject: body)))
            return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
        }
        _ = try await signIn(["person": "f-officer", "password": secrets[7]])
        let signedIn = try await signIn(["person": "f-officer", "password": secrets[6], "new_password": secrets[8]])
        let session = try XCTUnwrap(signedIn["session"] as? String)
        secrets.append(session)
        let browser = try await hub.connect()
        _ = try await browser.request(["id": "1", "type": "auth", "token": session])
        await browser.close()
        _ = try await httpRequest(.DELETE, "/v1/session", port: hub.port, group: hub.group, headers: [("Authorization", "Bearer \(session)")])

        let stranger = try await hub.connect()
        _ = try await stranger.request(["id": "1", "type": "auth", "token": secrets[0]])
        await stranger.close()
        let coordinator = try await hub.connect(as: "coord")
        let registered = try await coordinator.request([
            "id": "r", "type": "case.register", "title": "Case", "summary": "s", "category": "claim", "channel": "visit",
            "received_on": "2026-11-01", "involved_units": ["housing"], "petitioner": ["name": secrets[4], "contact": secrets[5]],
        ])
        let room = try XCTUnwrap((registered["result"] as? [String: Any])?["case"] as? String)
        let officer = try await hub.connect(as: "h-officer")
        _ = try await officer.request(["id": "j", "type": "join", "room": room])
        _ = try await officer.request(["id": "p", "type": "post", "room": room, "text": secrets[3], "key": "k1"])
        _ = try await officer.request(["id": "q", "type": "case.petitioner", "case": room])
        _ = try await officer.request(["id": "x", "type": "case.change", "case": room, "change": ["type": "closed", "reason": secrets[3]]])
        await officer.close()
        await coordinator.close()
        try await hub.stop()

        let logged = lines.withLockedValue { $0 }
        XCTAssertGreaterThan(logged.count, 5)
        for line in logged {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            for secret in secrets { XCTAssertFalse(line.contains(secret), "\(secret) is in the log: \(line)") }
        }
        XCTAssertTrue(logged.contains { $0.contains("\"message\":\"authentication failed\"") }, "the failure itself is logged")
        XCTAssertTrue(logged.contains { $0.contains("\"message\":\"sign-in failed\"") }, "and a failed sign-in")
        XCTAssertTrue(logged.contains { $0.contains("\"message\":\"signed in\"") }, "and the sign-in")
    }
}
