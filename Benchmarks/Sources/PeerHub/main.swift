// peer-hub: rooms over WebSocket with Hummingbird, in the style its documentation and examples
// use (a router with a `ws` route, an async message loop per connection, an AsyncStream per
// connection for outbound messages), TLS with swift-nio-ssl. Replies and events have the same
// shape as ConferenceHub's, so `conference-hub bench --url …` can drive it.
import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import NIOConcurrencyHelpers
import NIOSSL

struct Options {
    var port = 0
    var portFile: String?
    var certificate = ""
    var key = ""
    var token = ""

    init(_ arguments: [String]) {
        var index = 1
        while index + 1 < arguments.count {
            let value = arguments[index + 1]
            switch arguments[index] {
            case "--port": port = Int(value) ?? 0
            case "--port-file": portFile = value
            case "--cert": certificate = value
            case "--key": key = value
            case "--token": token = value
            default: break
            }
            index += 2
        }
    }
}

/// Every room's members and sequence.
final class Rooms: Sendable {
    private struct Room {
        var sequence = 0
        var members: [UUID: AsyncStream<String>.Continuation] = [:]
    }
    private let rooms = NIOLockedValueBox<[String: Room]>([:])

    func join(_ room: String, id: UUID, continuation: AsyncStream<String>.Continuation) -> Int {
        rooms.withLockedValue { rooms in
            rooms[room, default: Room()].members[id] = continuation
            return rooms[room]!.sequence
        }
    }

    func leave(id: UUID) {
        rooms.withLockedValue { rooms in
            for key in rooms.keys { rooms[key]!.members[id] = nil }
        }
    }

    /// Assigns the next sequence and hands the event to every member, in order.
    func post(_ room: String, make: (Int) -> String) -> Int {
        rooms.withLockedValue { rooms in
            rooms[room, default: Room()].sequence += 1
            let sequence = rooms[room]!.sequence
            let event = make(sequence)
            for continuation in rooms[room]!.members.values { continuation.yield(event) }
            return sequence
        }
    }
}

struct From: Encodable { let person: String; let unit: String }
struct Event: Encodable {
    let type = "event"; let room: String; let seq: Int; let epoch = "peer"; let at: String; let kind = "message"; let from: From; let text: String
}
struct OK<Result: Encodable>: Encodable { let id: String; let type = "ok"; let result: Result }
struct Failure: Encodable { let id: String?; let type = "error"; let error: [String: String] }
struct AuthResult: Encodable { let person: String; let unit: String }
struct JoinResult: Encodable { let room: String; let epoch: String; let seq: Int; let recovered: Bool; let replayed: Int }
struct PostResult: Encodable { let room: String; let seq: Int; let duplicate: Bool }
struct Request: Decodable { let id: String; let type: String; let token: String?; let room: String?; let text: String? }

let options = Options(CommandLine.arguments)
let rooms = Rooms()
let encoder = JSONEncoder()
let iso8601 = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) }

let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
webSocketRouter.ws("/v1/ws") { _, _ in
    .upgrade([.secWebSocketProtocol: "conferencehub.v1"])
} onUpgrade: { inbound, outbound, _ in
    let id = UUID()
    let (stream, continuation) = AsyncStream<String>.makeStream()
    defer {
        rooms.leave(id: id)
        continuation.finish()
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for await text in stream { try await outbound.write(.text(text)) }
        }
        var authenticated = false
        let decoder = JSONDecoder()
        for try await message in inbound.messages(maxSize: 1 << 20) {
            guard case .text(let text) = message, let request = try? decoder.decode(Request.self, from: Data(text.utf8)) else {
                continuation.yield(json(Failure(id: nil, error: ["code": "bad_request", "message": "not a request"])))
                continue
            }
            switch request.type {
            case "auth":
                authenticated = request.token == options.token
                continuation.yield(authenticated
                    ? json(OK(id: request.id, result: AuthResult(person: "bench", unit: "bench")))
                    : json(Failure(id: request.id, error: ["code": "unauthorized", "message": "unknown token"])))
            case "join" where authenticated:
                let room = request.room ?? "lobby"
                let sequence = rooms.join(room, id: id, continuation: continuation)
                continuation.yield(json(OK(id: request.id, result: JoinResult(room: room, epoch: "peer", seq: sequence, recovered: false, replayed: 0))))
            case "post" where authenticated:
                let room = request.room ?? "lobby", body = request.text ?? ""
                let at = iso8601.format(Date())
                let sequence = rooms.post(room) { json(Event(room: room, seq: $0, at: at, from: From(person: "bench", unit: "bench"), text: body)) }
                continuation.yield(json(OK(id: request.id, result: PostResult(room: room, seq: sequence, duplicate: false))))
            default:
                continuation.yield(json(Failure(id: request.id, error: ["code": "unauthenticated", "message": "authenticate first"])))
            }
        }
        group.cancelAll()
    }
}

var tls = TLSConfiguration.makeServerConfiguration(
    certificateChain: try NIOSSLCertificate.fromPEMFile(options.certificate).map { .certificate($0) },
    privateKey: .privateKey(try NIOSSLPrivateKey(file: options.key, format: .pem)))
tls.minimumTLSVersion = .tlsv12
let app = Application(
    router: Router(),
    server: try .tls(.http1WebSocketUpgrade(webSocketRouter: webSocketRouter), tlsConfiguration: tls),
    configuration: .init(address: .hostname("127.0.0.1", port: options.port)),
    onServerRunning: { channel in
        if let file = options.portFile, let port = channel.localAddress?.port {
            try? "\(port)\n".write(toFile: file, atomically: true, encoding: .utf8)
        }
    }
)
try await app.runService()
