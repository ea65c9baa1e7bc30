// UnprivilegedPassTests: every end-to-end path as its users run it (Browser/unprivileged_test.py):
// serve with JSON logs, the line client, Python's websockets, a password sign-in and a message in
// headless Chromium, admin backup and restore. scripts/test runs this as root within the suites,
// and, when it is root, again as an ordinary user with no capability (scripts/test-unprivileged,
// CONFERENCEHUB_REQUIRE_UNPRIVILEGED=1), from a staged copy of this binary and the harness
// (CONFERENCEHUB_BROWSER_DIR). Skipped without the browser or Python unless
// CONFERENCEHUB_REQUIRE_BROWSER=1.
import Foundation
import XCTest

final class UnprivilegedPassTests: XCTestCase {
    func testEveryEndToEndPathAsWhoeverRunsThis() async throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("unprivileged-artifacts-\(getuid())").path
        let errors = try await runBrowserHarness("unprivileged_test.py", artifacts: artifacts)
        XCTAssertTrue(errors.contains("OK"), errors)
        if ProcessInfo.processInfo.environment["CONFERENCEHUB_REQUIRE_UNPRIVILEGED"] == "1" {
            XCTAssertFalse(errors.contains("skipped 'run as whoever"), "the privilege check was skipped:\n\(errors)")
        }
    }
}
