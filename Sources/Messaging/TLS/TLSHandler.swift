// TLSHandler: the channel handler that puts TLSConnection between the socket and the layers above.
// States: idle → handshaking → active → closing → closed. Plaintext writes are buffered until flush
// and leave as one socket write; plaintext is delivered before a close_notify is acted on.
import COpenSSL
import Logging
import NIOCore

/// A duplex handler that encrypts what goes out and decrypts what comes in.
///
/// On a finished handshake it fires a ``TLSHandshakeCompleted`` user event; failures are fired as
/// ``TLSError`` and close the channel. It must be the first handler after the socket.
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    enum State {
        case idle
        case handshaking
        case active
        /// We sent close_notify and wait (bounded) for the peer's.
        case closing
        case closed
    }

    private(set) var state: State = .idle
    private let connection: TLSConnection
    /// Plaintext writes not yet encrypted, with their promises.
    private var pendingWrites: [(data: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
    /// How many of `pendingWrites` a flush has asked to send.
    private var flushedWriteCount = 0
    private var handshakeTimer: Scheduled<Void>?
    private var shutdownTimer: Scheduled<Void>?
    private var closePromise: EventLoopPromise<Void>?
    private var deliveredPlaintext = false
    /// Reused scratch buffer for coalescing several plaintext writes into full records.
    private var coalescingBuffer: ByteBuffer?
    /// The largest scratch buffer kept between flushes.
    static let retainedScratchCapacity = 4096
    /// What the handshake established, once it has.
    public private(set) var handshake: TLSHandshakeCompleted?

    /// - Parameter context: the shared SSL_CTX for this side.
    public init(context: TLSContext) throws {
        connection = try TLSConnection(context: context)
    }

    private var configuration: TLSConfiguration { connection.context.configuration }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHandshake(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        failPendingWrites(TLSError(.closed))
        let promise = closePromise
        closePromise = nil
        promise?.fail(TLSError(.closed))
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .handshaking
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: configuration.handshakeTimeout) {
            let (handler, context) = loopBound.value
            guard case .handshaking = handler.state else { return }
            handler.failConnection(context: context, error: TLSError(.handshakeTimeout))
        }
        advanceHandshake(context: context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        let previous = state
        state = .closed
        cancelTimers()
        switch previous {
        case .idle, .handshaking:
            context.fireErrorCaught(TLSError(.eofDuringHandshake))
        case .active:
            context.fireErrorCaught(TLSError(.uncleanShutdown))
        case .closing, .closed:
            break
        }
        failPendingWrites(TLSError(.closed))
        // The peer dropped the connection while we waited for its close_notify: we are closed.
        let promise = closePromise
        closePromise = nil
        promise?.succeed(())
        context.fireChannelInactive()
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let ciphertext = unwrapInboundIn(data)
        switch state {
        case .closed, .idle:
            return
        case .handshaking:
            connection.consumeCiphertext(ciphertext)
            advanceHandshake(context: context)
        case .active, .closing:
            connection.consumeCiphertext(ciphertext)
            readPlaintext(context: context)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        sendCiphertext(context: context, promise: nil)
        if deliveredPlaintext {
            deliveredPlaintext = false
            context.fireChannelReadComplete()
        }
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        switch connection.doHandshake() {
        case .incomplete:
            sendCiphertext(context: context, promise: nil)
        case .failed(let error):
            failConnection(context: context, error: error)
        case .complete:
            handshakeTimer?.cancel()
            handshakeTimer = nil
            state = .active
            let summary = connection.handshakeSummary()
            handshake = summary
            sendCiphertext(context: context, promise: nil)
            context.fireUserInboundEventTriggered(summary)
            // Writes issued before the handshake finished go now, if they were flushed.
            if case .active = state, flushedWriteCount > 0 { encryptFlushedWrites(context: context) }
            // Application data may have arrived together with the handshake's last flight.
            if case .active = state { readPlaintext(context: context) }
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        while true {
            // Sized by what OpenSSL holds: a small record gets a small buffer, and nothing is
            // allocated once everything received has been read.
            let bound = connection.readablePlaintextBound
            guard bound > 0 else { return }
            var buffer = context.channel.allocator.buffer(capacity: bound)
            switch connection.readPlaintext(into: &buffer) {
            case .bytes:
                deliveredPlaintext = true
                context.fireChannelRead(wrapInboundOut(buffer))
                // The layer above may have closed us in response to what it read.
                if case .closed = state { return }
            case .wantMoreCiphertext:
                return
            case .closeNotify:
                // Everything before close_notify has been delivered above; now act on it.
                if deliveredPlaintext {
                    deliveredPlaintext = false
                    context.fireChannelReadComplete()
                }
                context.fireUserInboundEventTriggered(TLSCloseNotifyReceived())
                peerSentCloseNotify(context: context)
                return
            case .failed(let error):
                failConnection(context: context, error: error)
                return
            }
        }
    }

    private func peerSentCloseNotify(context: ChannelHandlerContext) {
        switch state {
        case .active:
            // Answer with our own close_notify, then close the socket once it is written.
            flushAllPendingWrites(context: context)
            state = .closing
            _ = connection.shutdown()
            let promise = context.eventLoop.makePromise(of: Void.self)
            sendCiphertext(context: context, promise: promise)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            promise.futureResult.whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        case .closing:
            _ = connection.shutdown()
            closeSocket(context: context)
        case .idle, .handshaking, .closed:
            break
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch state {
        case .closing, .closed:
            promise?.fail(TLSError(.closed))
        case .idle, .handshaking, .active:
            pendingWrites.append((unwrapOutboundIn(data), promise))
        }
    }

    public func flush(context: ChannelHandlerContext) {
        flushedWriteCount = pendingWrites.count
        if case .active = state { encryptFlushedWrites(context: context) }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch state {
        case .idle, .handshaking:
            state = .closed
            cancelTimers()
            failPendingWrites(TLSError(.closed))
            context.close(mode: mode, promise: promise)
        case .active:
            flushAllPendingWrites(context: context)
            state = .closing
            closePromise = promise
            switch connection.shutdown() {
            case .complete:
                // The peer's close_notify already arrived: send ours and close.
                let written = context.eventLoop.makePromise(of: Void.self)
                sendCiphertext(context: context, promise: written)
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                written.futureResult.whenComplete { _ in
                    let (handler, context) = loopBound.value
                    handler.closeSocket(context: context)
                }
            case .incomplete, .failed:
                sendCiphertext(context: context, promise: nil)
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                shutdownTimer = context.eventLoop.scheduleTask(in: configuration.shutdownTimeout) {
                    let (handler, context) = loopBound.value
                    handler.closeSocket(context: context)
                }
            }
        case .closing:
            if let promise {
                if let closePromise { closePromise.futureResult.cascade(to: promise) } else { closePromise = promise }
            }
        case .closed:
            context.close(mode: mode, promise: promise)
        }
    }

    /// Encrypts every flushed plaintext write into as few records as possible and sends the
    /// ciphertext as one socket write; the writes' promises complete with that socket write.
    private func encryptFlushedWrites(context: ChannelHandlerContext) {
        guard flushedWriteCount > 0 else { return }
        let batch = pendingWrites.prefix(flushedWriteCount)
        pendingWrites.removeFirst(flushedWriteCount)
        flushedWriteCount = 0
        var error: TLSError?
        if batch.count == 1 {
            error = connection.writePlaintext(batch.first!.data)
        } else {
            var plaintext = coalescingBuffer ?? context.channel.allocator.buffer(capacity: 0)
            coalescingBuffer = nil
            plaintext.clear()
            for write in batch {
                var data = write.data
                plaintext.writeBuffer(&data)
            }
            error = connection.writePlaintext(plaintext)
            // Keep a small scratch buffer for the next flush (room events are small); drop bigger
            // ones, so that an idle connection does not hold its largest reply.
            if plaintext.capacity <= Self.retainedScratchCapacity { coalescingBuffer = plaintext }
        }
        var combined: EventLoopPromise<Void>?
        let promises = batch.compactMap(\.promise)
        if !promises.isEmpty {
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { result in
                for each in promises { each.completeWith(result) }
            }
            combined = promise
        }
        if let error {
            combined?.fail(error)
            failConnection(context: context, error: error)
            return
        }
        sendCiphertext(context: context, promise: combined)
    }

    /// Treats every buffered write as flushed and sends it (used before close_notify).
    private func flushAllPendingWrites(context: ChannelHandlerContext) {
        flushedWriteCount = pendingWrites.count
        encryptFlushedWrites(context: context)
    }

    /// Writes and flushes whatever ciphertext OpenSSL produced, as a single socket write.
    private func sendCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard let ciphertext = connection.takeCiphertext(allocator: context.channel.allocator) else {
            promise?.succeed(())
            return
        }
        context.writeAndFlush(wrapOutboundOut(ciphertext), promise: promise)
    }

    // MARK: Failure and close

    /// Reports `error`, sends any alert OpenSSL produced, and closes the socket.
    private func failConnection(context: ChannelHandlerContext, error: TLSError) {
        if case .closed = state { return }
        cancelTimers()
        let alert = connection.takeCiphertext(allocator: context.channel.allocator)
        state = .closed
        failPendingWrites(error)
        context.fireErrorCaught(error)
        if let alert { context.writeAndFlush(wrapOutboundOut(alert), promise: nil) }
        let promise = closePromise
        closePromise = nil
        context.close(promise: promise)
    }

    private func closeSocket(context: ChannelHandlerContext) {
        if case .closed = state { return }
        state = .closed
        cancelTimers()
        failPendingWrites(TLSError(.closed))
        let promise = closePromise
        closePromise = nil
        context.close(promise: promise)
    }

    private func cancelTimers() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        shutdownTimer?.cancel()
        shutdownTimer = nil
    }

    private func failPendingWrites(_ error: TLSError) {
        let writes = pendingWrites
        pendingWrites.removeAll()
        flushedWriteCount = 0
        for write in writes { write.promise?.fail(error) }
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}
