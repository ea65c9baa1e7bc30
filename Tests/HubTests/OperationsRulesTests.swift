// OperationsRulesTests: the pure rules behind operations — what the storage condition logs and
// when, what readiness says, and what the internal listener answers — without sockets.
@testable import ConferenceHub
import NIOHTTP1
import XCTest

final class OperationsRulesTests: XCTestCase {
    func testAFullDiskIsLoggedWhenItStartsPeriodicallyAndWhenItEnds() {
        var condition = StorageCondition()
        let start = ContinuousClock.now
        XCTAssertTrue(condition.isWritable)
        XCTAssertNil(condition.succeeded(at: start), "nothing to say while writes succeed")
        XCTAssertEqual(condition.failed("SQLite error 13: database or disk is full", at: start), .began(error: "SQLite error 13: database or disk is full"))
        XCTAssertFalse(condition.isWritable)
        for second in 1...200 {
            // About 200 refused requests a second, as the operator saw: no line for any of them.
            XCTAssertNil(condition.failed("SQLite error 13", at: start + .milliseconds(second * 5)))
        }
        XCTAssertNil(condition.tick(at: start + .seconds(30)), "no reminder before the interval")
        XCTAssertEqual(condition.tick(at: start + .seconds(60)), .continuing(for: .seconds(60), refused: 201))
        XCTAssertNil(condition.tick(at: start + .seconds(90)))
        XCTAssertEqual(condition.tick(at: start + .seconds(120)), .continuing(for: .seconds(120), refused: 201))
        XCTAssertEqual(condition.succeeded(at: start + .seconds(125)), .ended(for: .seconds(125), refused: 201))
        XCTAssertTrue(condition.isWritable)
        XCTAssertNil(condition.tick(at: start + .seconds(500)))
        XCTAssertEqual(condition.failed("again", at: start + .seconds(600)), .began(error: "again"), "a new episode is a new start")
    }

    func testReadinessFailsWhileDrainingOrUnableToStore() {
        XCTAssertTrue(Readiness(draining: false, storageWritable: true).isReady)
        XCTAssertEqual(Readiness(draining: false, storageWritable: true).json, #"{"status":"ready"}"#)
        let both = Readiness(draining: true, storageWritable: false)
        XCTAssertFalse(both.isReady)
        XCTAssertEqual(both.json, #"{"status":"not_ready","reasons":["draining","storage_unavailable"]}"#)
        XCTAssertEqual(Readiness(draining: false, storageWritable: false).reasons, ["storage_unavailable"])
    }

    func testTheInternalEndpoints() {
        let ready = InternalEndpoints(metrics: { "conferencehub_build_info 1\n" }, readiness: { Readiness(draining: false, storageWritable: true) },
                                      metricsToken: nil)
        XCTAssertEqual(ready.respond(method: .GET, path: "/health/live", authorization: nil).status, .ok)
        XCTAssertEqual(ready.respond(method: .GET, path: "/health/ready", authorization: nil).status, .ok)
        let metrics = ready.respond(method: .GET, path: "/metrics", authorization: nil)
        XCTAssertEqual(metrics.status, .ok)
        XCTAssertEqual(metrics.contentType, "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(ready.respond(method: .POST, path: "/metrics", authorization: nil).status, .methodNotAllowed)
        XCTAssertEqual(ready.respond(method: .GET, path: "/v1/ws", authorization: nil).status, .notFound)

        let draining = InternalEndpoints(metrics: nil, readiness: { Readiness(draining: true, storageWritable: true) }, metricsToken: nil)
        XCTAssertEqual(draining.respond(method: .GET, path: "/health/ready", authorization: nil).status, .serviceUnavailable)
        XCTAssertEqual(draining.respond(method: .GET, path: "/health/live", authorization: nil).status, .ok, "alive while draining")
        XCTAssertEqual(draining.respond(method: .GET, path: "/metrics", authorization: nil).status, .notFound, "metrics off")

        let token = "a-metrics-token-of-some-length"
        let guarded = InternalEndpoints(metrics: { "" }, readiness: { Readiness(draining: false, storageWritable: true) }, metricsToken: token)
        XCTAssertEqual(guarded.respond(method: .GET, path: "/metrics", authorization: nil).status, .unauthorized)
        XCTAssertEqual(guarded.respond(method: .GET, path: "/metrics", authorization: "Bearer wrong").status, .unauthorized)
        XCTAssertEqual(guarded.respond(method: .GET, path: "/metrics", authorization: "Bearer " + token.dropLast() + "X").status, .unauthorized)
        XCTAssertEqual(guarded.respond(method: .GET, path: "/metrics", authorization: "Bearer \(token)").status, .ok)
        XCTAssertEqual(guarded.respond(method: .GET, path: "/health/ready", authorization: nil).status, .ok, "health checks need no token")
    }
}
