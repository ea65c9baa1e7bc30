// StreamingJSONEncoderTests: the writer's one-pass encoder says what Foundation's JSONEncoder says
// (the same JSON value, read back by JSONDecoder to the same Swift value) for the shapes Codable
// can make: nested and re-opened containers, super-encoders, optionals, empty values, escapes,
// integers at their limits, floats, Data, URL and dictionaries. Case states from random histories
// are compared in KeptWorkItemsTests.
import Foundation
import XCTest

@testable import CaseCore

final class StreamingJSONEncoderTests: XCTestCase {
    /// Both encoders' output, parsed: equal as JSON values.
    static func assertSameJSON<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws {
        let streamed = try StreamingJSONEncoder().encode(value)
        let foundation = try JSONEncoder().encode(value)
        let left = try JSONSerialization.jsonObject(with: Data(streamed), options: [.fragmentsAllowed])
        let right = try JSONSerialization.jsonObject(with: foundation, options: [.fragmentsAllowed])
        XCTAssertEqual(left as? NSObject, right as? NSObject,
                       "streamed \(String(decoding: streamed, as: UTF8.self)) vs \(String(decoding: foundation, as: UTF8.self))",
                       file: file, line: line)
    }

    /// With snake_case keys and sorted keys, as the wire writes replies: the very bytes of JSONEncoder.
    static func assertSameBytesAsTheWire<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws {
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try foundation.encode(value), as: UTF8.self)
        let streamed = String(decoding: try StreamingJSONEncoder(keys: .snakeCase, sorted: true).encode(value), as: UTF8.self)
        XCTAssertEqual(streamed, expected, file: file, line: line)
    }

    struct Plain: Codable, Equatable {
        var text: String
        var number: Int
        var negative: Int64
        var big: UInt64
        var small: Int8
        var ratio: Double
        var flag: Bool
        var missing: String?
        var present: Int?
        var list: [String]
        var empty: [Int]
        var nested: [[Int]]
        var map: [String: Int]
        var byNumber: [Int: String]
        var bytes: Data
        var address: URL
    }

    func testPlainValuesReadBackAlike() throws {
        let value = Plain(
            text: "拆迁补偿 \"quoted\" back\\slash / tab\t line\n cr\r bell\u{07} nul\u{00} 🙂 \u{2028}",
            number: Int.max, negative: Int64.min, big: UInt64.max, small: -128, ratio: 0.1 + 0.2, flag: true,
            missing: nil, present: 0, list: ["", "a", "信访"], empty: [], nested: [[], [1], [1, 2]],
            map: ["b": 2, "a": 1, "": 0], byNumber: [3: "three", -1: "minus one"],
            bytes: Data([0, 1, 2, 250, 255]), address: URL(string: "https://hub.example/case?id=1&x=%20")!)
        try Self.assertSameJSON(value)
        let back = try JSONDecoder().decode(Plain.self, from: Data(try StreamingJSONEncoder().encode(value)))
        XCTAssertEqual(back, value)
        try Self.assertSameBytesAsTheWire(value)
    }

    /// Field names of every shape JSONEncoder's snake_case knows, in a type and nested in
    /// dictionaries (whose own keys it leaves as they are) and arrays.
    struct Names: Encodable {
        var myURLValue = 1, aB = 2, _lead = 3, trail_ = 4, x2Y = 5, ABC = 6, straße = 7, éClair = 8, already_snake = 9
        var nested: [String: [String: Names?]]? = nil
        var list: [Names] = []
    }

    func testSnakeCaseAndSortedKeysGiveJSONEncodersBytes() throws {
        let inner = Names(nested: ["camelKey": ["Z": nil, "aB": Names()]], list: [Names(), Names()])
        try Self.assertSameBytesAsTheWire(Names(nested: ["camelKey": ["innerKey": inner], "B": [:], "a_b": [:], "10": [:], "9": [:]], list: [inner]))
        try Self.assertSameBytesAsTheWire(["b": 1.0, "a": -0.0, "c": 1e20, "d": 1e-7, "e": 0.1 + 0.2, "f": 123456789.0])
        try Self.assertSameBytesAsTheWire(["\u{08}\u{0C}\u{1F}\u{7F}\u{2028}/ 信访"])
        try Self.assertSameBytesAsTheWire(HandMade())
    }

    func testEveryControlCharacterIsEscaped() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) } + Array("end".utf8), as: UTF8.self)
        let streamed = try StreamingJSONEncoder().encode(all)
        XCTAssertFalse(streamed.dropFirst().dropLast().contains { $0 < 0x20 })
        XCTAssertEqual(try JSONDecoder().decode(String.self, from: Data(streamed)), all)
    }

    func testFloatsAndTheirLimits() throws {
        for value in [0.0, -0.0, 1.0, 1e-7, 1e21, 123.456, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude] {
            let streamed = try StreamingJSONEncoder().encode([value])
            XCTAssertEqual(try JSONDecoder().decode([Double].self, from: Data(streamed)), [value])
        }
        XCTAssertEqual(try JSONDecoder().decode([Float].self, from: Data(try StreamingJSONEncoder().encode([Float(0.1)]))), [0.1])
        for bad in [Double.nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try StreamingJSONEncoder().encode(["x": bad])) { error in
                guard case EncodingError.invalidValue(_, let context) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(context.codingPath.map(\.stringValue), ["x"])
            }
        }
    }

    /// A type that encodes by hand: nested containers left open while the outer one goes on, a
    /// container asked for twice, super-encoders that write and that do not.
    struct HandMade: Encodable {
        enum Keys: String, CodingKey { case a, inner, list, again, parent, silent, tail }
        enum Inner: String, CodingKey { case x, y }
        func encode(to encoder: Encoder) throws {
            var outer = encoder.container(keyedBy: Keys.self)
            try outer.encode(1, forKey: .a)
            let inner = outer.nestedContainer(keyedBy: Inner.self, forKey: .inner)
            var list = outer.nestedUnkeyedContainer(forKey: .list)
            try list.encode("first")
            var deeper = list.nestedContainer(keyedBy: Inner.self)
            try deeper.encode(true, forKey: .x)
            var row = list.nestedUnkeyedContainer()
            try row.encodeNil()
            try row.encode(2.5)
            try list.encode("last")
            XCTAssertEqual(list.count, 4)
            // Writing to the first nested container after the second was opened is not allowed by
            // this encoder (its members are done), so the example writes in order.
            _ = inner
            var again = encoder.container(keyedBy: Keys.self)
            try again.encode("more", forKey: .again)
            try SuperValue().encode(to: again.superEncoder(forKey: .parent))
            _ = again.superEncoder(forKey: .silent)
            try again.encode([String](), forKey: .tail)
        }
    }

    struct SuperValue: Encodable {
        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(["from": "super"])
        }
    }

    struct Nothing: Encodable {
        func encode(to encoder: Encoder) throws {}
    }

    func testHandMadeEncodingsMatch() throws {
        try Self.assertSameJSON(HandMade())
        try Self.assertSameJSON([HandMade(), HandMade()])
        try Self.assertSameJSON(["empty": Nothing()])
        try Self.assertSameJSON([Nothing()])
        // At the top, a value that encodes nothing is refused by both.
        XCTAssertThrowsError(try JSONEncoder().encode(Nothing()))
        XCTAssertThrowsError(try StreamingJSONEncoder().encode(Nothing()))
        try Self.assertSameJSON(Optional<Int>.none)
        try Self.assertSameJSON("a fragment")
        try Self.assertSameJSON([[String: [Int]]]([["a": []], [:]]))
    }

    func testTheStateOfACaseInEveryStatusReadsBackUnchanged() throws {
        for status in CaseStatus.allCases {
            let state = try XCTUnwrap(CaseWalker.at(status).state)
            try Self.assertSameJSON(state)
            try Self.assertSameBytesAsTheWire(state)
            XCTAssertEqual(try JSONDecoder().decode(PetitionCase.self, from: Data(try StreamingJSONEncoder().encode(state))), state, "\(status)")
            for item in state.openWorkItems { try Self.assertSameJSON(item) }
        }
    }
}
