// ProtocolDocTests: docs/protocol.md stays in step with the code. Every example marked
// `<!-- request -->`, `<!-- reply -->` or `<!-- event -->` is parsed and checked against the real
// codec, and every command and error code must be documented.
import CaseCore
import Foundation
import NIOCore
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class ProtocolDocTests: XCTestCase {
    private func examples() throws -> (text: String, examples: [ProtocolDoc.Example]) { try ProtocolDoc.examples() }

    func testEveryExampleMatchesTheCodec() throws {
        let (_, examples) = try examples()
        XCTAssertGreaterThan(examples.count, 30)
        var documentedCommands = Set<String>()
        for example in examples {
            let place = "docs/protocol.md line \(example.line)"
            let object = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(example.json.utf8)) as? [String: Any], "\(place): not a JSON object")
            switch example.kind {
            case "request":
                let request: Request
                do {
                    request = try Request.decode(ByteBuffer(string: example.json))
                } catch {
                    XCTFail("\(place): \(error.message)")
                    continue
                }
                do {
                    _ = try CommandTable.prepare(request, maxTextLength: 4_000)
                    documentedCommands.insert(request.type)
                } catch {
                    XCTFail("\(place): the hub refuses this example: \(error.code.rawValue) \(error.message)")
                }
            case "reply":
                XCTAssertTrue(object["id"] is String || object["id"] is NSNull, "\(place): id")
                switch object["type"] as? String {
                case "ok":
                    XCTAssertNotNil(object["result"] as? [String: Any], "\(place): ok replies carry a result object")
                case "error":
                    let error = try XCTUnwrap(object["error"] as? [String: Any], "\(place): error object")
                    XCTAssertNotNil(ErrorCode(rawValue: error["code"] as? String ?? ""), "\(place): undocumented code \(error["code"] ?? "")")
                    XCTAssertNotNil(error["message"] as? String, "\(place): message")
                default:
                    XCTFail("\(place): a reply's type is ok or error")
                }
            case "event":
                XCTAssertEqual(object["type"] as? String, "event", place)
                XCTAssertTrue(RoomID.isValid(object["room"] as? String ?? ""), "\(place): room")
                XCTAssertNotNil(object["seq"] as? Int, "\(place): seq")
                XCTAssertNotNil(object["epoch"] as? String, "\(place): epoch")
                XCTAssertNotNil(object["at"] as? String, "\(place): at")
                switch object["kind"] as? String {
                case "message":
                    XCTAssertNotNil(object["text"] as? String, place)
                    XCTAssertNotNil(object["from"] as? [String: Any], place)
                case "presence":
                    XCTAssertTrue(["joined", "left"].contains(object["presence"] as? String ?? ""), place)
                case "case":
                    // Its shape is checked against the hub's own events by DocumentedShapesTests.
                    let event = try XCTUnwrap(object["case_event"] as? [String: Any], place)
                    XCTAssertEqual(event["case"] as? String, object["case"] as? String, place)
                    XCTAssertNotNil((event["change"] as? [String: Any])?["type"] as? String, place)
                case "meeting":
                    XCTAssertNotNil(RoomID.meetingID(of: object["room"] as? String ?? ""), place)
                    let event = try XCTUnwrap(object["meeting_event"] as? [String: Any], place)
                    XCTAssertEqual(event["meeting"] as? String, object["meeting"] as? String, place)
                    XCTAssertNotNil((event["change"] as? [String: Any])?["type"] as? String, place)
                case "deadline":
                    XCTAssertNotNil(CaseID(object["case"] as? String ?? ""), place)
                    XCTAssertNotNil(object["obligation"] as? String, place)
                    XCTAssertTrue([50, 75, 85, 99, 100].contains(object["level"] as? Int ?? 0), place)
                    XCTAssertNotNil(object["owed_by"] as? [String], place)
                case "notice":
                    XCTAssertEqual(object["room"] as? String, "lobby", place)
                    XCTAssertNotNil(object["notice"] as? String, place)
                    XCTAssertTrue(CaseID(object["case"] as? String ?? "") != nil || MeetingID(object["meeting"] as? String ?? "") != nil, place)
                    XCTAssertNotNil(object["units"] as? [String], place)
                default:
                    XCTFail("\(place): unknown event kind")
                }
            default:
                XCTFail("\(place): unknown example marker `\(example.kind)`")
            }
        }
        XCTAssertEqual(documentedCommands, Set(CommandTable.names), "every command has a request example")
    }

    func testEveryErrorCodeIsDocumented() throws {
        let (text, _) = try examples()
        for code in ErrorCode.allCases {
            XCTAssertTrue(text.contains("| `\(code.rawValue)` |"), "error code `\(code.rawValue)` is not in the table")
        }
    }

    func testTheFastPostReplyIsWhatTheGeneralEncoderWrites() throws {
        for (id, room, duplicate) in [("5", "case-12", false), (#"a "quoted" \ id"#, "lobby", true), ("tab\there\u{1}", "meeting-3", false)] {
            let output = Post.Output(room: room, seq: 48, duplicate: duplicate)
            let fast = Post.reply(id: id, result: output)
            let general = WireReply.ok(id: id, result: output)
            XCTAssertEqual(String(buffer: fast), String(buffer: general))
            let parsed = try JSONSerialization.jsonObject(with: Data(fast.readableBytesView)) as? [String: Any]
            XCTAssertEqual(parsed?["id"] as? String, id)
        }
    }

    func testTheDirectMessageEncodingIsWhatTheGeneralEncoderWrites() throws {
        let position = RoomPosition(room: "case-12", sequence: 48, epoch: "6f1c2a9e-2b7d", at: Timestamp(milliseconds: 1_763_778_672_002))
        for text in ["Site survey done.", #"quotes " and \ back\slash / slash"#, "信访工作联席会议 — 会签", "line\nbreak\ttab\u{7}bell", ""] {
            let direct = try WireEvents.message(position, person: PersonID("h-officer"), unit: UnitID("housing"), text: text)
            let general = try WireEvents.messageByEncoder(position, person: PersonID("h-officer"), unit: UnitID("housing"), text: text)
            XCTAssertEqual(String(decoding: direct, as: UTF8.self), String(decoding: general, as: UTF8.self))
        }
    }

    func testEventTimestampsAreExactToTheMillisecond() {
        // Month and year ends, leap days (2024, 2000, 2100 is not), the epoch, and random instants.
        var instants: [Int64] = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 1_709_164_800_000,
                                 1_735_689_599_999, 1_735_689_600_000, 4_107_542_400_000, 4_107_628_799_999, 253_402_300_799_999]
        var generator = SystemRandomNumberGenerator()
        instants += (0..<5_000).map { _ in Int64.random(in: 0...4_102_444_800_000, using: &generator) }
        for milliseconds in instants {
            var buffer = ByteBuffer()
            WireEvents.writeISO8601(Timestamp(milliseconds: milliseconds), to: &buffer)
            // Foundation for the calendar (whole seconds, exact in a Double), the milliseconds as digits.
            let seconds = Date(timeIntervalSince1970: TimeInterval(milliseconds / 1_000))
            let expected = Date.ISO8601FormatStyle().format(seconds).dropLast() + "." + String(format: "%03d", Int(milliseconds % 1_000)) + "Z"
            XCTAssertEqual(String(buffer: buffer), expected, "\(milliseconds)")
            XCTAssertEqual(WireEvents.iso8601(Timestamp(milliseconds: milliseconds)), expected)
        }
    }

    func testJSONStringsAreEscapedAsTheGeneralEncoderEscapesThem() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{8}", "\u{c}", "\u{1}", "\u{1f}", "\u{7f}", "信", "𝄞", "é"]
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            var direct = ByteBuffer()
            Reply.writeJSONString(text, to: &direct)
            let general = try JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
            XCTAssertEqual("[" + String(buffer: direct) + "]", String(decoding: general, as: UTF8.self), text.debugDescription)
        }
    }

    func testTheFlatReaderAcceptsOnlyWhatTheGeneralDecoderReadsTheSameWay() throws {
        // Accepted: the same strings as JSONSerialization. Refused (nil): anything that is not a
        // flat object of strings; the general decoder then answers.
        let accepted = [
            #"{"id":"1","type":"post","room":"case-12","text":"hi","key":"k1"}"#,
            #"  { "id" : "2" , "type":"post" ,"text":"a \"quoted\" \\ back\/slash \n\t\u00e9\u4fe1\ud834\udd1e \u0000","room":"lobby","key":"k"}  "#,
            #"{}"#,
            #"{"text":"信访 ✓"}"#,
        ]
        for text in accepted {
            let fast = FlatJSON.stringFields(ByteBuffer(string: text))
            let general = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
            XCTAssertNotNil(fast, text)
            XCTAssertEqual(fast, general, text)
        }
        let refused = [
            #"{"id":1,"type":"post"}"#, #"{"id":"1","type":"post","extra":{"a":"b"}}"#, #"{"id":"1","id":"2"}"#,
            #"{"id":"1",}"#, #"{"id":"1"} x"#, #"["a"]"#, #"{"id":"\ud800"}"#, #"{"id":"\udc00x"}"#, #"{"id":"\x"}"#,
            #"{"id":"\u12"}"#, "{\"id\":\"a\u{1}b\"}", #"{"id":"open"#, #"{"id" "x"}"#,
            #"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9"}"#,
            #"{"id":null}"#, #"{"id":true}"#, "",
        ]
        for text in refused {
            XCTAssertNil(FlatJSON.stringFields(ByteBuffer(string: text)), text)
        }
    }

    func testRequestsReadTheSameWithAndWithoutTheFlatReader() throws {
        // `Request.decode` takes a flat object of strings from FlatJSON and anything else from
        // JSONSerialization: both must give the same request, or the same error.
        let messages = [
            #"{"id":"1","type":"auth","token":"t"}"#, #"{"type":"join","room":"case-1","id":"a"}"#,
            #"{"id":"","type":"join"}"#, #"{"id":"1"}"#, #"{"id":"1","type":""}"#, #"{"type":"hello"}"#,
            "{\"id\":\"\(String(repeating: "i", count: Request.maxIDLength + 1))\",\"type\":\"hello\"}",
            "{\"id\":\"1\",\"type\":\"\(String(repeating: "t", count: Request.maxTypeLength + 1))\"}",
            #"{"id":"1","type":"join","room":"case-1","last_seq":3}"#, #"{"id":1,"type":"auth"}"#, #"["a"]"#, #"{"#,
        ]
        func outcome(_ text: String, flat: Bool) -> String {
            let buffer = ByteBuffer(string: text)
            do {
                let request = try Request.decode(buffer, stringFields: flat ? FlatJSON.stringFields(buffer) : nil)
                return "\(request.id) \(request.type) " + request.fields.keys.sorted().map { "\($0)=\(request.fields[$0]!)" }.joined(separator: ",")
            } catch {
                return "error \(error.id ?? "-") \(error.message)"
            }
        }
        for text in messages {
            XCTAssertEqual(outcome(text, flat: true), outcome(text, flat: false), text)
        }
        // auth and join (connection set-up) skip the typed decoder when they hold nothing else;
        // they read as the typed decoder reads them, and anything more goes to it.
        let commands: [(String, String)] = [
            (#"{"id":"1","type":"auth","token":"t"}"#, "t"),
            (#"{"id":"1","type":"join","room":"case-1"}"#, #"Parameters(room: "case-1", lastSequence: nil, epoch: nil)"#),
            (#"{"id":"1","type":"join","room":"case-1","lastSeq":4}"#, #"Parameters(room: "case-1", lastSequence: Optional(4), epoch: nil)"#),
            (#"{"id":"1","type":"join","room":"case-1","epoch":"e","last_seq":2}"#, #"Parameters(room: "case-1", lastSequence: Optional(2), epoch: Optional("e"))"#),
        ]
        for (text, expected) in commands {
            let request = try Request.decode(ByteBuffer(string: text))
            XCTAssertEqual("\(try CommandTable.prepare(request, maxTextLength: 4_000).parameters)", expected, text)
        }
        for text in [#"{"id":"1","type":"join","room":"nowhere"}"#, #"{"id":"1","type":"auth","token":""}"#] {
            XCTAssertThrowsError(try CommandTable.prepare(try Request.decode(ByteBuffer(string: text)), maxTextLength: 4_000), text)
        }
    }

    func testARepeatedKeyIsRefusedAndNamed() throws {
        // JSONSerialization keeps a repeated key's last value and the typed decoder its first, so
        // such a request could mean two things: it is refused, naming the key.
        func outcome(_ text: String) -> String {
            do {
                let request = try Request.decode(ByteBuffer(string: text))
                return "ok \(request.type)"
            } catch {
                return "error \(error.id ?? "-") \(error.message)"
            }
        }
        XCTAssertEqual(outcome(#"{"id":"1","type":"post","type":"hello"}"#), "error 1 `type` appears twice; each key may appear once in an object")
        XCTAssertEqual(outcome(#"{"id":"1","id":"2","type":"hello"}"#), "error - `id` appears twice; each key may appear once in an object")
        XCTAssertEqual(outcome(#"{"id":"1","type":"case.change","case":"case-1","change":{"type":"accepted","type":"closed"}}"#),
                       "error 1 `change.type` appears twice; each key may appear once in an object")
        XCTAssertEqual(outcome("\u{FEFF}" + #"{"id":"1","type":"hello"}"#), "ok hello")

        let paths: [(String, String?)] = [
            (#"{"a":1,"\u0061":2}"#, "a"),
            (#"{"units":[{"u":1},{"u":2,"v":[1,"s",{"k":1,"k":2}]}]}"#, "units.[1].v.[2].k"),
            (#"[[],[0,{"x":{"y":true,"y":false}}]]"#, "[1].[1].x.y"),
            (#"{"a":{"b":1},"c":{"b":1},"b":[{"b":1},{"b":2}]}"#, nil),
            (#"{"a":"b","b":"a","k":"k"}"#, nil),
            (#"{"a":"x\"}{,\"a\":","b":[1.5e3,-2E-3,true,null,"]",{}],"c":{"a":[]}}"#, nil),
            (" { \"a\" : [ 1 , 2 ] ,\n\t\"b\" : { } , \"a\" : 0 } ", "a"),
        ]
        for (text, expected) in paths {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]), text)
            XCTAssertEqual(FlatJSON.repeatedKey(ByteBuffer(string: text)), expected, text)
        }
        // No false alarm on objects without repeats, however they are laid out.
        var generator = SystemRandomNumberGenerator()
        func value(_ depth: Int) -> Any {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
            case 0: return Int.random(in: -1_000...1_000, using: &generator)
            case 1: return ["x", "\"}]", "é\\", ""].randomElement(using: &generator)!
            case 2: return Bool.random(using: &generator)
            case 3: return NSNull()
            case 4: return (0..<Int.random(in: 0...4, using: &generator)).map { _ in value(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for _ in 0..<Int.random(in: 0...5, using: &generator) {
                    object[["a", "b", "\"a\"", "{", "\u{1F600}", "c d"].randomElement(using: &generator)!] = value(depth + 1)
                }
                return object
            }
        }
        for round in 0..<200 {
            let object: [String: Any] = ["id": "\(round)", "type": "hello", "v": value(0)]
            let data = try JSONSerialization.data(withJSONObject: object, options: round % 2 == 0 ? [.prettyPrinted] : [])
            XCTAssertNil(FlatJSON.repeatedKey(ByteBuffer(bytes: data)), String(decoding: data, as: UTF8.self))
        }
    }

    func testANumberThatFitsNoFieldIsNamed() throws {
        // The typed decoder reports these as invalid JSON at the root; the reply names the field.
        let cases: [(String, String)] = [
            (#"{"id":"1","type":"history","room":"lobby","limit":1.5}"#, "`limit` must be a whole number"),
            (#"{"id":"1","type":"history","room":"lobby","before":9223372036854775808}"#,
             "`before` is out of range (at most 9223372036854775807)"),
            (#"{"id":"1","type":"history","room":"lobby","before":-9223372036854775809}"#,
             "`before` is out of range (-9223372036854775808 to 9223372036854775807)"),
            (#"{"id":"1","type":"case.change","case":"case-1","change":{"type":"task_done","task":2.5,"result":"r"}}"#,
             "`change.task` must be a whole number"),
            (#"{"id":"1","type":"join","room":"lobby","last_seq":"seven"}"#, "`last_seq` has the wrong type"),
        ]
        for (text, expected) in cases {
            let request = try Request.decode(ByteBuffer(string: text))
            XCTAssertThrowsError(try CommandTable.prepare(request, maxTextLength: 4_000), text) { error in
                XCTAssertEqual((error as? HubFailure)?.message, expected, text)
            }
        }
        // Whole numbers written as 2.0 or 1e3 are read as the typed decoder reads them.
        let request = try Request.decode(ByteBuffer(string: #"{"id":"1","type":"history","room":"lobby","limit":2.0,"before":1e3}"#))
        XCTAssertNoThrow(try CommandTable.prepare(request, maxTextLength: 4_000))
    }

    func testANumberBeyondAnyTypeIsNamedWithTheRequestsID() throws {
        // JSONSerialization refuses 1e400 outright; the refusal still names the field and keeps the id.
        let cases: [(String, String?, String)] = [
            (#"{"id":"7","type":"history","room":"lobby","limit":1e400}"#, "7", "`limit` is out of range (a number beyond any the protocol reads)"),
            (#"{"type":"case.change","id":"8","case":"case-1","change":{"type":"task_done","task":-1E999,"result":"r"}}"#, "8",
             "`change.task` is out of range (a number beyond any the protocol reads)"),
            (#"{"id":"9","type":"hello","x":[1,2e500]}"#, "9", "`x.[1]` is out of range (a number beyond any the protocol reads)"),
        ]
        for (text, id, message) in cases {
            XCTAssertThrowsError(try Request.decode(ByteBuffer(string: text)), text) { error in
                XCTAssertEqual((error as? Request.DecodeError)?.id, id, text)
                XCTAssertEqual((error as? Request.DecodeError)?.message, message, text)
            }
        }
        // Anything else wrong stays "not valid JSON" without an id.
        XCTAssertThrowsError(try Request.decode(ByteBuffer(string: #"{"id":"7","limit":1e400 "x"}"#))) { error in
            XCTAssertNil((error as? Request.DecodeError)?.id)
            XCTAssertEqual((error as? Request.DecodeError)?.message, "the message is not valid JSON")
        }
    }

    func testWireEventsOfTheHubDecodeAsDocumented() throws {
        // The documented shapes are what the hub actually encodes.
        let position = RoomPosition(room: "case-12", sequence: 48, epoch: "e", at: Timestamp(milliseconds: 1_763_778_672_002))
        let message = try JSONSerialization.jsonObject(with: Data(WireEvents.message(position, person: PersonID("h-officer"), unit: UnitID("housing"), text: "hi"))) as? [String: Any]
        XCTAssertEqual(Set(message?.keys.map { $0 } ?? []), ["type", "room", "seq", "epoch", "at", "kind", "from", "text"])
        let presence = try JSONSerialization.jsonObject(with: Data(WireEvents.presence(position, person: PersonID("p"), unit: UnitID("u"), joined: false))) as? [String: Any]
        XCTAssertEqual(Set(presence?.keys.map { $0 } ?? []), ["type", "room", "seq", "epoch", "at", "kind", "presence", "person", "unit"])
    }
}
