// ConsoleBrowserTests: runs the console's tests in a real headless Chromium (Browser/console_test.py:
// Selenium from the venv scripts/test makes, Debian's chromium and chromium-driver) against the
// conference-hub binary this build made. Skipped where the browser or Selenium is missing, unless
// CONFERENCEHUB_REQUIRE_BROWSER=1 (scripts/test sets it). On failure, screenshots and browser
// console logs are in .build/browser-artifacts.
import Foundation
import XCTest

final class ConsoleBrowserTests: XCTestCase {
    func testTheConsoleInARealBrowser() async throws {
        let environment = ProcessInfo.processInfo.environment
        let required = environment["CONFERENCEHUB_REQUIRE_BROWSER"] == "1"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("Tests/HubTests/Browser/console_test.py")
        var missing: [String] = []
        if environment["CONFERENCEHUB_PYTHON"] == nil { missing.append("CONFERENCEHUB_PYTHON") }
        for path in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/certutil", executable.path] where !FileManager.default.isExecutableFile(atPath: path) {
            missing.append(path)
        }
        guard missing.isEmpty, let python = environment["CONFERENCEHUB_PYTHON"] else {
            if required { XCTFail("the browser tests need \(missing.joined(separator: ", ")) (scripts/test installs them)") }
            throw XCTSkip("no browser here: \(missing.joined(separator: ", ")) (run scripts/test)")
        }
        let artifacts = repository.appendingPathComponent(".build/browser-artifacts").path
        try? FileManager.default.removeItem(atPath: artifacts)
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        setenv("CONFERENCEHUB_BINARY", executable.path, 1)
        setenv("CONFERENCEHUB_BROWSER_ARTIFACTS", artifacts, 1)
        let (status, output, errors) = try await runProcess(URL(fileURLWithPath: python), ["-W", "ignore::ResourceWarning", script.path], input: "")
        XCTAssertEqual(status, 0, "the browser tests failed (screenshots and console logs in \(artifacts)):\n\(output)\n\(errors)")
        XCTAssertTrue(errors.contains("OK"), errors)
    }
}
