// PagingTests: `rooms`, `cases` and `meetings` pages — `limit` counts everything the page
// holds (the lobby too), and `next` is given only when another page follows.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class PagingTests: XCTestCase {
    private func result(_ reply: [String: Any]) throws -> [String: Any] {
        try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)")
    }

    /// Walks `type` page by page with `limit`; returns every item's id and how many pages it took.
    private func walk(_ client: WebSocketClientConnection, _ type: String, key: String, id: String, limit: Int?) async throws -> (ids: [String], pages: Int) {
        var ids: [String] = [], after: String?, pages = 0
        repeat {
            var request: [String: Any] = ["id": "w\(pages)", "type": type]
            if let limit { request["limit"] = limit }
            if let after { request["after"] = after }
            let page = try result(try await client.request(request))
            ids += (page[key] as? [[String: Any]] ?? []).compactMap { $0[id] as? String }
            after = page["next"] as? String
            pages += 1
        } while after != nil && pages < 100
        return (ids, pages)
    }

    func testTheLargestPageStillSaysWhenMoreFollowAndExactlyFullPagesEnd() async throws {
        // 1,000 cases (exactly two full pages of 500, ten of 100), then one more.
        let hub = try await HubTestServer.hub()
        let coordinator = Actor(person: PersonID("coord"), unit: TestPeople.office, roles: [.coordinator])
        let registration = Registration(
            title: "t", summary: "s", category: .claim, channel: .visit, receivedOn: LocalDate("2026-11-01")!, involvedUnits: [TestPeople.housing],
            petitioner: Petitioner(name: "Wang Wu", contact: "2"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<1_000 { group.addTask { _ = try await hub.store.register(registration, by: coordinator) } }
            try await group.waitForAll()
        }
        let client = try await hub.connect(as: "coord")
        for limit in [500, nil] {
            let cases = try await walk(client, "cases", key: "cases", id: "case", limit: limit)
            XCTAssertEqual(cases.ids.count, 1_000, "cases at limit \(limit ?? 100): every case")
            XCTAssertEqual(Set(cases.ids).count, 1_000, "no case twice")
            XCTAssertEqual(cases.pages, limit == 500 ? 2 : 10, "exactly full pages end without another")
        }
        // Rooms hold the lobby too: 1,001 rooms are three pages of 500.
        let rooms = try await walk(client, "rooms", key: "rooms", id: "room", limit: 500)
        XCTAssertEqual(rooms.ids.count, 1_001)
        XCTAssertEqual(rooms.pages, 3)

        _ = try await hub.store.register(registration, by: coordinator)
        let more = try await walk(client, "cases", key: "cases", id: "case", limit: 500)
        XCTAssertEqual(more.ids.count, 1_001, "one past a full page")
        XCTAssertEqual(more.pages, 3)
        let officer = try await hub.connect(as: "h-officer")
        let own = try await walk(officer, "cases", key: "cases", id: "case", limit: 500)
        XCTAssertEqual(own.ids.count, 1_001, "an officer's own unit's cases, through the relation index")
        await officer.close()
        await client.close()
        try await hub.stop()
    }

    func testPagesCountWhatTheyHoldAndSayNextOnlyWhenMoreFollows() async throws {
        let hub = try await HubTestServer.hub()
        let client = try await hub.connect(as: "coord")
        for index in 1...3 {
            let reply = try await client.request([
                "id": "r\(index)", "type": "case.register", "title": "Case \(index)", "summary": "s", "category": "claim", "channel": "visit",
                "received_on": "2026-11-01", "involved_units": ["housing"], "petitioner": ["name": "Zhao", "contact": "1"],
            ])
            XCTAssertEqual(reply["type"] as? String, "ok", "\(reply)")
        }
        let first = try result(try await client.request(["id": "a", "type": "rooms", "limit": 2]))
        XCTAssertEqual((first["rooms"] as? [[String: Any]])?.compactMap { $0["room"] as? String }, ["lobby", "case-1"])
        XCTAssertEqual(first["next"] as? String, "case-1")
        let second = try result(try await client.request(["id": "b", "type": "rooms", "after": "case-1", "limit": 2]))
        XCTAssertEqual((second["rooms"] as? [[String: Any]])?.compactMap { $0["room"] as? String }, ["case-2", "case-3"])
        XCTAssertNil(second["next"], "nothing follows case-3")
        let lobbyOnly = try result(try await client.request(["id": "c", "type": "rooms", "limit": 1]))
        XCTAssertEqual((lobbyOnly["rooms"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(lobbyOnly["next"] as? String, "lobby")
        let fromLobby = try result(try await client.request(["id": "d", "type": "rooms", "after": "lobby", "limit": 5]))
        XCTAssertEqual((fromLobby["rooms"] as? [[String: Any]])?.compactMap { $0["room"] as? String }, ["case-1", "case-2", "case-3"])
        XCTAssertNil(fromLobby["next"])

        let exact = try result(try await client.request(["id": "e", "type": "cases", "limit": 3]))
        XCTAssertEqual((exact["cases"] as? [Any])?.count, 3)
        XCTAssertNil(exact["next"], "three cases fill a page of three: nothing follows")
        let short = try result(try await client.request(["id": "f", "type": "cases", "limit": 2]))
        XCTAssertEqual(short["next"] as? String, "case-2")
        let meetings = try result(try await client.request(["id": "g", "type": "meetings", "limit": 2]))
        XCTAssertEqual((meetings["meetings"] as? [Any])?.count, 0)
        XCTAssertNil(meetings["next"])
        await client.close()
        try await hub.stop()
    }
}

/// The same edge in the other paged commands: at the default page and the largest, an exactly
/// full last page ends the walk, and one more item takes one more page.
final class PagedReadsTests: XCTestCase {
    /// Walks `type` with its cursor field; `next` names where the following page starts.
    private func walk(_ client: WebSocketClientConnection, _ fields: [String: Any], key: String, cursor: String,
                      limit: Int?) async throws -> (count: Int, pages: Int) {
        var count = 0, pages = 0
        var position: Any?
        repeat {
            var request: [String: Any] = ["id": "p\(pages)"].merging(fields) { $1 }
            if let limit { request["limit"] = limit }
            if let position { request[cursor] = position }
            let reply = try await client.request(request)
            let result = try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)")
            count += (result[key] as? [Any] ?? []).count
            position = result["next"]
            pages += 1
        } while position != nil && pages < 100
        return (count, pages)
    }

    func testCaseHistoryDecisionEntriesRoomHistoryAndMeetingsEndOnAnExactlyFullPage() async throws {
        let hub = try await HubTestServer.hub(decisionLog: DecisionLogIdentity(signer: try CheckpointSigner(), origin: "ConferenceHub decision log"))
        let coordinator = Actor(person: PersonID("coord"), unit: TestPeople.office, roles: [.coordinator])
        let housing = Actor(person: PersonID("h-officer"), unit: TestPeople.housing, roles: [.officer])
        let finance = Actor(person: PersonID("f-officer"), unit: TestPeople.finance, roles: [.officer])
        // A case of exactly 1,000 events: six steps, then 994 progress reports on its task.
        let id = try await hub.store.register(
            Registration(title: "t", summary: "s", category: .claim, channel: .visit, receivedOn: LocalDate("2026-11-01")!,
                         involvedUnits: [TestPeople.housing, TestPeople.finance], petitioner: Petitioner(name: "Wang Wu", contact: "2")),
            by: coordinator).caseID
        let steps: [(CaseChange, Actor)] = [
            (.assigned(Assignment(lead: TestPeople.housing, coHandling: [TestPeople.finance], rationale: "r")), coordinator), (.accepted, housing),
            (.handlingStarted, housing),
            (.taskAssigned(TaskAssignment(unit: TestPeople.finance, what: "Confirm", due: hub.store.policy.timeZone.localDate(of: Date()).adding(days: 10))), housing),
            (.taskAcknowledged(task: 1), finance),
        ]
        for (change, actor) in steps { _ = try await hub.store.perform(change, on: id, by: actor) }
        let report = { (text: String) in CaseChange.taskProgress(task: 1, report: ProgressReport(text: text, status: .onTrack)) }
        for index in 0..<994 {
            _ = try await hub.store.perform(report("report \(index)"), on: id, by: finance)
        }
        // 1,000 decision-log entries, 1,000 messages in one room, 1,000 meetings.
        for _ in 0..<1_000 { _ = try await hub.store.markRestored(at: Timestamp(Date())) }
        for index in 0..<1_000 {
            _ = try await hub.store.post(room: RoomID.case(id), idempotencyKey: "k\(index)", by: housing.person, at: Timestamp(Date())) { position in
                Array("{\"type\":\"event\",\"seq\":\(position.sequence)}".utf8)
            }
        }
        let roomEventsBefore = try await hub.store.roomEvents(RoomID.case(id), after: 0, limit: 10_000).count
        for index in 0..<1_000 {
            _ = try await hub.store.convene(Convening(
                title: "Meeting \(index)", scheduledAt: Timestamp(Date()).adding(seconds: 86_400), invited: [.init(unit: TestPeople.housing, required: true)],
                agenda: [.init(caseID: id, description: "Item")]), by: coordinator)
        }
        let client = try await hub.connect(as: "coord")
        let room = RoomID.case(id)
        let reads: [(String, [String: Any], String, String, Int)] = [
            ("case.history", ["type": "case.history", "case": room], "events", "after", 1_000),
            ("decisions.entries", ["type": "decisions.entries"], "entries", "from", 1_000),
            ("meetings", ["type": "meetings"], "meetings", "after", 1_000),
        ]
        for (name, fields, key, cursor, total) in reads {
            for limit in [500, nil] {
                let walked = try await walk(client, fields, key: key, cursor: cursor, limit: limit)
                XCTAssertEqual(walked.count, total, "\(name) at \(limit ?? 100): every item")
                XCTAssertEqual(walked.pages, limit == 500 ? 2 : 10, "\(name) at \(limit ?? 100): an exactly full page ends the walk")
            }
        }
        // Room history pages back from the newest with `before`, saying `more` while older events remain.
        var before: Int64?, pages = 0, seen = 0
        while true {
            var request: [String: Any] = ["id": "h", "type": "history", "room": room, "limit": 500]
            if let before { request["before"] = before }
            let reply = try await client.request(request)
            let result = try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)")
            let events = result["events"] as? [[String: Any]] ?? []
            seen += events.count
            pages += 1
            guard result["more"] as? Bool == true, let oldest = events.first?["seq"] as? Int else { break }
            before = Int64(oldest)
        }
        XCTAssertEqual(seen, roomEventsBefore)
        XCTAssertEqual(pages, (roomEventsBefore + 499) / 500)
        // One more of each: one more page at the largest.
        _ = try await hub.store.perform(report("one more"), on: id, by: finance)
        _ = try await hub.store.markRestored(at: Timestamp(Date()))
        for (name, fields, key, cursor, total) in reads.prefix(2) {
            let walked = try await walk(client, fields, key: key, cursor: cursor, limit: 500)
            XCTAssertEqual(walked.count, total + 1, name)
            XCTAssertEqual(walked.pages, 3, name)
        }
        await client.close()
        try await hub.stop()
    }
}

final class FiguresTests: XCTestCase {
    func testFiguresAreReadByTheRightPeopleAndExportedAsCSV() async throws {
        let hub = try await HubTestServer.hub()
        let coordinator = try await hub.connect(as: "coord")
        let all = try await coordinator.request(["id": "1", "type": "figures", "from": "2026-11-01", "to": "2026-11-30"])
        let rows = try XCTUnwrap((all["result"] as? [String: Any])?["rows"] as? [[String: Any]], "\(all)")
        XCTAssertTrue(rows.first?["unit"] is NSNull, "all units first")
        XCTAssertEqual(rows.dropFirst().compactMap { $0["unit"] as? String }, ["conference-office", "district", "finance", "housing"])
        XCTAssertTrue(rows[0]["on_time_rate"] is NSNull, "nothing answered: no rate")
        XCTAssertEqual(rows[0]["answered"] as? Int, 0)

        let officer = try await hub.connect(as: "h-officer")
        let own = try await officer.request(["id": "2", "type": "figures", "from": "2026-11-01", "to": "2026-11-30"])
        XCTAssertEqual(((own["result"] as? [String: Any])?["rows"] as? [[String: Any]])?.map { $0["unit"] as? String }, ["housing"])
        let other = try await officer.request(["id": "3", "type": "figures", "from": "2026-11-01", "to": "2026-11-30", "unit": "finance"])
        XCTAssertEqual((other["error"] as? [String: Any])?["code"] as? String, "forbidden")
        let backwards = try await officer.request(["id": "4", "type": "figures", "from": "2026-11-30", "to": "2026-11-01"])
        XCTAssertEqual((backwards["error"] as? [String: Any])?["message"] as? String, "`to` is before `from`")
        await officer.close()
        await coordinator.close()
        try await hub.stop()

        var figures = CaseFigures()
        figures.answered = 3
        figures.averageHandlingDays = 21.456
        figures.onTimeRate = 2.0 / 3.0
        XCTAssertEqual(FiguresCSV.text([UnitFiguresRow(unit: nil, figures: figures), UnitFiguresRow(unit: UnitID("housing"), figures: CaseFigures())]),
                       FiguresCSV.header + "\r\n,3,21.46,0.6667,0,0,,0,0,0\r\nhousing,0,,,0,0,,0,0,0\r\n")
        XCTAssertEqual(FiguresCSV.cell(#"a,"b""#), #""a,""b""""#)
    }
}
