// HubSession: the conference protocol on one WebSocket connection. It authenticates the connection
// (client certificate or bearer token), then serves requests one at a time, in order: every request
// gets exactly one reply, and a join's reply, replay and live events arrive in that order.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore
import NIOWebSocket

/// Protocol identifiers.
enum HubProtocol {
    /// The WebSocket subprotocol.
    static let subprotocol = "conferencehub.v1"
    /// The server's version string.
    static let serverVersion = "0.2.0"
}

/// Serves one connection's requests.
final class HubSession: ChannelInboundHandler {
    typealias InboundIn = WebSocketMessage
    typealias OutboundOut = WebSocketMessage

    private let hub: Hub
    private let connection: ConnectionContext
    private var channel: Channel?
    private var identity: Identity?
    /// Requests waiting while one is served (or while the certificate is looked up).
    private var queue: [WebSocketMessage] = []
    private var busy = false
    private var joined: Set<String> = []
    /// Set once the connection is inactive (its rooms left); a join finishing after it leaves too.
    private var closed = false
    /// A flush of written replies is queued on the event loop.
    private var flushScheduled = false
    private var bucket: TokenBucket
    private var authTimer: Scheduled<Void>?
    private var failedAuthentications = 0

    init(hub: Hub, connection: ConnectionContext) {
        self.hub = hub
        self.connection = connection
        bucket = TokenBucket(rate: hub.configuration.requestsPerSecond, burst: hub.configuration.requestBurst, now: NIODeadline.now().uptimeNanoseconds)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
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
            run(context: context) {
                try await store.identity(forDigest: digest, kind: .certificate)
            } then: { session, context, result in
                if case .success(let found?) = result { session.authenticated(found, context: context) }
                session.busy = false
                session.serveNext(context: context)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        authTimer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        authTimer?.cancel()
        closed = true
        hub.unregister(context.channel)
        for room in joined { leaveRoom(room, channel: context.channel) }
        joined.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        if let retry = bucket.take(now: NIODeadline.now().uptimeNanoseconds) {
            let id = (try? Request.decode(message.data))?.id
            return send(context: context, Reply.error(id: id, code: .rateLimited, message: "too many requests",
                                                      extra: ["retry_after_ms": retry]))
        }
        guard queue.count < hub.configuration.maxQueuedRequests else {
            let id = (try? Request.decode(message.data))?.id
            return send(context: context, Reply.error(id: id, code: .rateLimited, message: "too many requests waiting",
                                                      extra: ["retry_after_ms": 100]))
        }
        queue.append(message)
        serveNext(context: context)
    }

    // MARK: Serving

    private func serveNext(context: ChannelHandlerContext) {
        while !busy, !queue.isEmpty {
            let message = queue.removeFirst()
            serve(message, context: context)
        }
    }

    private func serve(_ message: WebSocketMessage, context: ChannelHandlerContext) {
        guard message.kind == .text else {
            return send(context: context, Reply.error(id: nil, code: .badRequest, message: "binary messages are not part of the protocol; send JSON text"))
        }
        let id: String
        let command: HubCommand
        do {
            (id, command) = try parse(message.data)
        } catch {
            return send(context: context, Reply.error(id: error.id, code: error.code, message: error.message))
        }
        guard identity != nil || command.allowedUnauthenticated else {
            return send(context: context, Reply.error(id: id, code: .unauthenticated, message: "authenticate first: present a client certificate or send `auth` with a token"))
        }
        execute(command, id: id, context: context)
    }

    /// Why a message is not a command, with the request id when it was readable.
    private struct Unreadable: Error {
        let id: String?
        let code: ErrorCode
        let message: String
    }

    /// The request id and command of a text message. A post (a flat object of strings, the hot
    /// path) is read without the general decoder; everything else, and any post the flat reader
    /// gives up on, is decoded the general way.
    private func parse(_ data: ByteBuffer) throws(Unreadable) -> (String, HubCommand) {
        let maxTextLength = hub.configuration.maxTextLength
        let flat = FlatJSON.stringFields(data)
        if let fields = flat, fields["type"] == "post",
           let id = fields["id"], !id.isEmpty, id.utf8.count <= Request.maxIDLength {
            do {
                if let command = try HubCommand.post(fields, maxTextLength: maxTextLength) { return (id, command) }
            } catch {
                throw Unreadable(id: id, code: error.code, message: error.message)
            }
        }
        let request: Request
        do {
            request = try Request.decode(data, stringFields: flat)
        } catch {
            throw Unreadable(id: error.id, code: .badRequest, message: error.message)
        }
        do {
            return (request.id, try HubCommand.parse(request, maxTextLength: maxTextLength))
        } catch {
            throw Unreadable(id: request.id, code: error.code, message: error.message)
        }
    }

    /// Runs async work off the event loop and continues on it, keeping the queue ordered.
    private func run<T: Sendable>(
        context: ChannelHandlerContext, _ work: @escaping @Sendable () async throws -> T,
        then: @escaping (HubSession, ChannelHandlerContext, Result<T, Error>) -> Void
    ) {
        busy = true
        let loopBound = NIOLoopBound((self, context, then), eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: T.self)
        promise.completeWithTask(work)
        promise.futureResult.whenComplete { result in
            let (session, context, then) = loopBound.value
            then(session, context, result)
        }
    }

    /// Runs `work` and replies with its result (or its error), then serves the next request.
    private func reply(
        _ id: String, context: ChannelHandlerContext, command: String,
        _ work: @escaping @Sendable () async throws -> ByteBuffer
    ) {
        run(context: context, work) { session, context, result in
            switch result {
            case .success(let bytes):
                session.send(context: context, bytes)
            case .failure(let error):
                session.send(context: context, session.errorReply(id: id, command: command, error: error))
            }
            session.busy = false
            session.serveNext(context: context)
        }
    }

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
            return Reply.error(id: id, code: code, message: refusal.reason)
        }
        if let failure = error as? HubFailure {
            if failure.code == .forbidden { logRefusal(command: command, reason: failure.message) }
            return Reply.error(id: id, code: failure.code, message: failure.message)
        }
        connection.logger.error("request failed", metadata: ["command": "\(command)", "error": "\(error)"])
        return Reply.error(id: id, code: .internal, message: "the server could not complete the request; try again")
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

    private func authenticated(_ found: Identity, context: ChannelHandlerContext) {
        guard hub.register(SessionEntry(channel: context.channel, person: found.person.id, credentialID: found.credentialID)) else {
            connection.logger.notice("connection limit reached", metadata: ["person": "\(found.person.id)"])
            return
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
    }

    private func identityObject() -> [String: Any]? {
        guard let person = identity?.person else { return nil }
        return ["person": person.id.rawValue, "name": person.name, "unit": person.unit.rawValue, "roles": person.roles.map(\.rawValue).sorted()]
    }

    // MARK: Commands

    private func execute(_ command: HubCommand, id: String, context: ChannelHandlerContext) {
        let hub = self.hub
        let store = hub.store
        let actor = identity?.actor
        switch command {
        case .hello:
            send(context: context, Reply.ok(id: id, result: hello()))

        case .auth(let token):
            guard identity == nil else {
                return send(context: context, Reply.error(id: id, code: .invalidState, message: "already authenticated as \(identity!.person.id)"))
            }
            run(context: context) {
                try await store.identity(forDigest: CaseStore.tokenDigest(token), kind: .token)
            } then: { session, context, result in
                switch result {
                case .success(let found?):
                    session.authenticated(found, context: context)
                    if let object = session.identityObject() {
                        session.send(context: context, Reply.ok(id: id, result: object))
                    } else {
                        session.send(context: context, Reply.error(id: id, code: .limitExceeded,
                            message: "\(found.person.id) already has \(hub.configuration.maxConnectionsPerPerson) connections"))
                    }
                case .success(nil):
                    session.failedAuthentications += 1
                    session.connection.logger.notice("authentication failed")
                    session.send(context: context, Reply.error(id: id, code: .unauthorized, message: "unknown or revoked token"))
                    if session.failedAuthentications >= 5 {
                        context.triggerUserOutboundEvent(WebSocketCloseRequest(code: .policyViolation, reason: "too many failed authentications"), promise: nil)
                    }
                case .failure(let error):
                    session.send(context: context, session.errorReply(id: id, command: "auth", error: error))
                }
                session.busy = false
                session.serveNext(context: context)
            }

        case .rooms(let after, let limit):
            let actor = actor!
            reply(id, context: context, command: "rooms") {
                var rooms: [[String: Any]] = []
                if after == nil { rooms.append(["room": RoomID.lobby, "title": "Conference lobby"]) }
                let afterCase = after.flatMap { CaseID($0) }
                let cases: [PetitionCase]
                if actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor) {
                    cases = try await store.allCases(after: afterCase, limit: limit)
                } else {
                    cases = try await store.cases(for: actor.unit, relation: .involved, after: afterCase, limit: limit)
                }
                rooms += cases.map { ["room": RoomID.case($0.id), "title": $0.title, "status": $0.status.rawValue] }
                var result: [String: Any] = ["rooms": rooms]
                if cases.count == limit, let last = cases.last { result["next"] = RoomID.case(last.id) }
                return Reply.ok(id: id, result: result)
            }

        case .join(let room, let lastSequence, let epoch):
            join(room: room, lastSequence: lastSequence, epoch: epoch, id: id, context: context)

        case .leave(let room):
            guard joined.remove(room) != nil else {
                return send(context: context, Reply.error(id: id, code: .notJoined, message: "not in \(room)"))
            }
            // The reply comes once the member is out: no event of the room follows it.
            busy = true
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            leaveRoom(room, channel: context.channel).hop(to: context.eventLoop).whenComplete { _ in
                let (session, context) = loopBound.value
                session.send(context: context, Reply.ok(id: id, result: ["room": room]))
                session.busy = false
                session.serveNext(context: context)
            }

        case .post(let room, let text, let key):
            let actor = actor!
            guard actor.has(.officer) || actor.has(.leader) || actor.has(.coordinator) else {
                logRefusal(command: "post", reason: "roles \(actor.roles.map(\.rawValue).sorted()) may not post")
                return send(context: context, Reply.error(id: id, code: .forbidden, message: "auditors and administrators read rooms; they do not post"))
            }
            guard joined.contains(room) else {
                return send(context: context, Reply.error(id: id, code: .notJoined, message: "join \(room) before posting to it"))
            }
            let now = hub.clock.now()
            // No task: the store calls back on its writer thread, and the reply is written on
            // this connection's event loop.
            busy = true
            let loop = context.eventLoop
            let loopBound = NIOLoopBound((self, context), eventLoop: loop)
            store.post(room: room, idempotencyKey: key, by: actor.person, at: now, encode: { position in
                try WireEvents.message(position, person: actor.person, unit: actor.unit, text: text)
            }, completion: { result in
                loop.execute {
                    let (session, context) = loopBound.value
                    switch result {
                    case .success(let posted):
                        session.send(context: context, Reply.posted(id: id, room: posted.position.room, sequence: posted.position.sequence,
                                                                    duplicate: posted.duplicate))
                    case .failure(let error):
                        session.send(context: context, session.errorReply(id: id, command: "post", error: error))
                    }
                    session.busy = false
                    session.serveNext(context: context)
                }
            })

        case .history(let room, let before, let after, let limit):
            let actor = actor!
            reply(id, context: context, command: "history") {
                try await Self.authorize(room: room, actor: actor, store: store)
                let events: [RoomEventRecord]
                if let after {
                    events = try await store.roomEvents(room, after: after, limit: limit + 1)
                } else {
                    events = Array(try await store.roomEvents(room, before: before ?? .max, limit: limit + 1).reversed())
                }
                let more = events.count > limit
                let page = after != nil ? Array(events.prefix(limit)) : Array(events.suffix(limit))
                let epoch = try await store.roomState(room)?.epoch ?? ""
                return Self.historyReply(id: id, room: room, epoch: epoch, events: page, more: more)
            }

        case .who(let room):
            guard joined.contains(room) else {
                return send(context: context, Reply.error(id: id, code: .notJoined, message: "join \(room) to see who is there"))
            }
            // A joined room has live state (this connection is in it).
            guard let live = hub.rooms.existingRoom(room) else {
                return send(context: context, Reply.ok(id: id, result: ["room": room, "members": [Any]()]))
            }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            busy = true
            live.loop.submit { live.present().map { ["person": $0.person.rawValue, "unit": $0.unit.rawValue] } }
                .hop(to: context.eventLoop)
                .whenComplete { result in
                    let (session, context) = loopBound.value
                    let members = (try? result.get()) ?? []
                    session.send(context: context, Reply.ok(id: id, result: ["room": room, "members": members]))
                    session.busy = false
                    session.serveNext(context: context)
                }

        case .caseRegister(let registration):
            let actor = actor!
            reply(id, context: context, command: "case.register") {
                let event = try await store.register(registration, by: actor, open: true)
                let status = try await store.caseState(event.caseID)?.status.rawValue ?? ""
                return Reply.ok(id: id, result: ["case": RoomID.case(event.caseID), "seq": event.sequence, "status": status])
            }

        case .caseChange(let caseID, let change):
            let actor = actor!
            reply(id, context: context, command: "case.change") {
                let event = try await store.perform(change, on: caseID, by: actor)
                let status = try await store.caseState(caseID)?.status.rawValue ?? ""
                return Reply.ok(id: id, result: ["case": RoomID.case(caseID), "seq": event.sequence, "status": status])
            }

        case .caseGet(let caseID):
            let actor = actor!
            reply(id, context: context, command: "case.get") {
                let state = try await store.caseState(caseID, for: actor)
                return Reply.ok(id: id, result: ["case": WireCoding.object(state)])
            }

        case .caseHistory(let caseID, let after, let limit):
            let actor = actor!
            reply(id, context: context, command: "case.history") {
                let events = try await store.history(of: caseID, for: actor, after: after, limit: limit)
                return Reply.ok(id: id, result: ["case": RoomID.case(caseID), "events": events.map { WireCoding.object($0) }])
            }

        case .casePetitioner(let caseID):
            let actor = actor!
            reply(id, context: context, command: "case.petitioner") {
                guard let petitioner = try await store.petitioner(of: caseID, for: actor) else {
                    throw HubFailure(.notFound, "no petitioner recorded for \(caseID)")
                }
                return Reply.ok(id: id, result: ["case": RoomID.case(caseID), "petitioner": WireCoding.object(petitioner)])
            }

        case .negotiationAnswer, .negotiationGet, .negotiationFigures, .supervision, .caseOverview:
            serveNegotiation(command, id: id, context: context)

        case .meetingConvene, .meetingChange, .meetingGet, .meetings, .meetingMinutes, .decisionsCheckpoint, .decisionsEntries,
            .decisionsInclusion, .decisionsConsistency:
            serveMeeting(command, id: id, context: context)

        case .cases(let unit, let relation, let status, let after, let limit):
            let actor = actor!
            reply(id, context: context, command: "cases") {
                let seesAll = actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor)
                let cases: [PetitionCase]
                if let unit {
                    guard seesAll || unit == actor.unit else { throw HubFailure(.forbidden, "you may list only your own unit's cases") }
                    cases = try await store.cases(for: unit, relation: relation, status: status, after: after, limit: limit)
                } else if seesAll, let status {
                    cases = try await store.cases(status: status, after: after, limit: limit)
                } else if seesAll {
                    cases = try await store.allCases(after: after, limit: limit)
                } else {
                    cases = try await store.cases(for: actor.unit, relation: relation, status: status, after: after, limit: limit)
                }
                var result: [String: Any] = ["cases": cases.map { WireCoding.object($0) }]
                if cases.count == limit, let last = cases.last { result["next"] = RoomID.case(last.id) }
                return Reply.ok(id: id, result: result)
            }
        }
    }

    private func serveNegotiation(_ command: HubCommand, id: String, context: ChannelHandlerContext) {
        guard let actor = identity?.actor else { return }
        let store = hub.store, clock = hub.clock
        let seesAll = actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor)
        switch command {
        case .negotiationAnswer(let caseID, let unit, let answer):
            reply(id, context: context, command: "negotiation.answer") {
                let events = try await store.performReturningFollowUps(
                    .negotiationAnswered(unit: unit ?? actor.unit, answer: answer), on: caseID, by: actor)
                let state = try await store.caseState(caseID)
                var result: [String: Any] = [
                    "case": RoomID.case(caseID), "seq": events[0].sequence, "status": state?.status.rawValue ?? "",
                ]
                if let outcome = events.dropFirst().last { result["outcome"] = outcome.change.type }
                return Reply.ok(id: id, result: result)
            }
        case .negotiationGet(let caseID):
            reply(id, context: context, command: "negotiation.get") {
                let view = try await store.negotiation(of: caseID, for: actor, at: clock.now())
                return Reply.ok(id: id, result: Self.negotiationObject(view))
            }
        case .negotiationFigures(let unit, let from, let to):
            reply(id, context: context, command: "negotiation.figures") {
                guard seesAll || unit == nil || unit == actor.unit else {
                    throw HubFailure(.forbidden, "officers see their own unit's figures; leaders, coordinators and auditors see every unit's")
                }
                let zone = store.policy.timeZone
                let figures = try await store.negotiationFigures(
                    unit: seesAll ? unit : actor.unit, from: from.map { Timestamp(zone.endOfDay($0.adding(days: -1))) },
                    to: to.map { Timestamp(zone.endOfDay($0)) })
                return Reply.ok(id: id, result: ["figures": figures.map(Self.figuresObject)])
            }
        case .supervision:
            reply(id, context: context, command: "supervision") {
                guard seesAll else { throw HubFailure(.forbidden, "the supervision list is for coordinators, leaders and auditors") }
                let now = clock.now()
                let list = try await store.supervisionList(at: now)
                let figures = try await store.negotiationFigures()
                return Reply.ok(id: id, result: [
                    "overdue_deadlines": list.overdueDeadlines.map { Self.entryObject($0, now: now) },
                    "overdue_tasks": list.overdueTasks.map { Self.entryObject($0, now: now) },
                    "supervision_items": list.openSupervisionItems.map { Self.entryObject($0, now: now) },
                    "negotiations": list.negotiations.map(Self.supervisionObject),
                    "listed": list.listed.map { ["case": RoomID.case($0.caseID), "title": $0.title, "reason": $0.reason] },
                    "unit_figures": figures.map(Self.figuresObject),
                ])
            }
        case .caseOverview(let caseID):
            reply(id, context: context, command: "case.overview") {
                let state = try await store.caseState(caseID, for: actor)
                return Reply.ok(id: id, result: Self.overviewObject(state, now: clock.now()))
            }
        default:
            break
        }
    }

    private func serveMeeting(_ command: HubCommand, id: String, context: ChannelHandlerContext) {
        guard let actor = identity?.actor else { return }
        let store = hub.store
        @Sendable func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        switch command {
        case .meetingConvene(let convening):
            reply(id, context: context, command: "meeting.convene") {
                let event = try await store.convene(convening, by: actor)
                return Reply.ok(id: id, result: ["meeting": RoomID.meeting(event.meetingID), "seq": event.sequence])
            }
        case .meetingChange(let meetingID, let change):
            reply(id, context: context, command: "meeting.change") {
                _ = try await Self.meeting(meetingID, for: actor, store: store)
                let events = try await store.performMeeting(change, on: meetingID, by: actor)
                let meeting = try await store.meeting(meetingID)
                var result: [String: Any] = [
                    "meeting": RoomID.meeting(meetingID), "seq": events[0].sequence, "status": meeting?.status.rawValue ?? "",
                    "events": events.map(\.change.type),
                ]
                if case .proposalClosed(let number, _, _) = events[0].change, let outcome = meeting?.agenda.first(where: { $0.number == number })?.outcomes.last {
                    result["outcome"] = WireCoding.object(outcome)
                }
                return Reply.ok(id: id, result: result)
            }
        case .meetingGet(let meetingID):
            reply(id, context: context, command: "meeting.get") {
                let meeting = try await Self.meeting(meetingID, for: actor, store: store)
                var object = WireCoding.object(meeting) as? [String: Any] ?? [:]
                object["present_units"] = meeting.presentUnits.map(\.rawValue)
                object["quorum"] = meeting.hasQuorum
                return Reply.ok(id: id, result: ["meeting": object])
            }
        case .meetings(let after, let limit):
            reply(id, context: context, command: "meetings") {
                let seesAll = actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor)
                let all = try await store.meetings(after: after, limit: limit)
                let visible = all.filter { seesAll || $0.invitation(actor.unit) != nil || $0.chair == actor.person || $0.convener == actor.person }
                var result: [String: Any] = ["meetings": visible.map { [
                    "meeting": RoomID.meeting($0.id), "title": $0.title, "status": $0.status.rawValue, "scheduled_at": $0.scheduledAt.milliseconds,
                ] as [String: Any] }]
                if all.count == limit, let last = all.last { result["next"] = RoomID.meeting(last.id) }
                return Reply.ok(id: id, result: result)
            }
        case .meetingMinutes(let meetingID, let markdown):
            reply(id, context: context, command: "meeting.minutes") {
                let meeting = try await Self.meeting(meetingID, for: actor, store: store)
                guard meeting.minutes != nil else { throw HubFailure(.invalidState, "\(meetingID) has no minutes yet (they are drafted on adjournment)") }
                let result: [String: Any] = markdown
                    ? ["meeting": RoomID.meeting(meetingID), "format": "markdown", "markdown": MinutesDocument.markdown(meeting)]
                    : ["meeting": RoomID.meeting(meetingID), "format": "json", "minutes": MinutesDocument.json(meeting)]
                return Reply.ok(id: id, result: result)
            }
        case .decisionsCheckpoint:
            reply(id, context: context, command: "decisions.checkpoint") {
                guard let checkpoint = try await store.checkpoint() else { throw HubFailure(.notFound, "the decision log is empty") }
                var result: [String: Any] = [
                    "origin": checkpoint.origin, "size": checkpoint.size, "root": base64(checkpoint.root), "signature": base64(checkpoint.signature),
                    "note": checkpoint.note, "at": checkpoint.at.milliseconds,
                ]
                if let key = store.rooming.decisionPublicKey { result["public_key"] = base64(key) }
                return Reply.ok(id: id, result: result)
            }
        case .decisionsEntries(let from, let limit):
            reply(id, context: context, command: "decisions.entries") {
                let entries = try await store.decisionEntries(from: from, limit: limit)
                return Reply.ok(id: id, result: ["entries": entries.map { [
                    "index": $0.index, "kind": $0.kind, "meeting": RoomID.meeting($0.meeting), "entry": String(decoding: $0.body, as: UTF8.self),
                    "leaf_hash": base64($0.leafHash),
                ] as [String: Any] }])
            }
        case .decisionsInclusion(let index, let size):
            reply(id, context: context, command: "decisions.inclusion") {
                guard let latest = try await store.checkpoint() else { throw HubFailure(.notFound, "the decision log is empty") }
                let treeSize = size ?? latest.size
                let (entry, path) = try await store.inclusionProof(index: index, size: treeSize)
                return Reply.ok(id: id, result: [
                    "index": index, "size": treeSize, "entry": String(decoding: entry.body, as: UTF8.self), "leaf_hash": base64(entry.leafHash),
                    "path": path.map(base64),
                ])
            }
        case .decisionsConsistency(let first, let second):
            reply(id, context: context, command: "decisions.consistency") {
                guard let latest = try await store.checkpoint() else { throw HubFailure(.notFound, "the decision log is empty") }
                let to = second ?? latest.size
                let path = try await store.consistencyProof(first: first, second: to)
                return Reply.ok(id: id, result: ["first": first, "second": to, "path": path.map(base64)])
            }
        default:
            break
        }
    }

    static func negotiationObject(_ view: NegotiationView) -> [String: Any] {
        var object = WireCoding.object(view.negotiation) as? [String: Any] ?? [:]
        object["case"] = RoomID.case(view.caseID)
        object["status"] = view.status.rawValue
        object["unanswered"] = view.negotiation.unanswered.map(\.rawValue)
        if let deadline = view.deadline { object["deadline"] = WireCoding.object(deadline) }
        if let seconds = view.secondsLeft { object["seconds_left"] = Int(seconds.rounded(.down)) }
        if let escalation = view.escalation {
            var value = WireCoding.object(escalation) as? [String: Any] ?? [:]
            value["decided_by"] = escalation.to.map { "leader of \($0.rawValue)" } ?? "coordinator"
            object["escalation"] = value
        }
        return object
    }

    static func entryObject(_ entry: SupervisionEntry, now: Timestamp) -> [String: Any] {
        [
            "case": RoomID.case(entry.caseID), "title": entry.title, "obligation": entry.obligation, "what": entry.what,
            "due_at": entry.dueAt.milliseconds, "seconds_left": Int(entry.dueAt.seconds(since: now).rounded(.down)),
            "owed_by": WireEvents.owedBy(entry.owedBy), "overdue": entry.overdue,
        ]
    }

    /// A case at a glance: each unit's tasks, the deadlines and time left, the answer's signatures,
    /// and what is waiting on whom.
    static func overviewObject(_ state: PetitionCase, now: Timestamp) -> [String: Any] {
        var object: [String: Any] = [
            "case": RoomID.case(state.id), "title": state.title, "status": state.status.rawValue,
            "lead": state.leadUnit?.rawValue ?? NSNull(), "co_handling": state.coHandlingUnits.map(\.rawValue),
        ]
        let running = state.deadlines.filter(\.isRunning).map { deadline -> [String: Any] in
            var entry: [String: Any] = [
                "kind": deadline.kind.rawValue, "due": deadline.due.description, "due_at": deadline.dueAt.milliseconds,
                "seconds_left": Int(deadline.remaining(at: now).rounded(.down)), "overdue": deadline.isOverdue(at: now),
                "owed_by": WireEvents.owedBy(state.owedBy(deadline.kind.rawValue)),
            ]
            if let level = DeadlineMonitor.level(of: deadline, at: now) { entry["level"] = level.rawValue }
            return entry
        }
        object["deadlines"] = running
        var units: [String: [[String: Any]]] = [:]
        for task in state.tasks {
            var entry: [String: Any] = [
                "task": task.id, "what": task.what, "due": task.due.description, "state": task.state.rawValue,
                "overdue": task.isOpen && task.state != .done && now >= task.dueAt,
            ]
            if let progress = task.progress { entry["progress"] = progress.rawValue }
            if let text = task.progressText { entry["progress_text"] = text }
            units[task.unit.rawValue, default: []].append(entry)
        }
        object["tasks_by_unit"] = units
        if let draft = state.answerDraft {
            object["answer"] = [
                "version": draft.version, "signed_by": draft.signatures.map(\.unit.rawValue),
                "objections": draft.objections.map { ["unit": $0.unit.rawValue, "reason": $0.objection ?? ""] },
                "awaiting": state.awaitingCoSignature.map(\.rawValue),
            ] as [String: Any]
        }
        object["supervision_items"] = state.supervisionItems.map { item -> [String: Any] in
            ["item": item.id, "unit": item.unit.rawValue, "demand": item.demand, "due": item.due.description,
             "answered": !item.isOpen, "escalated": item.escalatedAt != nil]
        }
        if let listed = state.listedSupervision { object["listed"] = ["reason": listed.reason] }
        object["waiting_on"] = state.waitingOn.map { ["unit": $0.unit?.rawValue ?? "conference-office", "what": $0.what] }
        return object
    }

    static func figuresObject(_ figures: NegotiationFigures) -> [String: Any] {
        var object: [String: Any] = [
            "unit": figures.unit.rawValue, "joined": figures.joined, "claims": figures.claims, "declines": figures.declines,
            "declines_overturned": figures.declinesOverturned, "answered": figures.answered,
            "unanswered_at_deadline": figures.unansweredAtDeadline,
        ]
        object["median_seconds_to_answer"] = figures.medianSecondsToAnswer.map { Int($0.rounded()) } ?? NSNull()
        return object
    }

    static func supervisionObject(_ item: NegotiationSupervisionItem) -> [String: Any] {
        var object: [String: Any] = [
            "case": RoomID.case(item.caseID), "title": item.title, "status": item.status.rawValue, "overdue": item.overdue,
        ]
        if item.status == .negotiating {
            object["owed_by"] = item.unanswered.map(\.rawValue)
            object["owes"] = "an answer in the negotiation"
        } else {
            object["owed_by"] = [item.escalatedTo?.rawValue ?? "conference-office"]
            object["owes"] = item.escalatedTo.map { "a decision by a leader of \($0.rawValue)" } ?? "a decision by a coordinator"
        }
        if let deadline = item.deadline {
            object["due"] = deadline.due.description
            object["due_at"] = deadline.dueAt.milliseconds
        }
        if let seconds = item.secondsLeft { object["seconds_left"] = Int(seconds.rounded(.down)) }
        return object
    }

    private func hello() -> [String: Any] {
        var result: [String: Any] = ["server": "conference-hub", "version": HubProtocol.serverVersion, "protocol": HubProtocol.subprotocol]
        if let tls = connection.tls {
            result["tls"] = ["version": tls.protocolVersion, "cipher": tls.cipherSuite]
            if let peer = tls.peerCertificate {
                var certificate: [String: Any] = ["subject": peer.subject, "sha256": peer.fingerprintSHA256]
                if let notAfter = peer.notAfter {
                    certificate["expires"] = CertificateDetails.day(notAfter)
                    certificate["days_left"] = CertificateDetails.daysLeft(until: notAfter)
                }
                result["certificate"] = certificate
            }
        }
        if let identity = identityObject() { result["identity"] = identity }
        return result
    }

    // MARK: Rooms

    /// Checks that `actor` may read `room`.
    static func authorize(room: String, actor: Actor, store: CaseStore) async throws {
        if room == RoomID.lobby { return }
        if let meetingID = RoomID.meetingID(of: room) {
            _ = try await meeting(meetingID, for: actor, store: store)
            return
        }
        guard let caseID = RoomID.caseID(of: room) else { throw HubFailure(.notFound, "no room \(room)") }
        try await store.checkMayRead(caseID, by: actor)
    }

    /// A meeting as `actor` may see it: its invited units, chair and convener, and coordinators,
    /// leaders and auditors.
    static func meeting(_ id: MeetingID, for actor: Actor, store: CaseStore) async throws -> Meeting {
        guard let meeting = try await store.meeting(id) else { throw HubFailure(.notFound, "no meeting \(id)") }
        let seesAll = actor.has(.coordinator) || actor.has(.leader) || actor.has(.auditor)
        guard seesAll || meeting.invitation(actor.unit) != nil || actor.person == meeting.chair || actor.person == meeting.convener else {
            throw HubFailure(.forbidden, "\(actor.unit) is not invited to \(id)")
        }
        return meeting
    }

    /// Records a person entering or leaving a meeting room as attendance (while the meeting is
    /// scheduled or in session; otherwise there is nothing to record).
    static func recordAttendance(room: String, person: PersonID, unit: UnitID, joined: Bool, store: CaseStore, logger: Logger) async {
        guard let meetingID = RoomID.meetingID(of: room) else { return }
        do {
            try await store.performMeeting(.attendance(person: person, unit: unit, joined: joined), on: meetingID, by: .system)
        } catch let refusal as CaseRefusal where refusal.code == .invalidState {
            return
        } catch {
            logger.warning("attendance not recorded", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }

    private func join(room: String, lastSequence: Int64?, epoch: String?, id: String, context: ChannelHandlerContext) {
        guard let identity else { return }
        guard !joined.contains(room) else {
            return send(context: context, Reply.error(id: id, code: .invalidState, message: "already in \(room)"))
        }
        guard joined.count < hub.configuration.maxRoomsPerConnection else {
            return send(context: context, Reply.error(id: id, code: .limitExceeded,
                                                      message: "a connection may join at most \(hub.configuration.maxRoomsPerConnection) rooms"))
        }
        let store = hub.store, rooms = hub.rooms, loop = context.eventLoop, channel = context.channel
        let actor = identity.actor, maxReplay = hub.configuration.maxReplay, now = hub.clock.now(), joinAdmittedHook = hub.joinAdmittedHook
        let logger = connection.logger
        busy = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let finished = context.eventLoop.makePromise(of: Void.self)
        finished.futureResult.whenComplete { result in
            let (session, context) = loopBound.value
            if case .failure(let error) = result {
                session.send(context: context, session.errorReply(id: id, command: "join", error: error))
            } else if session.closed {
                // The connection closed while it was joining, after its rooms were left: leave
                // this one too, or the member would stay present for good. (The channel as the
                // join knew it: once closed, the context's channel is NIO's placeholder.)
                session.leaveRoom(room, channel: channel)
            } else {
                session.joined.insert(room)
            }
            session.busy = false
            session.serveNext(context: context)
        }
        finished.completeWithTask {
            try await Self.authorize(room: room, actor: actor, store: store)
            // Only a room the person may join gets live state (a request for another id creates
            // nothing). It is pinned until the member is in, so that it is not dropped meanwhile.
            let live = rooms.pinRoom(room, preferring: loop)
            // Admit in catch-up state first: from here on, live events wait in the member's buffer.
            let first: Bool
            do {
                first = try await live.loop.submit { live.admit(channel: channel, person: actor.person, unit: actor.unit) }.get()
                rooms.unpin(live)
            } catch {
                rooms.unpin(live)
                throw error
            }
            if let hook = joinAdmittedHook.withLockedValue({ $0 }) { await hook(channel) }
            logger.debug("join: admitted", metadata: ["room": "\(room)", "first": "\(first)"])
            do {
                if first {
                    _ = try await store.appendRoomEvent(room: room, kind: "presence", at: now) { position in
                        try WireEvents.presence(position, person: actor.person, unit: actor.unit, joined: true)
                    }
                    await Self.recordAttendance(room: room, person: actor.person, unit: actor.unit, joined: true, store: store, logger: logger)
                }
                let state = try await store.roomState(room)
                let current = state?.lastSequence ?? 0
                logger.debug("join: room state read", metadata: ["room": "\(room)", "seq": "\(current)"])
                var recovered = false
                var reason: String?
                var replay: [RoomEventRecord] = []
                if let lastSequence {
                    if let epoch, epoch != state?.epoch {
                        reason = "epoch_changed"
                    } else if lastSequence > current {
                        reason = "ahead_of_room"
                    } else if current - lastSequence > Int64(maxReplay) {
                        reason = "too_far_behind"
                    } else {
                        replay = try await store.roomEvents(room, after: lastSequence, through: current, limit: maxReplay)
                        recovered = true
                    }
                } else {
                    reason = "no_last_seq"
                }
                let epoch = state?.epoch ?? "", replayed = replay, reasonGiven = reason, isRecovered = recovered
                // The reply names who is present as the member goes live.
                let reply = { @Sendable (present: [(person: PersonID, unit: UnitID)]) -> ByteBuffer in
                    var result: [String: Any] = [
                        "room": room, "epoch": epoch, "seq": current, "recovered": isRecovered, "replayed": replayed.count,
                        "presence": present.map { ["person": $0.person.rawValue, "unit": $0.unit.rawValue] },
                    ]
                    if let reasonGiven {
                        result["reason"] = reasonGiven
                        result["history"] = "page older events with {\"type\": \"history\", \"room\": \"\(room)\", \"before\": \(current + 1)}"
                    }
                    return Reply.ok(id: id, result: result)
                }
                // Events up to `current` come from the replay (or were missed on purpose); later ones live.
                let completed = try await live.loop.submit {
                    live.completeJoin(channel: channel, reply: reply, replay: replayed, replayedThrough: current)
                }.get()
                logger.debug("join: completed", metadata: ["room": "\(room)", "replayed": "\(replayed.count)", "member": "\(completed)"])
            } catch {
                _ = try? await live.loop.submit {
                    _ = live.remove(channel: channel)
                    rooms.dropIfIdle(live)
                }.get()
                throw error
            }
        }
    }

    /// Takes this connection out of `room` (dropping the room's live state if it was the last
    /// member) and records the person's departure if it was their last connection there; the
    /// future completes once the member is out.
    @discardableResult
    private func leaveRoom(_ room: String, channel: Channel) -> EventLoopFuture<Void> {
        let rooms = hub.rooms, store = hub.store, now = hub.clock.now(), logger = connection.logger
        guard let live = rooms.existingRoom(room) else { return channel.eventLoop.makeSucceededVoidFuture() }
        return live.loop.submit {
            let left = live.remove(channel: channel)
            rooms.dropIfIdle(live)
            guard let (person, unit) = left else { return }
            Task {
                do {
                    _ = try await store.appendRoomEvent(room: room, kind: "presence", at: now) { position in
                        try WireEvents.presence(position, person: person, unit: unit, joined: false)
                    }
                    await Self.recordAttendance(room: room, person: person, unit: unit, joined: false, store: store, logger: logger)
                } catch {
                    logger.warning("presence event not recorded", metadata: ["room": "\(room)", "error": "\(error)"])
                }
            }
        }
    }

    /// `{"id", "type": "ok", "result": {"room", "epoch", "events": [stored bytes…], "more"}}`,
    /// splicing the stored event bytes in unchanged.
    static func historyReply(id: String, room: String, epoch: String, events: [RoomEventRecord], more: Bool) -> ByteBuffer {
        let head = Reply.encode(["id": id, "type": "ok"])
        var buffer = ByteBuffer()
        // head is {"id":…,"type":"ok"}; reopen it to add "result".
        var headBytes = head
        headBytes.moveWriterIndex(to: headBytes.writerIndex - 1)
        buffer.writeBuffer(&headBytes)
        var prefix = Reply.encode(["room": room, "epoch": epoch, "more": more])
        prefix.moveWriterIndex(to: prefix.writerIndex - 1)
        buffer.writeString(",\"result\":")
        buffer.writeBuffer(&prefix)
        buffer.writeString(",\"events\":[")
        for (index, event) in events.enumerated() {
            if index > 0 { buffer.writeString(",") }
            buffer.writeBytes(event.body)
        }
        buffer.writeString("]}}")
        return buffer
    }
}

/// A refusal decided by the hub itself (not by CaseCore).
struct HubFailure: Error {
    let code: ErrorCode
    let message: String

    init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
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
