// post: a message to a joined room, stored once per idempotency key. The hot path of the hub:
// its parameters may come from the flat reader, it completes without a Swift task (the store
// calls back on its writer thread), and its reply is written directly.
import CaseCore
import Messaging
import NIOCore

struct Post: Command {
    static let name = "post"
    static let effect = CommandEffect.keyedWrite
    static var access: CommandAccess {
        .signedInWhere(rule: RoomAccess.mayPost, refusal: "auditors and administrators read rooms; they do not post")
    }

    struct Parameters: Sendable {
        let room: String
        let text: String
        let key: String
    }

    struct Output: Encodable, Sendable {
        let room: String
        let seq: Int64
        let duplicate: Bool
    }

    /// The parameters from the string fields read by `FlatJSON`; nil when a field is missing,
    /// so that the general decoder reports it. Checks exactly what `parameters` checks.
    static func parameters(flat fields: [String: String], maxTextLength: Int) throws(HubFailure) -> Parameters? {
        guard let room = fields["room"], let text = fields["text"], let key = fields["key"] else { return nil }
        return try checked(room: room, text: text, key: key, maxTextLength: maxTextLength)
    }

    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters {
        // The envelope is already parsed; when the fields have the right types they are taken
        // from it (the typed decoder gives the error otherwise).
        let fields = request.request.fields
        if let room = fields["room"]?.string, let text = fields["text"]?.string, let key = fields["key"]?.string {
            return try checked(room: room, text: text, key: key, maxTextLength: request.maxTextLength)
        }
        struct Fields: Decodable { let room: String; let text: String; let key: String }
        let decoded = try request.decode(Fields.self)
        return try checked(room: decoded.room, text: decoded.text, key: decoded.key, maxTextLength: request.maxTextLength)
    }

    private static func checked(room: String, text: String, key: String, maxTextLength: Int) throws(HubFailure) -> Parameters {
        Parameters(room: try Check.room(room), text: try Check.text(text, "text", max: maxTextLength),
                   key: try Check.text(key, "key", max: ParameterLimits.maxKey))
    }

    static func start(_ parameters: Parameters, in context: CommandContext,
                      completion: @escaping @Sendable (Swift.Result<Output, Error>) -> Void) {
        let actor: Actor
        do {
            actor = try context.actor
        } catch {
            return completion(.failure(error))
        }
        guard context.connection.joined.contains(parameters.room) else {
            return completion(.failure(HubFailure(.notJoined, "join \(parameters.room) before posting to it")))
        }
        let text = parameters.text
        context.store.post(room: parameters.room, idempotencyKey: parameters.key, by: actor.person, at: context.hub.clock.now(), encode: { position in
            try WireEvents.message(position, person: actor.person, unit: actor.unit, text: text)
        }, completion: { result in
            completion(result.map { Output(room: $0.position.room, seq: $0.position.sequence, duplicate: $0.duplicate) })
        })
    }

    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            start(parameters, in: context) { continuation.resume(with: $0) }
        }
    }

    static func reply(id: String, result: Output) -> ByteBuffer {
        Reply.posted(id: id, room: result.room, sequence: result.seq, duplicate: result.duplicate)
    }
}
