// WebSocketConnectionHandler: one WebSocket connection after the upgrade. It turns frames into
// whole messages, answers pings, pings the peer and drops it when pongs stop, runs the close
// handshake, and closes a peer that stops reading once its outbound buffer passes the limit.
import Logging
import NIOCore
import NIOWebSocket

/// Which end of the connection we are: servers must not mask, clients must.
public enum WebSocketRole: Sendable {
    case server
    case client
}

/// Sits between NIOWebSocket's frame codec and the application, which sees ``WebSocketMessage``s.
///
/// The application writes ``WebSocketMessage``s; `close()` starts a normal (1000) close handshake,
/// and a ``WebSocketCloseRequest`` user outbound event closes with another code.
public final class WebSocketConnectionHandler: ChannelDuplexHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = WebSocketMessage
    public typealias OutboundIn = WebSocketMessage
    public typealias OutboundOut = WebSocketFrame

    enum State {
        case open
        /// Our close frame is out; waiting (bounded) for the peer's.
        case closeSent
        case closed
    }

    private let role: WebSocketRole
    private let configuration: WebSocketConfiguration
    private let connection: ConnectionContext
    private var state = State.open
    private var assembler: WebSocketMessageAssembler
    private var pingTask: RepeatedTask?
    private var pongDeadline: Scheduled<Void>?
    private var closeDeadline: Scheduled<Void>?
    private var closePromise: EventLoopPromise<Void>?

    public init(role: WebSocketRole, configuration: WebSocketConfiguration, connection: ConnectionContext) {
        self.role = role
        self.configuration = configuration
        self.connection = connection
        assembler = WebSocketMessageAssembler(maxMessageSize: configuration.maxMessageSize)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard role == .server, configuration.pingInterval > .zero else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pingTask = context.eventLoop.scheduleRepeatedTask(
            initialDelay: configuration.pingInterval, delay: configuration.pingInterval
        ) { _ in
            let (handler, context) = loopBound.value
            handler.sendPing(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        let promise = closePromise
        closePromise = nil
        promise?.fail(ChannelError.ioOnClosedChannel)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        cancelTimers()
        connection.recordClose("connection lost")
        // A close we started ends here too if the peer dropped the connection instead of answering.
        let promise = closePromise
        closePromise = nil
        promise?.succeed(())
        context.fireChannelInactive()
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .closed = state { return }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return fail(context: context, code: .protocolError, reason: "reserved bits set without an extension")
        }
        let masked = frame.maskKey != nil
        guard masked == (role == .server) else {
            return fail(context: context, code: .protocolError, reason: masked ? "masked server frame" : "unmasked client frame")
        }
        switch frame.opcode {
        case .ping:
            guard case .open = state else { return }
            // Answer at once, ahead of anything else queued for flush.
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: outboundMask(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            pongDeadline?.cancel()
            pongDeadline = nil
        case .connectionClose:
            receivedClose(context: context, payload: frame.unmaskedData)
        case .text, .binary, .continuation:
            guard case .open = state else { return }  // data after our close frame is discarded
            switch assembler.push(opcode: frame.opcode, fin: frame.fin, payload: frame.unmaskedData) {
            case .incomplete:
                break
            case .message(let message):
                context.fireChannelRead(wrapInboundOut(message))
            case .failure(let code, let reason):
                fail(context: context, code: code, reason: reason)
            }
        default:
            fail(context: context, code: .protocolError, reason: "reserved opcode \(frame.opcode)")
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? NIOWebSocketError {
            switch error {
            case .invalidFrameLength:
                fail(context: context, code: .messageTooLarge, reason: "frame larger than \(configuration.maxMessageSize) bytes")
            case .fragmentedControlFrame, .multiByteControlFrameLength:
                fail(context: context, code: .protocolError, reason: "malformed control frame")
            }
            return
        }
        context.fireErrorCaught(error)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable, case .open = state {
            connection.closedAsSlowConsumer = true
            connection.logger.warning(
                "closing a peer that is not reading",
                metadata: ["limit_bytes": "\(configuration.maxOutboundBytes)"])
            startClose(context: context, code: .policyViolation,
                       reason: "outbound buffer over \(configuration.maxOutboundBytes) bytes: peer not reading")
        }
        context.fireChannelWritabilityChanged()
    }

    private func receivedClose(context: ChannelHandlerContext, payload: ByteBuffer) {
        switch state {
        case .closed:
            return
        case .closeSent:
            // The handshake is complete.
            if case .valid(let code, let reason) = WebSocketCloseRules.parse(payload) {
                context.fireUserInboundEventTriggered(WebSocketCloseReceived(code: code, reason: reason))
            }
            closeNow(context: context)
        case .open:
            switch WebSocketCloseRules.parse(payload) {
            case .invalid(let code, let reason):
                fail(context: context, code: code, reason: reason)
            case .valid(let code, let reason):
                if connection.closeCode == nil { connection.closeCode = code ?? 1005 }
                connection.recordClose("peer closed with \(code.map(String.init) ?? "no code")\(reason.isEmpty ? "" : ": \(reason)")")
                context.fireUserInboundEventTriggered(WebSocketCloseReceived(code: code, reason: reason))
                // Echo the peer's code (RFC 6455 §5.5.1), then close the transport.
                var echo = context.channel.allocator.buffer(capacity: 2)
                if let code { echo.writeInteger(code) }
                state = .closeSent
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: outboundMask(), data: echo)
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
                    let (handler, context) = loopBound.value
                    handler.closeNow(context: context)
                }
            }
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .open = state else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let message = unwrapOutboundIn(data)
        if message.kind == .frames {
            // Pre-encoded frames skip the frame encoder: written to the handler below it.
            guard role == .server, let encoder = frameEncoderContext(context) else {
                promise?.fail(ChannelError.operationUnsupported)
                return
            }
            encoder.write(NIOAny(message.data), promise: promise)
            return
        }
        let frame = WebSocketFrame(
            fin: true, opcode: message.kind == .text ? .text : .binary, maskKey: outboundMask(), data: message.data)
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    private var encoderContext: ChannelHandlerContext?

    /// The frame encoder's context, whose `write` goes to the handlers below the encoder.
    private func frameEncoderContext(_ context: ChannelHandlerContext) -> ChannelHandlerContext? {
        if let encoderContext { return encoderContext }
        encoderContext = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        return encoderContext
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else { return context.close(mode: mode, promise: promise) }
        switch state {
        case .open:
            closePromise = promise
            startClose(context: context, code: .normalClosure, reason: "")
        case .closeSent:
            if let promise {
                if let closePromise { closePromise.futureResult.cascade(to: promise) } else { closePromise = promise }
            }
        case .closed:
            context.close(mode: mode, promise: promise)
        }
    }

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let request = event as? WebSocketCloseRequest else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        switch state {
        case .open:
            closePromise = promise
            startClose(context: context, code: request.code, reason: request.reason)
        case .closeSent, .closed:
            promise?.succeed(())
        }
    }

    // MARK: Closing

    /// Sends our close frame and waits (bounded) for the peer's.
    private func startClose(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String) {
        guard case .open = state else { return }
        state = .closeSent
        if connection.closeCode == nil { connection.closeCode = UInt16(webSocketErrorCode: code) }
        connection.recordClose(reason.isEmpty ? "closed with \(UInt16(webSocketErrorCode: code))" : "closed with \(UInt16(webSocketErrorCode: code)): \(reason)")
        var payload = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: code)
        // Control frames carry at most 125 bytes; cut the reason on a character boundary.
        var reasonBytes = Array(reason.utf8.prefix(123))
        while !reasonBytes.isEmpty, !UTF8Validator.isValid(reasonBytes) { reasonBytes.removeLast() }
        payload.writeBytes(reasonBytes)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: outboundMask(), data: payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        closeDeadline = context.eventLoop.scheduleTask(in: configuration.closeTimeout) {
            let (handler, context) = loopBound.value
            handler.closeNow(context: context)
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7): close frame with `code`, then drop the transport.
    private func fail(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String) {
        guard case .open = state else { return closeNow(context: context) }
        connection.logger.info("websocket protocol violation", metadata: ["reason": "\(reason)"])
        startClose(context: context, code: code, reason: reason)
        closeDeadline?.cancel()
        // Give the close frame a moment to leave, but do not wait for an answer.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.flush()
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            handler.closeNow(context: context)
        }
    }

    private func closeNow(context: ChannelHandlerContext) {
        if case .closed = state { return }
        state = .closed
        cancelTimers()
        let promise = closePromise
        closePromise = nil
        context.close(promise: promise)
    }

    private func sendPing(context: ChannelHandlerContext) {
        guard case .open = state, pongDeadline == nil else { return }
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(UInt64.random(in: .min ... .max))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, maskKey: outboundMask(), data: payload)), promise: nil)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pongDeadline = context.eventLoop.scheduleTask(in: configuration.pongTimeout) {
            let (handler, context) = loopBound.value
            handler.pongDeadline = nil
            handler.connection.recordClose("no pong within \(handler.configuration.pongTimeout)")
            handler.connection.logger.info("closing a peer that did not answer a ping")
            handler.closeNow(context: context)
        }
    }

    private func cancelTimers() {
        pingTask?.cancel()
        pingTask = nil
        pongDeadline?.cancel()
        pongDeadline = nil
        closeDeadline?.cancel()
        closeDeadline = nil
    }

    private func outboundMask() -> WebSocketMaskingKey? {
        role == .client ? .random() : nil
    }
}

@available(*, unavailable)
extension WebSocketConnectionHandler: Sendable {}
