// ChangeKindsTests: every kind of change has all it needs, walked from the enums (a new kind that
// misses one fails here; the switches over the kinds fail to compile): a row in the documented
// authority table, an event sentence in both of the console's catalogues, and a form in the console
// — or the statement that the hub records it by itself.
import CaseCore
import Foundation
import XCTest

@testable import ConferenceHub

final class ChangeKindsTests: XCTestCase {
    private func read(_ path: String) throws -> String {
        try String(contentsOfFile: repositoryFile(path), encoding: .utf8)
    }

    /// Whether some table row of `text` names `kind` (in backquotes) in its first cell.
    private func hasRow(_ text: String, _ kind: String) -> Bool {
        text.split(separator: "\n").contains { line in
            line.hasPrefix("| ") && (line.split(separator: "|").first?.contains("`\(kind)`") ?? false)
        }
    }

    func testEveryCaseChangeKindHasAnAuthorityASentenceInBothLanguagesAndAFormOrTheHubRecordsIt() throws {
        let lifecycle = try read("docs/case-lifecycle.md")
        let chinese = try read("Sources/ConferenceHub/Console/assets/messages/zh-CN.js")
        let english = try read("Sources/ConferenceHub/Console/assets/messages/en.js")
        let actions = try read("Sources/ConferenceHub/Console/assets/actions.js")
        let forms = Set(actions[actions.range(of: "const changes = {")!.lowerBound...].matches(of: #/\n  (\w+): /#).map { String($0.1) })
        let register = try read("Sources/ConferenceHub/Console/assets/register.js")
        for kind in CaseChangeKind.allCases.map(\.rawValue) {
            XCTAssertTrue(hasRow(lifecycle, kind), "docs/case-lifecycle.md has no authority row for `\(kind)`")
            for (name, catalogue) in [("zh-CN", chinese), ("en", english)] {
                XCTAssertTrue(catalogue.contains("\"event.\(kind)\"") || catalogue.contains("\"event.\(kind)."),
                              "the \(name) catalogue has no event sentence for `\(kind)`")
            }
            let hubRecords = CaseAccess.recordedByTheHub.contains(kind)
            let hasForm = forms.contains(kind) || (kind == "registered" && register.contains("\"case.register\""))
            XCTAssertTrue(hasForm != hubRecords, "`\(kind)`: a console form (\(hasForm)) or recorded by the hub alone (\(hubRecords)), exactly one")
        }
    }

    func testEveryMeetingChangeKindHasAnAuthorityRow() throws {
        // The console's meeting pages come with "The console, part 2"; until then the authority.
        let protocolText = try read("docs/protocol.md")
        let table = protocolText[protocolText.range(of: "### `meeting.change`")!.lowerBound...]
        for kind in MeetingChangeKind.allCases.map(\.rawValue) {
            XCTAssertTrue(hasRow(String(table.prefix(20_000)), kind), "docs/protocol.md's meeting.change table has no row for `\(kind)`")
        }
        XCTAssertTrue(MeetingAccess.recordedByTheHub.isSubset(of: Set(MeetingChangeKind.allCases.map(\.rawValue))))
    }
}
