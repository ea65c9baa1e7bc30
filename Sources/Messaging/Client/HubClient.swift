// HubClient: the conference protocol (docs/protocol.md) over a WebSocketClientConnection —
// authentication, requests matched to replies by id, pushed events, and the last position seen in
// each room so that a rejoin recovers what was missed. The CLI, the tests and the benchmarks use it.
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// One message from the hub: a reply or an event, with its JSON text and the parsed object.
public struct HubMessage: @unchecked Sendable {
    // @unchecked: `object` is the immutable result of JSONSerialization, never mutated after init.

    /// The message exactly as received.
    public let text: String
    /// The parsed JSON object (empty if the text was not a JSON object).
    public let object: [String: Any]
    /// For a reply: the `type` of the request it answers, when it came from this client.
    public let requestType: String?

    init(text: String, object: [String: Any], requestType: String?) {
        self.text = text
        self.object = object
        self.requestType = requestType
    }

    /// `ok`, `error` or `event`.
    public var type: String { object["type"] as? String ?? "" }
    /// The request id of a reply.
    public var id: String? { object["id"] as? String }
    /// Whether this is a pushed event.
    public var isEvent: Bool { type == "event" }
    /// Whether this is an `ok` reply.
    public var isOK: Bool { type == "ok" }
    /// The `result` of an `ok` reply.
    public var result: [String: Any] { object["result"] as? [String: Any] ?? [:] }
    /// The error `code` of an error reply.
    public var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    /// The error `message` of an error reply.
    public var errorMessage: String? { (object["error"] as? [String: Any])?["message"] as? String }
    /// An event's room.
    public var room: String? { object["room"] as? String }
    /// An event's sequence number in its room.
    public var seq: Int? { (object["seq"] as? NSNumber)?.intValue }
    /// An event's room epoch.
    public var epoch: String? { object["epoch"] as? String }
    /// An event's kind: `message`, `presence`, `case`, …
    public var kind: String? { object["kind"] as? String }
}

/// Why a hub request could not be completed.
public enum HubClientError: Error, CustomStringConvertible, Sendable {
    /// The connection closed (the close code and reason, when the server sent a close frame).
    case closed(code: Int?, reason: String?)
    /// The hub answered with an error.
    case refused(code: String, message: String)
    /// The request could not be encoded as JSON.
    case badRequest(String)

    public var description: String {
        switch self {
        case .closed(let code?, let reason?) where !reason.isEmpty: "the hub closed the connection (\(code): \(reason))"
        case .closed(let code?, _): "the hub closed the connection (\(code))"
        case .closed: "the connection to the hub closed"
        case .refused(let code, let message): "\(code): \(message)"
        case .badRequest(let message): "bad request: \(message)"
        }
    }
}

/// Who the connection is authenticated as.
public struct HubIdentity: Sendable, Equatable {
    public let person: String
    public let name: String
    public let unit: String
    public let roles: [String]

    init?(_ object: [String: Any]?) {
        guard let object, let person = object["person"] as? String, let unit = object["unit"] as? String else { return nil }
        self.person = person
        self.name = object["name"] as? String ?? person
        self.unit = unit
        self.roles = object["roles"] as? [String] ?? []
    }
}

/// A client certificate as the `hello` reply describes it.
public struct HubCertificateStatus: Sendable, Equatable {
    public let subject: String
    /// `YYYY-MM-DD`, UTC.
    public let expires: String
    /// Whole days until it expires.
    public let daysLeft: Int

    init?(_ object: [String: Any]?) {
        guard let object, let expires = object["expires"] as? String, let days = (object["days_left"] as? NSNumber)?.intValue else { return nil }
        subject = object["subject"] as? String ?? ""
        self.expires = expires
        daysLeft = days
    }
}

/// Where a client last was in a room: the room's epoch and the last sequence number seen.
public struct RoomPositionSeen: Sendable, Equatable {
    public var epoch: String
    public var seq: Int

    public init(epoch: String, seq: Int) {
        self.epoch = epoch
        self.seq = seq
    }
}

/// How to reach and authenticate with a hub.
public struct HubClientConfiguration: Sendable {
    /// The WebSocket connection (host, port, TLS with an optional client certificate).
    public var connection: WebSocketClientConfiguration
    /// A bearer token to send with `auth`; nil when a client certificate identifies the person.
    public var token: String?

    public init(connection: WebSocketClientConfiguration, token: String?) {
        self.connection = connection
        if !self.connection.subprotocols.contains(ConferenceProtocol.subprotocol) { self.connection.subprotocols.append(ConferenceProtocol.subprotocol) }
        self.token = token
    }
}

/// A connection to the hub speaking the conference protocol.
///
/// Every message the hub sends passes, in arrival order, through the `observer` given to
/// ``connect(configuration:group:positions:logger:observer:)`` (if any); events are also yielded to
/// ``events``. ``request(_:_:)`` sends a request and returns its reply.
public final class HubClient: Sendable {
    /// The underlying WebSocket connection.
    public let connection: WebSocketClientConnection
    /// Pushed events, in order. Finishes when the connection closes.
    public let events: AsyncStream<HubMessage>

    private struct State {
        var nextID = 0
        var pending: [String: (type: String, continuation: CheckedContinuation<HubMessage, Error>)] = [:]
        var positions: [String: RoomPositionSeen] = [:]
        var identity: HubIdentity?
        var certificate: HubCertificateStatus?
        var closedError: HubClientError?
    }

    private let state: NIOLockedValueBox<State>
    private let eventsContinuation: AsyncStream<HubMessage>.Continuation
    private let finished: EventLoopPromise<Void>

    private init(connection: WebSocketClientConnection, positions: [String: RoomPositionSeen]) {
        self.connection = connection
        self.state = NIOLockedValueBox(State(positions: positions))
        (self.events, self.eventsContinuation) = AsyncStream<HubMessage>.makeStream()
        self.finished = connection.channel.eventLoop.makePromise()
    }

    /// Connects, authenticates (with the token, or by the client certificate) and returns the client.
    /// `positions` are rooms' last positions from an earlier connection, used by ``join(_:)``.
    public static func connect(
        configuration: HubClientConfiguration, group: EventLoopGroup, positions: [String: RoomPositionSeen] = [:],
        logger: Logger = Logger(label: "conferencehub.client"),
        observer: (@Sendable (HubMessage) -> Void)? = nil
    ) async throws -> HubClient {
        let connection = try await WebSocketClient.connect(configuration: configuration.connection, group: group, logger: logger)
        let client = HubClient(connection: connection, positions: positions)
        client.startReading(observer: observer)
        do {
            let identity: HubIdentity?
            var certificate: HubCertificateStatus?
            if let token = configuration.token {
                let reply = try await client.request("auth", ["token": token])
                identity = HubIdentity(reply.result)
            } else {
                let reply = try await client.request("hello")
                identity = HubIdentity(reply.result["identity"] as? [String: Any])
                guard identity != nil else {
                    throw HubClientError.refused(
                        code: "unauthorized", message: "the hub does not know this client certificate (or none was presented); use a token or an issued certificate")
                }
                certificate = HubCertificateStatus(reply.result["certificate"] as? [String: Any])
            }
            client.state.withLockedValue {
                $0.identity = identity
                $0.certificate = certificate
            }
            return client
        } catch {
            await client.close()
            throw error
        }
    }

    /// The authenticated person.
    public var identity: HubIdentity? { state.withLockedValue { $0.identity } }

    /// The client certificate the hub identified this connection by, as the hub saw it (nil with
    /// a token).
    public var certificate: HubCertificateStatus? { state.withLockedValue { $0.certificate } }

    /// The last position seen in each room (from events and join replies).
    public var positions: [String: RoomPositionSeen] { state.withLockedValue { $0.positions } }

    /// Request ids this client makes up (when a request has none) start with this.
    public static let automaticIDPrefix = "hubclient-"

    /// Why the connection closed, once it has.
    public var closeError: HubClientError? { state.withLockedValue { $0.closedError } }

    /// Completes when the connection has closed and every pending request has failed.
    public var closed: EventLoopFuture<Void> { finished.futureResult }

    /// Sends `{"id": …, "type": type, …fields}` and returns the `ok` reply; an error reply throws
    /// ``HubClientError/refused(code:message:)``.
    @discardableResult
    public func request(_ type: String, _ fields: [String: Any] = [:]) async throws -> HubMessage {
        let reply = try await send(type, fields)
        if reply.isOK { return reply }
        throw HubClientError.refused(code: reply.errorCode ?? "unknown", message: reply.errorMessage ?? reply.text)
    }

    /// Sends a request and returns its reply, whether `ok` or `error`.
    public func send(_ type: String, _ fields: [String: Any] = [:]) async throws -> HubMessage {
        var object = fields
        object["type"] = type
        let id: String = state.withLockedValue { state in
            if let given = fields["id"] as? String { return given }
            state.nextID += 1
            return "\(Self.automaticIDPrefix)\(state.nextID)"
        }
        object["id"] = id
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw HubClientError.badRequest("the request is not a JSON object") }
        let text = String(decoding: data, as: UTF8.self)
        return try await withCheckedThrowingContinuation { continuation in
            let failure: HubClientError? = state.withLockedValue { state in
                if let closed = state.closedError { return closed }
                if state.pending[id] != nil { return .badRequest("request id \(id) is already waiting for a reply") }
                state.pending[id] = (type, continuation)
                return nil
            }
            if let failure {
                continuation.resume(throwing: failure)
                return
            }
            connection.channel.writeAndFlush(WebSocketMessage.text(text)).whenFailure { [state] error in
                let waiting = state.withLockedValue { $0.pending.removeValue(forKey: id) }
                waiting?.continuation.resume(throwing: HubClientError.closed(code: nil, reason: "\(error)"))
            }
        }
    }

    /// Joins a room. Without `lastSeq`, resumes from the last position this client saw in the room
    /// (if any), so that the hub replays what was missed.
    @discardableResult
    public func join(_ room: String, lastSeq: Int? = nil, epoch: String? = nil) async throws -> HubMessage {
        var fields: [String: Any] = ["room": room]
        if let lastSeq {
            fields["last_seq"] = lastSeq
            if let epoch {
                fields["epoch"] = epoch
                state.withLockedValue { $0.positions[room] = RoomPositionSeen(epoch: epoch, seq: lastSeq) }
            }
        } else if let seen = positions[room] {
            fields["last_seq"] = seen.seq
            fields["epoch"] = seen.epoch
        }
        return try await request("join", fields)
    }

    /// Posts a message to a joined room with an idempotency key; returns the assigned sequence.
    @discardableResult
    public func post(_ room: String, text: String, key: String) async throws -> Int {
        let reply = try await request("post", ["room": room, "text": text, "key": key])
        return (reply.result["seq"] as? NSNumber)?.intValue ?? 0
    }

    /// Closes the connection (WebSocket close 1000, then TLS close_notify).
    public func close() async {
        await connection.close()
        try? await finished.futureResult.get()
    }

    private func startReading(observer: (@Sendable (HubMessage) -> Void)?) {
        Task { [self] in
            for await message in connection.inbound {
                receive(message, observer: observer)
            }
            let frame = try? await connection.closeFrame.get()
            let error = HubClientError.closed(code: frame?.code.map { Int($0) }, reason: frame?.reason)
            let waiting = state.withLockedValue { state in
                state.closedError = error
                defer { state.pending.removeAll() }
                return Array(state.pending.values)
            }
            for request in waiting { request.continuation.resume(throwing: error) }
            eventsContinuation.finish()
            finished.succeed(())
        }
    }

    private func receive(_ message: WebSocketMessage, observer: (@Sendable (HubMessage) -> Void)?) {
        let text = String(buffer: message.data)
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        let type = object["type"] as? String
        if type == "event" {
            let parsed = HubMessage(text: text, object: object, requestType: nil)
            if let room = parsed.room, let seq = parsed.seq, let epoch = parsed.epoch {
                state.withLockedValue { $0.positions[room] = RoomPositionSeen(epoch: epoch, seq: seq) }
            }
            observer?(parsed)
            eventsContinuation.yield(parsed)
            return
        }
        let id = object["id"] as? String
        let waiting = id.flatMap { id in state.withLockedValue { $0.pending.removeValue(forKey: id) } }
        let parsed = HubMessage(text: text, object: object, requestType: waiting?.type)
        if waiting?.type == "join", parsed.isOK, let room = parsed.result["room"] as? String,
            let epoch = parsed.result["epoch"] as? String, let seq = (parsed.result["seq"] as? NSNumber)?.intValue
        {
            // Recovered: the replayed events follow and move the position on from `last_seq`.
            // Not recovered: live delivery starts after `seq`; what was missed is in `history`.
            if parsed.result["recovered"] as? Bool != true {
                state.withLockedValue { $0.positions[room] = RoomPositionSeen(epoch: epoch, seq: seq) }
            }
        }
        observer?(parsed)
        waiting?.continuation.resume(returning: parsed)
    }
}
