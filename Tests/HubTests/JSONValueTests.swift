// JSONValueTests: stored JSON read into a JSONValue keeps every value's kind — whole numbers as
// integers (to 64 bits), others as numbers, true and false as booleans, text with escapes and
// characters beyond the Basic Multilingual Plane — and reads the same as the Codable decoding it
// replaced.
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class JSONValueTests: XCTestCase {
    func testStoredJSONKeepsEveryKindOfValue() throws {
        let text = #"""
            {"int": 1793581200000, "negative": -7, "zero": 0, "max": 9223372036854775807, "beyond": 18446744073709551616,
             "fraction": 2.5, "exponent": 1e3, "yes": true, "no": false, "none": null,
             "text": "屋顶漏水 \"roof\" \\ \/ \n \u00e9 😀 \ud83d\ude00", "empty": "", "list": [1, "a", [], {}, null, false],
             "nested": {"deep": {"deeper": [{"k": 0.125}]}}}
            """#
        let value = try JSONValue(json: Array(text.utf8))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        guard case .object(let object) = value else { return XCTFail("\(value)") }
        XCTAssertEqual(object["int"], .integer(1_793_581_200_000))
        XCTAssertEqual(object["negative"], .integer(-7))
        XCTAssertEqual(object["zero"], .integer(0))
        XCTAssertEqual(object["max"], .integer(Int64.max))
        XCTAssertEqual(object["beyond"], .number(18_446_744_073_709_551_616))
        XCTAssertEqual(object["fraction"], .number(2.5))
        XCTAssertEqual(object["yes"], .bool(true))
        XCTAssertEqual(object["no"], .bool(false))
        XCTAssertEqual(object["none"], .null)
        XCTAssertEqual(object["text"], .string("屋顶漏水 \"roof\" \\ / \n é 😀 😀"))
        XCTAssertEqual(object["list"], .array([.integer(1), .string("a"), .array([]), .object([:]), .null, .bool(false)]))
        XCTAssertEqual(object["nested"], .object(["deep": .object(["deeper": .array([.object(["k": .number(0.125)])])])]))
        // As the Codable decoding reads it, but for 1e3: JSONDecoder reads it as the integer 1000.
        var expected = decoded
        if case .object(var fields) = expected { fields["exponent"] = object["exponent"]; expected = .object(fields) }
        XCTAssertEqual(value, expected)
        XCTAssertThrowsError(try JSONValue(json: Array(#"{"a": }"#.utf8)))
        XCTAssertEqual(try JSONValue(json: Array("42".utf8)), .integer(42), "a bare value")
    }

    /// The wire's encoder writes a JSONValue itself (no Codable containers): the same bytes as
    /// JSONEncoder with the wire's options, alone and inside a typed reply, keys sorted, the keys
    /// of its objects left as they are (camelCase included), numbers as JSONEncoder writes them.
    func testTheWireWritesATreeAsJSONEncoderDoes() throws {
        struct Reply: Encodable {
            let caseCount: Int
            let items: [JSONValue]
            let one: JSONValue?
        }
        let tree = JSONValue.object([
            "zeta": .integer(-3), "alphaBeta": .number(2.5), "whole": .number(100), "max": .integer(Int64.max),
            "tiny": .number(1e-7), "big": .number(1e20), "text": .string("屋顶 \"漏水\" \\ / \n\u{08}\u{1F}"), "none": .null,
            "yes": .bool(true), "list": .array([.object(["b": .integer(1), "a": .object([:])]), .array([])]),
            "B": .string("upper first"), "a_b": .integer(1), "10": .integer(10), "9": .integer(9),
        ])
        let foundation = WireCoding.encoder
        for value in [Reply(caseCount: 2, items: [tree, .array([tree])], one: tree), Reply(caseCount: 0, items: [], one: nil)] {
            XCTAssertEqual(String(decoding: try WireCoding.encode(value), as: UTF8.self),
                           String(decoding: try foundation.encode(value), as: UTF8.self))
        }
        XCTAssertEqual(String(decoding: try WireCoding.encode(tree), as: UTF8.self), String(decoding: try foundation.encode(tree), as: UTF8.self))
        XCTAssertThrowsError(try WireCoding.encode(JSONValue.number(.nan)))
    }
}
