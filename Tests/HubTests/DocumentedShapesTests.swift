// DocumentedShapesTests: the reply and event examples of docs/protocol.md have the shapes the hub
// really encodes. A scripted session makes every command succeed at least once and sees every
// kind of event; each documented example is then compared, key by key and type by type, with what
// the hub sent for that command or event kind — a field the doc names that the hub never sends,
// or one the hub sends that the doc leaves out, fails the test.
import CaseCore
import Foundation
import NIOConcurrencyHelpers
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class DocumentedShapesTests: XCTestCase {
    /// What the session saw: replies by command, events by kind.
    private final class Seen: Sendable {
        /// As JSON texts.
        let replies = NIOLockedValueBox<[String: [String]]>([:])
        let events = NIOLockedValueBox<[String: [String]]>([:])

        func reply(_ type: String, _ message: HubMessage) {
            XCTAssertTrue(message.isOK, "\(type): \(message.text)")
            replies.withLockedValue { $0[type, default: []].append(message.text) }
        }

        func event(_ message: HubMessage) {
            guard message.isEvent, let kind = message.object["kind"] as? String else { return }
            events.withLockedValue { $0[kind, default: []].append(message.text) }
        }
    }

    /// The shape of a JSON value: each key path with the kinds of value found there
    /// (`[]` for array elements). Nulls say only that the path may be null.
    static func shape(_ value: Any, path: String = "", into shape: inout [String: Set<String>]) {
        switch value {
        case let object as [String: Any]:
            shape[path, default: []].insert("object")
            // Free-form below: a change (its forms are the request forms of case.change and
            // meeting.change) and the events in a history page (each is checked as an event).
            if path.hasSuffix(".change") || path == ".result.events[]" && object["type"] as? String == "event" { return }
            // The state a write (or case.overview with include_case) answers with is what another
            // command reads, and is checked against that command's examples (`referenced`).
            if Self.referenced.keys.contains(path) { return }
            for (key, element) in object { Self.shape(element, path: path + "." + key, into: &shape) }
        case let array as [Any]:
            shape[path, default: []].insert("array")
            for element in array { Self.shape(element, path: path + "[]", into: &shape) }
        case is NSNull:
            shape[path, default: []].insert("null")
        case let number as NSNumber:
            shape[path, default: []].insert(String(cString: number.objCType) == "c" ? "bool" : "number")
        case is String:
            shape[path, default: []].insert("string")
        default:
            shape[path, default: []].insert("?")
        }
    }

    /// Paths of `documented` the hub never sends, paths the hub sends that are not documented, and
    /// paths whose kinds disagree (null aside). Paths under a free-form map (`tasks_by_unit`) are
    /// compared below the map's keys.
    static func differences(documented: [Any], real: [Any]) -> [String] {
        func shapes(_ values: [Any]) -> [String: Set<String>] {
            var result: [String: Set<String>] = [:]
            for value in values { shape(value, into: &result) }
            var folded: [String: Set<String>] = [:]
            for (path, kinds) in result {
                // A map keyed by unit: its keys are data, not fields.
                var key = path.replacingOccurrences(of: #"\.tasks_by_unit\.[^.\[]+"#, with: ".tasks_by_unit.*", options: .regularExpression)
                // `schema`: the enums by name, and fields nested in fields (objects, list items) at any depth.
                key = key.replacingOccurrences(of: #"^\.result\.enums\.[^.\[]+"#, with: ".result.enums.*", options: .regularExpression)
                if key.hasPrefix(".result.case_changes[]") || key.hasPrefix(".result.meeting_changes[]") {
                    key = key.replacingOccurrences(of: #"(\.(fields\[\]|items))+"#, with: ".fields[]", options: .regularExpression)
                }
                folded[key, default: []].formUnion(kinds)
            }
            return folded
        }
        let doc = shapes(documented), hub = shapes(real)
        var problems: [String] = []
        for path in Set(doc.keys).union(hub.keys).sorted() {
            guard let documentedKinds = doc[path] else { problems.append("\(path) is sent but not documented"); continue }
            guard let sentKinds = hub[path] else { problems.append("\(path) is documented but never sent"); continue }
            let a = documentedKinds.subtracting(["null"]), b = sentKinds.subtracting(["null"])
            if !a.isEmpty, !b.isEmpty, a.isDisjoint(with: b) { problems.append("\(path) is \(a.sorted()) in the doc, \(b.sorted()) on the wire") }
        }
        return problems
    }

    /// Parts of replies that are another command's answer: the path, that command, and where in
    /// its reply the same value is.
    static let referenced: [String: (command: String, key: String?)] = [
        ".result.overview": ("case.overview", nil), ".result.case_state": ("case.get", "case"), ".result.meeting_state": ("meeting.get", "meeting"),
    ]

    /// The parts of `replies` at the `referenced` paths, each as a reply of the command it is the
    /// answer of.
    static func referencedParts(_ replies: [String: [Any]]) -> [String: [Any]] {
        var parts: [String: [Any]] = [:]
        for texts in replies.values {
            for case let reply as [String: Any] in texts {
                guard let result = reply["result"] as? [String: Any] else { continue }
                for (path, target) in referenced {
                    guard let value = result[String(path.dropFirst(".result.".count))] as? [String: Any] else { continue }
                    let wrapped: Any = target.key.map { [$0: value] } ?? value
                    parts[target.command, default: []].append(["id": "1", "type": "ok", "result": wrapped])
                }
            }
        }
        return parts
    }

    func testEveryDocumentedReplyAndEventHasTheShapeTheHubSends() async throws {
        let seen = try await Self.session()
        let examples = try ProtocolDoc.examples().examples
        var requestTypes: [String: String] = [:], lastRequest: String?
        var documentedReplies: [String: [Any]] = [:], documentedEvents: [String: [Any]] = [:]
        for example in examples {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(example.json.utf8)) as? [String: Any], "line \(example.line)")
            switch example.kind {
            case "request":
                if let id = object["id"] as? String, let type = object["type"] as? String {
                    requestTypes[id] = type
                    lastRequest = type
                }
            case "reply" where object["type"] as? String == "ok":
                // A reply answers the request example with its id, or else (a variant) the one before it.
                let id = object["id"] as? String ?? ""
                guard let type = requestTypes[id] ?? lastRequest else { XCTFail("docs/protocol.md line \(example.line): a reply before any request"); continue }
                documentedReplies[type, default: []].append(object)
            case "event":
                documentedEvents[object["kind"] as? String ?? "?", default: []].append(object)
            default:
                break
            }
        }
        func parsed(_ texts: [String: [String]]) -> [String: [Any]] {
            texts.mapValues { $0.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } }
        }
        let replies = parsed(seen.replies.withLockedValue { $0 }), events = parsed(seen.events.withLockedValue { $0 })
        if let dump = ProcessInfo.processInfo.environment["CONFERENCEHUB_DUMP_SHAPES"] {
            // For writing the doc: every reply and event the session saw, a line each.
            let lines = seen.replies.withLockedValue { $0 }.sorted { $0.key < $1.key }.flatMap { type, texts in texts.map { "reply \(type) \($0)" } }
                + seen.events.withLockedValue { $0 }.sorted { $0.key < $1.key }.flatMap { kind, texts in texts.map { "event \(kind) \($0)" } }
            try lines.joined(separator: "\n").write(toFile: dump, atomically: true, encoding: .utf8)
        }
        let parts = Self.referencedParts(replies)
        for (name, parts) in parts.sorted(by: { $0.key < $1.key }) {
            // Every path of such a part is documented where that command is (a part need not show
            // every field the example of that command shows).
            for problem in Self.differences(documented: documentedReplies[name] ?? [], real: parts) where !problem.hasSuffix("documented but never sent") {
                XCTFail("the `\(name)` answer inside a write's reply: \(problem)")
            }
        }
        for name in CommandTable.names {
            guard let documented = documentedReplies[name] else { XCTFail("`\(name)` has no ok reply example in docs/protocol.md"); continue }
            guard let real = replies[name].map({ $0 + (parts[name] ?? []) }) else { XCTFail("the session did not run `\(name)`"); continue }
            for problem in Self.differences(documented: documented, real: real) { XCTFail("`\(name)` reply: \(problem)") }
        }
        for (kind, real) in events.sorted(by: { $0.key < $1.key }) {
            guard let documented = documentedEvents[kind] else { XCTFail("the `\(kind)` event has no example in docs/protocol.md"); continue }
            for problem in Self.differences(documented: documented, real: real) { XCTFail("`\(kind)` event: \(problem)") }
        }
        XCTAssertEqual(Set(events.keys), ["message", "presence", "case", "meeting", "notice", "deadline"], "the session saw every kind of event")
    }

    /// A session in which every command succeeds at least once.
    private static func session() async throws -> Seen {
        let seen = Seen()
        let clock = ManualClock(Timestamp(ISO8601DateFormatter().date(from: "2026-11-02T01:00:00Z")!))  // Monday 09:00 Beijing
        let hub = try await HubTestServer.hub(
            clock: clock, decisionLog: DecisionLogIdentity(signer: try CheckpointSigner(), origin: "ConferenceHub decision log"))
        func connect(_ person: String) async throws -> HubClient {
            let configuration = HubClientConfiguration(
                connection: WebSocketClientConfiguration(host: "127.0.0.1", port: hub.port, tls: TestPKI.clientConfiguration(hostname: "127.0.0.1")),
                token: hub.tokens[PersonID(person)])
            return try await HubClient.connect(configuration: configuration, group: hub.group, positions: [:]) { seen.event($0) }
        }
        @discardableResult
        func call(_ client: HubClient, _ type: String, _ fields: [String: Any] = [:]) async throws -> HubMessage {
            let reply = try await client.send(type, fields)
            seen.reply(type, reply)
            return reply
        }
        func change(_ client: HubClient, _ room: String, _ change: [String: Any]) async throws {
            try await call(client, "case.change", ["case": room, "change": change])
        }
        func meetingChange(_ client: HubClient, _ meeting: String, _ change: [String: Any]) async throws {
            try await call(client, "meeting.change", ["meeting": meeting, "change": change])
        }

        // auth, on a connection of its own (HubClient authenticates by itself).
        let raw = try await hub.connect()
        let auth = try await raw.request(["id": "a", "type": "auth", "token": hub.tokens[PersonID("coord")]!])
        let authText = String(decoding: try JSONSerialization.data(withJSONObject: auth), as: UTF8.self)
        seen.replies.withLockedValue { $0["auth", default: []].append(authText) }
        await raw.close()

        let coordinator = try await connect("coord"), housing = try await connect("h-officer"), finance = try await connect("f-officer")
        let chair = try await connect("d-leader")
        try await call(coordinator, "hello")
        try await call(housing, "schema")
        try await call(housing, "units")
        try await call(housing, "people", ["unit": "housing"])
        // hello on a connection with a client certificate (the test certificate is h-officer's).
        let certified = try await hub.connect(identity: TestPKI.client)
        let hello = try await certified.request(["id": "h", "type": "hello"])
        seen.replies.withLockedValue { $0["hello", default: []].append(String(decoding: try! JSONSerialization.data(withJSONObject: hello), as: UTF8.self)) }
        await certified.close()
        seen.reply("join", try await coordinator.join("lobby"))
        let registered = try await call(coordinator, "case.register", [
            "title": "Relocation compensation", "summary": "Household asks for the promised compensation.", "category": "claim",
            "channel": "visit", "received_on": "2026-11-01", "involved_units": ["housing", "finance"],
            "petitioner": ["name": "Zhang San", "contact": "138-0000-0000"],
        ])
        let room = try XCTUnwrap(registered.result["case"] as? String)
        try await call(housing, "inbox", ["limit": 50])
        seen.reply("join", try await housing.join(room, lastSeq: 0))
        try await call(coordinator, "rooms")
        try await call(housing, "negotiation.answer", ["case": room, "answer": "claim"])
        try await call(coordinator, "negotiation.get", ["case": room])
        try await call(finance, "negotiation.answer", ["case": room, "answer": "cohandle"])
        try await call(coordinator, "negotiation.figures")
        try await change(housing, room, ["type": "accepted"])
        try await change(housing, room, ["type": "handling_started"])
        try await change(housing, room, ["type": "plan_set", "plan": [
            "responsible_leader": "h-leader", "responsible_person": "h-officer", "measures": ["Verify the agreement"], "resolution_deadline": "2026-12-15",
        ]])
        try await change(housing, room, ["type": "task_assigned", "task": ["unit": "finance", "what": "Confirm the budget line", "due": "2026-11-06"]])
        try await change(coordinator, room, ["type": "supervision_opened", "demand": [
            "unit": "finance", "reason": "Budget unclear", "demand": "Explain the budget line", "due": "2026-11-20",
        ]])
        try await change(finance, room, ["type": "task_acknowledged", "task": 1])
        try await change(housing, room, ["type": "answer_drafted", "answer": [
            "request": "Pay", "facts_and_reasons": "Agreed in 2019.", "decision": "support", "legal_basis": "Art. 33",
        ]])
        try await change(finance, room, ["type": "answer_objected", "version": 1, "reason": "The amount is missing"])
        try await change(finance, room, ["type": "task_progress", "task": 1, "report": ["text": "Budget office consulted", "status": "at_risk"]])
        try await call(coordinator, "case.overview", ["case": room])
        try await call(finance, "case.overview", ["case": room, "include_case": true])
        try await change(housing, room, ["type": "answer_drafted", "answer": [
            "request": "Pay", "facts_and_reasons": "Agreed in 2019; 86 m².", "decision": "support", "legal_basis": "Art. 33",
        ]])
        try await change(finance, room, ["type": "answer_cosigned", "version": 2])
        // A second case whose negotiation is disputed: its lobby notice names who decides.
        let second = try await call(coordinator, "case.register", [
            "title": "Budget dispute", "summary": "", "category": "claim", "channel": "letter", "received_on": "2026-11-01",
            "involved_units": ["housing", "finance"], "petitioner": ["name": "Li Si", "contact": ""],
        ])
        let secondRoom = try XCTUnwrap(second.result["case"] as? String)
        try await call(housing, "negotiation.answer", ["case": secondRoom, "answer": "claim"])
        try await call(finance, "negotiation.answer", ["case": secondRoom, "answer": "claim"])
        try await call(coordinator, "negotiation.get", ["case": secondRoom])
        // Time passes: the task's warnings and a past-due task.
        clock.advance(seconds: 5 * 86_400)
        try await hub.hub!.sweepDeadlines()
        _ = try await housing.post(room, text: "Site survey done.", key: "doc-0")
        for command in ["case.get", "case.overview", "case.history", "case.petitioner"] { try await call(coordinator, command, ["case": room]) }
        try await call(finance, "case.overview", ["case": room])
        try await call(coordinator, "cases")
        try await call(coordinator, "cases", ["view": "summary", "limit": 1])
        try await call(coordinator, "figures", ["from": "2026-11-01", "to": "2026-11-30"])
        try await call(coordinator, "supervision")
        try await call(coordinator, "deadlines", ["level": 50])
        try await call(housing, "history", ["room": room, "limit": 5])
        try await call(housing, "who", ["room": room])
        try await call(housing, "post", ["room": room, "text": "Survey attached.", "key": "doc-1"])
        try await call(housing, "leave", ["room": room])

        let convened = try await call(coordinator, "meeting.convene", [
            "title": "Working meeting", "scheduled_at": clock.now().milliseconds + 3_600_000, "chair": "d-leader",
            "invited": [["unit": "housing", "required": true], ["unit": "finance", "required": true]],
            "agenda": [["case": room, "description": "The amount of compensation"]],
        ])
        let meeting = try XCTUnwrap(convened.result["meeting"] as? String)
        for client in [chair, housing, finance, coordinator] { _ = try await client.join(meeting) }
        try await meetingChange(chair, meeting, ["type": "session_opened"])
        try await meetingChange(chair, meeting, ["type": "item_opened", "item": 1])
        try await meetingChange(chair, meeting, ["type": "proposal_tabled", "item": 1, "text": "Finance confirms the amount by 20 November.",
                                                 "effects": ["measures": ["Confirm the amount"], "listed_supervision": "Repeated petitions"]])
        try await meetingChange(housing, meeting, ["type": "position_stated", "item": 1, "version": 1, "position": "agree"])
        try await meetingChange(finance, meeting, ["type": "position_stated", "item": 1, "version": 1, "position": "object", "reason": "Too soon"])
        try await meetingChange(chair, meeting, ["type": "proposal_closed", "item": 1, "closing": "decide"])
        try await meetingChange(chair, meeting, ["type": "item_closed", "item": 1])
        try await meetingChange(chair, meeting, ["type": "adjourned"])
        try await call(coordinator, "meeting.get", ["meeting": meeting])
        try await call(coordinator, "meetings")
        try await call(coordinator, "meeting.minutes", ["meeting": meeting, "format": "markdown"])
        try await call(coordinator, "meeting.minutes", ["meeting": meeting, "format": "json"])
        try await meetingChange(housing, meeting, ["type": "minutes_signed_off", "approve": true])
        try await meetingChange(finance, meeting, ["type": "minutes_signed_off", "approve": false, "reason": "Our objection is understated"])
        try await call(coordinator, "decisions.checkpoint")
        try await call(coordinator, "decisions.entries")
        try await call(coordinator, "decisions.inclusion", ["index": 0])
        try await call(coordinator, "decisions.consistency", ["first": 1])
        for client in [coordinator, housing, finance, chair] { await client.close() }
        try await hub.stop()
        return seen
    }
}
