// FileProblemTests: an error about a file says the path and the cause in plain words, never
// Foundation's `Error Domain=NSCocoaErrorDomain Code=513 …`.
import Foundation
import XCTest

@testable import ConferenceHub

final class FileProblemTests: XCTestCase {
    func testFoundationFileErrorsReadAsPathAndCause() {
        let denied = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteNoPermission.rawValue,
                             userInfo: [NSFilePathErrorKey: "/var/lib/conference-hub/tls"])
        XCTAssertEqual(FileProblem.describe(denied), "/var/lib/conference-hub/tls: permission denied")
        XCTAssertEqual("\(FileProblem.plain(denied))", "/var/lib/conference-hub/tls: permission denied")
        let underlying = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue, userInfo: [
            NSFilePathErrorKey: "/srv/hub", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC)),
        ])
        XCTAssertEqual(FileProblem.describe(underlying), "/srv/hub: no space left on device")
        struct Other: Error {}
        XCTAssertTrue(FileProblem.plain(Other()) is Other, "other errors pass unchanged")
    }

    func testInitIntoAPathItCannotCreateSaysWhyInPlainWords() async throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("conference-hub")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw XCTSkip("conference-hub is not built") }
        // A regular file where a directory would have to be: fails for root as for anyone.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-directory-\(UUID().uuidString)").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (status, _, errors) = try await runProcess(executable, ["init", "--data-dir", file + "/hub-data"], input: "")
        XCTAssertNotEqual(status, 0)
        XCTAssertFalse(errors.contains("NSCocoaErrorDomain"), errors)
        XCTAssertTrue(errors.contains(file), errors)
        XCTAssertTrue(errors.contains("not a directory"), errors)
    }
}
