// ShutdownTests: a hub that stops answers every request it has already read before it closes a
// connection with 1001: no post is stored without its client being told.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class ShutdownTests: XCTestCase {
    func testEveryPostStoredDuringAStopIsAnswered() async throws {
        for round in 0..<3 {
            let hub = try await HubTestServer.hub()
            let client = try await hub.connect(as: "h-officer")
            _ = try await client.request(["id": "j", "type": "join", "room": "lobby"])
            // Posts in flight as the stop begins.
            for index in 0..<40 {
                try await client.send(text: #"{"id":"p\#(index)","type":"post","room":"lobby","text":"t\#(index)","key":"k\#(round)-\#(index)"}"#)
            }
            await hub.server.shutdown()
            var answered = Set<String>()
            for await message in client.inbound {
                guard let object = try? JSONSerialization.jsonObject(with: Data(message.data.readableBytesView)) as? [String: Any],
                      object["type"] as? String == "ok", let id = object["id"] as? String else { continue }
                answered.insert(id)
            }
            let stored = try await hub.store.roomEvents("lobby", after: 0, limit: 500).filter { $0.kind == "message" }
            let storedIDs = stored.compactMap { event -> String? in
                let object = try? JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any]
                return (object?["text"] as? String).map { "p" + $0.dropFirst() }
            }
            for id in storedIDs { XCTAssertTrue(answered.contains(id), "round \(round): \(id) was stored but never answered") }
            try await hub.stop()
        }
    }
}
