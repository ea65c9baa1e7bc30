// ServeOptionsTests: `serve` refuses out-of-range options before anything starts.
@testable import ConferenceHub
import XCTest

final class ServeOptionsTests: XCTestCase {
    func testSlowCommitThresholdIsBounded() throws {
        XCTAssertEqual(try ServeCommand.parse([]).slowCommitMs, 100, "logged from 100 ms by default")
        XCTAssertEqual(try ServeCommand.parse(["--slow-commit-ms", "0"]).slowCommitMs, 0, "0 turns the warning off")
        XCTAssertEqual(try ServeCommand.parse(["--slow-commit-ms", "60000"]).slowCommitMs, 60_000)
        for bad in ["-1", "60001"] {
            XCTAssertThrowsError(try ServeCommand.parse(["--slow-commit-ms=\(bad)"]), bad) { error in
                XCTAssertTrue(ServeCommand.message(for: error).contains("--slow-commit-ms must be 0...60000"), ServeCommand.message(for: error))
            }
        }
    }
}
