// IdentityPerConnectionTests: one identity per connection. A connection whose client certificate
// belongs to one person and whose `auth` carries another person's session or token acts as the
// person of the session (a browser on a PC whose certificate store holds a colleague's
// certificate): what it reads and what it writes are that person's. Once it has joined a room as
// the certificate's owner, another person's `auth` is refused; a second `auth` after a token or
// session always is.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class IdentityPerConnectionTests: XCTestCase {
    func testASessionOfAnotherPersonActsAsThatPersonNotAsTheCertificatesOwner() async throws {
        let hub = try await HubTestServer.hub()
        // TestPKI.client belongs to h-officer; f-officer signs in on the same connection.
        let connection = try await hub.connect(identity: TestPKI.client)
        let inbox = Inbox(connection)
        try await connection.send(["id": "a", "type": "auth", "token": hub.tokens[PersonID("f-officer")]!])
        let auth = try await inbox.reply(to: "a").reply
        XCTAssertEqual(auth["type"] as? String, "ok", "\(auth)")
        XCTAssertEqual(result(auth)["person"] as? String, "f-officer")

        try await connection.send(["id": "h", "type": "hello"])
        let hello = try await inbox.reply(to: "h").reply
        XCTAssertEqual((result(hello)["identity"] as? [String: Any])?["person"] as? String, "f-officer")

        try await connection.send(["id": "j", "type": "join", "room": "lobby"])
        _ = try await inbox.reply(to: "j")
        try await connection.send(["id": "p", "type": "post", "room": "lobby", "text": "财政局已核对资金", "key": "k1"])
        _ = try await inbox.reply(to: "p")
        try await connection.send(["id": "hi", "type": "history", "room": "lobby", "limit": 10])
        let history = try await inbox.reply(to: "hi").reply
        let posted = (result(history)["events"] as? [[String: Any]] ?? []).first { $0["text"] as? String == "财政局已核对资金" }
        XCTAssertEqual((posted?["from"] as? [String: Any])?["person"] as? String, "f-officer", "stored as from the person who signed in: \(history)")

        // A second auth on a connection that a token authenticated: refused.
        try await connection.send(["id": "again", "type": "auth", "token": hub.tokens[PersonID("h-officer")]!])
        let again = try await inbox.reply(to: "again").reply
        XCTAssertEqual(errorCode(again), "invalid_state")
        await connection.close()
        try await hub.stop()
    }

    func testAnotherPersonsAuthAfterJoiningAsTheCertificatesOwnerIsRefused() async throws {
        let hub = try await HubTestServer.hub()
        let connection = try await hub.connect(identity: TestPKI.client)
        let inbox = Inbox(connection)
        try await connection.send(["id": "j", "type": "join", "room": "lobby"])
        let joined = try await inbox.reply(to: "j").reply
        XCTAssertEqual(joined["type"] as? String, "ok", "the certificate authenticated the connection: \(joined)")
        try await connection.send(["id": "a", "type": "auth", "token": hub.tokens[PersonID("f-officer")]!])
        let refused = try await inbox.reply(to: "a").reply
        XCTAssertEqual(errorCode(refused), "invalid_state")
        let message = (refused["error"] as? [String: Any])?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("open a new connection"), message)
        try await connection.send(["id": "h", "type": "hello"])
        let hello = try await inbox.reply(to: "h").reply
        XCTAssertEqual((result(hello)["identity"] as? [String: Any])?["person"] as? String, "h-officer", "still the certificate's owner")

        // The certificate's owner's own token on such a connection is accepted (the same person).
        try await connection.send(["id": "own", "type": "auth", "token": hub.tokens[PersonID("h-officer")]!])
        let own = try await inbox.reply(to: "own").reply
        XCTAssertEqual(own["type"] as? String, "ok", "\(own)")
        await connection.close()
        try await hub.stop()
    }
}
