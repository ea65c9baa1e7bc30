// ProtocolTests: the conference protocol over real TLS sockets — authentication, the authorization
// matrix, ordering and recovery, idempotent posts, bad input, limits and slow members.
import CaseCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

/// Reads a connection's messages one at a time. A single task drains the connection into a
/// buffer; `next` fails the test (rather than hanging) if nothing arrives within 30 s, and says
/// what did arrive.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [[String: Any]] = []
    private var seen: [String] = []
    private var ended = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(_ client: WebSocketClientConnection) {
        Task { [self] in
            for await message in client.inbound {
                let text = String(buffer: message.data)
                let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? ["unparsed": text]
                lock.withLock {
                    buffer.append(object)
                    seen.append(String(text.prefix(160)))
                }
                wake()
            }
            lock.withLock { ended = true }
            wake()
        }
    }

    private func wake() {
        let continuation = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    /// The next message as JSON; fails the test if the connection ends or nothing arrives.
    func next(file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let (message, finished) = lock.withLock { () -> ([String: Any]?, Bool) in
                buffer.isEmpty ? (nil, ended) : (buffer.removeFirst(), false)
            }
            if let message { return message }
            if finished || ContinuousClock.now > deadline {
                let history = lock.withLock { seen.suffix(8).joined(separator: "\n") }
                XCTFail(finished ? "connection ended" : "no message within 30 s; last received:\n\(history)", file: file, line: line)
                throw CancellationError()
            }
            // Wait for the next message, or re-check every second (the failure deadline above).
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = lock.withLock { () -> Bool in
                    if !buffer.isEmpty || ended { return true }
                    waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
                Task { [self] in
                    try? await Task.sleep(for: .seconds(1))
                    wake()
                }
            }
        }
    }

    /// The reply to request `id` (events before it are returned too, in order).
    func reply(to id: String, file: StaticString = #filePath, line: UInt = #line) async throws -> (reply: [String: Any], events: [[String: Any]]) {
        var events: [[String: Any]] = []
        while true {
            let message = try await next(file: file, line: line)
            if message["type"] as? String == "event" { events.append(message) } else if message["id"] as? String == id { return (message, events) }
        }
    }

    /// Events until one matches `predicate` (inclusive).
    func events(until predicate: ([String: Any]) -> Bool) async throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        while true {
            let message = try await next()
            guard message["type"] as? String == "event" else { continue }
            events.append(message)
            if predicate(message) { return events }
        }
    }
}

extension WebSocketClientConnection {
    /// Sends a request without waiting.
    func send(_ object: [String: Any]) async throws {
        try await send(text: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }
}

func errorCode(_ reply: [String: Any]) -> String? { (reply["error"] as? [String: Any])?["code"] as? String }
func result(_ reply: [String: Any]) -> [String: Any] { reply["result"] as? [String: Any] ?? [:] }

final class ProtocolTests: XCTestCase {
    /// Registers a case involving housing (lead) and finance; returns its room.
    private func makeCase(_ hub: HubTestServer) async throws -> String {
        let coordinator = try await hub.connect(as: "coord")
        let registered = try await coordinator.request([
            "id": "r", "type": "case.register", "title": "Relocation compensation", "summary": "Household asks for compensation",
            "category": "claim", "channel": "visit", "received_on": "2026-11-01", "involved_units": ["housing", "finance"],
            "petitioner": ["name": "Zhang San", "contact": "138-0000-0000"],
        ])
        XCTAssertEqual(registered["type"] as? String, "ok", "\(registered)")
        let room = try XCTUnwrap(result(registered)["case"] as? String)
        let assigned = try await coordinator.request([
            "id": "a", "type": "case.change", "case": room,
            "change": ["type": "assigned", "assignment": ["lead": "housing", "co_handling": ["finance"], "rationale": "housing leads"]],
        ])
        XCTAssertEqual(assigned["type"] as? String, "ok", "\(assigned)")
        await coordinator.close()
        return room
    }

    // MARK: Authentication

    func testCertificateIdentifiesThePerson() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(identity: TestPKI.client)
        let hello = try await client.request(["id": "1", "type": "hello"])
        let identity = try XCTUnwrap(result(hello)["identity"] as? [String: Any])
        XCTAssertEqual(identity["person"] as? String, "h-officer")
        XCTAssertEqual(identity["unit"] as? String, "housing")
        let rooms = try await client.request(["id": "2", "type": "rooms"])
        XCTAssertEqual(rooms["type"] as? String, "ok")
        await client.close()
        try await hub.stop()
    }

    func testTokenAuthenticatesAndWrongTokenIsRefused() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect()
        let before = try await client.request(["id": "1", "type": "rooms"])
        XCTAssertEqual(errorCode(before), "unauthenticated")
        // A post takes the hub's fast path; it is refused the same way.
        let post = try await client.request(["id": "1p", "type": "post", "room": "lobby", "text": "hi", "key": "k"])
        XCTAssertEqual(errorCode(post), "unauthenticated")
        let wrong = try await client.request(["id": "2", "type": "auth", "token": "chub_not-a-real-token"])
        XCTAssertEqual(errorCode(wrong), "unauthorized")
        let right = try await client.request(["id": "3", "type": "auth", "token": hub.tokens[PersonID("coord")]!])
        XCTAssertEqual(result(right)["person"] as? String, "coord")
        XCTAssertEqual(result(right)["roles"] as? [String], ["coordinator"])
        let again = try await client.request(["id": "4", "type": "auth", "token": hub.tokens[PersonID("coord")]!])
        XCTAssertEqual(errorCode(again), "invalid_state")
        await client.close()
        try await hub.stop()
    }

    func testRevokedTokenIsRefusedAndOpenConnectionsAreClosed() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "f-officer")
        let credentials = try await hub.store.credentials(of: PersonID("f-officer"))
        let revoked = try await hub.store.revokeCredential(id: credentials[0].id, at: Timestamp(Date().addingTimeInterval(1)))
        XCTAssertTrue(revoked)
        let closed = try await hub.hub!.closeRevokedConnections()
        XCTAssertEqual(closed, 1)
        let close = try await client.closeFrame.get()
        XCTAssertEqual(close?.code, 1008)
        XCTAssertEqual(close?.reason, "credential revoked")
        do {
            _ = try await hub.connect(as: "f-officer")
            XCTFail("a revoked token must not authenticate")
        } catch {}
        try await hub.stop()
    }

    func testRevokedCertificateGivesNoIdentity() async throws {
        let hub = try await HubTestServer.hub()
        let certificate = try await hub.store.credentials(of: PersonID("h-officer")).first { $0.kind == .certificate }!
        _ = try await hub.store.revokeCredential(id: certificate.id, at: Timestamp(Date()))
        let client = try await hub.connect(identity: TestPKI.client)
        let hello = try await client.request(["id": "1", "type": "hello"])
        XCTAssertNil(result(hello)["identity"])
        XCTAssertNotNil(result(hello)["certificate"], "the TLS layer still verified it; the hub does not accept it")
        let rooms = try await client.request(["id": "2", "type": "rooms"])
        XCTAssertEqual(errorCode(rooms), "unauthenticated")
        await client.close()
        try await hub.stop()
    }

    func testUnauthenticatedConnectionIsClosedAfterTheTimeout() async throws {
        var configuration = HubConfiguration()
        configuration.authenticationTimeout = .milliseconds(200)
        let hub = try await HubTestServer.hub(hubConfiguration: configuration)
        let client = try await hub.connect()
        let close = try await client.closeFrame.get()
        XCTAssertEqual(close?.code, 1008)
        XCTAssertEqual(close?.reason, "authentication required")
        try await hub.stop()
    }

    // MARK: Authorization

    func testAuthorizationMatrix() async throws {
        let hub = try await HubTestServer.hub()
        let room = try await makeCase(hub)
        let registration: [String: Any] = [
            "type": "case.register", "title": "Noise", "summary": "", "category": "suggestion", "channel": "online",
            "received_on": "2026-11-01", "involved_units": ["district"], "petitioner": ["name": "Li Si", "contact": ""],
        ]
        // (command, people allowed); everyone else must get `forbidden`.
        let matrix: [(String, [String: Any], Set<String>)] = [
            ("join case room", ["type": "join", "room": room], ["coord", "h-officer", "h-leader", "f-officer", "d-leader", "auditor"]),
            ("history", ["type": "history", "room": room], ["coord", "h-officer", "h-leader", "f-officer", "d-leader", "auditor"]),
            ("case.get", ["type": "case.get", "case": room], ["coord", "h-officer", "h-leader", "f-officer", "d-leader", "auditor"]),
            ("case.petitioner", ["type": "case.petitioner", "case": room], ["coord", "h-officer", "h-leader", "f-officer", "auditor"]),
            ("case.register", registration, ["coord"]),
            ("cases of finance", ["type": "cases", "unit": "finance"], ["coord", "f-officer", "h-leader", "d-leader", "auditor"]),
        ]
        for (name, request, allowed) in matrix {
            for (person, _, _) in TestPeople.all {
                let client = try await hub.connect(as: person.rawValue)
                var object = request
                object["id"] = "m"
                let reply = try await client.request(object)
                if allowed.contains(person.rawValue) {
                    XCTAssertEqual(reply["type"] as? String, "ok", "\(person) may \(name): \(reply)")
                } else {
                    XCTAssertEqual(errorCode(reply), "forbidden", "\(person) must not \(name): \(reply)")
                }
                await client.close()
            }
        }
        try await hub.stop()
    }

    func testOnlyTheLeadUnitAcceptsACase() async throws {
        let hub = try await HubTestServer.hub()
        for (person, _, _) in TestPeople.all {
            let room = try await makeCase(hub)  // a fresh case in `assigned` for each attempt
            let client = try await hub.connect(as: person.rawValue)
            let reply = try await client.request(["id": "x", "type": "case.change", "case": room, "change": ["type": "accepted"]])
            if ["h-officer", "h-leader"].contains(person.rawValue) {
                XCTAssertEqual(result(reply)["status"] as? String, "accepted", "\(person): \(reply)")
            } else {
                XCTAssertEqual(errorCode(reply), "forbidden", "\(person) must not accept for housing: \(reply)")
            }
            await client.close()
        }
        try await hub.stop()
    }

    func testPostingNeedsAPostingRoleAndMembership() async throws {
        let hub = try await HubTestServer.hub()
        let room = try await makeCase(hub)
        let auditor = try await hub.connect(as: "auditor")
        let joined = try await auditor.request(["id": "1", "type": "join", "room": room])
        XCTAssertEqual(joined["type"] as? String, "ok")
        let post = try await auditor.request(["id": "2", "type": "post", "room": room, "text": "hi", "key": "k"])
        XCTAssertEqual(errorCode(post), "forbidden", "auditors never change anything")
        let officer = try await hub.connect(as: "f-officer")
        let notJoined = try await officer.request(["id": "3", "type": "post", "room": room, "text": "hi", "key": "k"])
        XCTAssertEqual(errorCode(notJoined), "not_joined")
        let outsider = try await hub.connect(as: "d-officer")
        let rooms = try XCTUnwrap(hub.hub).rooms
        let live = rooms.liveRoomCount
        let refused = try await outsider.request(["id": "4", "type": "join", "room": room])
        XCTAssertEqual(errorCode(refused), "forbidden", "a unit not involved cannot join the case")
        let missing = try await outsider.request(["id": "5", "type": "join", "room": "case-999999"])
        XCTAssertEqual(errorCode(missing), "not_found", "\(missing)")
        XCTAssertEqual(rooms.liveRoomCount, live, "a refused join leaves no live room behind")
        for client in [auditor, officer, outsider] { await client.close() }
        try await hub.stop()
    }

    // MARK: Ordering and recovery

    func testRejoiningMemberGetsEveryEventOnceInOrder() async throws {
        let hub = try await HubTestServer.hub()
        let room = try await makeCase(hub)
        let writer = try await hub.connect(as: "h-officer")
        let writerInbox = Inbox(writer)
        try await writer.send(["id": "j", "type": "join", "room": room])
        _ = try await writerInbox.reply(to: "j")

        var reader = try await hub.connect(as: "f-officer")
        var readerInbox = Inbox(reader)
        try await reader.send(["id": "j", "type": "join", "room": room])
        let join = try await readerInbox.reply(to: "j")
        var lastSeen = try XCTUnwrap(result(join.reply)["seq"] as? Int)
        let epoch = try XCTUnwrap(result(join.reply)["epoch"] as? String)

        for index in 0..<5 {
            try await writer.send(["id": "p\(index)", "type": "post", "room": room, "text": "first \(index)", "key": "first-\(index)"])
            _ = try await writerInbox.reply(to: "p\(index)")
        }
        // The reader sees the first two messages, then drops off.
        let seen = try await readerInbox.events { ($0["text"] as? String) == "first 1" }
        lastSeen = try XCTUnwrap(seen.last?["seq"] as? Int)
        await reader.close()

        for index in 0..<5 {
            try await writer.send(["id": "q\(index)", "type": "post", "room": room, "text": "second \(index)", "key": "second-\(index)"])
            _ = try await writerInbox.reply(to: "q\(index)")
        }
        reader = try await hub.connect(as: "f-officer")
        readerInbox = Inbox(reader)
        try await reader.send(["id": "r", "type": "join", "room": room, "last_seq": lastSeen, "epoch": epoch])
        let rejoin = try await readerInbox.reply(to: "r")
        XCTAssertTrue(rejoin.events.isEmpty, "the join reply comes before the replay")
        XCTAssertEqual(result(rejoin.reply)["recovered"] as? Bool, true)
        let current = try XCTUnwrap(result(rejoin.reply)["seq"] as? Int)
        XCTAssertEqual(result(rejoin.reply)["replayed"] as? Int, current - lastSeen)
        // One more live message after the rejoin.
        try await writer.send(["id": "z", "type": "post", "room": room, "text": "live", "key": "live"])
        let replayed = try await readerInbox.events { ($0["text"] as? String) == "live" }
        let sequences = replayed.compactMap { $0["seq"] as? Int }
        XCTAssertEqual(sequences, Array((lastSeen + 1)...(sequences.last ?? 0)), "every event once, in order, no gap")
        let texts = replayed.compactMap { $0["text"] as? String }
        XCTAssertEqual(texts, ["first 2", "first 3", "first 4", "second 0", "second 1", "second 2", "second 3", "second 4", "live"])
        XCTAssertTrue(replayed.contains { $0["kind"] as? String == "presence" && $0["presence"] as? String == "left" },
                      "the reader's own departure is in the room's history")
        await reader.close()
        await writer.close()
        try await hub.stop()
    }

    func testJoinFromAnotherEpochOrTooFarBackIsNotRecovered() async throws {
        var configuration = HubConfiguration()
        configuration.maxReplay = 3
        let hub = try await HubTestServer.hub(hubConfiguration: configuration)
        let client = try await hub.connect(as: "coord")
        let inbox = Inbox(client)
        try await client.send(["id": "j", "type": "join", "room": "lobby"])
        _ = try await inbox.reply(to: "j")
        for index in 0..<6 {
            try await client.send(["id": "p\(index)", "type": "post", "room": "lobby", "text": "m\(index)", "key": "k\(index)"])
            _ = try await inbox.reply(to: "p\(index)")
        }
        let other = try await hub.connect(as: "h-officer")
        let otherInbox = Inbox(other)
        try await other.send(["id": "e", "type": "join", "room": "lobby", "last_seq": 1, "epoch": "some-other-epoch"])
        let stale = try await otherInbox.reply(to: "e")
        XCTAssertEqual(result(stale.reply)["recovered"] as? Bool, false)
        XCTAssertEqual(result(stale.reply)["reason"] as? String, "epoch_changed")
        XCTAssertNotNil(result(stale.reply)["history"])
        try await other.send(["id": "l", "type": "leave", "room": "lobby"])
        _ = try await otherInbox.reply(to: "l")
        try await other.send(["id": "f", "type": "join", "room": "lobby", "last_seq": 1])
        let far = try await otherInbox.reply(to: "f")
        XCTAssertEqual(result(far.reply)["reason"] as? String, "too_far_behind")
        // History pages backwards through what was missed.
        try await other.send(["id": "h", "type": "history", "room": "lobby", "before": 100, "limit": 3])
        let page = try await otherInbox.reply(to: "h")
        let events = try XCTUnwrap(result(page.reply)["events"] as? [[String: Any]])
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(result(page.reply)["more"] as? Bool, true)
        let sequences = events.compactMap { $0["seq"] as? Int }
        XCTAssertEqual(sequences, sequences.sorted(), "a page is in order")
        await other.close()
        await client.close()
        try await hub.stop()
    }

    func testResendingAPostWithTheSameKeyReturnsTheSameSequence() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "coord")
        _ = try await client.request(["id": "j", "type": "join", "room": "lobby"])
        let inbox = Inbox(client)
        try await client.send(["id": "a", "type": "post", "room": "lobby", "text": "once", "key": "same"])
        let first = try await inbox.reply(to: "a")
        try await client.send(["id": "b", "type": "post", "room": "lobby", "text": "once", "key": "same"])
        let second = try await inbox.reply(to: "b")
        XCTAssertEqual(result(first.reply)["seq"] as? Int, result(second.reply)["seq"] as? Int)
        XCTAssertEqual(result(first.reply)["duplicate"] as? Bool, false)
        XCTAssertEqual(result(second.reply)["duplicate"] as? Bool, true)
        let state = try await hub.store.roomState("lobby")
        XCTAssertEqual(Int(state?.lastSequence ?? 0), result(first.reply)["seq"] as? Int, "nothing new was created")
        await client.close()
        try await hub.stop()
    }

    func testCaseChangesAppearInTheCaseRoom() async throws {
        let hub = try await HubTestServer.hub()
        let room = try await makeCase(hub)
        let member = try await hub.connect(as: "f-officer")
        let inbox = Inbox(member)
        try await member.send(["id": "j", "type": "join", "room": room, "last_seq": 0])
        let join = try await inbox.reply(to: "j")
        XCTAssertEqual(result(join.reply)["recovered"] as? Bool, true)
        let officer = try await hub.connect(as: "h-officer")
        let accepted = try await officer.request(["id": "x", "type": "case.change", "case": room, "change": ["type": "accepted"]])
        XCTAssertEqual(result(accepted)["status"] as? String, "accepted")
        let events = try await inbox.events { ($0["case_event"] as? [String: Any])?["change"].flatMap { ($0 as? [String: Any])?["type"] as? String } == "accepted" }
        let types = events.compactMap { (($0["case_event"] as? [String: Any])?["change"] as? [String: Any])?["type"] as? String }
        XCTAssertEqual(types, ["registered", "negotiation_opened", "assigned", "accepted"], "two units: registration opens a negotiation")
        let registered = try XCTUnwrap(events.first { $0["kind"] as? String == "case" })
        XCTAssertFalse("\(registered)".contains("Zhang San"), "petitioner data is not broadcast")
        await officer.close()
        await member.close()
        try await hub.stop()
    }

    // MARK: Presence

    func testPresenceCountsAPersonOnceAndFollowsDisconnects() async throws {
        let hub = try await HubTestServer.hub()
        let watcher = try await hub.connect(as: "coord")
        let watcherInbox = Inbox(watcher)
        try await watcher.send(["id": "j", "type": "join", "room": "lobby"])
        _ = try await watcherInbox.reply(to: "j")
        let first = try await hub.connect(as: "h-officer")
        let second = try await hub.connect(as: "h-officer")
        _ = try await first.request(["id": "j", "type": "join", "room": "lobby"])
        _ = try await second.request(["id": "j", "type": "join", "room": "lobby"])
        try await watcher.send(["id": "w", "type": "who", "room": "lobby"])
        let who = try await watcherInbox.reply(to: "w")
        let members = try XCTUnwrap(result(who.reply)["members"] as? [[String: Any]])
        XCTAssertEqual(members.compactMap { $0["person"] as? String }, ["coord", "h-officer"], "two connections of one person count once")
        XCTAssertEqual(who.events.filter { $0["presence"] as? String == "joined" && $0["person"] as? String == "h-officer" }.count, 1)

        await first.close()
        await second.close()
        let left = try await watcherInbox.events { $0["presence"] as? String == "left" }
        XCTAssertEqual(left.last?["person"] as? String, "h-officer")
        await watcher.close()
        try await hub.stop()
    }

    /// A connection that closes while its join is under way (after it was admitted, before the
    /// join finished) leaves the room like any other: its person's presence ends and the room's
    /// live state goes with its last member.
    func testAConnectionClosedWhileJoiningLeavesTheRoom() async throws {
        let hub = try await HubTestServer.hub()
        let server = try XCTUnwrap(hub.hub)
        let room = try await makeCase(hub)
        let watcher = try await hub.connect(as: "coord")
        let watcherInbox = Inbox(watcher)
        try await watcher.send(["id": "j", "type": "join", "room": room])
        _ = try await watcherInbox.reply(to: "j")
        server.joinAdmittedHook.withLockedValue {
            $0 = { channel in
                _ = try? await channel.close().get()
                _ = try? await channel.eventLoop.submit {}.get()  // its channelInactive has run
            }
        }
        let joining = try await hub.connect(as: "h-officer")
        try await joining.send(["id": "j", "type": "join", "room": room])
        let left = try await watcherInbox.events { $0["presence"] as? String == "left" }
        XCTAssertEqual(left.filter { $0["presence"] as? String == "joined" }.last?["person"] as? String, "h-officer")
        XCTAssertEqual(left.last?["person"] as? String, "h-officer", "the closed connection left")
        server.joinAdmittedHook.withLockedValue { $0 = nil }
        try await watcher.send(["id": "w", "type": "who", "room": room])
        let who = try await watcherInbox.reply(to: "w")
        XCTAssertEqual((result(who.reply)["members"] as? [[String: Any]])?.compactMap { $0["person"] as? String }, ["coord"])
        // When the last member leaves, the room's live state goes too.
        let live = server.rooms.liveRoomCount
        try await watcher.send(["id": "l", "type": "leave", "room": room])
        _ = try await watcherInbox.reply(to: "l")
        XCTAssertEqual(server.rooms.liveRoomCount, live - 1, "an empty room is dropped")
        XCTAssertNil(server.rooms.existingRoom(room))
        await watcher.close()
        try await hub.stop()
    }

    /// Members come and go, each posting once per stay and staying until its post's event is in;
    /// whenever the last one leaves, the room's live state is dropped and the next join starts it
    /// anew. Every stay sees the room's events after its join reply's `seq` with no gap, and none
    /// before its join reply or after its leave reply.
    func testJoinAndLeaveChurnLosesNothing() async throws {
        let hub = try await HubTestServer.hub()
        let room = try await makeCase(hub)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for person in ["f-officer", "coord", "h-leader"] {
                group.addTask {
                    let client = try await hub.connect(as: person)
                    let inbox = Inbox(client)
                    var seen = 0
                    for cycle in 0..<25 {
                        try await client.send(["id": "j\(cycle)", "type": "join", "room": room])
                        let joined = try await inbox.reply(to: "j\(cycle)")
                        XCTAssertEqual(joined.events.count, 0, "\(person): no event before the join reply")
                        let first = try XCTUnwrap(result(joined.reply)["seq"] as? Int, "\(joined.reply)")
                        // Post, and stay until the post's own event is in (it comes live, so a
                        // member left in a dropped room would never see it).
                        let text = "\(person) \(cycle) \(UUID().uuidString)"
                        try await client.send(["id": "p\(cycle)", "type": "post", "room": room, "text": text, "key": UUID().uuidString])
                        var events = try await inbox.reply(to: "p\(cycle)").events
                        if !events.contains(where: { $0["text"] as? String == text }) {
                            events += try await inbox.events { $0["text"] as? String == text }
                        }
                        try await client.send(["id": "l\(cycle)", "type": "leave", "room": room])
                        events += try await inbox.reply(to: "l\(cycle)").events
                        let sequences = events.compactMap { $0["seq"] as? Int }
                        XCTAssertEqual(sequences, Array((first + 1)..<(first + 1 + sequences.count)),
                                       "\(person), stay \(cycle): the events after seq \(first), each once, in order")
                        seen += sequences.count
                    }
                    await client.close()
                    return seen
                }
            }
            var total = 0
            for try await seen in group { total += seen }
            XCTAssertGreaterThan(total, 0)
        }
        XCTAssertNil(try XCTUnwrap(hub.hub).rooms.existingRoom(room), "everyone left: no live state")
        try await hub.stop()
    }

    // MARK: Bad input and limits

    func testBadInputGetsErrorRepliesAndTheConnectionStaysOpen() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "coord")
        let cases: [([String: Any], String)] = [
            (["type": "join", "room": "kitchen"], "bad_request"),
            (["type": "join", "room": "lobby", "last_seq": "seven"], "bad_request"),
            (["type": "join", "room": "lobby", "last_seq": true], "bad_request"),
            (["type": "join", "room": "lobby", "last_seq": -1], "bad_request"),
            (["type": "history", "room": "lobby", "limit": 100_000], "bad_request"),
            (["type": "post", "room": "lobby", "text": String(repeating: "长", count: 4_001), "key": "k"], "bad_request"),
            (["type": "post", "room": "lobby", "text": "x"], "bad_request"),
            (["type": "post", "room": "kitchen", "text": "x", "key": "k"], "bad_request"),
            (["type": "post", "room": "lobby", "text": "x", "key": ""], "bad_request"),
            (["type": "post", "room": "lobby", "text": "x", "key": "k", "extra": 1], "not_joined"),
            (["type": "case.get", "case": "case-0"], "bad_request"),
            (["type": "case.get", "case": "case-999"], "not_found"),
            (["type": "case.register", "title": "x"], "bad_request"),
            (["type": "case.change", "case": "case-1", "change": ["type": "teleported"]], "bad_request"),
            (["type": "auth"], "bad_request"),
            (["type": "launch_rockets"], "unknown_command"),
        ]
        for (index, (request, code)) in cases.enumerated() {
            var object = request
            object["id"] = "b\(index)"
            let reply = try await client.request(object)
            XCTAssertEqual(reply["id"] as? String, "b\(index)")
            XCTAssertEqual(errorCode(reply), code, "\(request): \(reply)")
            XCTAssertFalse(((reply["error"] as? [String: Any])?["message"] as? String ?? "").isEmpty)
        }
        let fine = try await client.request(["id": "ok", "type": "hello"])
        XCTAssertEqual(fine["type"] as? String, "ok")
        await client.close()
        try await hub.stop()
    }

    func testRateLimitAnswersWithARetryHint() async throws {
        var configuration = HubConfiguration()
        configuration.requestsPerSecond = 1
        configuration.requestBurst = 3
        let hub = try await HubTestServer.hub(hubConfiguration: configuration)
        let client = try await hub.connect(as: "coord")  // the auth request takes one token
        let inbox = Inbox(client)
        for index in 0..<3 { try await client.send(["id": "r\(index)", "type": "hello"]) }
        _ = try await inbox.reply(to: "r0")
        _ = try await inbox.reply(to: "r1")
        let limited = try await inbox.reply(to: "r2")
        XCTAssertEqual(errorCode(limited.reply), "rate_limited")
        let retry = (limited.reply["error"] as? [String: Any])?["retry_after_ms"] as? Int
        XCTAssertNotNil(retry)
        XCTAssertGreaterThan(retry ?? 0, 0)
        await client.close()
        try await hub.stop()
    }

    func testRoomsPerConnectionAndConnectionsPerPersonAreLimited() async throws {
        var configuration = HubConfiguration()
        configuration.maxRoomsPerConnection = 1
        configuration.maxConnectionsPerPerson = 1
        let hub = try await HubTestServer.hub(hubConfiguration: configuration)
        let room = try await makeCase(hub)
        let client = try await hub.connect(as: "h-officer")
        _ = try await client.request(["id": "1", "type": "join", "room": "lobby"])
        let second = try await client.request(["id": "2", "type": "join", "room": room])
        XCTAssertEqual(errorCode(second), "limit_exceeded")
        let another = try await hub.connect()
        let auth = try await another.request(["id": "a", "type": "auth", "token": hub.tokens[PersonID("h-officer")]!])
        XCTAssertEqual(errorCode(auth), "limit_exceeded")
        await another.close()
        await client.close()
        try await hub.stop()
    }

    func testMemberThatStopsReadingIsClosedAndOthersGetEverything() async throws {
        var limits = HubConfiguration()
        limits.requestsPerSecond = 100_000  // the writer posts flat out; rate limiting is tested elsewhere
        limits.requestBurst = 100_000
        let hub = try await HubTestServer.hub(hubConfiguration: limits) { configuration in
            configuration.webSocket.maxOutboundBytes = 128 * 1024
            configuration.webSocket.closeTimeout = .milliseconds(100)
            configuration.tls.shutdownTimeout = .milliseconds(100)
            // Small kernel buffers, so the member's unread events pile up in the hub, not the kernel.
            configuration.socketSendBufferBytes = 16 * 1024
        }
        let writer = try await hub.connect(as: "coord")
        let writerInbox = Inbox(writer)
        try await writer.send(["id": "j", "type": "join", "room": "lobby"])
        _ = try await writerInbox.reply(to: "j")
        let reader = try await hub.connect(as: "f-officer")
        let readerInbox = Inbox(reader)
        try await reader.send(["id": "j", "type": "join", "room": "lobby"])
        _ = try await readerInbox.reply(to: "j")
        let slow = try await hub.connect(as: "h-officer", receiveBufferBytes: 4 * 1024)
        _ = try await slow.request(["id": "j", "type": "join", "room": "lobby"])
        try await slow.channel.setOption(ChannelOptions.autoRead, value: false).get()
        let slowServerSide = try XCTUnwrap(hub.hub!.channels(of: PersonID("h-officer")).first)

        let text = String(repeating: "x", count: 3_900)
        let count = 200  // 800 kB of events: far past the slow member's 128 kB allowance
        for index in 0..<count {
            try await writer.send(["id": "p\(index)", "type": "post", "room": "lobby", "text": text, "key": "p\(index)"])
            let posted = try await writerInbox.reply(to: "p\(index)")
            XCTAssertEqual(posted.reply["type"] as? String, "ok", "\(posted.reply)")
        }
        var messages = 0
        _ = try await readerInbox.events { event in
            if event["kind"] as? String == "message" { messages += 1 }
            return messages == count
        }
        XCTAssertEqual(messages, count, "the reading member got every message")
        // The server closed the member that stopped reading (its client, not reading, cannot notice).
        try await slowServerSide.closeFuture.get()
        slow.channel.close(promise: nil)
        await reader.close()
        await writer.close()
        try await hub.stop()
    }
}
