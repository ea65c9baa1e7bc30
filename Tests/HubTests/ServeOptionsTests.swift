// ServeOptionsTests: `serve` refuses out-of-range options before anything starts.
@testable import ConferenceHub
import XCTest

#if canImport(Glibc)
import Glibc
#endif

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

    func testServeRaisesTheOpenFileLimitToTheHardLimit() throws {
        var original = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &original), 0)
        defer { _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &original) }
        guard original.rlim_max > 512 else { throw XCTSkip("the hard limit (\(original.rlim_max)) leaves nothing to raise") }
        var lowered = original
        lowered.rlim_cur = 512
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered), 0)
        let raised = try XCTUnwrap(OpenFileLimit.raise())
        XCTAssertEqual(raised.before, 512)
        XCTAssertEqual(raised.after, UInt64(original.rlim_max))
        var now = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &now), 0)
        XCTAssertEqual(now.rlim_cur, original.rlim_max)
        // At the hard limit already: nothing changes.
        XCTAssertEqual(OpenFileLimit.raise()?.before, OpenFileLimit.raise()?.after)
    }
}
