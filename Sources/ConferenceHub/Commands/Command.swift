// Command: what every request of the conference protocol declares in one place — its wire name,
// its parameters read and checked into a typed value, who may send it, and an async handler that
// returns a typed, Encodable result. CommandTable lists them all; HubSession dispatches only
// through that list and turns what a handler throws into an error reply.
import CaseCore
import Foundation
import Logging
import Messaging
import NIOCore

/// One command of the protocol.
protocol Command: SendableMetatype {
    /// The checked parameters (`NoParameters` for a command that takes none).
    associatedtype Parameters: Sendable
    /// The reply's `result` object.
    associatedtype Output: Encodable & Sendable

    /// The request `type`.
    static var name: String { get }
    /// What it changes (no default: each command says so, and `schema` tells clients, which
    /// never send a `write` again by themselves after a dropped connection).
    static var effect: CommandEffect { get }
    /// Who may send it at all; what a person may do with a given case or meeting is asked of
    /// CaseCore's access rules by the handler.
    static var access: CommandAccess { get }
    /// True when the handler writes its reply itself, in order with the room events that must
    /// follow it (a join's reply, then its replay, then live events); the session then sends
    /// nothing for it.
    static var repliesInOrder: Bool { get }

    /// How many requests of the connection's rate limit it counts as: 1, or more for a command
    /// that reads a large page or scans every case (docs/protocol.md lists each).
    static func cost(_ parameters: Parameters) -> Int
    /// Reads and checks the parameters; errors name the field.
    static func parameters(_ request: CommandRequest) throws(HubFailure) -> Parameters
    /// Serves the command.
    static func run(_ parameters: Parameters, in context: CommandContext) async throws -> Output
    /// Starts the handler and calls `completion` with what it returns or throws, on any thread.
    /// By default a task runs `run`; a command on the hot path (`post`) completes without one.
    static func start(_ parameters: Parameters, in context: CommandContext,
                      completion: @escaping @Sendable (Swift.Result<Output, Error>) -> Void)
    /// The reply's bytes (a command on the hot path may write them directly).
    static func reply(id: String, result: Output) -> ByteBuffer
}

extension Command {
    static var access: CommandAccess { .signedIn }
    static var repliesInOrder: Bool { false }
    static func cost(_ parameters: Parameters) -> Int { 1 }

    static func start(_ parameters: Parameters, in context: CommandContext,
                      completion: @escaping @Sendable (Swift.Result<Output, Error>) -> Void) {
        Task {
            do {
                completion(.success(try await run(parameters, in: context)))
            } catch {
                completion(.failure(error))
            }
        }
    }

    static func reply(id: String, result: Output) -> ByteBuffer {
        WireReply.ok(id: id, result: result)
    }
}

extension Command where Parameters == NoParameters {
    static func parameters(_ request: CommandRequest) throws(HubFailure) -> NoParameters { NoParameters() }
}

/// The parameters of a command that takes none.
struct NoParameters: Sendable {}

/// What a command changes, as `schema` lists it.
enum CommandEffect: String, Sendable, Encodable {
    /// Nothing: it only reads.
    case read
    /// Only the connection's own state (who it is, which rooms it has joined); safe to repeat.
    case connection
    /// Stored state. Sent again after a drop, it could act twice: a client asks first.
    case write
    /// Stored state, once per idempotency key: safe to send again with the same key.
    case keyedWrite = "keyed_write"
}

/// Who may send a command at all.
enum CommandAccess: Sendable {
    /// Anyone, before authentication too (`hello`, `auth`).
    case anyone
    /// Any authenticated person.
    case signedIn
    /// Authenticated people for whom `rule` (a pure rule of CaseCore) holds; others are refused
    /// with `refusal`.
    case signedInWhere(rule: @Sendable (Actor) -> Bool, refusal: String)
}

extension CommandAccess {
    /// Why `actor` may not send the command (nil: they may): `unauthenticated` before
    /// authentication (no actor), `forbidden` with the rule's sentence.
    func refusal(for actor: Actor?) -> HubFailure? {
        switch self {
        case .anyone:
            return nil
        case .signedIn:
            return actor == nil ? Self.unauthenticated : nil
        case .signedInWhere(let rule, let refusal):
            guard let actor else { return Self.unauthenticated }
            return rule(actor) ? nil : HubFailure(.forbidden, refusal)
        }
    }

    static let unauthenticated = HubFailure(.unauthenticated, "authenticate first: present a client certificate or send `auth` with a token")

    /// Everyone who works on cases (officers, leaders, coordinators, auditors): not a person
    /// whose only role is `admin`.
    static let caseWork = CommandAccess.signedInWhere(
        rule: { $0.worksOnCases }, refusal: "administrators manage units, people and credentials; they do not read cases, rooms or meetings")
}

/// A refusal decided by the hub itself (a parameter that does not fit, a state of the
/// connection), as opposed to one decided by CaseCore (`CaseRefusal`).
struct HubFailure: Error {
    let code: ErrorCode
    let message: String

    init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// A decoded request as a command reads its parameters from it.
struct CommandRequest {
    let request: Request
    /// The longest `post` text (a setting).
    let maxTextLength: Int

    /// The parameters as `T`, decoded strictly from the request's bytes (snake_case keys).
    func decode<T: Decodable>(_ type: T.Type) throws(HubFailure) -> T {
        do {
            return try WireCoding.decoder.decode(T.self, from: request.raw)
        } catch let error as DecodingError {
            throw HubFailure(.badRequest, WireCoding.describe(error, fields: request.fields))
        } catch {
            throw HubFailure(.badRequest, "the request could not be read")
        }
    }
}

/// What a handler has to work with: the hub, who is asking, and the connection it came on.
struct CommandContext: Sendable {
    let hub: Hub
    /// The request's `id`, echoed in its reply.
    let requestID: String
    /// Who the connection authenticated as (nil before authentication).
    let identity: Identity?
    let connection: SessionLink

    var store: CaseStore { hub.store }

    /// The person asking. Only `anyone` commands run before authentication, and they do not ask.
    var actor: Actor {
        get throws(HubFailure) {
            guard let identity else { throw HubFailure(.unauthenticated, "authenticate first") }
            return identity.actor
        }
    }
}
