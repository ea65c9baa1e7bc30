// ConsoleBrowserTests: runs the console's tests in a real headless Chromium (Browser/console_test.py:
// Selenium from the venv scripts/test makes, Debian's chromium and chromium-driver) against the
// conference-hub binary this build made. Skipped where the browser or Selenium is missing, unless
// CONFERENCEHUB_REQUIRE_BROWSER=1 (scripts/test sets it). On failure, screenshots and browser
// console logs are in .build/browser-artifacts.
import Foundation
import XCTest

final class ConsoleBrowserTests: XCTestCase {
    func testTheConsoleInARealBrowser() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let artifacts = repository.appendingPathComponent(".build/browser-artifacts").path
        try? FileManager.default.removeItem(atPath: artifacts)
        let errors = try await runBrowserHarness("console_test.py", artifacts: artifacts)
        XCTAssertTrue(errors.contains("OK"), errors)
    }
}

/// Runs a Python harness of Browser/ (or of CONFERENCEHUB_BROWSER_DIR, a staged copy) with the
/// venv's Python against the conference-hub binary beside this test binary; fails the test on a
/// non-zero exit, and returns what it wrote on standard error (unittest's report). Throws XCTSkip
/// where the browser, Python or the binary is missing, unless CONFERENCEHUB_REQUIRE_BROWSER=1.
func runBrowserHarness(_ name: String, artifacts: String, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
    let environment = ProcessInfo.processInfo.environment
    let required = environment["CONFERENCEHUB_REQUIRE_BROWSER"] == "1"
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
    let harness = environment["CONFERENCEHUB_BROWSER_DIR"].map(URL.init(fileURLWithPath:))
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser")
    let script = harness.appendingPathComponent(name)
    var missing: [String] = []
    if environment["CONFERENCEHUB_PYTHON"] == nil { missing.append("CONFERENCEHUB_PYTHON") }
    for path in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/certutil", executable.path, script.path]
    where !FileManager.default.fileExists(atPath: path) {
        missing.append(path)
    }
    guard missing.isEmpty, let python = environment["CONFERENCEHUB_PYTHON"] else {
        if required { XCTFail("\(name) needs \(missing.joined(separator: ", ")) (scripts/test installs them)", file: file, line: line) }
        throw XCTSkip("no browser here: \(missing.joined(separator: ", ")) (run scripts/test)")
    }
    try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
    setenv("CONFERENCEHUB_BINARY", executable.path, 1)
    setenv("CONFERENCEHUB_BROWSER_ARTIFACTS", artifacts, 1)
    let (status, output, errors) = try await runProcess(URL(fileURLWithPath: python), ["-W", "ignore::ResourceWarning", script.path], input: "")
    XCTAssertEqual(status, 0, "\(name) failed as uid \(getuid()) (screenshots and console logs in \(artifacts)):\n\(output)\n\(errors)",
                   file: file, line: line)
    return errors
}
