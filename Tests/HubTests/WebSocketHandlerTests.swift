// WebSocketHandlerTests: WebSocketConnectionHandler on an EmbeddedChannel — pings, pongs, close
// codes, timers and the outbound-buffer limit.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import Messaging

final class WebSocketHandlerTests: XCTestCase {
    final class MessageRecorder: ChannelInboundHandler {
        typealias InboundIn = WebSocketMessage
        var messages: [WebSocketMessage] = []
        var closes: [WebSocketCloseReceived] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { messages.append(unwrapInboundIn(data)) }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let close = event as? WebSocketCloseReceived { closes.append(close) }
        }
    }

    private var channel: EmbeddedChannel!
    private var recorder: MessageRecorder!
    private var connection: ConnectionContext!

    private func makeChannel(_ configure: (inout WebSocketConfiguration) -> Void = { _ in }) throws {
        var configuration = WebSocketConfiguration()
        configure(&configuration)
        channel = EmbeddedChannel()
        recorder = MessageRecorder()
        connection = ConnectionContext(id: "t1", peer: "test", logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(
            WebSocketConnectionHandler(role: .server, configuration: configuration, connection: connection))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    override func tearDown() {
        if let channel, channel.isActive {
            channel.close(promise: nil)
            channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        }
        _ = try? channel?.finish(acceptAlreadyClosed: true)
        channel = nil
    }

    private func clientFrame(_ opcode: WebSocketOpcode, _ data: ByteBuffer, fin: Bool = true) -> WebSocketFrame {
        let key = WebSocketMaskingKey.random()
        var masked = data
        masked.webSocketMask(key)
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: masked)
    }

    private func sentFrames() throws -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) { frames.append(frame) }
        return frames
    }

    private func closeCode(_ frame: WebSocketFrame?) -> UInt16? {
        guard let frame, frame.opcode == .connectionClose else { return nil }
        var data = frame.unmaskedData
        return data.readInteger(as: UInt16.self)
    }

    func testPingIsAnsweredWithPongCarryingTheSamePayload() throws {
        try makeChannel()
        try channel.writeInbound(clientFrame(.ping, ByteBuffer(string: "are you there")))
        let pong = try XCTUnwrap(sentFrames().first)
        XCTAssertEqual(pong.opcode, .pong)
        XCTAssertNil(pong.maskKey, "servers do not mask")
        XCTAssertEqual(String(buffer: pong.data), "are you there")
    }

    func testTextMessageIsDelivered() throws {
        try makeChannel()
        try channel.writeInbound(clientFrame(.text, ByteBuffer(string: "hello"), fin: false))
        try channel.writeInbound(clientFrame(.ping, ByteBuffer()))  // control frames may interleave
        try channel.writeInbound(clientFrame(.continuation, ByteBuffer(string: " hub")))
        XCTAssertEqual(recorder.messages, [.text("hello hub")])
    }

    func testInvalidUTF8ClosesWith1007() throws {
        try makeChannel()
        try channel.writeInbound(clientFrame(.text, ByteBuffer(bytes: [0x68, 0xFF])))
        XCTAssertEqual(closeCode(try sentFrames().last), 1007)
        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testOversizedMessageClosesWith1009() throws {
        try makeChannel { $0.maxMessageSize = 16 }
        try channel.writeInbound(clientFrame(.binary, ByteBuffer(repeating: 0, count: 17)))
        XCTAssertEqual(closeCode(try sentFrames().last), 1009)
    }

    func testDecoderFrameLengthErrorClosesWith1009() throws {
        try makeChannel()
        channel.pipeline.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
        XCTAssertEqual(closeCode(try sentFrames().last), 1009)
    }

    func testUnmaskedClientFrameIsAProtocolError() throws {
        try makeChannel()
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "x")))
        XCTAssertEqual(closeCode(try sentFrames().last), 1002)
    }

    func testReservedBitsAndOpcodesAreProtocolErrors() throws {
        try makeChannel()
        var frame = clientFrame(.text, ByteBuffer(string: "x"))
        frame.rsv1 = true
        try channel.writeInbound(frame)
        XCTAssertEqual(closeCode(try sentFrames().last), 1002)

        try makeChannel()
        try channel.writeInbound(clientFrame(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, ByteBuffer()))
        XCTAssertEqual(closeCode(try sentFrames().last), 1002)
    }

    func testPeerCloseIsEchoedAndTransportClosed() throws {
        try makeChannel()
        var payload = ByteBuffer()
        payload.writeInteger(UInt16(1000))
        payload.writeString("done")
        try channel.writeInbound(clientFrame(.connectionClose, payload))
        XCTAssertEqual(closeCode(try sentFrames().last), 1000)
        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.closes, [WebSocketCloseReceived(code: 1000, reason: "done")])
        XCTAssertEqual(connection.closeReason, "peer closed with 1000: done")
    }

    func testServerPingsAndClosesWhenPongIsMissing() throws {
        try makeChannel { $0.pingInterval = .seconds(30); $0.pongTimeout = .seconds(10) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        XCTAssertEqual(try sentFrames().map(\.opcode), [.ping])
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive, "no pong within 10 s")
        XCTAssertEqual(connection.closeReason, "no pong within 10 s")
    }

    func testPongKeepsTheConnectionOpen() throws {
        try makeChannel { $0.pingInterval = .seconds(30); $0.pongTimeout = .seconds(10) }
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(30))
            let ping = try XCTUnwrap(sentFrames().first)
            try channel.writeInbound(clientFrame(.pong, ping.data))
        }
        XCTAssertTrue(channel.isActive)
    }

    func testCloseStartsHandshakeAndGivesUpAfterTimeout() throws {
        try makeChannel { $0.closeTimeout = .seconds(5) }
        channel.close(promise: nil)
        XCTAssertEqual(closeCode(try sentFrames().last), 1000)
        XCTAssertTrue(channel.isActive, "waits for the peer's close frame")
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        XCTAssertFalse(channel.isActive)
    }

    func testCloseCompletesWhenPeerDropsInsteadOfAnswering() throws {
        try makeChannel()
        let completed = NIOLockedValueBox(false)
        let promise = channel.embeddedEventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in completed.withLockedValue { $0 = true } }
        channel.close(promise: promise)
        XCTAssertFalse(completed.withLockedValue { $0 })
        channel.pipeline.fireChannelInactive()
        XCTAssertTrue(completed.withLockedValue { $0 })
    }

    func testCloseRequestSendsTheGivenCode() throws {
        try makeChannel()
        channel.pipeline.triggerUserOutboundEvent(WebSocketCloseRequest(code: .goingAway, reason: "shutdown"), promise: nil)
        let frame = try XCTUnwrap(sentFrames().last)
        XCTAssertEqual(closeCode(frame), 1001)
        var data = frame.data
        data.moveReaderIndex(forwardBy: 2)
        XCTAssertEqual(String(buffer: data), "shutdown")
    }

    func testPeerThatStopsReadingIsClosedWith1008() throws {
        try makeChannel { $0.maxOutboundBytes = 64 * 1024 }
        // The channel reports unwritable when its outbound buffer passes the high-water mark.
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(closeCode(try sentFrames().last), 1008)
        XCTAssertTrue(connection.closeReason?.contains("peer not reading") ?? false)
    }
}
