// StorageFullTests: the disk under the store fills up, as an operator would find it. Writes get
// `storage_unavailable` (retryable) instead of `internal`; readiness and /healthz say so; the
// condition is logged once, not per request; reading, joining included, goes on; and writes
// resume by themselves once space returns. The store lives on a small tmpfs mounted for the test
// (root only: skipped elsewhere unless CONFERENCEHUB_REQUIRE_MOUNT=1).
import CaseCore
import Foundation
import Logging
import Messaging
import NIOConcurrencyHelpers
import XCTest

@testable import ConferenceHub

final class StorageFullTests: XCTestCase {
    private func mountSmallFilesystem() throws -> String {
        let mountPoint = NSTemporaryDirectory() + "chub-full-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mountPoint]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            let message = "cannot mount a small tmpfs here (needs root)"
            if ProcessInfo.processInfo.environment["CONFERENCEHUB_REQUIRE_MOUNT"] == "1" { XCTFail(message) }
            throw XCTSkip(message)
        }
        return mountPoint
    }

    /// Detaches the mount at once (lazily: the store's SQLite files may stay open until the
    /// test's last reference to the hub goes; the kernel frees the tmpfs then).
    private func unmount(_ mountPoint: String) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["--lazy", mountPoint]
        try? umount.run()
        umount.waitUntilExit()
        try? FileManager.default.removeItem(atPath: mountPoint)
    }

    /// Writes `path` until the file system has no space left.
    private func fill(_ path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let chunk = Data(repeating: 0x55, count: 16 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.synchronize()
    }

    /// Sends `object` and returns its reply (room events before it are skipped).
    private func ask(_ client: (connection: WebSocketClientConnection, inbox: Inbox), _ object: [String: Any]) async throws -> [String: Any] {
        try await client.connection.send(object)
        return try await client.inbox.reply(to: object["id"] as! String).reply
    }

    private func code(_ reply: [String: Any]) -> String? {
        (reply["error"] as? [String: Any])?["code"] as? String
    }

    func testAFullDiskRefusesWritesRetryablyKeepsReadingAndRecoversByItself() async throws {
        let mountPoint = try mountSmallFilesystem()
        defer { unmount(mountPoint) }
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "test") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        logger.logLevel = .info
        var configuration = HubConfiguration()
        configuration.requestsPerSecond = 10_000
        configuration.requestBurst = 10_000
        let hub = try await HubTestServer.hub(hubConfiguration: configuration, logger: logger, directory: mountPoint + "/hub")
        let core = try XCTUnwrap(hub.hub)
        let internalListener = try await InternalListener.start(
            host: "127.0.0.1", port: 0, group: hub.group,
            endpoints: InternalEndpoints(metrics: nil, readiness: { core.readiness }, metricsToken: nil), logger: logger)

        let officerConnection = try await hub.connect(as: "h-officer")
        let officer = (connection: officerConnection, inbox: Inbox(officerConnection))
        _ = try await ask(officer, ["id": "j", "type": "join", "room": "lobby"])
        let first = try await ask(officer, ["id": "p0", "type": "post", "room": "lobby", "text": "before", "key": "k0"])
        XCTAssertEqual(first["type"] as? String, "ok")

        try fill(mountPoint + "/filler")
        // The WAL may still have room for a few writes: post until the disk refuses one.
        let text = String(repeating: "满", count: 3_000)
        var refused: [String: Any]?
        for index in 1...2_000 {
            let reply = try await ask(officer, ["id": "p\(index)", "type": "post", "room": "lobby", "text": text, "key": "k\(index)"])
            if reply["type"] as? String == "error" {
                refused = reply
                break
            }
        }
        let refusal = try XCTUnwrap(refused, "the full disk never refused a post")
        XCTAssertEqual(code(refusal), "storage_unavailable", "\(refusal)")
        XCTAssertEqual((refusal["error"] as? [String: Any])?["retry_after_ms"] as? Int, 5_000)
        let refusedKey = "k" + String((refusal["id"] as! String).dropFirst())
        // More writes are refused alike, with no log line each.
        for index in 0..<20 {
            let again = try await ask(officer, ["id": "r\(index)", "type": "post", "room": "lobby", "text": "again", "key": "r\(index)"])
            XCTAssertEqual(code(again), "storage_unavailable")
        }

        // Readiness and /healthz say that the hub cannot write.
        let ready = try await httpGet("/health/ready", port: internalListener.port, group: hub.group)
        XCTAssertEqual(ready.status, .serviceUnavailable)
        XCTAssertEqual(ready.body, #"{"status":"not_ready","reasons":["storage_unavailable"]}"#)
        let health = try await hub.httpsGet("/healthz")
        XCTAssertEqual(health.status, .serviceUnavailable)
        XCTAssertTrue(health.body.contains(#""reasons":["storage_unavailable"]"#), health.body)

        // Reading goes on: another person joins (its presence is not recorded) and reads history.
        let coordinatorConnection = try await hub.connect(as: "coord")
        let coordinator = (connection: coordinatorConnection, inbox: Inbox(coordinatorConnection))
        let joined = try await ask(coordinator, ["id": "j2", "type": "join", "room": "lobby"])
        XCTAssertEqual(joined["type"] as? String, "ok", "\(joined)")
        let history = try await ask(coordinator, ["id": "h", "type": "history", "room": "lobby", "limit": 5])
        XCTAssertEqual(history["type"] as? String, "ok", "\(history)")
        let cases = try await ask(coordinator, ["id": "c", "type": "cases"])
        XCTAssertEqual(cases["type"] as? String, "ok", "\(cases)")

        // Space returns: the periodic probe notices without any client writing.
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        await core.storage.check(store: core.store)
        XCTAssertTrue(core.readiness.isReady)
        let readyAgain = try await httpGet("/health/ready", port: internalListener.port, group: hub.group)
        XCTAssertEqual(readyAgain.status, .ok)
        // The refused post, retried with its key, is stored once.
        let retried = try await ask(officer, ["id": "retry", "type": "post", "room": "lobby", "text": text, "key": refusedKey])
        XCTAssertEqual(retried["type"] as? String, "ok", "\(retried)")

        await coordinatorConnection.close()
        await officerConnection.close()
        await internalListener.close()
        try await hub.stop()

        // What the full disk caused, before the test's own shutdown (whose last presence writes
        // may find the store closed).
        let logged = lines.withLockedValue { $0 }.prefix { !$0.contains(#""message":"shutting down""#) }
        XCTAssertEqual(logged.filter { $0.contains(#""message":"the store cannot write:"#) }.count, 1, "one line when it starts")
        XCTAssertEqual(logged.filter { $0.contains(#""message":"the store writes again""#) }.count, 1, "one line when it ends")
        XCTAssertFalse(logged.contains { $0.contains("request failed") || $0.contains("not recorded") }, "no line per refused request: \(logged)")
    }
}
