// WebSocketRulesTests: the pure WebSocket rules — UTF-8, reassembly, limits, close frames.
import NIOCore
import NIOWebSocket
import XCTest

@testable import Messaging

final class WebSocketRulesTests: XCTestCase {
    func testUTF8ValidatorAcceptsValidAndRejectsInvalidSequences() {
        XCTAssertTrue(UTF8Validator.isValid(Array("信访工作联席会议 ok ✓ 𝄞".utf8)))
        XCTAssertFalse(UTF8Validator.isValid([0xC0, 0xAF]), "overlong")
        XCTAssertFalse(UTF8Validator.isValid([0xED, 0xA0, 0x80]), "surrogate")
        XCTAssertFalse(UTF8Validator.isValid([0xF4, 0x90, 0x80, 0x80]), "past U+10FFFF")
        XCTAssertFalse(UTF8Validator.isValid([0xE2, 0x82]), "truncated")
        XCTAssertFalse(UTF8Validator.isValid([0xFF]))
    }

    func testUTF8ValidatorAcceptsSequencesSplitAcrossChunks() {
        var validator = UTF8Validator()
        let bytes = Array("信".utf8)
        XCTAssertTrue(validator.feed(bytes.prefix(1)))
        XCTAssertFalse(validator.isAtBoundary)
        XCTAssertTrue(validator.feed(bytes.dropFirst()))
        XCTAssertTrue(validator.isAtBoundary)
    }

    func testUTF8ValidatorAgreesWithTheStandardLibraryOnRandomInput() {
        // Long ASCII runs exercise the eight-bytes-at-a-time path; the bad or multi-byte sequence
        // lands at every offset, contiguous and not, whole and split in two.
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [Array("信".utf8), Array("𝄞".utf8), [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                                 [0xE2, 0x82], [0xFF], [0x80], Array("é".utf8)]
        for _ in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes += (0..<Int.random(in: 0...20, using: &generator)).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
                bytes += pieces.randomElement(using: &generator)!
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            XCTAssertEqual(UTF8Validator.isValid(bytes), expected, "\(bytes)")
            XCTAssertEqual(UTF8Validator.isValid(bytes.lazy.map { $0 }), expected, "\(bytes) (not contiguous)")
            let split = Int.random(in: 0...bytes.count, using: &generator)
            var validator = UTF8Validator()
            let whole = validator.feed(bytes[..<split]) && validator.feed(bytes[split...]) && validator.isAtBoundary
            XCTAssertEqual(whole, expected, "\(bytes) split at \(split)")
        }
    }

    func testFragmentedTextIsReassembled() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 100)
        let bytes = Array("信访".utf8)
        XCTAssertEqual(assembler.push(opcode: .text, fin: false, payload: ByteBuffer(bytes: bytes.prefix(2))), .incomplete)
        XCTAssertEqual(assembler.push(opcode: .continuation, fin: false, payload: ByteBuffer(bytes: bytes[2..<4])), .incomplete)
        XCTAssertEqual(
            assembler.push(opcode: .continuation, fin: true, payload: ByteBuffer(bytes: bytes[4...])),
            .message(.text("信访")))
        XCTAssertFalse(assembler.isAssembling)
    }

    func testInvalidUTF8FailsFastMidMessage() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 100)
        XCTAssertEqual(assembler.push(opcode: .text, fin: false, payload: ByteBuffer(string: "ok")), .incomplete)
        guard case .failure(let code, _) = assembler.push(opcode: .continuation, fin: false, payload: ByteBuffer(bytes: [0xFF])) else {
            return XCTFail("invalid UTF-8 must fail before the message ends")
        }
        XCTAssertEqual(code, .dataInconsistentWithMessage)
    }

    func testTruncatedUTF8AtEndOfMessageFails() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 100)
        guard case .failure(let code, _) = assembler.push(opcode: .text, fin: true, payload: ByteBuffer(bytes: [0xE4, 0xBF])) else {
            return XCTFail("a message ending mid-character is invalid")
        }
        XCTAssertEqual(code, .dataInconsistentWithMessage)
    }

    func testMessageOverTheLimitFailsWith1009() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 10)
        XCTAssertEqual(assembler.push(opcode: .binary, fin: false, payload: ByteBuffer(repeating: 1, count: 6)), .incomplete)
        guard case .failure(let code, _) = assembler.push(opcode: .continuation, fin: true, payload: ByteBuffer(repeating: 1, count: 5)) else {
            return XCTFail("11 bytes exceed a 10-byte limit")
        }
        XCTAssertEqual(code, .messageTooLarge)
    }

    func testContinuationWithoutStartAndInterleavedStartAreProtocolErrors() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 100)
        guard case .failure(.protocolError, _) = assembler.push(opcode: .continuation, fin: true, payload: ByteBuffer()) else {
            return XCTFail("continuation with nothing to continue")
        }
        XCTAssertEqual(assembler.push(opcode: .text, fin: false, payload: ByteBuffer(string: "a")), .incomplete)
        guard case .failure(.protocolError, _) = assembler.push(opcode: .binary, fin: true, payload: ByteBuffer()) else {
            return XCTFail("a new message while one is in progress")
        }
    }

    func testCloseFrameRules() {
        XCTAssertEqual(WebSocketCloseRules.parse(ByteBuffer()), .valid(code: nil, reason: ""))
        var normal = ByteBuffer()
        normal.writeInteger(UInt16(1000))
        normal.writeString("bye")
        XCTAssertEqual(WebSocketCloseRules.parse(normal), .valid(code: 1000, reason: "bye"))
        guard case .invalid(.protocolError, _) = WebSocketCloseRules.parse(ByteBuffer(bytes: [0x03])) else {
            return XCTFail("one-byte close payload")
        }
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000] {
            var payload = ByteBuffer()
            payload.writeInteger(code)
            guard case .invalid(.protocolError, _) = WebSocketCloseRules.parse(payload) else {
                return XCTFail("close code \(code) must be refused")
            }
        }
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999] {
            XCTAssertTrue(WebSocketCloseRules.isValidReceivedCode(code), "\(code)")
        }
        var badReason = ByteBuffer()
        badReason.writeInteger(UInt16(1000))
        badReason.writeBytes([0xFF, 0xFE])
        guard case .invalid(.dataInconsistentWithMessage, _) = WebSocketCloseRules.parse(badReason) else {
            return XCTFail("close reason must be UTF-8")
        }
    }

    func testPeerTextIsEscapedForTheLog() {
        // A close reason that would forge a second log line, or reverse the rest of this one.
        XCTAssertEqual(LogText.escaped("peer closed with 1000: bye\n2026-11-22T00:00:00+0000 critical forged"),
                       "peer closed with 1000: bye\\u{a}2026-11-22T00:00:00+0000 critical forged")
        XCTAssertEqual(LogText.escaped("a\u{202E}b\r\u{2028}c\t"), "a\\u{202e}b\\u{d}\\u{2028}c\\u{9}")
        XCTAssertEqual(LogText.escaped("住建局：再见 ✓"), "住建局：再见 ✓", "text is kept as it is")
        XCTAssertEqual(LogText.escaped(String(repeating: "x", count: 300)), String(repeating: "x", count: 200) + "…")
    }
}
