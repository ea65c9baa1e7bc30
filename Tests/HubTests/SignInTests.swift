// SignInTests: a person signs in from a browser — with a one-time password changed at first
// sign-in, or with a client certificate — and authenticates the WebSocket with the session;
// failures are throttled; sessions end by sign-out, revocation or expiry, which closes the live
// socket; a foreign origin can neither sign in nor open the socket; the log never holds a
// password or a session.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOConcurrencyHelpers
import NIOHTTP1
import XCTest

@testable import ConferenceHub

final class SignInTests: XCTestCase {
    private let cheap = ScryptParameters(costLog2: 10, blockSize: 8, parallelism: 1)

    private func startHub(clock: HubClock = SystemClock(), lines: NIOLockedValueBox<[String]>? = nil) async throws -> HubTestServer {
        var configuration = HubConfiguration()
        configuration.passwordParameters = cheap
        var logger: Logger?
        if let lines {
            var captured = Logger(label: "test") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
            captured.logLevel = .debug
            logger = captured
        }
        return try await HubTestServer.hub(hubConfiguration: configuration, clock: clock, logger: logger) { server in
            server.originPolicy = OriginPolicy(ownHosts: ["localhost", "127.0.0.1"])
        }
    }

    private func post(_ hub: HubTestServer, _ object: [String: Any], origin: String? = nil, identity: CertificateIdentity? = nil)
        async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, json: [String: Any])
    {
        var headers = [("Content-Type", "application/json")]
        if let origin { headers.append(("Origin", origin)) }
        let response = try await httpRequest(
            .POST, "/v1/session", port: hub.port, group: hub.group, identity: identity, headers: headers,
            body: Array(try JSONSerialization.data(withJSONObject: object)))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, response.headers, json)
    }

    private func setOneTimePassword(_ hub: HubTestServer, _ person: String, _ password: String) async throws {
        try await hub.store.setPassword(person: PersonID(person), hash: PasswordHash.make(password, parameters: cheap), mustChange: true, at: Timestamp(Date()))
    }

    private func authenticate(_ hub: HubTestServer, session: String, origin: String? = nil) async throws -> (WebSocketClientConnection, [String: Any]) {
        let client = try await hub.connect(origin: origin)
        return (client, try await client.request(["id": "a", "type": "auth", "token": session]))
    }

    func testAOneTimePasswordIsChangedAtFirstSignInAndTheSessionOpensTheSocket() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let hub = try await startHub(lines: lines)
        try await setOneTimePassword(hub, "h-officer", "kT7pQ2mXw9Ra4e")

        let first = try await post(hub, ["person": "h-officer", "password": "kT7pQ2mXw9Ra4e"])
        XCTAssertEqual(first.status, .forbidden)
        XCTAssertEqual(first.json["error"] as? String, "password_change_required")
        let weak = try await post(hub, ["person": "h-officer", "password": "kT7pQ2mXw9Ra4e", "new_password": "short"])
        XCTAssertEqual(weak.status, .unprocessableEntity)
        XCTAssertEqual(weak.json["error"] as? String, "weak_password")
        XCTAssertEqual(weak.json["message"] as? String, "a password needs at least 10 characters")
        XCTAssertEqual(weak.json["rule"] as? String, "too_short")
        XCTAssertEqual(weak.json["minimum_characters"] as? Int, 10)
        XCTAssertEqual(weak.json["minimum_distinct_characters"] as? Int, 4)
        let same = try await post(hub, ["person": "h-officer", "password": "kT7pQ2mXw9Ra4e", "new_password": "kT7pQ2mXw9Ra4e"])
        XCTAssertEqual(same.json["rule"] as? String, "unchanged")
        let changed = try await post(hub, ["person": "h-officer", "password": "kT7pQ2mXw9Ra4e", "new_password": "住建局协办2026春"])
        XCTAssertEqual(changed.status, .ok, "\(changed.json)")
        let session = try XCTUnwrap(changed.json["session"] as? String)
        XCTAssertTrue(session.hasPrefix("chs_"))
        XCTAssertEqual((changed.json["identity"] as? [String: Any])?["unit"] as? String, "housing")
        XCTAssertNotNil(changed.json["expires_at"] as? String)
        XCTAssertEqual(changed.headers.first(name: "Cache-Control"), "no-store")

        let reused = try await post(hub, ["person": "h-officer", "password": "kT7pQ2mXw9Ra4e"])
        XCTAssertEqual(reused.status, .unauthorized, "the one-time password works once")
        XCTAssertEqual(reused.json["error"] as? String, "invalid_credentials")
        let again = try await post(hub, ["person": "h-officer", "password": "住建局协办2026春"], origin: "https://127.0.0.1:\(hub.port)")
        XCTAssertEqual(again.status, .ok, "\(again.json)")

        let (client, reply) = try await authenticate(hub, session: session, origin: "https://localhost:\(hub.port)")
        XCTAssertEqual(reply["type"] as? String, "ok", "\(reply)")
        XCTAssertEqual((reply["result"] as? [String: Any])?["person"] as? String, "h-officer")
        await client.close()
        try await hub.stop()

        let logged = lines.withLockedValue { $0 }
        XCTAssertTrue(logged.contains { $0.contains(#""message":"signed in""#) && $0.contains(#""method":"password""#) })
        XCTAssertTrue(logged.contains { $0.contains(#""message":"sign-in failed""#) && $0.contains("wrong password") })
        for secret in ["kT7pQ2mXw9Ra4e", "住建局协办2026春", "short", session, String(session.dropFirst(4)), again.json["session"] as! String] {
            XCTAssertFalse(logged.contains { $0.contains(secret) }, "the log holds a secret")
        }
    }

    func testFailedSignInsAreThrottledWithAClearMessage() async throws {
        let hub = try await startHub()
        try await setOneTimePassword(hub, "f-officer", "Zq8wE4rT6yU2iP")
        for attempt in 1...5 {
            let wrong = try await post(hub, ["person": "f-officer", "password": "guess number \(attempt)"])
            XCTAssertEqual(wrong.status, .unauthorized, "attempt \(attempt)")
            XCTAssertEqual(wrong.json["message"] as? String, "wrong person or password")
        }
        // The documented count exactly: after 5 failures, the 6th waits.
        let locked = try await post(hub, ["person": "f-officer", "password": "Zq8wE4rT6yU2iP"])
        XCTAssertEqual(locked.status, .tooManyRequests, "even the right password waits")
        XCTAssertEqual(locked.json["error"] as? String, "throttled")
        let seconds = try XCTUnwrap(locked.json["retry_after_s"] as? Int)
        XCTAssertTrue((1...60).contains(seconds), "\(seconds)")
        XCTAssertEqual(locked.headers.first(name: "Retry-After"), "\(seconds)")
        XCTAssertEqual(locked.json["message"] as? String, "too many failed sign-ins; try again in \(seconds) s")
        let unknown = try await post(hub, ["person": "nobody", "password": "whatever it is"])
        XCTAssertEqual(unknown.status, .unauthorized, "an unknown person reads like a wrong password")
        XCTAssertEqual(unknown.json["message"] as? String, "wrong person or password")
        // The same person with a NUL or another control character after the id does not get round
        // the lock: it is refused before any lookup.
        for disguised in ["f-officer\u{0}", "f-officer\u{0}x", "f-officer\u{200B}", "f-officer\n"] {
            let refused = try await post(hub, ["person": disguised, "password": "Zq8wE4rT6yU2iP"])
            XCTAssertEqual(refused.status, .badRequest, disguised.debugDescription)
            XCTAssertEqual(refused.json["error"] as? String, "bad_request")
            XCTAssertEqual(refused.json["message"] as? String, "`person` may not hold control characters")
        }
        try await hub.stop()
    }

    func testMalformedSignInsGetClearErrors() async throws {
        let hub = try await startHub()
        let notJSON = try await httpRequest(.POST, "/v1/session", port: hub.port, group: hub.group,
                                            headers: [("Content-Type", "text/plain")], body: Array("person=x".utf8))
        XCTAssertEqual(notJSON.status, .unsupportedMediaType)
        let missing = try await post(hub, ["person": "h-officer"])
        XCTAssertEqual(missing.status, .badRequest)
        let long = try await post(hub, ["person": String(repeating: "p", count: 65), "password": "x"])
        XCTAssertEqual(long.status, .badRequest)
        let huge = try await httpRequest(.POST, "/v1/session", port: hub.port, group: hub.group,
                                         headers: [("Content-Type", "application/json")], body: Array(repeating: 0x20, count: 20_000))
        XCTAssertEqual(huge.status, .payloadTooLarge)
        let get = try await httpRequest(.GET, "/v1/session", port: hub.port, group: hub.group)
        XCTAssertEqual(get.status, .methodNotAllowed)
        let health = try await hub.httpsGet("/healthz")
        XCTAssertEqual(health.status, .ok, "the server is intact")
        try await hub.stop()
    }

    func testACertificateSignsInInOneStep() async throws {
        let hub = try await startHub()
        let signedIn = try await post(hub, ["method": "certificate"], identity: TestPKI.client)
        XCTAssertEqual(signedIn.status, .ok, "\(signedIn.json)")
        XCTAssertEqual((signedIn.json["identity"] as? [String: Any])?["person"] as? String, "h-officer")
        let session = try XCTUnwrap(signedIn.json["session"] as? String)
        let (client, reply) = try await authenticate(hub, session: session)
        XCTAssertEqual(reply["type"] as? String, "ok", "\(reply)")
        await client.close()
        let without = try await post(hub, ["method": "certificate"])
        XCTAssertEqual(without.status, .unauthorized)
        XCTAssertEqual(without.json["message"] as? String, "no client certificate was presented")
        try await hub.stop()
    }

    func testSignOutRevocationAndExpiryEndASession() async throws {
        let clock = ManualClock(Timestamp(Date()))
        let hub = try await startHub(clock: clock)
        func signIn() async throws -> String {
            let reply = try await post(hub, ["method": "certificate"], identity: TestPKI.client)
            return try XCTUnwrap(reply.json["session"] as? String)
        }
        // Sign-out: the session no longer authenticates.
        let first = try await signIn()
        let signOut = try await httpRequest(.DELETE, "/v1/session", port: hub.port, group: hub.group, headers: [("Authorization", "Bearer \(first)")])
        XCTAssertEqual(signOut.status, .noContent)
        let (refusedClient, refused) = try await authenticate(hub, session: first)
        XCTAssertEqual((refused["error"] as? [String: Any])?["code"] as? String, "unauthorized")
        await refusedClient.close()
        let twice = try await httpRequest(.DELETE, "/v1/session", port: hub.port, group: hub.group, headers: [("Authorization", "Bearer \(first)")])
        XCTAssertEqual(twice.status, .unauthorized)

        // Revocation by an administrator closes the live socket.
        let second = try await signIn()
        let (revokedClient, ok) = try await authenticate(hub, session: second)
        XCTAssertEqual(ok["type"] as? String, "ok")
        let sessions = try await hub.store.credentials(of: PersonID("h-officer")).filter { $0.kind == .session && $0.isActive(at: clock.now()) }
        XCTAssertEqual(sessions.count, 1, "listed, with its expiry")
        XCTAssertNotNil(sessions[0].expiresAt)
        clock.advance(seconds: 1)
        _ = try await hub.store.revokeCredential(id: sessions[0].id, at: clock.now())
        let closedByRevocation = try await hub.hub!.closeRevokedConnections()
        XCTAssertEqual(closedByRevocation, 1)
        let revokedClose = try await revokedClient.closeFrame.get()
        XCTAssertEqual(revokedClose?.code, 1008)

        // Expiry: after its lifetime the live socket is closed and the session refused.
        let third = try await signIn()
        let (expiringClient, fine) = try await authenticate(hub, session: third)
        XCTAssertEqual(fine["type"] as? String, "ok")
        clock.advance(seconds: Int64(SignInService.defaultSessionLifetime.components.seconds) + 1)
        let closedByExpiry = try await hub.hub!.closeRevokedConnections()
        XCTAssertEqual(closedByExpiry, 1)
        let expiredClose = try await expiringClient.closeFrame.get()
        XCTAssertEqual(expiredClose?.code, 1008)
        let (lateClient, late) = try await authenticate(hub, session: third)
        XCTAssertEqual((late["error"] as? [String: Any])?["code"] as? String, "unauthorized")
        await lateClient.close()
        try await hub.stop()
    }

    func testAForeignOriginCanNeitherSignInNorOpenTheSocket() async throws {
        let hub = try await startHub()
        let signIn = try await post(hub, ["method": "certificate"], origin: "https://evil.example", identity: TestPKI.client)
        XCTAssertEqual(signIn.status, .forbidden)
        XCTAssertEqual(signIn.json["error"] as? String, "forbidden_origin")
        do {
            let client = try await hub.connect(identity: TestPKI.client, origin: "https://evil.example")
            await client.close()
            XCTFail("a foreign origin opened the socket")
        } catch {
            XCTAssertTrue("\(error)".contains("403"), "\(error)")
        }
        do {
            let client = try await hub.connect(origin: "https://localhost:\(hub.port + 1)")
            await client.close()
            XCTFail("another port is another origin")
        } catch {}
        let own = try await hub.connect(origin: "https://localhost:\(hub.port)")
        await own.close()
        let program = try await hub.connect()
        await program.close()
        try await hub.stop()
    }
}
