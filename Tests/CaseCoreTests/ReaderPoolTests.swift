// ReaderPoolTests: reads asked for together run side by side (a read waiting for another one to
// start is not stuck behind it), and each sees what was committed before it began.
import Foundation
import XCTest

@testable import CaseCore

final class ReaderPoolTests: XCTestCase {
    func testTwoReadsRunSideBySide() async throws {
        let directory = NSTemporaryDirectory() + "chub-readers-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try CaseStore(path: directory + "/hub.sqlite", clock: ManualClock(Fixtures.start))
        defer { store.close() }
        try await store.addUnit(Unit(id: Fixtures.housing, name: "住建局", kind: .department))
        let started = DispatchSemaphore(value: 0)
        // The first read waits for the second to start: with one reader it would wait in vain.
        async let first: Bool = store.read { _ in started.wait(timeout: .now() + 20) == .success }
        async let second: Int = store.read { connection in
            started.signal()
            return Int(try connection.query("SELECT COUNT(*) FROM units").first?.int(0) ?? 0)
        }
        let (waited, units) = try await (first, second)
        XCTAssertTrue(waited, "the second read started while the first was running")
        XCTAssertEqual(units, 1, "a read sees what was committed before it")
    }
}
