// ConsoleAssetsTests: the console's files as the binary serves them — the embedded copy matches
// the files (scripts/embed-console was run), both message catalogues have the same keys, every
// key the scripts ask for exists, no word of the console is written outside the catalogues, the
// page has no inline script or style, and all of it stays small. And over HTTPS: the security
// headers, strong ETags and 304s, and refusals for other methods, names and paths.
import Foundation
import NIOHTTP1
import CaseCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class ConsoleAssetsTests: XCTestCase {
    private let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/ConferenceHub/Console/assets")

    private func filesOnDisk() throws -> [String: String] {
        var files: [String: String] = [:]
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(at: assets, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let relative = String(url.standardizedFileURL.path.dropFirst(assets.standardizedFileURL.path.count + 1))
            files[relative] = try String(contentsOf: url, encoding: .utf8)
        }
        return files
    }

    func testTheEmbeddedFilesAreTheAssets() throws {
        let embedded = Dictionary(uniqueKeysWithValues: ConsoleAssetFiles.files.map { ($0.path, $0.text) })
        let disk = try filesOnDisk()
        XCTAssertEqual(Set(embedded.keys), Set(disk.keys), "run scripts/embed-console")
        for (path, text) in disk { XCTAssertEqual(embedded[path], text, "\(path) changed: run scripts/embed-console") }
        XCTAssertLessThan(ConsoleAssets.totalBytes, 300 * 1024, "all assets together stay under 300 KB")
    }

    private func keys(ofCatalogue name: String) throws -> [String] {
        let text = try XCTUnwrap(ConsoleAssets.byPath["messages/\(name).js"].map { String(decoding: $0.bytes, as: UTF8.self) })
        let pattern = try NSRegularExpression(pattern: #"^  "([a-z_.]+)": "#, options: .anchorsMatchLines)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range(at: 1), in: text)!]) }
    }

    func testBothCataloguesHaveTheSameKeysAndEveryKeyUsedExists() throws {
        let chinese = try keys(ofCatalogue: "zh-CN"), english = try keys(ofCatalogue: "en")
        XCTAssertGreaterThan(chinese.count, 100)
        XCTAssertEqual(chinese.count, Set(chinese).count, "a key twice in zh-CN")
        XCTAssertEqual(Set(chinese), Set(english), "zh-CN and en differ in \(Set(chinese).symmetricDifference(english).sorted())")
        let catalogue = Set(chinese)
        // Keys asked for literally: t("…"), sentence("…"), and prefixes completed at run time.
        let literal = try NSRegularExpression(pattern: #"\b(?:t|sentence|has)\("([a-z_.]+)""#)
        for asset in ConsoleAssets.byPath.values where asset.path.hasSuffix(".js") && !asset.path.hasPrefix("messages/") {
            let text = String(decoding: asset.bytes, as: UTF8.self)
            for match in literal.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let key = String(text[Range(match.range(at: 1), in: text)!])
                if key.hasSuffix(".") {
                    XCTAssertTrue(catalogue.contains { $0.hasPrefix(key) }, "\(asset.path): no message starts with \(key)")
                } else {
                    XCTAssertTrue(catalogue.contains(key), "\(asset.path): no message \(key)")
                }
            }
        }
    }

    /// The catalogue prefix under which the console shows each enum of the schema it shows.
    static let wordsOfEnums: [String: String] = [
        "case_status": "status.", "role": "role.", "deadline_kind": "deadline.", "case_change_kind": "event.",
        "negotiation_position": "position.", "answer_decision": "decision.", "satisfaction": "satisfaction.",
        "route_out_channel": "route.", "progress_status": "progress.", "case_category": "category.", "source_channel": "channel.",
        "unit_relation": "relation.", "work_item_kind": "work.", "dispute_reason": "dispute.",
    ]

    func testEveryWordTheSchemaNamesHasItsWordsInBothLanguages() throws {
        // The key lists come from the schema (CaseCore's enums, the error codes), not from a copy.
        for (name, catalogue) in [("zh-CN", Set(try keys(ofCatalogue: "zh-CN"))), ("en", Set(try keys(ofCatalogue: "en")))] {
            for (enumName, prefix) in Self.wordsOfEnums {
                let values = try XCTUnwrap(Vocabulary.enums[enumName], enumName)
                for value in values {
                    // A case event's sentence may come in variants (`event.negotiation_answered.claim`).
                    let key = prefix + value
                    XCTAssertTrue(catalogue.contains(key) || catalogue.contains { $0.hasPrefix(key + ".") }, "\(name): no words for \(enumName) `\(value)` (\(key))")
                }
            }
            for code in ErrorCode.allCases.map(\.rawValue) {
                XCTAssertTrue(catalogue.contains("error." + code), "\(name): no words for the error code `\(code)`")
            }
        }
    }

    func testNoVocabularyIsCopiedIntoTheScripts() {
        // The options of the enums the console shows, and the limits, come from the schema: a
        // script that lists three or more options of one of them in a row keeps its own copy.
        for asset in ConsoleAssets.byPath.values where asset.path.hasSuffix(".js") && !asset.path.hasPrefix("messages/") {
            let text = String(decoding: asset.bytes, as: UTF8.self)
            for (enumName, _) in Self.wordsOfEnums where enumName != "role" {
                let values = Vocabulary.enums[enumName] ?? []
                for start in values.indices.dropLast(2) {
                    let run = values[start...start + 2].map { "\"\($0)\"" }
                    XCTAssertFalse(text.contains(run.joined(separator: ", ")), "\(asset.path) copies the options of \(enumName)")
                }
            }
            for limit in ["4000", "10000", "maxValue: 30"] {
                XCTAssertFalse(text.contains(limit), "\(asset.path) keeps its own limit \(limit)")
            }
            XCTAssertFalse(text.contains("\"petition_bureau\""), "\(asset.path) finds the conference office by its kind instead of the schema's office_units")
        }
    }

    func testNoWordOfTheConsoleIsWrittenOutsideTheCatalogues() {
        let chinese = try! NSRegularExpression(pattern: #"\p{Han}"#)
        for asset in ConsoleAssets.byPath.values where !asset.path.hasPrefix("messages/") {
            let text = String(decoding: asset.bytes, as: UTF8.self)
            XCTAssertEqual(chinese.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)), 0, "\(asset.path) holds Chinese text")
        }
        let page = String(decoding: ConsoleAssets.byPath["index.html"]!.bytes, as: UTF8.self)
        XCTAssertFalse(page.contains("<script>"), "no inline script")
        XCTAssertFalse(page.contains("<style"), "no inline style")
        XCTAssertFalse(page.contains(" style="), "no inline style")
        let elsewhere = try! NSRegularExpression(pattern: #"(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|(from|import\()\s*["'](https?:)?//|@import"#)
        for asset in ConsoleAssets.byPath.values {
            let text = String(decoding: asset.bytes, as: UTF8.self)
            XCTAssertEqual(elsewhere.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)), 0, "\(asset.path) loads from elsewhere")
            XCTAssertFalse(text.contains(".innerHTML") || text.contains("insertAdjacentHTML") || text.contains("document.write"),
                           "\(asset.path) renders HTML from strings")
        }
    }

    func testTheConsoleIsServedWithStrictHeadersAndStrongETags() async throws {
        let hub = try await HubTestServer.hub { server in server.originPolicy = OriginPolicy(ownHosts: ["localhost", "127.0.0.1"]) }
        let host = [("Host", "localhost:\(hub.port)")]
        let page = try await httpRequest(.GET, "/", port: hub.port, group: hub.group, headers: host)
        XCTAssertEqual(page.status, .ok)
        XCTAssertEqual(page.headers.first(name: "Content-Type"), "text/html; charset=utf-8")
        let policy = try XCTUnwrap(page.headers.first(name: "Content-Security-Policy"))
        for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self' wss://localhost:\(hub.port)",
                          "frame-ancestors 'none'", "base-uri 'none'"] {
            XCTAssertTrue(policy.contains(directive), "\(directive) in \(policy)")
        }
        XCTAssertFalse(policy.contains("unsafe"), policy)
        XCTAssertEqual(page.headers.first(name: "X-Content-Type-Options"), "nosniff")
        XCTAssertEqual(page.headers.first(name: "Referrer-Policy"), "no-referrer")
        XCTAssertEqual(page.headers.first(name: "Strict-Transport-Security"), "max-age=31536000")
        XCTAssertEqual(String(decoding: page.body, as: UTF8.self), ConsoleAssetFiles.files.first { $0.path == "index.html" }?.text)

        let script = try await httpRequest(.GET, "/console/main.js", port: hub.port, group: hub.group, headers: host)
        XCTAssertEqual(script.status, .ok)
        XCTAssertEqual(script.headers.first(name: "Content-Type"), "text/javascript; charset=utf-8")
        XCTAssertEqual(script.headers.first(name: "Cache-Control"), "no-cache")
        let etag = try XCTUnwrap(script.headers.first(name: "ETag"))
        XCTAssertTrue(etag.hasPrefix("\"") && etag.count == 34 && !etag.hasPrefix("W/"), etag)
        let again = try await httpRequest(.GET, "/console/main.js", port: hub.port, group: hub.group, headers: host + [("If-None-Match", etag)])
        XCTAssertEqual(again.status, .notModified)
        XCTAssertTrue(again.body.isEmpty)
        let stale = try await httpRequest(.GET, "/console/main.js", port: hub.port, group: hub.group, headers: host + [("If-None-Match", "\"0\"")])
        XCTAssertEqual(stale.status, .ok)

        let post = try await httpRequest(.POST, "/console/main.js", port: hub.port, group: hub.group, headers: host)
        XCTAssertEqual(post.status, .methodNotAllowed)
        for path in ["/console/nothing.js", "/console/../hub.sqlite", "/console/", "/console/messages/../main.js"] {
            let missing = try await httpRequest(.GET, path, port: hub.port, group: hub.group, headers: host)
            XCTAssertEqual(missing.status, .notFound, path)
        }
        let foreign = try await httpRequest(.GET, "/", port: hub.port, group: hub.group, headers: [("Host", "evil.example:\(hub.port)")])
        XCTAssertEqual(foreign.status, .misdirectedRequest, "a page for another name could not reach the socket")
        try await hub.stop()
    }
}
