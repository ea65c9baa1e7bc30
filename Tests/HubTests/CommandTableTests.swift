// CommandTableTests: the command table is the protocol's one list — names are unique, every
// request is dispatched through it, and replies are encoded once from typed results.
import CaseCore
import Foundation
import NIOCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class CommandTableTests: XCTestCase {
    func testEveryCommandHasOneUniqueName() {
        let names = CommandTable.names
        XCTAssertEqual(Set(names).count, names.count, "a name appears twice")
        XCTAssertEqual(CommandTable.byName.count, names.count)
        for command in CommandTable.all {
            XCTAssertTrue(CommandTable.byName[command.name] == command, command.name)
        }
    }

    func testOnlyHelloAndAuthAreOpenBeforeAuthentication() {
        let open = CommandTable.all.filter {
            if case .anyone = $0.access { return true }
            return false
        }.map { $0.name }
        XCTAssertEqual(Set(open), ["hello", "auth"])
    }

    func testAnUnknownTypeIsRefusedByTheTable() throws {
        let request = try Request.decode(ByteBuffer(string: #"{"id":"7","type":"case.delete","case":"case-1"}"#))
        XCTAssertThrowsError(try CommandTable.prepare(request, maxTextLength: 100)) { error in
            XCTAssertEqual((error as? HubFailure)?.code, .unknownCommand)
            XCTAssertEqual((error as? HubFailure)?.message, "unknown command `case.delete`")
        }
    }

    func testRepliesAreEncodedOnceWithSnakeCaseKeysSortedAndNullsWhereTheContractHasThem() throws {
        let overview = CaseOverview.Output(
            case: "case-3", number: "〔2026〕第0003号", title: "漏水 <b>", status: "negotiating", lead: nil, coHandling: [], deadlines: [], tasksByUnit: [:],
            answer: nil, supervisionItems: [], listed: nil, waitingOn: [CaseOverview.Waiting(unit: "housing", what: "an answer")])
        let text = String(buffer: WireReply.ok(id: "r1", result: overview))
        XCTAssertEqual(text, #"{"id":"r1","result":{"actions":[],"case":"case-3","co_handling":[],"deadlines":[],"lead":null,"number":"〔2026〕第0003号","status":"negotiating","supervision_items":[],"tasks_by_unit":{},"title":"漏水 <b>","waiting_on":[{"unit":"housing","what":"an answer"}]},"type":"ok"}"#)
    }

    func testErrorRepliesCarryANullIdWhenTheRequestHadNoneAndRetryAfterWhenRateLimited() throws {
        XCTAssertEqual(String(buffer: Reply.error(id: nil, code: .badRequest, message: "the message is not valid JSON")),
                       #"{"error":{"code":"bad_request","message":"the message is not valid JSON"},"id":null,"type":"error"}"#)
        XCTAssertEqual(String(buffer: Reply.error(id: "9", code: .rateLimited, message: "too many requests", retryAfterMs: 250)),
                       #"{"error":{"code":"rate_limited","message":"too many requests","retry_after_ms":250},"id":"9","type":"error"}"#)
    }

    func testStoredEventsComeBackInAHistoryReplyAsTheyWereStored() throws {
        let position = RoomPosition(room: "case-12", sequence: 48, epoch: "6f1c", at: Timestamp(milliseconds: 1_763_778_672_002))
        for text in ["Site survey done.", "信访工作联席会议 — 会签", #"quotes " and \ back\slash / slash"#, "line\nbreak\ttab", "<img src=x onerror=alert(1)>"] {
            let stored = try WireEvents.message(position, person: PersonID("h-officer"), unit: UnitID("housing"), text: text)
            let reply = WireReply.ok(id: "h", result: History.Output(room: "case-12", epoch: "6f1c", more: false, events: [try JSONValue(json: stored)]))
            let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reply.readableBytesView)) as? [String: Any])
            let event = try XCTUnwrap(((parsed["result"] as? [String: Any])?["events"] as? [[String: Any]])?.first)
            let original = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stored)) as? [String: Any])
            XCTAssertEqual(event as NSDictionary, original as NSDictionary, text)
        }
        // Numbers keep their type: integers stay integers.
        XCTAssertEqual(try JSONValue(json: Array(#"{"seq":9007199254740993,"x":1.5,"ok":true,"n":null}"#.utf8)),
                       .object(["seq": .integer(9_007_199_254_740_993), "x": .number(1.5), "ok": .bool(true), "n": .null]))
    }

    func testEveryDocumentedRequestGetsExactlyOneReply() async throws {
        // Every request example of docs/protocol.md, sent as a coordinator and as an officer to a
        // hub that has none of the cases or meetings they name: each gets one reply (ok or
        // error), never none and never two.
        let requests = try ProtocolDoc.examples().examples.filter { $0.kind == "request" }
        XCTAssertEqual(Set(requests.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) as? [String: Any])?["type"] as? String }),
                       Set(CommandTable.names))
        let server = try await HubTestServer.hub()
        for person in ["coord", "h-officer", "auditor"] {
            let client = try await server.connect(as: person)
            let inbox = Inbox(client)
            var sent: [String] = []
            for (index, example) in requests.enumerated() {
                var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(example.json.utf8)) as? [String: Any])
                let id = "r\(index)"
                object["id"] = id
                if object["type"] as? String == "auth" { object["token"] = "chub_not_a_token" }
                try await client.send(text: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
                sent.append(id)
            }
            try await client.send(text: #"{"id":"last","type":"hello"}"#)
            var replies: [String: Int] = [:]
            while true {
                let message = try await inbox.next()
                guard message["type"] as? String != "event" else { continue }
                let id = try XCTUnwrap(message["id"] as? String, "\(message)")
                if id == "last" { break }
                replies[id, default: 0] += 1
            }
            for id in sent {
                XCTAssertEqual(replies[id], 1, "\(person): request \(id) (\(requests[Int(id.dropFirst())!].json.prefix(60))…)")
            }
            await client.close()
        }
        try await server.stop()
    }
}

final class CommandAccessTableTests: XCTestCase {
    func testEveryRoleMaySendExactlyTheCommandsTheProtocolTableSays() throws {
        let rows = try ProtocolDoc.examples().text.components(separatedBy: "\n")
            .drop { $0 != "<!-- commands -->" }.dropFirst().prefix { $0.hasPrefix("|") }.dropFirst(2)
        let roles: [Role] = [.officer, .leader, .coordinator, .auditor, .admin]
        var documented = Set<String>()
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            documented.insert(name)
            guard let command = CommandTable.byName[name] else { XCTFail("`\(name)` is in the table but not a command"); continue }
            for (column, role) in roles.enumerated() {
                let admitted = command.access.refusal(for: Actor(person: PersonID("p"), unit: UnitID("housing"), roles: [role])) == nil
                XCTAssertEqual(admitted, cells[column + 1] == "yes", "\(role.rawValue) sending `\(name)`")
            }
            XCTAssertEqual(cells[6], command.effect.rawValue, "the effect of `\(name)`")
            let before = command.access.refusal(for: nil)
            XCTAssertEqual(before == nil, ["hello", "auth"].contains(name), "`\(name)` before authentication")
        }
        XCTAssertEqual(documented, Set(CommandTable.names), "every command is in the table, once")
    }
}

final class CommandCostTests: XCTestCase {
    func testLargePagesAndScansCountAsSeveralRequests() throws {
        func cost(_ json: String) throws -> Int {
            try CommandTable.prepare(try Request.decode(ByteBuffer(string: json)), maxTextLength: 100).cost
        }
        XCTAssertEqual(try cost(#"{"id":"1","type":"hello"}"#), 1)
        XCTAssertEqual(try cost(#"{"id":"1","type":"cases"}"#), 1, "the default page of 100")
        XCTAssertEqual(try cost(#"{"id":"1","type":"cases","limit":500}"#), 5)
        XCTAssertEqual(try cost(#"{"id":"1","type":"history","room":"lobby","limit":101}"#), 2)
        XCTAssertEqual(try cost(#"{"id":"1","type":"supervision"}"#), 5)
        XCTAssertEqual(try cost(#"{"id":"1","type":"figures","from":"2026-11-01","to":"2026-11-30"}"#), 5)
        XCTAssertEqual(try cost(#"{"id":"1","type":"figures","from":"2026-11-01","to":"2026-11-30","unit":"housing"}"#), 1)
    }

    func testTheBucketTakesSeveralTokensAtOnceButNeverMoreThanItsBurst() {
        var bucket = TokenBucket(rate: 10, burst: 20, now: 0)
        XCTAssertNil(bucket.take(15, now: 0))
        XCTAssertEqual(bucket.take(10, now: 0), 500, "5 left: 5 more take half a second at 10/s")
        XCTAssertNil(bucket.take(10, now: 500_000_000))
        var small = TokenBucket(rate: 1, burst: 2, now: 0)
        XCTAssertNil(small.take(50, now: 0), "a cost above the burst takes the burst")
    }

    func testACostlyRequestOverTheLimitIsRefusedInItsTurn() async throws {
        var configuration = HubConfiguration()
        configuration.requestsPerSecond = 0.001  // next to no refill: the test decides
        configuration.requestBurst = 2
        let hub = try await HubTestServer.hub(hubConfiguration: configuration)
        let client = try await hub.connect(as: "coord")  // auth took one of the two
        let reply = try await client.request(["id": "c", "type": "cases", "limit": 300])
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? String, "rate_limited", "\(reply)")
        XCTAssertEqual((reply["error"] as? [String: Any])?["message"] as? String, "too many requests (`cases` counts as 3)")
        await client.close()
        try await hub.stop()
    }
}
