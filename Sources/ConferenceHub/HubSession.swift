// HubSession: the conference protocol on one WebSocket connection — the connection alone. It
// authenticates the connection (a client certificate before any request, or a token through
// `auth`), keeps the request queue and the rate limit, serves requests one at a time in order
// through the command table (every request gets exactly one reply), sends and flushes, and turns
// what a command throws into an error reply. What each command does is in `Commands/`.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore
import NIOWebSocket

/// Serves one connection's requests.
final class HubSession: ChannelDuplexHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketMessage

    /// After this many refused tokens the connection is closed.
    static let maxFailedAuthentications = 5

    private let hub: Hub
    private let connection: ConnectionContext
    private var identity: Identity?
    /// What waits while a request is served (or while the certificate is looked up): requests,
    /// and refusals of requests over the rate limit, answered in their turn so that replies keep
    /// the order of the requests.
    private var queue: [Queued] = []

    private enum Queued {
        case request(WebSocketMessage)
        case refusal(ByteBuffer)
    }

    private var busy = false
    private var joined: Set<String> = []
    /// Set once the connection is inactive (its rooms left); a join finishing after it leaves too.
    private var closed = false
    /// A flush of written replies is queued on the event loop.
    private var flushScheduled = false
    private var bucket: TokenBucket
    private var authTimer: Scheduled<Void>?
    private var failedAuthentications = 0
    /// Close the connection once the reply being served is out (too many refused tokens).
    private var closeAfterReply = false
    /// The server is going away (1001) while requests wait: the close waits until each request
    /// read so far is answered, so that nothing stored goes unacknowledged.
    private var pendingClose: (request: WebSocketCloseRequest, promise: EventLoopPromise<Void>?)?

    init(hub: Hub, connection: ConnectionContext) {
        self.hub = hub
        self.connection = connection
        bucket = TokenBucket(rate: hub.configuration.requestsPerSecond, burst: hub.configuration.requestBurst, now: NIODeadline.now().uptimeNanoseconds)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        authTimer = context.eventLoop.scheduleTask(in: hub.configuration.authenticationTimeout) {
            let (session, context) = loopBound.value
            guard session.identity == nil else { return }
            session.connection.recordClose("not authenticated within \(session.hub.configuration.authenticationTimeout)")
            context.triggerUserOutboundEvent(WebSocketCloseRequest(code: .policyViolation, reason: "authentication required"), promise: nil)
        }
        // A verified client certificate identifies the person; look it up before serving anything.
        if let fingerprint = connection.tls?.peerCertificate?.fingerprintSHA256,
           let digest = CaseStore.certificateDigest(fingerprintHex: fingerprint) {
            busy = true
            let store = hub.store
            let promise = context.eventLoop.makePromise(of: Identity?.self)
            promise.completeWithTask { try await store.identity(forDigest: digest, kind: .certificate) }
            promise.futureResult.whenComplete { result in
                let (session, context) = loopBound.value
                if case .success(let found?) = result {
                    session.hub.metrics.authenticated(by: .certificate, success: true)
                    _ = session.authenticated(found, context: context)
                } else {
                    session.hub.metrics.authenticated(by: .certificate, success: false)
                }
                session.finished(context: context)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        authTimer?.cancel()
        if !queue.isEmpty { hub.metrics.queuedRequests.decrement(by: Double(queue.count)) }
        queue.removeAll()
        applyClosure = nil  // it holds this session: let both go
        pendingClose?.promise?.fail(ChannelError.ioOnClosedChannel)
        pendingClose = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        authTimer?.cancel()
        closed = true
        hub.unregister(context.channel)
        for room in joined { hub.leave(room, channel: context.channel, logger: connection.logger) }
        joined.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard queue.count < hub.configuration.maxQueuedRequests else {
            // Nothing more is queued: answered at once.
            let id = (try? Request.decode(message.data))?.id
            return send(context: context, refusal(id: id, .rateLimited, "too many requests waiting", retryAfterMs: 100))
        }
        if let retry = bucket.take(now: NIODeadline.now().uptimeNanoseconds) {
            let id = (try? Request.decode(message.data))?.id
            queue.append(.refusal(refusal(id: id, .rateLimited, "too many requests", retryAfterMs: retry)))
        } else {
            queue.append(.request(message))
        }
        hub.metrics.queuedRequests.increment()
        serveNext(context: context)
    }

    // MARK: Serving

    private func serveNext(context: ChannelHandlerContext) {
        while !busy, !queue.isEmpty {
            hub.metrics.queuedRequests.decrement()
            switch queue.removeFirst() {
            case .request(let message): serve(message, context: context)
            case .refusal(let reply): send(context: context, reply)
            }
        }
    }

    /// The request being served is answered: close if asked to, then serve the next.
    private func finished(context: ChannelHandlerContext) {
        busy = false
        if closeAfterReply {
            closeAfterReply = false
            context.triggerUserOutboundEvent(WebSocketCloseRequest(code: .policyViolation, reason: "too many failed authentications"), promise: nil)
        }
        serveNext(context: context)
        if !busy, queue.isEmpty, let close = pendingClose {
            // Everything read is answered: the server's close goes out after the replies.
            pendingClose = nil
            context.triggerUserOutboundEvent(close.request, promise: close.promise)
        }
    }

    /// The server going away (1001) waits for the requests already read to be answered (within
    /// the server's shutdown grace period, after which it closes the connection anyway).
    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let close = event as? WebSocketCloseRequest, close.code == .goingAway, busy || !queue.isEmpty {
            pendingClose = (close, promise)
            return
        }
        context.triggerUserOutboundEvent(event, promise: promise)
    }

    private func serve(_ message: WebSocketMessage, context: ChannelHandlerContext) {
        guard message.kind == .text else {
            return send(context: context, refusal(id: nil, .badRequest, "binary messages are not part of the protocol; send JSON text"))
        }
        let maxTextLength = hub.configuration.maxTextLength
        // The hot path: a post that is a flat object of strings is read without the general decoder.
        let flat = FlatJSON.stringFields(message.data)
        if let fields = flat, fields["type"] == Post.name, let id = fields["id"], !id.isEmpty, id.utf8.count <= Request.maxIDLength {
            do {
                if let parameters = try Post.parameters(flat: fields, maxTextLength: maxTextLength) {
                    return start(PreparedCommand(Post.self, id: id, parameters: parameters), id: id, context: context)
                }
            } catch {
                return send(context: context, refusal(id: id, error.code, error.message))
            }
        }
        let request: Request
        do {
            request = try Request.decode(message.data, stringFields: flat)
        } catch {
            return send(context: context, refusal(id: error.id, .badRequest, error.message))
        }
        do {
            start(try CommandTable.prepare(request, maxTextLength: maxTextLength), id: request.id, context: context)
        } catch {
            send(context: context, refusal(id: request.id, error.code, error.message))
        }
    }

    /// Checks who may send the command, runs its handler, and replies with its result or error.
    private func start(_ command: PreparedCommand, id: String, context: ChannelHandlerContext) {
        if let refusal = command.access.refusal(for: identity?.actor) {
            if refusal.code == .forbidden, let identity {
                logRefusal(command: command.name, reason: "roles \(identity.actor.roles.map(\.rawValue).sorted()) may not")
            }
            return send(context: context, self.refusal(id: id, refusal.code, refusal.message))
        }
        // The message took one request of the rate limit when it was read; a costlier command
        // takes the rest now, in its turn.
        if command.cost > 1, let retry = bucket.take(Double(command.cost - 1), now: NIODeadline.now().uptimeNanoseconds) {
            return send(context: context, refusal(id: id, .rateLimited, "too many requests (`\(command.name)` counts as \(command.cost))",
                                                  retryAfterMs: retry))
        }
        busy = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop, name = command.name, began = NIODeadline.now()
        // The handler may complete on any thread; the reply is written on this connection's loop.
        command.start(CommandContext(hub: hub, requestID: id, identity: identity, connection: link(context: context))) { result in
            loop.execute {
                let (session, context) = loopBound.value
                session.hub.metrics.commandFinished(name, nanoseconds: (NIODeadline.now() - began).nanoseconds)
                switch result {
                case .success(let reply?):
                    session.send(context: context, reply)
                case .success(nil):
                    break  // written by the command, in order with its room's events
                case .failure(let error):
                    session.send(context: context, session.errorReply(id: id, command: name, error: error))
                }
                session.finished(context: context)
            }
        }
    }

    /// The connection as the command being started sees it.
    private func link(context: ChannelHandlerContext) -> SessionLink {
        SessionLink(channel: context.channel, joined: joined, tls: connection.tls, logger: connection.logger, apply: applyChange(context: context))
    }

    /// How commands change this connection's state: made once per connection (a request on the
    /// hot path should not pay for it).
    private var applyClosure: (@Sendable (SessionChange) async -> Bool)?

    private func applyChange(context: ChannelHandlerContext) -> @Sendable (SessionChange) async -> Bool {
        if let applyClosure { return applyClosure }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let made: @Sendable (SessionChange) async -> Bool = { change in
            (try? await loop.submit {
                let (session, context) = loopBound.value
                return session.apply(change, context: context)
            }.get()) ?? false
        }
        applyClosure = made
        return made
    }

    private func apply(_ change: SessionChange, context: ChannelHandlerContext) -> Bool {
        switch change {
        case .authenticated(let found):
            hub.metrics.authenticated(by: found.kind == .session ? .session : .token, success: true)
            return authenticated(found, context: context)
        case .authenticationFailed:
            hub.metrics.authenticated(by: .token, success: false)
            failedAuthentications += 1
            if failedAuthentications >= Self.maxFailedAuthentications { closeAfterReply = true }
            return true
        case .joined(let room):
            guard !closed else { return false }
            joined.insert(room)
            return true
        case .left(let room):
            return joined.remove(room) != nil
        }
    }

    /// An error reply, counted by its code.
    private func refusal(id: String?, _ code: ErrorCode, _ message: String, retryAfterMs: Int? = nil) -> ByteBuffer {
        hub.metrics.errorReplied(code)
        return Reply.error(id: id, code: code, message: message, retryAfterMs: retryAfterMs)
    }

    /// How long a client should wait before retrying a write the store could not take.
    static let storageRetryAfterMs = 5_000

    private func errorReply(id: String, command: String, error: Error) -> ByteBuffer {
        if let refusal = error as? CaseRefusal {
            let code: ErrorCode
            switch refusal.code {
            case .forbidden: code = .forbidden
            case .invalidState: code = .invalidState
            case .invalidArgument: code = .invalidArgument
            case .windowClosed: code = .windowClosed
            case .notFound: code = .notFound
            }
            if code == .forbidden { logRefusal(command: command, reason: refusal.reason) }
            return self.refusal(id: id, code, refusal.reason)
        }
        if let failure = error as? HubFailure {
            if failure.code == .forbidden { logRefusal(command: command, reason: failure.message) }
            return self.refusal(id: id, failure.code, failure.message)
        }
        if let error = error as? SQLiteError, error.isStorageUnavailable {
            // The storage monitor logs the condition once; a line per refused request would flood.
            connection.logger.debug("write refused: the store cannot write", metadata: ["command": "\(command)"])
            return self.refusal(id: id, .storageUnavailable, "the hub cannot store changes now (its storage is full or failing); nothing was changed; try again later",
                                retryAfterMs: Self.storageRetryAfterMs)
        }
        connection.logger.error("request failed", metadata: ["command": "\(command)", "error": "\(error)"])
        return self.refusal(id: id, .internal, "the server could not complete the request; try again")
    }

    private func logRefusal(command: String, reason: String) {
        // A refusal can quote the request (a unit or room it names).
        var metadata: Logger.Metadata = ["command": "\(command)", "reason": "\(LogText.escaped(reason))"]
        if let identity {
            metadata["person"] = "\(identity.person.id)"
            metadata["unit"] = "\(identity.person.unit)"
        }
        connection.logger.notice("refused", metadata: metadata)
    }

    /// Writes a reply; the flush follows the tasks already waiting on the event loop, so that a
    /// reply and what they write to this connection (the room event of a `post`, typically)
    /// leave in one TLS record and one socket write.
    private func send(context: ChannelHandlerContext, _ bytes: ByteBuffer) {
        hub.metrics.sentBytes.increment(by: bytes.readableBytes)
        context.write(wrapOutboundOut(WebSocketMessage(kind: .text, data: bytes)), promise: nil)
        guard !flushScheduled else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (session, context) = loopBound.value
            session.flushScheduled = false
            context.flush()
        }
    }

    // MARK: Authentication

    /// Records who the connection is; false when the person already has as many connections as
    /// they may (the connection stays unauthenticated).
    private func authenticated(_ found: Identity, context: ChannelHandlerContext) -> Bool {
        // A session or token sent on a connection its client certificate authenticated replaces
        // that identity (Auth decides when it may): one identity per connection.
        let previous = identity
        if previous != nil { hub.unregister(context.channel) }
        guard hub.register(SessionEntry(channel: context.channel, person: found.person.id, credentialID: found.credentialID)) else {
            connection.logger.notice("connection limit reached", metadata: ["person": "\(found.person.id)"])
            if let previous {
                _ = hub.register(SessionEntry(channel: context.channel, person: previous.person.id, credentialID: previous.credentialID))
            }
            return false
        }
        if let previous, previous.person.id != found.person.id {
            connection.logger.notice("the connection's client certificate is set aside for the person who signed in", metadata: [
                "certificate_person": "\(previous.person.id)", "signed_in_person": "\(found.person.id)",
            ])
        }
        identity = found
        authTimer?.cancel()
        connection.markEstablished()
        connection.logger[metadataKey: "person"] = "\(found.person.id)"
        connection.logger[metadataKey: "unit"] = "\(found.person.unit)"
        var metadata: Logger.Metadata = ["credential": "\(found.credentialID)"]
        if let notAfter = connection.tls?.peerCertificate?.notAfter,
           CertificateDetails.daysLeft(until: notAfter) < CertificateExpiry.warningDays {
            // The person's certificate runs out soon: an administrator should issue a new one.
            metadata["certificate_expires"] = "\(CertificateDetails.day(notAfter))"
        }
        connection.logger.info("authenticated", metadata: metadata)
        return true
    }
}

/// Echoes every message back unchanged: the conformance-test mode (`serve --echo`).
final class EchoSession: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketMessage

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
