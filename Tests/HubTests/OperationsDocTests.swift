// OperationsDocTests: docs/operations.md and the Grafana dashboard name what the code has — every
// setting with its flag, every metric the hub exports — and nothing it does not.
import Foundation
import XCTest

@testable import ConferenceHub

final class OperationsDocTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func read(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Metric names (without histogram suffixes) in a fresh hub's exposition.
    private func exportedMetrics() -> Set<String> {
        let export = MetricsExport()
        let metrics = HubMetrics(factory: export.factory)
        // Set by `serve` at start, from the certificates in its data directory.
        metrics.certificateExpires("server", at: Date())
        metrics.certificateExpires("ca", at: Date())
        let text = export.render {}
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# TYPE ") else { return nil }
            return line.split(separator: " ")[2].description
        })
    }

    func testEverySettingIsDocumentedWithItsFlag() throws {
        let text = try read("docs/operations.md")
        for spec in ServeSettings.specs {
            XCTAssertTrue(text.contains("| `\(spec.key)` | `\(spec.flag)` |"), "docs/operations.md lacks the row of \(spec.key)")
        }
        let documented = text.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("` | `--") }.count
        XCTAssertEqual(documented, ServeSettings.specs.count, "a documented setting the code does not have")
    }

    func testEveryMetricIsDocumentedAndTheDashboardUsesOnlyThose() throws {
        let exported = exportedMetrics()
        XCTAssertGreaterThan(exported.count, 20)
        let text = try read("docs/operations.md")
        for name in exported {
            XCTAssertTrue(text.contains("| `\(name)`") || text.contains("| `\(name){"), "docs/operations.md lacks \(name)")
        }
        let documented = Set(text.matches(of: /\| `(conferencehub_[a-z_]+)/).map { String($0.1) })
        XCTAssertEqual(documented.subtracting(exported), [], "documented metrics the hub does not export")

        let dashboard = try read("docs/grafana-dashboard.json")
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(dashboard.utf8)) as? [String: Any])
        let used = Set(dashboard.matches(of: /conferencehub_[a-z_]+/).map { name -> String in
            var name = String(name.0)
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && !exported.contains(name) {
                name.removeLast(suffix.count)
            }
            return name
        })
        XCTAssertEqual(used.subtracting(exported), [], "the dashboard queries metrics the hub does not export")
    }
}
